/* Upload de arquivos de faturamento: sends the form with XMLHttpRequest to show a progress
   bar, then the server's summary. Without JavaScript the form posts as usual. */
(function () {
  "use strict";
  var form = document.getElementById("pws-upload-form");
  if (!form || !window.FormData || !window.XMLHttpRequest) { return; }
  var box = document.getElementById("pws-upload-progress");
  var bar = document.getElementById("pws-upload-bar");
  var button = document.getElementById("pws-upload-submit");
  var result = document.getElementById("pws-upload-result");

  function text(template, key, value) { return template.replace("{" + key + "}", value); }

  function line(parent, content, tag) {
    var node = document.createElement(tag || "div");
    node.textContent = content;
    parent.appendChild(node);
    return node;
  }

  function show(summary) {
    result.innerHTML = "";
    var alert = document.createElement("div");
    alert.className = "alert pws-upload-result " + (summary.failed ? "alert-warning" : "alert-success");
    alert.setAttribute("role", "status");
    line(alert, text(form.dataset.imported, "n", summary.imported));
    line(alert, text(form.dataset.failed, "n", summary.failed));
    if (summary.errors.length) {
      var list = document.createElement("ul");
      summary.errors.forEach(function (error) { line(list, error.file + ": " + error.reason, "li"); });
      alert.appendChild(list);
    }
    line(alert, text(form.dataset.emailed, "emails", summary.emailed.length ? summary.emailed.join(", ") : form.dataset.none));
    result.appendChild(alert);
  }

  function fail(messages) {
    result.innerHTML = "";
    var alert = document.createElement("div");
    alert.className = "alert alert-danger";
    (messages || [form.dataset.error]).forEach(function (message) { line(alert, message); });
    result.appendChild(alert);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var request = new XMLHttpRequest();
    request.open("POST", form.action || window.location.href);
    request.setRequestHeader("Accept", "application/json");
    request.responseType = "json";
    request.upload.addEventListener("progress", function (progress) {
      if (!progress.lengthComputable) { return; }
      var percent = Math.round(progress.loaded * 100 / progress.total);
      bar.style.width = percent + "%";
      bar.textContent = percent + "%";
      bar.setAttribute("aria-valuenow", String(percent));
    });
    request.addEventListener("load", function () {
      button.disabled = false;
      var body = request.response || {};
      if (request.status === 200) {
        show(body);
        form.reset();
      } else {
        fail(body.errors);
      }
    });
    request.addEventListener("error", function () { button.disabled = false; fail(); });
    box.classList.remove("hidden");
    bar.style.width = "0%";
    button.disabled = true;
    request.send(new FormData(form));
  });
}());
