/* Draws every .pws-map from its JSON data: the track as a line, markers with label and time.
   Tiles come from the configured tile server, fetched by the browser. */
(function () {
  "use strict";
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
    (data.markers || []).forEach(function (marker) {
      var point = [marker.lat, marker.lon];
      var popup = document.createElement("div");
      var title = document.createElement("strong");
      title.textContent = marker.label;
      popup.appendChild(title);
      if (marker.time) {
        popup.appendChild(document.createElement("br"));
        popup.appendChild(document.createTextNode(marker.time));
      }
      L.marker(point, { title: marker.label }).addTo(map).bindPopup(popup);
      bounds.push(point);
    });
    if (bounds.length > 1) {
      map.fitBounds(bounds, { padding: [24, 24] });
    } else if (bounds.length === 1) {
      map.setView(bounds[0], 15);
    } else {
      map.setView([-15.78, -47.93], 4);
    }
    element.setAttribute("data-ready", String(bounds.length));
  }
  document.querySelectorAll(".pws-map").forEach(draw);
})();
