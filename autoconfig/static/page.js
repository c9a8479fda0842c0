/* The account check: posts the address (and, if typed, the password) to the diagnostics
 * API, shows each check as it streams in (NDJSON), then the results grouped by protocol
 * and a plain-text summary for the helpdesk. Everything is written with textContent:
 * nothing from the server is ever parsed as HTML. The password lives only in the request
 * body and is cleared from the field once the check has run. */
(function () {
  "use strict";

  var shared = window.autoconfigMarks;  /* marks.js */
  var el = shared.el, label = shared.label, statusOf = shared.statusOf, mark = shared.mark;
  var GROUPS = ["general", "imap", "pop3", "smtp"];
  var YES_NO = ["webmail", "offline_access", "shared_account", "server_folders"];

  function byId(id) {
    return document.getElementById(id);
  }

  /* What a check is about, e.g. "IMAP · mail.example.com:993 · SSL/TLS". */
  function context(check) {
    var parts = [];
    if (check.protocol) parts.push(String(check.protocol).toUpperCase());
    if (check.host) parts.push(check.port ? check.host + ":" + check.port : check.host);
    if (check.security) parts.push(check.security === "tls" ? "SSL/TLS" : String(check.security).toUpperCase());
    if (!parts.length && check.kind) parts.push(String(check.kind).toUpperCase());
    return parts.join(" \u00b7 ");
  }

  function groupOf(check) {
    var p = check.protocol ? String(check.protocol).toLowerCase() : "";
    return GROUPS.indexOf(p) > 0 ? p : "general";
  }

  /* One NDJSON line: {"type": "check", …} as each check ends, then {"type": "report", …}. */
  function classify(line) {
    if (!line || typeof line !== "object") return null;
    if (line.type === "check") return { kind: "check", value: line };
    if (line.type === "report") return { kind: "report", value: line };
    return null;
  }

  function answers() {
    var form = byId("advice-form");
    if (!form) return null;
    var out = {};
    /* Only answers the advice would accept: a slip there must not stop the check. */
    var devices = form.elements.devices && form.elements.devices.value;
    if (devices && /^\d+$/.test(devices) && +devices >= 1 && +devices <= 1000) out.devices = +devices;
    var quota = form.elements.quota_percent && form.elements.quota_percent.value;
    if (quota && isFinite(quota) && +quota >= 0 && +quota <= 100) out.quota_percent = +quota;
    var link = form.querySelector("input[name=connectivity]:checked");
    if (link && link.value) out.connectivity = link.value;
    YES_NO.forEach(function (name) {
      var choice = form.querySelector("input[name=" + name + "]:checked");
      if (choice && choice.value) out[name] = choice.value === "yes";
    });
    return Object.keys(out).length ? out : null;
  }

  function Check(form) {
    this.form = form;
    this.button = byId("check-run");
    this.state = byId("check-state");
    this.steps = byId("check-steps");
    this.results = byId("check-results");
    this.labels = this.results;
    this.groups = byId("check-groups");
    this.overall = byId("check-overall");
    this.summary = byId("check-summary");
    this.checks = [];
    this.running = false;
  }

  Check.prototype.reset = function () {
    this.checks = [];
    this.steps.textContent = "";
    this.steps.hidden = false;
    this.groups.textContent = "";
    this.overall.textContent = "";
    this.summary.value = "";
    byId("check-copy-state").textContent = "";
    byId("check-recommendation").hidden = true;
    byId("check-verdict").hidden = true;
    byId("check-ticket").hidden = true;
    byId("check-no-ticket").hidden = true;
    this.results.hidden = true;
  };

  /* The verdict first: everything works, or the problems by root cause with the one to start
   * with marked. It comes whole in the report (`verdict`, grouped by autoconfig/problems.py),
   * so the page, the reopened report at /r/<token> and the API all say the same. */
  function showVerdict(labels, report) {
    var box = byId("check-verdict");
    if (!box) return;
    var verdict = report.verdict;
    var problems = byId("check-problems");
    var more = byId("check-more");
    var unchecked = byId("check-unchecked");
    problems.textContent = "";
    more.textContent = "";
    unchecked.textContent = "";
    if (!verdict || !verdict.message) {
      box.hidden = true;
      return;
    }
    box.className = "card verdict status-" + statusOf(verdict.status);
    byId("check-verdict-headline").textContent = verdict.message;
    /* With problems to fix, the warnings wait behind them, one click away. */
    var fixFirst = verdict.status === "error";
    (verdict.problems || []).forEach(function (problem, index) {
      var item = el("li", "problem status-" + statusOf(problem.status));
      item.appendChild(mark(labels, problem.status));
      var body = el("div", "problem-body");
      if (index === 0) body.appendChild(el("p", "start-here", label(box, "start")));
      var messages = problem.messages || [];
      if (messages.length) body.appendChild(el("p", "problem-message", messages[0]));
      if (messages.length > 1) {
        /* The same failure elsewhere (another record, another host): one click away. */
        var alike = el("details", "alike");
        var count = messages.length - 1;
        alike.appendChild(el("summary", null,
          label(box, count === 1 ? "alike-one" : "alike-many").replace("{count}", count)));
        messages.slice(1).forEach(function (text) { alike.appendChild(el("p", "problem-message", text)); });
        body.appendChild(alike);
      }
      if (problem.remedy) {
        var remedy = el("p", "check-remedy");
        remedy.appendChild(el("strong", null, label(labels, "remedy") + " "));
        remedy.appendChild(document.createTextNode(problem.remedy));
        body.appendChild(remedy);
      }
      var scope = [];
      var protocols = (problem.protocols || []).map(function (p) { return String(p).toUpperCase(); });
      if (protocols.length) scope.push(label(box, "affects") + " " + protocols.join(", ") + ".");
      var stopped = (problem.consequences || []).length;
      if (stopped) {
        scope.push(label(box, stopped === 1 ? "because-one" : "because-many").replace("{count}", stopped));
      }
      if (scope.length) body.appendChild(el("p", "problem-scope", scope.join(" ")));
      item.appendChild(body);
      (fixFirst && problem.status !== "error" ? more : problems).appendChild(item);
    });
    (verdict.unchecked || []).forEach(function (text) { unchecked.appendChild(el("li", null, text)); });
    problems.hidden = !problems.children.length;
    var moreTitle = byId("check-more-title");
    moreTitle.textContent = moreTitle.getAttribute("data-l-title") + " (" + more.children.length + ")";
    byId("check-more-box").hidden = !more.children.length;
    unchecked.hidden = !unchecked.children.length;
    box.hidden = false;
  }

  Check.prototype.step = function (check) {
    this.checks.push(check);
    var item = el("li", "step status-" + statusOf(check.status));
    item.appendChild(mark(this.labels, check.status));
    item.appendChild(el("span", "step-context", context(check)));
    item.appendChild(el("span", "step-message", check.message || check.code || ""));
    this.steps.appendChild(item);
  };

  Check.prototype.fail = function (text) {
    this.state.textContent = label(this.labels, "failed") + " " + text;
    this.state.className = "error";
  };

  /* The watch's known problems on the address's servers (report.incidents), in #watch-banner. */
  function showIncidents(incidents) {
    var banner = byId("watch-banner");
    if (!banner || !Array.isArray(incidents) || !incidents.length) return;
    banner.textContent = "";
    incidents.forEach(function (notice) {
      var line = el("p", "watch-notice watch-" + notice.kind);
      line.appendChild(el("strong", null, notice.message));
      if (notice.remedy) line.appendChild(document.createTextNode(" " + notice.remedy));
      banner.appendChild(line);
    });
    banner.hidden = false;
  }

  Check.prototype.report = function (report) {
    showIncidents(report.incidents);
    var labels = this.labels;
    var checks = Array.isArray(report.checks) && report.checks.length ? report.checks : this.checks;
    this.state.textContent = label(labels, "finished");
    this.state.className = "";

    this.overall.textContent = "";
    this.overall.appendChild(el("span", null, label(labels, "result") + ": "));
    this.overall.appendChild(mark(labels, report.status));
    if (typeof report.duration_ms === "number") {
      this.overall.appendChild(el("span", "muted", " (" + report.duration_ms + " ms)"));
    }

    var groups = this.groups;
    GROUPS.forEach(function (group) {
      var members = checks.filter(function (c) { return groupOf(c) === group; });
      if (!members.length) return;
      var section = el("section", "card check-group");
      var title = group === "general" ? label(labels, "general") : group.toUpperCase();
      section.appendChild(el("h4", null, title));
      var list = el("ul", "checks");
      members.forEach(function (c) {
        var item = el("li", "check status-" + statusOf(c.status));
        item.appendChild(mark(labels, c.status));
        var body = el("div", "check-body");
        body.appendChild(el("p", "check-context", context(c)));
        body.appendChild(el("p", "check-message", c.message || c.code || ""));
        if (c.remedy) {
          var remedy = el("p", "check-remedy");
          remedy.appendChild(el("strong", null, label(labels, "remedy") + " "));
          remedy.appendChild(document.createTextNode(c.remedy));
          body.appendChild(remedy);
        }
        item.appendChild(body);
        list.appendChild(item);
      });
      section.appendChild(list);
      groups.appendChild(section);
    });

    var rec = report.recommendation;
    if (rec && rec.protocol) {
      byId("check-recommendation-protocol").textContent = label(labels, "recommend-" + rec.protocol);
      [["check-recommendation-reasons", rec.reasons], ["check-recommendation-cautions", rec.cautions]].forEach(
        function (pair) {
          var list = byId(pair[0]);
          list.textContent = "";
          (pair[1] || []).forEach(function (r) { list.appendChild(el("li", null, r.text || r.code)); });
        }
      );
      var download = byId("check-recommendation-download");
      download.textContent = rec.first_download ? rec.first_download.text || "" : "";
      download.hidden = !rec.first_download;
      byId("check-recommendation").hidden = false;
    }

    showVerdict(labels, report);
    this.ticket(report);
    this.summary.value = this.summaryText(report, checks);
    this.steps.hidden = true; /* the grouped results below say it all again, better */
    this.results.hidden = false;
    this.results.focus();
  };

  /* The ticket: the code staff open the report with, and the customer's secret link. Without
   * one (the reports database is away) the report says why, in its own words. */
  Check.prototype.ticket = function (report) {
    var ticket = report.ticket;
    if (ticket && ticket.code) {
      byId("check-ticket-code").textContent = ticket.code;
      var link = byId("check-ticket-link");
      link.textContent = ticket.url;
      link.href = ticket.url;
      byId("check-ticket-expires").textContent = String(ticket.expires_at || "").slice(0, 10);
      byId("check-ticket").hidden = false;
    } else if (report.ticket_unavailable && report.ticket_unavailable.message) {
      var why = byId("check-no-ticket");
      why.textContent = report.ticket_unavailable.message;
      why.hidden = false;
    }
  };

  /* Plain text for a support ticket: built from the report alone, which never holds the
   * password. The code comes first: it is what the helpdesk types. */
  Check.prototype.summaryText = function (report, checks) {
    var labels = this.labels;
    var lines = report.ticket && report.ticket.code ? [label(labels, "code") + ": " + report.ticket.code] : [];
    lines = lines.concat([
      label(labels, "account") + ": " + (report.email || ""),
      label(labels, "when") + ": " + (report.started_at || new Date().toISOString()),
      label(labels, "result") + ": " + label(labels, statusOf(report.status)) +
        (typeof report.duration_ms === "number" ? " (" + report.duration_ms + " ms)" : "")
    ]);
    var verdict = report.verdict;
    if (verdict && verdict.message) {
      lines.push(verdict.message);
      (verdict.problems || []).forEach(function (p, i) {
        lines.push("  " + (i + 1) + ". " + (p.messages || []).join(" ") + " (" + p.code + ", " +
          (p.checks || []).concat(p.consequences || []).length + ")");
      });
    }
    lines.push("");
    checks.forEach(function (c) {
      lines.push("[" + label(labels, statusOf(c.status)).toUpperCase() + "] " + context(c) + " \u2014 " +
        (c.message || c.code || "") + (c.code ? " (" + c.code + ")" : ""));
      if (c.remedy) lines.push("    " + label(labels, "remedy") + " " + c.remedy);
    });
    var rec = report.recommendation;
    if (rec && rec.protocol) {
      lines.push("");
      lines.push(label(labels, "recommendation") + ": " + String(rec.protocol).toUpperCase());
    }
    return lines.join("\n");
  };

  Check.prototype.run = async function () {
    if (this.running) return;
    var form = this.form;
    var password = form.elements.password.value;
    var body = { email: form.elements.email.value, lang: form.getAttribute("data-lang") };
    if (password) body.password = password;
    var given = answers();
    if (given) body.answers = given;

    this.running = true;
    this.button.disabled = true;
    this.results.setAttribute("aria-busy", "true");
    this.reset();
    this.state.className = "";
    this.state.textContent = label(this.labels, "running");
    var finished = false;
    try {
      var response = await fetch(form.getAttribute("data-api"), {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/x-ndjson" },
        body: JSON.stringify(body),
        credentials: "same-origin",
        cache: "no-store"
      });
      body = null;
      if (!response.ok) {
        var problem = null;
        try { problem = await response.json(); } catch (ignored) { problem = null; }
        this.fail((problem && problem.message) || response.status + " " + response.statusText);
        return;
      }
      finished = await this.read(response);
      if (!finished) this.fail(label(this.labels, "unreachable"));
    } catch (err) {
      this.fail(label(this.labels, "unreachable"));
    } finally {
      body = null;
      form.elements.password.value = "";
      this.running = false;
      this.button.disabled = false;
      this.results.removeAttribute("aria-busy");
    }
  };

  /* Read NDJSON line by line as it arrives; true once the final report was shown. */
  Check.prototype.read = async function (response) {
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("ndjson") === -1 || !response.body) {
      this.report(await response.json());
      return true;
    }
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    var done = false;
    var self = this;
    function handle(text) {
      if (!text.trim()) return;
      var item = classify(JSON.parse(text));
      if (!item) return;
      if (item.kind === "check") self.step(item.value);
      else { self.report(item.value); done = true; }
    }
    for (;;) {
      var chunk = await reader.read();
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      var lines = buffer.split("\n");
      buffer = lines.pop();
      lines.forEach(handle);
    }
    buffer += decoder.decode();
    handle(buffer);
    return done;
  };

  function copySummary(labels) {
    var area = byId("check-summary");
    var state = byId("check-copy-state");
    function byHand() {
      area.focus();
      area.select();
      state.textContent = label(labels, "copy-failed");
    }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(area.value).then(function () {
        state.textContent = label(labels, "copied");
      }, byHand);
    } else {
      byHand();
    }
  }

  /* /r/<token>: the stored report, fetched in the page's language and shown as a check's. */
  async function reopen(check, url) {
    try {
      var response = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
      if (!response.ok) throw new Error(String(response.status));
      check.report(await response.json());
    } catch (err) {
      check.fail(label(check.labels, "unreachable"));
    }
  }

  /* The copy button beside each settings value: shown only when the script runs; copies the
   * value, or selects it for copying by hand where the clipboard is not allowed. */
  function copyButtons() {
    Array.prototype.forEach.call(document.querySelectorAll("button.copy[data-copy]"), function (button) {
      var idle = button.textContent;
      button.hidden = false;
      button.addEventListener("click", function () {
        var value = button.getAttribute("data-copy");
        function done() {
          button.textContent = button.getAttribute("data-copied") || idle;
          setTimeout(function () { button.textContent = idle; }, 2000);
        }
        function byHand() {
          var code = button.parentNode.querySelector("code");
          var range = document.createRange();
          range.selectNodeContents(code);
          var selection = window.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
        }
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(value).then(done, byHand);
        } else {
          byHand();
        }
      });
    });
  }

  function start() {
    copyButtons();
    var results = byId("check-results");
    if (!results) return;
    var form = byId("check-form");
    var check = new Check(form);
    byId("check-copy").addEventListener("click", function () { copySummary(results); });
    if (results.getAttribute("data-report")) {
      reopen(check, results.getAttribute("data-report"));
      return;
    }
    if (!form) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      check.run();
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
