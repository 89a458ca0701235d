/* Charts of the statistics page. Data comes from a JSON script element (no inline
   script), drawn with the Chart.js copy served by the portal. */
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var colour = "#1d5c96";
  // "包括的相談支援事業 → 参加支援事業" on two lines, so that a long label is not clipped.
  function lines(label) {
    var parts = typeof label === "string" ? label.split(" → ") : [label];
    return parts.length === 2 ? [parts[0] + " →", parts[1]] : label;
  }
  function bar(id, spec, horizontal) {
    var canvas = document.getElementById(id);
    if (!canvas) { return; }
    canvas.chart = new Chart(canvas, {
      type: "bar",
      data: { labels: horizontal ? spec.labels.map(lines) : spec.labels, datasets: [{ label: spec.label, data: spec.values, backgroundColor: colour }] },
      options: {
        indexAxis: horizontal ? "y" : "x",
        animation: false,
        layout: { padding: { right: 12 } },
        plugins: { legend: { display: false } },
        scales: {
          x: { beginAtZero: true, ticks: { precision: 0 } },
          y: { beginAtZero: true, ticks: { precision: 0, autoSkip: !horizontal } }
        }
      }
    });
    canvas.setAttribute("data-rendered", "true");
  }
  bar("chart-monthly", data.monthly, false);
  bar("chart-flows", data.flows, true);
  document.querySelectorAll(".progress .bar").forEach(function (el) {
    el.style.width = Math.min(100, parseInt(el.getAttribute("data-width"), 10) || 0) + "%";
  });
}());
