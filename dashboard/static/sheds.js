// Stairwatch dashboard, shed panel: draws each shed's free charging spots over the last 24 h
// (from /api/sheds) as a small SVG step chart under the server-rendered spots, and redraws it
// every minute. The texts come translated from the page (data-chart-label).
(() => {
  "use strict";

  const panel = document.getElementById("sheds");
  if (!panel) return;
  const base = document.body.dataset.base || "";
  const SVG = "http://www.w3.org/2000/svg";
  const WIDTH = 320;
  const HEIGHT = 60;
  const DAY_MS = 24 * 3600 * 1000;
  const REDRAW_MS = 60000;

  function svgEl(name, attrs) {
    const el = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
    return el;
  }

  // points: [{at, free, total}] oldest first; times in Unix seconds.
  function chart(points, nowS) {
    const svg = svgEl("svg", {
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      width: WIDTH,
      height: HEIGHT,
      role: "img",
      "aria-label": panel.dataset.chartLabel || "",
      class: "shed-svg",
    });
    const fromS = nowS - DAY_MS / 1000;
    const top = Math.max(1, ...points.map((p) => p.total));
    const x = (s) => ((Math.max(s, fromS) - fromS) / (nowS - fromS)) * WIDTH;
    const y = (free) => HEIGHT - 2 - (free / top) * (HEIGHT - 4);
    svg.appendChild(svgEl("rect", { x: 0, y: 0, width: WIDTH, height: HEIGHT, class: "shed-bg" }));
    if (points.length > 0) {
      const coords = [];
      points.forEach((p, i) => {
        if (i > 0) coords.push(`${x(p.at).toFixed(1)},${y(points[i - 1].free).toFixed(1)}`);
        coords.push(`${x(p.at).toFixed(1)},${y(p.free).toFixed(1)}`);
      });
      const last = points[points.length - 1];
      coords.push(`${WIDTH},${y(last.free).toFixed(1)}`);
      svg.appendChild(svgEl("polyline", { points: coords.join(" "), class: "shed-line" }));
    }
    return svg;
  }

  async function draw() {
    try {
      const response = await fetch(`${base}/api/sheds`);
      if (!response.ok) return;
      const data = await response.json();
      const nowS = Date.now() / 1000;
      for (const series of data.history) {
        const key = `${series.camera_id}/${series.shed}`;
        const figure = Array.from(panel.querySelectorAll("figure.shed-chart")).find(
          (f) => f.dataset.shedKey === key,
        );
        if (!figure) continue;
        figure.querySelectorAll("svg").forEach((old) => old.remove());
        figure.insertBefore(chart(series.points, nowS), figure.firstChild);
      }
    } catch (err) {
      // The event list's own poll shows the lost connection; the chart waits for the next round.
    }
  }

  draw();
  window.setInterval(draw, REDRAW_MS);
})();
