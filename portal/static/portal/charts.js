/* Charts of the statistics page. Data comes from a JSON script element (no inline
   script), drawn with the Chart.js copy served by the portal. */
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  var colour = "#1d5c96";
  var previous = "#9aa7b4";
  // Trends: each indicator month by month, this fiscal year and the one before.
  var trendSource = document.getElementById("trend-data");
  if (trendSource) {
    JSON.parse(trendSource.textContent).forEach(function (spec) {
      var canvas = document.getElementById(spec.id);
      if (!canvas) { return; }
      canvas.chart = new Chart(canvas, {
        type: "line",
        data: {
          labels: spec.labels,
          datasets: spec.series.map(function (s, i) {
            return { label: s.label, data: s.values, borderColor: i === 0 ? colour : previous,
                     backgroundColor: i === 0 ? colour : previous, borderDash: i === 0 ? [] : [6, 4],
                     spanGaps: false, tension: 0 };  // counts: straight lines, no overshoot
          })
        },
        options: { animation: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
      });
      canvas.setAttribute("data-rendered", "true");
    });
  }
  var source = document.getElementById("chart-data");
  if (!source) { return; }
  var data = JSON.parse(source.textContent);
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
