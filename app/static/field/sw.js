/* The technician's page offline: this worker keeps the page and the files it loaded, answers
   from them when there is no network, and sends the queue on Background Sync even with the
   page closed. docs/field.md "Offline". */
importScripts("/static/field/queue.js");

var CACHE = "pws-field-1";
var PAGE = new URL("./", self.registration.scope).pathname;  // the page is the scope's root
var SYNC_PREFIX = "pws-field-queue:";

self.addEventListener("install", function () { self.skipWaiting(); });

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) { return name !== CACHE; })
      .map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

/* The page, once it is loaded, lists itself and its files: those not kept yet are kept for
   offline use (the kept ones are refreshed as the page asks for them). */
self.addEventListener("message", function (event) {
  if (!event.data || !event.data.keep) { return; }
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(event.data.keep.map(function (url) {
      var key = new URL(url, self.location).pathname === PAGE ? PAGE : url;
      return cache.match(key).then(function (kept) {
        return kept || fetch(url, { credentials: "same-origin" }).then(function (response) {
          return response.ok && !response.redirected ? cache.put(key, response) : null;
        });
      }).catch(function () { return null; });
    }));
  }).then(function () { event.source.postMessage({ kept: true }); }));
});

/* The page: the network first (fresh data, a fresh CSRF token), the kept copy without it.
   Sent to the login instead (signed out), the kept copy goes: it shows the user's name. */
function pageFirstFromNetwork(request) {
  return fetch(request).then(function (response) {
    var copy = response.clone();
    caches.open(CACHE).then(function (cache) {
      return response.ok && !response.redirected ? cache.put(PAGE, copy) : cache.delete(PAGE);
    });
    return response;
  }).catch(function () {
    return caches.match(PAGE).then(function (kept) { return kept || Response.error(); });
  });
}

/* Scripts, styles, fonts and icons: the kept copy at once, refreshed in the background. */
function keptThenRefreshed(event) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(event.request).then(function (kept) {
      var fresh = fetch(event.request).then(function (response) {
        if (response.ok) { cache.put(event.request, response.clone()); }
        return response;
      });
      if (!kept) { return fresh; }
      event.waitUntil(fresh.catch(function () { return null; }));
      return kept;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate" && url.pathname === PAGE) {
    event.respondWith(pageFirstFromNetwork(request));
  } else if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(keptThenRefreshed(event));
  }
  // Everything else (the API above all) goes to the network untouched.
});

/* Background Sync: the browser wakes the worker when the connection is back. */
self.addEventListener("sync", function (event) {
  if (event.tag.indexOf(SYNC_PREFIX) !== 0) { return; }
  var queue = new self.PwsQueue(event.tag.slice(SYNC_PREFIX.length));
  event.waitUntil(queue.get("meta").then(function (meta) {
    return queue.flush(meta.blocked);
  }).then(function (summary) {
    return self.clients.matchAll().then(function (pages) {
      pages.forEach(function (page) { page.postMessage({ flushed: summary }); });
      if (summary.stopped === "offline" || summary.stopped === "server") {
        throw new Error("queue not sent yet");  // the browser tries again later
      }
    });
  }));
});
