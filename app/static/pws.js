/* Behaviour that used to live in inline handlers (the CSP forbids them): data-* attributes. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var field = event.target.closest("[data-pws-autosubmit]");
    if (field && field.form) { field.form.submit(); }
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-pws-print]")) { window.print(); }
    var text = event.target.closest("[data-pws-select]");
    if (text) { text.select(); }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-pws-confirm]");
    if (form && !window.confirm(form.getAttribute("data-pws-confirm"))) { event.preventDefault(); }
  });
  /* An irreversible button asks first (its data-pws-confirm says what happens). Captured on the
     document, before the button's own handlers: a "no" stops the submit and those handlers. */
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-pws-confirm], a[data-pws-confirm]");
    if (button && !button.disabled && !window.confirm(button.getAttribute("data-pws-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
})();

/* Tables with a header read as cards on a phone (pws.css): each cell carries its column's name. */
(function () {
  "use strict";
  document.querySelectorAll("table.table").forEach(function (table) {
    var head = table.tHead && table.tHead.rows[0];
    if (!head) { return; }
    var names = Array.prototype.map.call(head.cells, function (cell) { return cell.textContent.trim(); });
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        if (row.cells.length !== names.length) { return; }  // a "nothing found" row spanning the table
        Array.prototype.forEach.call(row.cells, function (cell, index) {
          if (names[index]) { cell.setAttribute("data-label", names[index]); }
        });
      });
    });
    table.classList.add("pws-stacked");
  });
})();

/* FAB's Select2 boxes speak pt-BR: the texts come from the page (set before ab.js builds them). */
(function () {
  "use strict";
  var data = document.getElementById("pws-select2-text");
  if (!data || !window.jQuery || !window.jQuery.fn.select2) { return; }
  var text = JSON.parse(data.textContent);
  var language = {};
  Object.keys(text).forEach(function (key) { language[key] = function () { return text[key]; }; });
  window.jQuery.fn.select2.defaults.set("language", language);
})();
