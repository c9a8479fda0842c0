/* What page.js and discovery.js draw the same way: elements written with textContent (nothing
 * from the server is parsed as HTML), the words from a container's data-l-* attributes, and a
 * status mark (a glyph for the eye, the word for everyone). Loaded before both. */
window.autoconfigMarks = (function () {
  "use strict";

  var MARKS = { ok: "\u2713", warning: "!", error: "\u2717", skipped: "\u2013" };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  /* The word for `key` in the page's language: the data-l-<key> attribute of `labels`. */
  function label(labels, key) {
    return (labels && labels.getAttribute("data-l-" + key)) || key;
  }

  function statusOf(value) {
    return Object.prototype.hasOwnProperty.call(MARKS, value) ? value : "skipped";
  }

  function mark(labels, status) {
    var s = statusOf(status);
    var span = el("span", "mark status-" + s);
    var glyph = el("span", "glyph", MARKS[s]);
    glyph.setAttribute("aria-hidden", "true");
    span.appendChild(glyph);
    span.appendChild(el("span", "mark-text", label(labels, s)));
    return span;
  }

  return { el: el, label: label, statusOf: statusOf, mark: mark };
})();
