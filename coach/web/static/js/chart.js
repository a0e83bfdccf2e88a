// The weekly load chart, drawn as SVG: bars of each week's load coloured by phase, and
// the projected CTL / ATL / TSB lines (see load.js for the formula).

import { projection } from "./load.js";

const NS = "http://www.w3.org/2000/svg";
const W = 720;
const H = 220;
const PAD = { left: 44, right: 44, top: 14, bottom: 30 };

function el(name, attrs = {}, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

export function drawChart(container, workouts, weeks, phases) {
  container.replaceChildren();
  if (!weeks) return;
  const points = projection(workouts, weeks);
  const svg = el("svg", {
    viewBox: `0 0 ${W} ${H}`,
    role: "img",
    "aria-labelledby": "chart-title chart-desc",
    class: "chart",
  });
  svg.append(el("title", { id: "chart-title" }, "Weekly load and projected fitness"));
  const summary = points
    .map((p) => `week ${p.week}: load ${Math.round(p.load)}, CTL ${Math.round(p.ctl)}, ATL ${Math.round(p.atl)}, TSB ${Math.round(p.tsb)}`)
    .join("; ");
  svg.append(el("desc", { id: "chart-desc" }, summary));

  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const maxLoad = Math.max(100, ...points.map((p) => p.load)) * 1.1;
  const lineValues = points.flatMap((p) => [p.ctl, p.atl, p.tsb]);
  const lineMax = Math.max(10, ...lineValues) * 1.1;
  const lineMin = Math.min(0, ...lineValues) * 1.1;
  const slot = plotW / weeks;
  const yLoad = (v) => PAD.top + plotH - (v / maxLoad) * plotH;
  const yLine = (v) => PAD.top + plotH - ((v - lineMin) / (lineMax - lineMin)) * plotH;
  const x = (week) => PAD.left + (week - 0.5) * slot;

  // Axes: load on the left, CTL/ATL/TSB on the right, weeks below.
  svg.append(el("line", { x1: PAD.left, y1: PAD.top + plotH, x2: W - PAD.right, y2: PAD.top + plotH, class: "axis" }));
  for (const v of [0, maxLoad / 2, maxLoad / 1.1]) {
    svg.append(el("text", { x: PAD.left - 6, y: yLoad(v) + 4, class: "tick", "text-anchor": "end" }, Math.round(v)));
  }
  for (const v of [lineMin, 0, lineMax / 1.1]) {
    svg.append(el("text", { x: W - PAD.right + 6, y: yLine(v) + 4, class: "tick" }, Math.round(v)));
  }
  if (lineMin < 0) {
    svg.append(el("line", { x1: PAD.left, y1: yLine(0), x2: W - PAD.right, y2: yLine(0), class: "zero" }));
  }
  const every = Math.ceil(weeks / 16);
  for (const p of points) {
    const phase = (phases[p.week] || "").toLowerCase();
    const bar = el("rect", {
      x: x(p.week) - slot * 0.35,
      y: yLoad(p.load),
      width: slot * 0.7,
      height: Math.max(0, PAD.top + plotH - yLoad(p.load)),
      class: `bar phase-${phase || "none"}`,
    });
    bar.append(el("title", {}, `Week ${p.week}${phase ? ` (${phase})` : ""}: load ${Math.round(p.load)}`));
    svg.append(bar);
    if ((p.week - 1) % every === 0) {
      svg.append(el("text", { x: x(p.week), y: H - 10, class: "tick", "text-anchor": "middle" }, `W${p.week}`));
    }
  }
  for (const [key, cls] of [["ctl", "ctl"], ["atl", "atl"], ["tsb", "tsb"]]) {
    const d = points.map((p, i) => `${i ? "L" : "M"}${x(p.week).toFixed(1)},${yLine(p[key]).toFixed(1)}`).join("");
    svg.append(el("path", { d, class: `line ${cls}` }));
  }
  const legend = [["ctl", "fitness (CTL)"], ["atl", "fatigue (ATL)"], ["tsb", "form (TSB)"]];
  legend.forEach(([cls, label], i) => {
    const lx = PAD.left + 8 + i * 130;
    svg.append(el("line", { x1: lx, y1: PAD.top + 4, x2: lx + 18, y2: PAD.top + 4, class: `line ${cls}` }));
    svg.append(el("text", { x: lx + 22, y: PAD.top + 8, class: "tick" }, label));
  });
  container.append(svg);
}
