/* Registrar atendimento: the technicians' app in a phone's browser, offline first.

   A client of the app API (/api/v1/tecnico/…) with the session cookie and the page's CSRF
   token. Every action is written to the on-device queue (queue.js) with an id made here and
   the device's time, shown at once, and sent in order whenever there is a connection; his open
   orders and attendances are kept on the device for the hours without one. docs/field.md. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("pws-tech-config").textContent);
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var text = config.text;
  var queue = new window.PwsQueue(config.user);
  var current = null;        // the attendance on screen (the server's last answer, or a local start)
  var recorded = {};         // its steps on the timeline, sent or waiting
  var lastPoint = 0;
  var POINT_EVERY_MS = 30000;
  var SENT_KEPT_MS = 24 * 3600 * 1000;
  var PHOTO_MAX_PX = 1600;
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

  function element(tag, className, content) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (content !== undefined && content !== null) { node.textContent = content; }
    return node;
  }

  function localTime(iso) {
    return new Date(iso).toLocaleString("pt-BR", { dateStyle: "short", timeStyle: "short" });
  }

  /* The device's time with its offset (the API refuses a time without one). */
  function deviceTime(date) {
    date = date || new Date();
    var offset = -date.getTimezoneOffset();
    var pad = function (n) { return ("0" + Math.floor(Math.abs(n))).slice(-2); };
    var local = new Date(date.getTime() + offset * 60000).toISOString().slice(0, 19);
    return local + (offset >= 0 ? "+" : "-") + pad(offset / 60) + ":" + pad(offset % 60);
  }

  function get(path) {
    return fetch(config.api + path, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
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

  /* --- the queue ---------------------------------------------------------------------- */
  var flushing = null;
  var flushAgain = false;
  var condition = null;      // why the last flush paused: "offline", "server", "auth", "csrf"

  /* Send what waits; one flush at a time (a request during one runs right after it). */
  function flush() {
    if (flushing) { flushAgain = true; return flushing; }
    flushing = queue.flush(text.blocked).then(function (summary) {
      if (summary.stopped === "csrf") {  // the kept page's token is stale: read a fresh one
        return freshToken().then(function () { return queue.flush(text.blocked); });
      }
      return summary;
    }).then(function (summary) {
      condition = summary.stopped;
      return summary.sent || summary.refused ? refresh() : render();
    }).catch(function () { return null; }).then(function () {
      flushing = null;
      if (flushAgain) { flushAgain = false; return flush(); }
      return null;
    });
    return flushing;
  }

  function freshToken() {
    return fetch(window.location.pathname, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var meta = new DOMParser().parseFromString(html, "text/html").querySelector('meta[name="csrf-token"]');
        if (meta) { csrf = meta.getAttribute("content"); }
        return saveMeta();
      });
  }

  function saveMeta() {
    return queue.set("meta", { api: config.api, csrf: csrf, blocked: text.blocked });
  }

  /* One line on the state of the queue: all sent, waiting for a signal, refusals, log in again. */
  function showCondition(pending, refused) {
    var line = byId("pws-sync");
    line.textContent = "";
    var message = text.all_sent;
    var kind = "success";
    if (condition === "auth" || condition === "csrf") {  // a fresh token did not help either
      message = text.login_again;
      kind = "warning";
    } else if (pending && (condition === "offline" || condition === "server" || !navigator.onLine)) {
      message = text.offline;
      kind = "warning";
    } else if (pending) {
      message = text.sending;
      kind = "info";
    }
    if (refused) {
      message = text.refused_some + " " + (pending ? message : "");
      kind = "danger";
    }
    line.className = "alert alert-" + kind;
    line.appendChild(document.createTextNode(message.trim() + " "));
    if (condition === "auth" || condition === "csrf") {
      var link = element("a", null, text.login);
      link.href = config.login_url;
      line.appendChild(link);
    }
  }

  /* Write an action to the queue, show it, and try to send it (Background Sync as well). */
  function enqueue(item) {
    item.uid = item.uid || uid();
    item.created_at = deviceTime();
    if (current) {
      item.call_id = current.call_id;
      item.attendance_id = current.id || null;
      item.attendance_uid = current.uid;
    }
    return queue.add(item).then(function () {
      if (navigator.serviceWorker && window.SyncManager) {
        navigator.serviceWorker.ready.then(function (registration) {
          return registration.sync.register("pws-field-queue:" + config.user);
        }).catch(function () { return null; });
      }
      return render();
    }).then(function () {
      flush();
    });
  }

  function itemLabel(item) {
    if (item.kind === "event") { return config.labels[item.body.kind] || item.body.kind; }
    return text["item_" + item.kind];
  }

  function showQueue() {
    return queue.items().then(function (items) {
      var list = byId("pws-queue-list");
      list.textContent = "";
      var points = 0;
      var refused = 0;
      var pending = 0;
      items.forEach(function (item) {
        pending += item.state === "pending" ? 1 : 0;
        if (item.kind === "point") { points += item.state === "pending" ? 1 : 0; return; }
        var row = element("li", "pws-queue-" + item.state);
        row.setAttribute("data-uid", item.uid);
        row.appendChild(element("span", "pws-time", localTime(item.created_at)));
        row.appendChild(document.createTextNode(" " + itemLabel(item) + " — "));
        row.appendChild(element("strong", "pws-queue-state", text["state_" + item.state]));
        if (item.state === "refused") {
          refused += 1;
          row.appendChild(element("div", "pws-queue-reason", item.reason));
          var discard = element("button", "btn btn-default btn-xs", text.discard);
          discard.type = "button";
          discard.addEventListener("click", function () { queue.remove(item.seq).then(render); });
          row.appendChild(discard);
        }
        list.appendChild(row);
      });
      byId("pws-queue-points").textContent = points ? text.points_waiting.replace("{n}", points) : "";
      byId("pws-queue-empty").hidden = items.length > 0;
      byId("pws-retry").hidden = refused === 0;
      byId("pws-queue").setAttribute("data-pending", String(pending));
      showCondition(pending, refused);
      return items;
    });
  }

  byId("pws-retry").addEventListener("click", function () {
    queue.items().then(function (items) {
      return Promise.all(items.filter(function (item) { return item.state === "refused"; })
        .map(function (item) { item.state = "pending"; return queue.put(item); }));
    }).then(flush);
  });

  /* Sent items are shown for a day; waiting positions older than the GPS retention go. */
  function tidy() {
    var now = Date.now();
    return queue.items().then(function (items) {
      return Promise.all(items.filter(function (item) {
        var age = now - new Date(item.created_at).getTime();
        return (item.state === "sent" && age > SENT_KEPT_MS) ||
          (item.kind === "point" && age > config.gps_retention_days * 24 * 3600 * 1000);
      }).map(function (item) { return queue.remove(item.seq); }));
    });
  }

  /* --- orders ------------------------------------------------------------------------- */
  function loadOrders() {
    var online = get("/chamados").then(function (data) {
      var cached = { fetched_at: new Date().toISOString(), result: data.result };
      byId("pws-orders-age").textContent = "";
      return queue.set("orders", cached).then(function () { return reportGone(data.result); })
        .then(function () { return cached; });
    });
    return online.catch(function () {
      return queue.get("orders").then(function (cached) {
        if (!cached) { throw new Error(text.no_orders_offline); }
        byId("pws-orders-age").textContent = text.orders_of.replace("{time}", localTime(cached.fetched_at));
        return cached;
      });
    }).then(function (cached) {
      showOrders(cached.result);
    });
  }

  /* An order that left his list (reassigned, cancelled) while his work for it still waits. */
  function reportGone(orders) {
    var mine = {};
    orders.forEach(function (order) { mine[order.id] = true; });
    return queue.items().then(function (items) {
      var gone = {};
      items.forEach(function (item) {
        if (item.call_id && !mine[item.call_id] && item.state !== "sent") { gone[item.call_id] = true; }
      });
      var ids = Object.keys(gone);
      byId("pws-conflicts").textContent = "";
      ids.forEach(function (id) {
        byId("pws-conflicts").appendChild(element("div", "alert alert-danger", text.order_gone.replace("{call}", id)));
      });
    });
  }

  function showOrders(orders) {
    var list = byId("pws-orders-list");
    list.textContent = "";
    byId("pws-orders-empty").hidden = orders.length > 0;
    orders.forEach(function (order) {
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
      if (order.equipment && order.equipment.last_counter) {
        card.appendChild(element("div", "text-muted", text.last_counter
          .replace("{value}", Number(order.equipment.last_counter.value).toLocaleString("pt-BR"))
          .replace("{date}", new Date(order.equipment.last_counter.read_at).toLocaleDateString("pt-BR"))));
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
  }

  /* Open the order's attendance: the server's when there is one (fresh when online), else the
     one started on this device, else a new one, started in the queue. */
  function select(order) {
    var key = "call:" + order.id;
    var opening = queue.get(key).then(function (kept) {
      if (kept && kept.status === "in_progress" && (!order.attendance_id || kept.id === order.attendance_id)) {
        return kept;
      }
      if (order.attendance_id) {
        return get("/atendimentos/" + order.attendance_id).then(function (data) {
          return queue.set(key, data.result).then(function () { return data.result; });
        }, function () {
          return { id: order.attendance_id, uid: null, call_id: order.id, status: "in_progress",
                   timeline: [], photos: [], signature: null };
        });
      }
      return null;
    });
    return opening.then(function (attendance) {
      if (attendance) { current = attendance; return null; }
      current = { id: null, uid: uid(), call_id: order.id, status: "in_progress", timeline: [], photos: [],
                  signature: null };
      return queue.set(key, current).then(function () {
        return enqueue({ kind: "start", uid: current.uid,
                         body: { uid: current.uid, call_id: order.id, started_at: deviceTime() } });
      }).then(function () { return record("selected"); });
    }).then(function () {
      byId("pws-attendance-title").textContent = text.call + " " + order.id + (order.erp_id ? " / " + order.erp_id : "");
      byId("pws-attendance-client").textContent = order.client.trade_name || order.client.name;
      byId("pws-orders").hidden = true;
      byId("pws-attendance").hidden = false;
      fitPad();
      return Promise.all([render(), loadParts(order)]);
    }).catch(function (error) { say(error.message, "danger"); });
  }

  /* --- attendance --------------------------------------------------------------------- */

  /* The server's last answer, plus what waits in the queue for this attendance. */
  function render() {
    if (!current) { return showQueue(); }
    return showQueue().then(function (items) {
      var mine = items.filter(function (item) {
        return item.call_id === current.call_id && (item.attendance_uid === current.uid ||
          (current.id && item.attendance_id === current.id));
      });
      var known = {};
      current.timeline.forEach(function (event) { known[event.uid] = true; });
      var rows = current.timeline.map(function (event) {
        return { time: event.device_time, kind: event.kind, label: event.label, state: null };
      });
      mine.forEach(function (item) {
        if (item.kind === "event" && !known[item.uid] && item.state !== "sent") {
          rows.push({ time: item.body.device_time, kind: item.body.kind, label: itemLabel(item), state: item.state });
        }
      });
      rows.sort(function (a, b) { return new Date(a.time) - new Date(b.time); });
      var list = byId("pws-timeline");
      list.textContent = "";
      var done = {};
      rows.forEach(function (row) {
        var entry = element("li", row.state ? "pws-queue-" + row.state : null);
        entry.appendChild(element("span", "pws-time", localTime(row.time)));
        entry.appendChild(document.createTextNode(" " + row.label));
        if (row.state) { entry.appendChild(element("em", "pws-queue-state", " (" + text["state_" + row.state] + ")")); }
        list.appendChild(entry);
        if (row.state !== "refused") { done[row.kind] = true; }
      });
      recorded = done;
      var closing = done.concluded ? "concluded" : (done.cancelled ? "cancelled" : null);
      var closed = current.status !== "in_progress" || Boolean(closing);
      byId("pws-attendance-status").textContent = text.status[closing || current.status] || current.status;
      document.querySelectorAll(".pws-step[data-kind]").forEach(function (button) {
        button.disabled = closed || Boolean(done[button.getAttribute("data-kind")]);
      });
      var waiting = function (kind) {
        return mine.filter(function (item) { return item.kind === kind && item.state === "pending"; }).length;
      };
      var photos = current.photos.length;
      byId("pws-photo-count").textContent = (photos ? photos + " " + text.photos : "") +
        (waiting("photo") ? " " + waiting("photo") + " " + text.photos_waiting : "");
      byId("pws-signature-state").textContent = current.signature
        ? text.signature_saved + " (" + current.signature.signer_name + ")"
        : (waiting("signature") ? text.signature_waiting : "");
      var pdf = byId("pws-pdf");
      pdf.href = current.id ? config.api + "/atendimentos/" + current.id + "/pdf" : "#";
      pdf.hidden = !(current.id && current.status !== "in_progress");
    });
  }

  /* After a flush: the server's view of the attendance on screen and of his orders. */
  function refresh() {
    var orders = loadOrders().catch(function () { return null; });
    var attendance = null;
    if (current) {
      attendance = queue.get("started").then(function (started) {
        var id = current.id || (started && started[current.uid]);
        if (typeof id !== "number") { return null; }
        return get("/atendimentos/" + id).then(function (data) {
          current = data.result;
          return queue.set("call:" + current.call_id, current);
        });
      }).catch(function () { return null; });
    }
    return Promise.all([orders, attendance]).then(render);
  }

  function record(kind) {
    return position().then(function (fix) {
      var event = { uid: uid(), kind: kind, device_time: deviceTime() };
      if (fix) { event.latitude = fix.latitude; event.longitude = fix.longitude; event.accuracy_m = fix.accuracy_m; }
      return enqueue({ kind: "event", uid: event.uid, body: event }).then(function () {
        say(fix ? text.saved : text.no_gps, fix ? "success" : "warning");
      });
    });
  }

  document.querySelectorAll(".pws-step[data-kind]").forEach(function (button) {
    button.addEventListener("click", function () {
      record(button.getAttribute("data-kind")).catch(function (error) { say(error.message, "danger"); });
    });
  });

  byId("pws-back").addEventListener("click", function () {
    current = null;
    byId("pws-attendance").hidden = true;
    byId("pws-orders").hidden = false;
    loadOrders().catch(function (error) { say(error.message, "danger"); });
  });

  /* --- photos: reduced on the device, so a queue of them stays small -------------------- */
  function reduced(file) {
    return window.createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, PHOTO_MAX_PX / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", 0.85); });
    });
  }

  byId("pws-photo-form").addEventListener("submit", function (submit) {
    submit.preventDefault();
    var file = byId("pws-photo").files[0];
    if (!file) { say(text.choose_photo, "warning"); return; }
    var picture = [current.uid || current.id, file.name, file.size, file.lastModified].join("|");
    queue.items().then(function (items) {
      if (items.some(function (item) { return item.picture === picture; })) {
        say(text.photo_again, "info");  // the same picture again: already queued (or sent)
        return null;
      }
      return reduced(file).then(function (blob) {
        return enqueue({ kind: "photo", picture: picture, blob: blob, body: {
          caption: byId("pws-caption").value,
          taken_at: deviceTime(new Date(file.lastModified || Date.now())) } });
      }).then(function () {
        byId("pws-photo-form").reset();
        say(text.photo_saved, "success");
      });
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
    enqueue({ kind: "report", body: {
      services: byId("pws-services").value, notes: byId("pws-notes").value,
      pending: byId("pws-pending").checked, parts: parts, counters: counters } })
      .then(function () {
        return recorded.form_filled ? null : record("form_filled");
      }).then(function () {
        say(text.report_saved, "success");
      }).catch(function (error) { say(error.message, "danger"); });
  });

  /* --- parts the order still needs (Peças solicitadas) --------------------------------- */

  /* The order's parts list (the ERP's, for its model), kept on the device for offline use. */
  function loadParts(order) {
    var key = "parts:" + order.id;
    return get("/chamados/" + order.id + "/pecas").then(function (data) {
      return queue.set(key, data.result.parts).then(function () { return data.result.parts; });
    }, function () {
      return queue.get(key).then(function (parts) { return parts || []; });
    }).then(function (parts) {
      var select = byId("pws-request-part");
      while (select.options.length > 1) { select.remove(1); }
      parts.forEach(function (part) {
        var option = element("option", null, (part.code ? part.code + " — " : "") + part.name);
        option.value = String(part.id);
        select.appendChild(option);
      });
    });
  }

  byId("pws-request-form").addEventListener("submit", function (submit) {
    submit.preventDefault();
    var partId = byId("pws-request-part").value;
    var line = { quantity: parseInt(byId("pws-request-quantity").value, 10) };
    if (partId) { line.part_id = Number(partId); } else { line.description = byId("pws-request-description").value.trim(); }
    var id = uid();
    enqueue({ kind: "parts", uid: id, body: { uid: id, note: byId("pws-request-note").value, items: [line] } })
      .then(function () {
        byId("pws-request-form").reset();
        say(text.parts_saved, "success");
      }).catch(function (error) { say(error.message, "danger"); });
  });

  /* --- signature pad ------------------------------------------------------------------ */
  var pad = byId("pws-pad");
  var ink = pad.getContext("2d");
  var drawing = false;
  var signed = false;
  function fitPad() {
    pad.width = pad.clientWidth;
    pad.height = pad.clientHeight;
    ink.lineWidth = 2;
    ink.lineCap = "round";
    ink.strokeStyle = "#000";
    ink.fillStyle = "#fff";
    ink.fillRect(0, 0, pad.width, pad.height);
    signed = false;
  }
  function spot(event) {
    var box = pad.getBoundingClientRect();
    return [event.clientX - box.left, event.clientY - box.top];
  }
  pad.addEventListener("pointerdown", function (event) {
    drawing = true;
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
      signed = false;  // saved: the same drawing is not queued twice
      enqueue({ kind: "signature", blob: blob, body: { signer_name: signer } }).then(function () {
        say(text.signature_queued, "success");
      }).catch(function (error) { say(error.message, "danger"); });
    }, "image/png");
  });

  /* --- positions while the page is open, queued like the events -------------------------- */
  if (navigator.geolocation) {
    navigator.geolocation.watchPosition(function (fix) {
      if (!current || current.status !== "in_progress" || Date.now() - lastPoint < POINT_EVERY_MS) { return; }
      lastPoint = Date.now();
      var id = uid();
      queue.add({ kind: "point", uid: id, created_at: deviceTime(), call_id: current.call_id,
                  attendance_id: current.id || null, attendance_uid: current.uid,
                  body: { uid: id, recorded_at: deviceTime(new Date(fix.timestamp)),
                          latitude: fix.coords.latitude, longitude: fix.coords.longitude,
                          accuracy_m: fix.coords.accuracy } }).then(flush);
    }, function () {}, { enableHighAccuracy: true, maximumAge: 30000 });
  }

  /* --- installable and offline ---------------------------------------------------------- */
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.kept) { document.body.setAttribute("data-pws-offline-ready", "1"); }
      if (event.data && event.data.flushed) { refresh(); }
    });
    navigator.serviceWorker.register(config.worker, { scope: config.scope }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      // Keep this page and every file it loaded, for the next time there is no signal.
      var keep = [window.location.pathname];
      document.querySelectorAll("script[src], link[rel=stylesheet][href], link[rel=icon][href]").forEach(function (node) {
        keep.push(node.src || node.href);
      });
      performance.getEntriesByType("resource").forEach(function (entry) {
        if (entry.name.indexOf(window.location.origin + "/static/") === 0) { keep.push(entry.name); }
      });
      registration.active.postMessage({ keep: keep });
    }).catch(function () { return null; });
  }
  window.addEventListener("online", flush);
  window.setInterval(function () { if (navigator.onLine) { flush(); } }, 60000);

  saveMeta().then(tidy).then(function () {
    return loadOrders().catch(function (error) { say(error.message, "danger"); });
  }).then(showQueue).then(flush);
})();
