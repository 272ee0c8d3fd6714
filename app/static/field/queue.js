/* The technician's on-device queue (IndexedDB), shared by the page and its service worker.

   Every action is written here first, with the id the server uses to recognise a retry (uid)
   and the device's time; flush() sends the waiting items one by one in the order they were
   made. An item ends "sent", or "refused" with the server's reason (kept until the technician
   discards it); any other failure (no signal, server down, session over) leaves it waiting for
   the next flush. One database per user: a shared phone never sends one man's work as another's.
   docs/field.md "Offline". */
(function (root) {
  "use strict";

  var ITEMS = "items";     // the queue: {seq, kind, uid, call_id, attendance_uid, attendance_id, …}
  var KV = "kv";           // what the page needs offline: orders, attendances, the CSRF token
  var POINTS_PER_BATCH = 200;

  function promised(request) {
    return new Promise(function (resolve, reject) {
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function openDb(user) {
    var request = root.indexedDB.open("pws-field-" + user, 1);
    request.onupgradeneeded = function () {
      request.result.createObjectStore(ITEMS, { keyPath: "seq", autoIncrement: true });
      request.result.createObjectStore(KV);
    };
    return promised(request);
  }

  /* One store, one transaction, one answer: work(store) returns an IDBRequest or a value. */
  function withStore(user, name, mode, work) {
    return openDb(user).then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode);
        var answer = work(tx.objectStore(name));
        var result;
        if (answer && "onsuccess" in answer) {
          answer.onsuccess = function () { result = answer.result; };
        } else {
          result = answer;
        }
        tx.oncomplete = function () { db.close(); resolve(result); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function Queue(user) { this.user = user; }

  Queue.prototype.items = function () {
    return withStore(this.user, ITEMS, "readonly", function (store) { return store.getAll(); });
  };
  Queue.prototype.add = function (item) {
    item.state = "pending";
    return withStore(this.user, ITEMS, "readwrite", function (store) { return store.add(item); });
  };
  Queue.prototype.put = function (item) {
    return withStore(this.user, ITEMS, "readwrite", function (store) { return store.put(item); });
  };
  Queue.prototype.remove = function (seq) {
    return withStore(this.user, ITEMS, "readwrite", function (store) { return store["delete"](seq); });
  };
  Queue.prototype.get = function (key) {
    return withStore(this.user, KV, "readonly", function (store) { return store.get(key); });
  };
  Queue.prototype.set = function (key, value) {
    return withStore(this.user, KV, "readwrite", function (store) { return store.put(value, key); });
  };

  /* --- sending ------------------------------------------------------------------------ */

  function request(meta, item, attendanceId) {
    var path, body;
    if (item.kind === "start") {
      path = "/atendimentos";
      body = item.body;
    } else if (item.kind === "parts") {
      path = "/chamados/" + item.call_id + "/pecas";
      body = Object.assign({}, item.body, { attendance_id: attendanceId });
    } else if (item.kind === "point") {
      path = "/posicoes";
      body = { points: item.batch.map(function (point) {
        return Object.assign({}, point.body, { attendance_id: point.resolved || null });
      }) };
    } else if (item.kind === "photo" || item.kind === "signature") {
      path = "/atendimentos/" + attendanceId + (item.kind === "photo" ? "/fotos" : "/assinatura");
      body = new FormData();
      body.append("uid", item.uid);
      Object.keys(item.body).forEach(function (name) { body.append(name, item.body[name]); });
      body.append("file", item.blob, item.kind === "photo" ? "foto.jpg" : "assinatura.png");
    } else {
      path = "/atendimentos/" + attendanceId + (item.kind === "report" ? "/relatorio" : "/eventos");
      body = item.kind === "report" ? item.body : { events: [item.body] };
    }
    var headers = { "X-CSRFToken": meta.csrf };
    if (!(body instanceof FormData)) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(body);
    }
    return root.fetch(meta.api + path, { method: "POST", credentials: "same-origin", headers: headers, body: body })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          return { status: response.status, data: data };
        });
      });
  }

  function reasonOf(data) {
    var details = (data.errors || []).map(function (e) { return e.message; }).join(" ");
    return ((data.message || "") + " " + details).trim();
  }

  /* What an answer means for the queue: sent, refused for good, or stop and retry later. */
  function outcome(item, answer) {
    if (answer.status < 300) { return "sent"; }
    if (item.kind === "start" && answer.status === 409 && answer.data.attendance_id) {
      return "adopt";  // the order already has an open attendance (another device): join it
    }
    if (answer.status === 401 || answer.status === 403) { return "auth"; }
    if (answer.status === 400) { return "csrf"; }
    if (answer.status >= 500 || answer.status === 429) { return "server"; }
    return "refused";
  }

  /* Send what waits, in order. Resolves to {sent, refused, stopped}: stopped is null when the
     queue is empty, else why it paused ("offline", "auth", "csrf", "server"). */
  Queue.prototype.flush = function (blockedReason) {
    var queue = this;
    var locks = root.navigator && root.navigator.locks;
    var run = function () { return queue._flush(blockedReason); };
    return locks ? locks.request("pws-field-queue-" + queue.user, run) : run();
  };

  Queue.prototype._flush = function (blockedReason) {
    var queue = this;
    var summary = { sent: 0, refused: 0, stopped: null };
    return Promise.all([queue.items(), queue.get("meta"), queue.get("started")]).then(function (loaded) {
      var waiting = loaded[0].filter(function (item) { return item.state === "pending"; });
      var meta = loaded[1];
      var started = loaded[2] || {};   // attendance uid → server id, or {refused: reason}

      function attendanceOf(item) {
        return item.attendance_id || (item.attendance_uid && started[item.attendance_uid]) || null;
      }

      function settle(items, state, reason) {
        return Promise.all(items.map(function (one) {
          one.state = state;
          one.reason = reason || null;
          one.settled_at = new Date().toISOString();
          delete one.resolved;
          summary[state === "sent" ? "sent" : "refused"] += 1;
          // Positions leave the device once the server has them (docs/field.md, LGPD).
          return one.kind === "point" && state === "sent" ? queue.remove(one.seq) : queue.put(one);
        }));
      }

      function next() {
        if (!waiting.length) { return summary; }
        var item = waiting.shift();
        var target = attendanceOf(item);
        if (item.kind === "point") {
          item.batch = [item];
          while (waiting.length && waiting[0].kind === "point" && item.batch.length < POINTS_PER_BATCH) {
            item.batch.push(waiting.shift());
          }
          item.batch.forEach(function (point) {
            point.resolved = typeof attendanceOf(point) === "number" ? attendanceOf(point) : null;
          });
        } else if (item.kind !== "start" && typeof target !== "number") {
          // Its attendance never started on the server (the start, sent first, was refused).
          return settle([item], "refused", (blockedReason + " " + ((target && target.refused) || "")).trim())
            .then(next);
        }
        return request(meta, item, target).then(function (answer) {
          var result = outcome(item, answer);
          var batch = item.batch || [item];
          delete item.batch;
          if (result === "sent" || result === "adopt") {
            var saving = Promise.resolve();
            if (item.kind === "start") {
              started[item.uid] = result === "adopt" ? answer.data.attendance_id : answer.data.result.id;
              saving = queue.set("started", started);
            }
            if (answer.data.result && answer.data.result.timeline) {
              saving = saving.then(function () { return queue.set("call:" + item.call_id, answer.data.result); });
            }
            return saving.then(function () { return settle(batch, "sent"); }).then(next);
          }
          if (result === "refused") {
            var reason = reasonOf(answer.data) || String(answer.status);
            var saved = Promise.resolve();
            if (item.kind === "start") {
              started[item.uid] = { refused: reason };
              saved = queue.set("started", started);
            }
            return saved.then(function () { return settle(batch, "refused", reason); }).then(next);
          }
          summary.stopped = result;
          summary.message = reasonOf(answer.data);
          return summary;
        }, function () {
          summary.stopped = "offline";
          return summary;
        });
      }
      return next();
    });
  };

  root.PwsQueue = Queue;
})(self);
