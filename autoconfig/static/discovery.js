/* "Will my programs set themselves up?": asks GET /api/v1/discovery for the address's domain and
 * shows, per program, whether it finds the settings by itself, through which URL, and what to fix,
 * with the steps it takes. Self-contained (the account check is page.js); everything is written
 * with textContent: nothing from the server is parsed as HTML. */
(function () {
  "use strict";

  var shared = window.autoconfigMarks;  /* marks.js */
  var el = shared.el, label = shared.label, statusOf = shared.statusOf, mark = shared.mark;

  function verdictText(list, client) {
    if (client.automatic && client.settings_match === false) return label(list, "wrong");
    return label(list, client.automatic ? "yes" : "no");
  }

  function renderClient(list, client) {
    var item = el("li", "card discovery-client status-" + statusOf(client.status));
    item.setAttribute("data-client", String(client.client));
    var head = el("h3", "discovery-name");
    head.appendChild(mark(list, client.status));
    head.appendChild(document.createTextNode(" " + client.name + ": " + verdictText(list, client)));
    item.appendChild(head);
    item.appendChild(el("p", "discovery-message", client.message));
    if (client.via) {
      var via = el("p", "discovery-via", label(list, "via") + " ");
      via.appendChild(el("code", null, client.via));
      item.appendChild(via);
    }
    if (client.remedy) {
      var remedy = el("p", "remedy");
      remedy.appendChild(el("strong", null, label(list, "remedy")));
      remedy.appendChild(document.createTextNode(" " + client.remedy));
      item.appendChild(remedy);
    }
    var steps = client.steps || [];
    if (steps.length) {
      var details = el("details", "discovery-steps");
      details.appendChild(el("summary", null, label(list, "steps")));
      var ol = el("ol", "steps");
      steps.forEach(function (step) {
        var li = el("li", "status-" + statusOf(step.status));
        li.appendChild(mark(list, step.status));
        li.appendChild(document.createTextNode(" "));
        li.appendChild(el("code", null, step.url));
        li.appendChild(el("span", "muted", " " + step.duration_ms + " ms"));
        li.appendChild(el("p", null, step.message));
        ol.appendChild(li);
      });
      details.appendChild(ol);
      item.appendChild(details);
    }
    return item;
  }

  function start() {
    var form = document.getElementById("discovery-form");
    var list = document.getElementById("discovery-results");
    var state = document.getElementById("discovery-state");
    var button = document.getElementById("discovery-run");
    if (!form || !list || !state || !button || !window.fetch) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var query = new URLSearchParams(new FormData(form)).toString();
      button.disabled = true;
      list.hidden = true;
      list.textContent = "";
      state.textContent = label(list, "running");
      fetch(form.getAttribute("action") + "?" + query, { headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.json().then(function (body) {
            if (!response.ok) throw new Error(body && body.message ? body.message : String(response.status));
            return body;
          });
        })
        .then(function (body) {
          (body.clients || []).forEach(function (client) {
            list.appendChild(renderClient(list, client));
          });
          list.hidden = false;
          state.textContent = label(list, "finished");
        })
        .catch(function (error) {
          state.textContent = label(list, "failed") + " " + (error && error.message ? error.message : "");
        })
        .then(function () {
          button.disabled = false;
        });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
