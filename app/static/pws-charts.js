/* Indicadores: draws each chart from the JSON next to its canvas (the same rows as its table).
   Colour is never the only signal: each series also has its own dash or point shape and a
   hatched fill, and the table below the chart says every value. */
(function () {
  "use strict";
  if (!window.Chart) { return; }
  var COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd"];
  var DASHES = [[], [6, 4], [2, 3], [10, 3, 2, 3], [1, 1]];
  var POINTS = ["circle", "rectRot", "triangle", "rect", "star"];
  var number = new Intl.NumberFormat("pt-BR", { maximumFractionDigits: 1 });

  function hatch(colour, index) {
    if (index === 0) { return colour; }
    var tile = document.createElement("canvas");
    tile.width = tile.height = 8;
    var pen = tile.getContext("2d");
    pen.fillStyle = colour;
    pen.globalAlpha = 0.35;
    pen.fillRect(0, 0, 8, 8);
    pen.globalAlpha = 1;
    pen.strokeStyle = colour;
    pen.lineWidth = 2;
    pen.beginPath();
    if (index % 2) { pen.moveTo(0, 8); pen.lineTo(8, 0); } else { pen.moveTo(0, 0); pen.lineTo(8, 8); }
    pen.stroke();
    return pen.createPattern(tile, "repeat");
  }

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source) { return; }
    var data = JSON.parse(source.textContent);
    var line = data.kind === "line";
    new window.Chart(canvas, {
      type: line ? "line" : "bar",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (series, i) {
          var colour = COLOURS[i % COLOURS.length];
          return {
            label: series.label, data: series.data, borderColor: colour, borderWidth: 2,
            backgroundColor: line ? colour : hatch(colour, i), borderDash: line ? DASHES[i % DASHES.length] : [],
            pointStyle: POINTS[i % POINTS.length], pointRadius: line ? 3 : 0, tension: 0
          };
        })
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false, locale: "pt-BR",
        plugins: {
          legend: { labels: { usePointStyle: true } },
          tooltip: { callbacks: { label: function (item) {
            return item.dataset.label + ": " + (item.raw === null ? "–" : number.format(item.raw));
          } } }
        },
        scales: { y: { beginAtZero: true, ticks: { callback: function (value) { return number.format(value); } } } }
      }
    });
  });
})();
