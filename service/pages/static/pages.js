// Draws every chart a page embeds as JSON (<div data-chart="ID"> + <script type="application/json" id="ID">)
// with plotly.js, served by this app. The tables beside each chart hold the same figures.
(function () {
  "use strict";
  function draw() {
    if (!window.Plotly) { return; }
    document.querySelectorAll("[data-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.getAttribute("data-chart"));
      if (!source) { return; }
      var spec = JSON.parse(source.textContent);
      window.Plotly.newPlot(canvas, spec.data, spec.layout, { displayModeBar: false, responsive: true })
        .then(function () { canvas.setAttribute("data-drawn", "true"); });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
}());
