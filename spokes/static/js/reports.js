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

  // A bar chart on the named canvas, when the page has both the canvas and its numbers; `build`
  // gives the datasets and the options of that chart.
  function barChart(name, build) {
    var canvas = canvasFor(name);
    var numbers = data[name];
    if (!canvas || !numbers) {
      return;
    }
    var spec = build(numbers, canvas);
    new Chart(canvas, {
      type: "bar",
      data: { labels: numbers.labels, datasets: spec.datasets },
      options: Object.assign({ responsive: true, maintainAspectRatio: false }, spec.options)
    });
  }

  barChart("monthly", function (monthly) {
    return {
      datasets: monthly.datasets.map(function (set, i) {
        return { label: set.label, data: set.data, backgroundColor: palette[i % palette.length] };
      }),
      options: {
        plugins: { legend: { position: "bottom" } },
        scales: {
          x: { stacked: true },
          y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: axisTitle(monthly.axis) }
        }
      }
    };
  });

  barChart("ontime", function (ontime, canvas) {
    // One bar per unit: give each a row of height so long unit names stay readable.
    canvas.parentNode.style.height = Math.max(160, ontime.labels.length * 30 + 70) + "px";
    return {
      datasets: [{ label: ontime.axis, data: ontime.data, backgroundColor: palette[2] }],
      options: {
        indexAxis: "y",
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: function (ctx) {
                return number.format(ctx.parsed.x) + " % (" + ontime.counts[ctx.dataIndex] + " " +
                  ontime.count_label + ")";
              }
            }
          }
        },
        scales: { x: { min: 0, max: 100, title: axisTitle(ontime.axis) } }
      }
    };
  });

  barChart("ageing", function (ageing) {
    return {
      datasets: [{ label: ageing.axis, data: ageing.data, backgroundColor: palette[1] }],
      options: {
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: axisTitle(ageing.axis) } }
      }
    };
  });
})();
