/* Registrar atendimento: the technicians' app in a phone's browser. A client of the app API
   (/api/v1/tecnico/…) with the session cookie and the page's CSRF token; every event, point
   and upload gets an id made here, so a retried request never duplicates anything. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("pws-tech-config").textContent);
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var text = config.text;
  var current = null;        // the attendance being recorded
  var lastLivePost = 0;
  var byId = function (id) { return document.getElementById(id); };

  function uid() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function say(message, kind) {
    var box = byId("pws-message");
    box.className = "alert alert-" + (kind || "info");
    box.textContent = message;
    box.hidden = false;
  }

  function api(method, path, body) {
    var options = { method: method, credentials: "same-origin", headers: { "X-CSRFToken": csrf } };
    if (body instanceof FormData) {
      options.body = body;
    } else if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(config.api + path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var details = (data.errors || []).map(function (e) { return e.message; }).join(" ");
          throw new Error(((data.message || text.error) + " " + details).trim());
        }
        return data;
      });
    });
  }

  function position() {
    return new Promise(function (resolve) {
      if (!navigator.geolocation) { resolve(null); return; }
      navigator.geolocation.getCurrentPosition(function (fix) {
        resolve({ latitude: fix.coords.latitude, longitude: fix.coords.longitude,
                  accuracy_m: fix.coords.accuracy });
      }, function () { resolve(null); }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 30000 });
    });
  }

  function element(tag, className, content) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (content !== undefined && content !== null) { node.textContent = content; }
    return node;
  }

  function localTime(iso) {
    return new Date(iso).toLocaleString("pt-BR", { dateStyle: "short", timeStyle: "short" });
  }

  /* --- orders ------------------------------------------------------------------------- */
  function loadOrders() {
    return api("GET", "/chamados").then(function (data) {
      var list = byId("pws-orders-list");
      list.textContent = "";
      byId("pws-orders-empty").hidden = data.result.length > 0;
      data.result.forEach(function (order) {
        var card = element("div", "pws-order");
        card.appendChild(element("strong", null, text.call + " " + order.id + (order.erp_id ? " / " + order.erp_id : "")));
        card.appendChild(element("div", null, order.client.trade_name || order.client.name));
        var address = [order.client.address, order.client.district, order.client.city, order.client.state]
          .filter(Boolean).join(", ");
        card.appendChild(element("div", "text-muted", address));
        if (order.equipment) {
          card.appendChild(element("div", null, text.equipment + ": " + order.equipment.serial +
            (order.equipment.model ? " — " + order.equipment.model : "")));
        }
        if (order.defect) { card.appendChild(element("div", null, text.defect + ": " + order.defect.name)); }
        if (order.contact.name || order.contact.phone) {
          card.appendChild(element("div", null, text.contact + ": " +
            [order.contact.name, order.contact.phone].filter(Boolean).join(" — ")));
        }
        var button = element("button", "btn btn-primary pws-step", order.attendance_id ? text["continue"] : text.select);
        button.type = "button";
        button.setAttribute("data-call", order.id);
        button.addEventListener("click", function () { select(order); });
        card.appendChild(button);
        list.appendChild(card);
      });
    });
  }

  function select(order) {
    var opening = order.attendance_id
      ? api("GET", "/atendimentos/" + order.attendance_id)
      : api("POST", "/atendimentos", { uid: uid(), call_id: order.id, started_at: new Date().toISOString() })
          .then(function (data) { current = data.result; return sendEvent("selected"); });
    return opening.then(function (data) {
      current = data.result;
      byId("pws-attendance-title").textContent = text.call + " " + order.id + (order.erp_id ? " / " + order.erp_id : "");
      byId("pws-attendance-client").textContent = order.client.trade_name || order.client.name;
      byId("pws-orders").hidden = true;
      byId("pws-attendance").hidden = false;
      fitPad();
      render();
    }).catch(function (error) { say(error.message, "danger"); });
  }

  /* --- attendance --------------------------------------------------------------------- */
  function render() {
    byId("pws-attendance-status").textContent = text.status[current.status] || current.status;
    var list = byId("pws-timeline");
    list.textContent = "";
    current.timeline.forEach(function (event) {
      var item = element("li");
      item.appendChild(element("span", "pws-time", localTime(event.device_time)));
      item.appendChild(document.createTextNode(" " + event.label));
      list.appendChild(item);
    });
    var done = {};
    current.timeline.forEach(function (event) { done[event.kind] = true; });
    var closed = current.status !== "in_progress";
    document.querySelectorAll(".pws-step[data-kind]").forEach(function (button) {
      button.disabled = closed || Boolean(done[button.getAttribute("data-kind")]);
    });
    byId("pws-photo-count").textContent = current.photos.length ? current.photos.length + " " + text.photos : "";
    byId("pws-signature-state").textContent = current.signature ? text.signature_saved + " (" + current.signature.signer_name + ")" : "";
    var pdf = byId("pws-pdf");
    pdf.href = config.api + "/atendimentos/" + current.id + "/pdf";
    pdf.hidden = !closed;
  }

  /* A step that failed to reach the server is retried with the same id and time, so a
     request that did arrive (only its answer was lost) is not recorded twice. */
  var unsent = {};
  function sendEvent(kind) {
    var key = current.id + ":" + kind;
    var ready = unsent[key] ? Promise.resolve(unsent[key]) : position().then(function (fix) {
      var event = { uid: uid(), kind: kind, device_time: new Date().toISOString() };
      if (fix) { event.latitude = fix.latitude; event.longitude = fix.longitude; event.accuracy_m = fix.accuracy_m; }
      unsent[key] = event;
      return event;
    });
    return ready.then(function (event) {
      return api("POST", "/atendimentos/" + current.id + "/eventos", { events: [event] }).then(function (data) {
        delete unsent[key];
        current = data.result;
        render();
        say(event.latitude !== undefined ? text.saved : text.no_gps, event.latitude !== undefined ? "success" : "warning");
        return data;
      });
    });
  }

  document.querySelectorAll(".pws-step[data-kind]").forEach(function (button) {
    button.addEventListener("click", function () {
      var kind = button.getAttribute("data-kind");
      sendEvent(kind).catch(function (error) { say(error.message, "danger"); });
    });
  });

  byId("pws-back").addEventListener("click", function () {
    current = null;
    byId("pws-attendance").hidden = true;
    byId("pws-orders").hidden = false;
    loadOrders().catch(function (error) { say(error.message, "danger"); });
  });

  /* --- photos ------------------------------------------------------------------------- */
  var photoIds = {};
  function photoId(file) {  // the same picture sent again keeps its id
    var key = [file.name, file.size, file.lastModified].join("|");
    photoIds[key] = photoIds[key] || uid();
    return photoIds[key];
  }
  byId("pws-photo-form").addEventListener("submit", function (submit) {
    submit.preventDefault();
    var file = byId("pws-photo").files[0];
    if (!file) { say(text.choose_photo, "warning"); return; }
    var form = new FormData();
    form.append("uid", photoId(file));
    form.append("caption", byId("pws-caption").value);
    form.append("taken_at", new Date(file.lastModified || Date.now()).toISOString());
    form.append("file", file);
    api("POST", "/atendimentos/" + current.id + "/fotos", form)
      .then(function () { return api("GET", "/atendimentos/" + current.id); })
      .then(function (data) {
        current = data.result;
        render();
        byId("pws-photo-form").reset();
        say(text.photo_sent, "success");
      }).catch(function (error) { say(error.message, "danger"); });
  });

  /* --- report ------------------------------------------------------------------------- */
  byId("pws-add-part").addEventListener("click", function () {
    var row = element("div", "form-inline pws-part");
    [["code", text.part_code, "text", "6"], ["description", text.part_description, "text", "24"],
     ["quantity", text.part_quantity, "number", "4"]].forEach(function (spec) {
      var input = element("input", "form-control input-sm");
      input.type = spec[2];
      input.name = spec[0];
      input.placeholder = spec[1];
      input.setAttribute("aria-label", spec[1]);
      input.size = Number(spec[3]);
      if (spec[2] === "number") { input.min = "0"; input.step = "any"; input.value = "1"; }
      row.appendChild(input);
    });
    document.querySelector("#pws-parts .pws-part-rows").appendChild(row);
  });

  byId("pws-report-form").addEventListener("submit", function (submit) {
    submit.preventDefault();
    var parts = [];
    document.querySelectorAll("#pws-parts .pws-part").forEach(function (row) {
      var description = row.querySelector('[name="description"]').value.trim();
      if (description) {
        parts.push({ code: row.querySelector('[name="code"]').value.trim() || null, description: description,
                     quantity: Number(row.querySelector('[name="quantity"]').value) });
      }
    });
    var counters = [];
    document.querySelectorAll(".pws-counter").forEach(function (input) {
      if (input.value !== "") { counters.push({ name: input.getAttribute("data-counter"), value: parseInt(input.value, 10) }); }
    });
    api("POST", "/atendimentos/" + current.id + "/relatorio", {
      services: byId("pws-services").value, notes: byId("pws-notes").value,
      pending: byId("pws-pending").checked, parts: parts, counters: counters
    }).then(function (data) {
      current = data.result;
      var filled = current.timeline.some(function (event) { return event.kind === "form_filled"; });
      return filled ? data : sendEvent("form_filled");
    }).then(function () { say(text.report_sent, "success"); })
      .catch(function (error) { say(error.message, "danger"); });
  });

  /* --- signature pad ------------------------------------------------------------------ */
  var pad = byId("pws-pad");
  var ink = pad.getContext("2d");
  var drawing = false;
  var signed = false;
  var signatureUpload = null;  // one id per drawing and name, kept across retries
  function fitPad() {
    pad.width = pad.clientWidth;
    pad.height = pad.clientHeight;
    ink.lineWidth = 2;
    ink.lineCap = "round";
    ink.strokeStyle = "#000";
    ink.fillStyle = "#fff";
    ink.fillRect(0, 0, pad.width, pad.height);
    signed = false;
    signatureUpload = null;
  }
  function spot(event) {
    var box = pad.getBoundingClientRect();
    return [event.clientX - box.left, event.clientY - box.top];
  }
  pad.addEventListener("pointerdown", function (event) {
    drawing = true;
    signatureUpload = null;
    var point = spot(event);
    ink.beginPath();
    ink.moveTo(point[0], point[1]);
    pad.setPointerCapture(event.pointerId);
  });
  pad.addEventListener("pointermove", function (event) {
    if (!drawing) { return; }
    var point = spot(event);
    ink.lineTo(point[0], point[1]);
    ink.stroke();
    signed = true;
  });
  ["pointerup", "pointercancel"].forEach(function (name) {
    pad.addEventListener(name, function () { drawing = false; });
  });
  byId("pws-clear-pad").addEventListener("click", fitPad);
  byId("pws-save-signature").addEventListener("click", function () {
    var signer = byId("pws-signer").value.trim();
    if (!signed || !signer) { say(text.sign_first, "warning"); return; }
    pad.toBlob(function (blob) {
      var form = new FormData();
      if (signatureUpload === null || signatureUpload.signer !== signer) {
        signatureUpload = { id: uid(), signer: signer };
      }
      form.append("uid", signatureUpload.id);
      form.append("signer_name", signer);
      form.append("file", blob, "assinatura.png");
      api("POST", "/atendimentos/" + current.id + "/assinatura", form).then(function (data) {
        current.signature = data.result;
        render();
        say(text.signature_saved, "success");
      }).catch(function (error) { say(error.message, "danger"); });
    }, "image/png");
  });

  /* --- live position while a trip is under way ------------------------------------------ */
  if (navigator.geolocation) {
    navigator.geolocation.watchPosition(function (fix) {
      if (!current || current.status !== "in_progress" || Date.now() - lastLivePost < 30000) { return; }
      lastLivePost = Date.now();
      api("POST", "/posicao", { uid: uid(), recorded_at: new Date(fix.timestamp).toISOString(),
        latitude: fix.coords.latitude, longitude: fix.coords.longitude,
        accuracy_m: fix.coords.accuracy, attendance_id: current.id }).catch(function () {});
    }, function () {}, { enableHighAccuracy: true, maximumAge: 30000 });
  }

  loadOrders().catch(function (error) { say(error.message, "danger"); });
})();
