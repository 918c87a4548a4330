/* Charts of the reports page. The numbers come from a <script type="application/json"> block
   (data, never executed) and are the same as the tables beside each chart, which stay the
   source for screen readers and for browsers without JavaScript. */
(function () {
  "use strict";

  var holder = document.getElementById("report-chart-data");
  if (!holder || typeof window.Chart === "undefined") {
    return;
  }
  var data;
  try {
    data = JSON.parse(holder.textContent);
  } catch (err) {
    return;
  }

  var Chart = window.Chart;
  var locale = document.documentElement.lang || "vi";
  var number = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
  // Colour-blind-safe palette (Okabe–Ito) with enough contrast on white.
  var palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"];
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  Chart.defaults.font.family = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif";
  Chart.defaults.color = "#212529";
  if (reduceMotion) {
    Chart.defaults.animation = false;
  }

  function canvasFor(name) {
    return document.querySelector('canvas[data-chart="' + name + '"]');
  }

  function axisTitle(text) {
    return { display: true, text: text };
  }

  var monthly = canvasFor("monthly");
  if (monthly && data.monthly) {
    new Chart(monthly, {
      type: "bar",
      data: {
        labels: data.monthly.labels,
        datasets: data.monthly.datasets.map(function (set, i) {
          return { label: set.label, data: set.data, backgroundColor: palette[i % palette.length] };
        })
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { position: "bottom" } },
        scales: {
          x: { stacked: true },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: axisTitle(data.monthly.axis) }
        }
      }
    });
  }

  var ontime = canvasFor("ontime");
  if (ontime && data.ontime) {
    // One bar per unit: give each a row of height so long unit names stay readable.
    ontime.parentNode.style.height = Math.max(160, data.ontime.labels.length * 30 + 70) + "px";
    new Chart(ontime, {
      type: "bar",
      data: {
        labels: data.ontime.labels,
        datasets: [{ label: data.ontime.axis, data: data.ontime.data, backgroundColor: palette[2] }]
      },
      options: {
        indexAxis: "y",
        responsive: true,
        maintainAspectRatio: false,
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: function (ctx) {
                return number.format(ctx.parsed.x) + " % (" + data.ontime.counts[ctx.dataIndex] + " " +
                  data.ontime.count_label + ")";
              }
            }
          }
        },
        scales: { x: { min: 0, max: 100, title: axisTitle(data.ontime.axis) } }
      }
    });
  }

  var ageing = canvasFor("ageing");
  if (ageing && data.ageing) {
    new Chart(ageing, {
      type: "bar",
      data: {
        labels: data.ageing.labels,
        datasets: [{ label: data.ageing.axis, data: data.ageing.data, backgroundColor: palette[1] }]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: axisTitle(data.ageing.axis) } }
      }
    });
  }
})();
