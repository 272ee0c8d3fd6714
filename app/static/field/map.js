/* Draws every .pws-map from its JSON data: the track as a line, markers with label and time.
   Tiles come from the configured tile server, fetched by the browser. A map whose data has a
   refresh_url asks it again every refresh_seconds and redraws its markers (and the table that
   names the map in data-map) without a reload. */
(function () {
  "use strict";
  function popupOf(marker) {
    var popup = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = marker.label;
    popup.appendChild(title);
    if (marker.time) {
      popup.appendChild(document.createElement("br"));
      popup.appendChild(document.createTextNode(marker.time));
    }
    return popup;
  }
  function placeMarkers(layer, markers) {
    layer.clearLayers();
    return markers.map(function (marker) {
      var point = [marker.lat, marker.lon];
      L.marker(point, { title: marker.label }).addTo(layer).bindPopup(popupOf(marker));
      return point;
    });
  }
  function fillTable(table, markers) {
    var body = table.querySelector("tbody");
    while (body.firstChild) { body.removeChild(body.firstChild); }
    markers.forEach(function (marker) {
      var row = document.createElement("tr");
      [marker.label, marker.time, marker.accuracy || ""].forEach(function (text) {
        var cell = document.createElement("td");
        cell.textContent = text || "";
        row.appendChild(cell);
      });
      body.appendChild(row);
    });
    var empty = document.getElementById(table.id + "-empty");
    if (empty) { empty.hidden = markers.length > 0; }
  }
  function draw(element) {
    var data = JSON.parse(document.getElementById(element.getAttribute("data-map")).textContent);
    var map = L.map(element, { scrollWheelZoom: false, zoomControl: false });
    L.control.zoom({ zoomInTitle: element.getAttribute("data-zoom-in"),
                     zoomOutTitle: element.getAttribute("data-zoom-out") }).addTo(map);
    if (data.tile_url) {
      L.tileLayer(data.tile_url, { maxZoom: 19, attribution: data.attribution }).addTo(map);
    }
    var bounds = [];
    if (data.track && data.track.length > 1) {
      var line = L.polyline(data.track, { color: "#1d4f91", weight: 4 }).addTo(map);
      bounds = bounds.concat(data.track);
      line.bindTooltip(element.getAttribute("aria-label") || "");
    }
    var layer = L.layerGroup().addTo(map);
    bounds = bounds.concat(placeMarkers(layer, data.markers || []));
    if (bounds.length > 1) {
      map.fitBounds(bounds, { padding: [24, 24] });
    } else if (bounds.length === 1) {
      map.setView(bounds[0], 15);
    } else {
      map.setView([-15.78, -47.93], 4);
    }
    element.setAttribute("data-ready", String(bounds.length));
    if (data.refresh_url) {
      var table = document.querySelector('table[data-map="' + element.id + '"]');
      window.setInterval(function () {
        fetch(data.refresh_url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (fresh) {
            if (!fresh) { return; }
            placeMarkers(layer, fresh.markers);
            if (table) { fillTable(table, fresh.markers); }
            element.setAttribute("data-refreshed", String(fresh.markers.length));
          })
          .catch(function () { /* offline for a moment: the next round tries again */ });
      }, (data.refresh_seconds || 30) * 1000);
    }
  }
  document.querySelectorAll(".pws-map").forEach(draw);
})();
