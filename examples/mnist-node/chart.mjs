// The demo's training charts: the per-step training loss (averaged over consecutive steps) and the
// test accuracy after each epoch, over the epochs. `terminalChart` draws them with asciichart;
// `svgChart` writes an SVG file by hand (axes, nice ticks, two series on their own y axes, a legend).
import asciichart from "asciichart";

/**
 * @typedef {{ x: number, y: number }} Point - x in epochs (1.5 = halfway through epoch 2)
 */

/**
 * The mean of each of `maxPoints` runs of consecutive points (all of them if fewer): run k holds
 * points ⌊k·n/m⌋ … ⌊(k+1)·n/m⌋ − 1, and becomes (mean x, mean y). Non-finite y are dropped first.
 * @param {Point[]} points
 * @param {number} maxPoints
 * @returns {Point[]}
 */
export function downsample(points, maxPoints) {
  const finite = points.filter((p) => Number.isFinite(p.y));
  const n = finite.length;
  const m = Math.min(n, maxPoints);
  const out = [];
  for (let k = 0; k < m; k++) {
    const from = Math.floor((k * n) / m);
    const to = Math.floor(((k + 1) * n) / m);
    let sx = 0;
    let sy = 0;
    for (let i = from; i < to; i++) {
      sx += finite[i].x;
      sy += finite[i].y;
    }
    out.push({ x: sx / (to - from), y: sy / (to - from) });
  }
  return out;
}

/**
 * What each point of `downsample(steps, maxPoints)` is, in words: "per step", "mean of 5 steps",
 * "mean of ≈ 2.5 steps" (when the runs differ in length).
 * @param {number} steps - the finite points
 * @param {number} maxPoints
 * @returns {string}
 */
export function stepsPer(steps, maxPoints) {
  const per = steps / Math.max(1, Math.min(steps, maxPoints));
  if (per <= 1) return "per step";
  return Number.isInteger(per)
    ? `mean of ${per} steps`
    : `mean of ≈ ${Number(per.toFixed(1))} steps`;
}

/**
 * Round axis ticks covering [lo, hi]: the step is the smallest 1, 2 or 5 × 10^k ≥ (hi − lo)/count,
 * the axis runs from ⌊lo/step⌋·step to ⌈hi/step⌉·step. An empty range (lo = hi) is widened by
 * max(|hi|, 1)/10 first, centred on it.
 * @param {number} lo
 * @param {number} hi
 * @param {number} [count] - the most intervals wanted (5)
 * @returns {{ lo: number, hi: number, step: number, ticks: number[], decimals: number }} `decimals`:
 *   digits after the point that print every tick exactly
 */
export function niceTicks(lo, hi, count = 5) {
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi)) {
    throw new RangeError(`niceTicks: expected finite lo ≤ hi (got ${lo}, ${hi})`);
  }
  if (hi - lo < 1e-12) {
    const pad = Math.max(Math.abs(hi), 1) / 20;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * pow).find((s) => s >= raw * (1 - 1e-9)) ?? 10 * pow;
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const round = (v) => Number(v.toPrecision(12)); // 0.1 + 0.2 → 0.3
  const ticks = [];
  for (let i = first; i <= last; i++) ticks.push(round(i * step));
  return {
    lo: ticks[0],
    hi: ticks.at(-1),
    step: round(step),
    ticks,
    decimals: Math.max(0, Math.ceil(-Math.log10(step) - 1e-9)),
  };
}

/** The SVG's size and the plot area's margins, in px: the plot area is [left, width − right] × [top, height − bottom]. */
export const SVG_LAYOUT = Object.freeze({
  width: 640,
  height: 360,
  left: 64,
  right: 64,
  top: 60,
  bottom: 60,
});

/** @param {string} s */
const escapeXml = (s) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c],
  );

/** @param {number} v - a pixel coordinate, printed with at most 2 decimals */
const px = (v) => String(Math.round(v * 100) / 100);

/**
 * The axes of a chart: x over [0, epochs] (a tick per epoch up to 10 epochs, nice ticks beyond),
 * the loss axis (left) over nice ticks of [0, max loss], the accuracy axis (right) over nice ticks of
 * [min accuracy, max accuracy], and the maps from values to SVG pixels (y grows downwards).
 * @param {{ loss: Point[], accuracy: Point[], epochs: number }} data
 */
export function chartAxes({ loss, accuracy, epochs }) {
  const { width, height, left, right, top, bottom } = SVG_LAYOUT;
  const x0 = left;
  const x1 = width - right;
  const yTop = top;
  const yBottom = height - bottom;
  const xAxis =
    epochs <= 10
      ? {
          lo: 0,
          hi: epochs,
          ticks: Array.from({ length: epochs + 1 }, (_, i) => i),
          decimals: 0,
        }
      : niceTicks(0, epochs, 10);
  const maxLoss = loss.reduce((m, p) => Math.max(m, p.y), 0);
  const lossAxis = niceTicks(0, maxLoss > 0 ? maxLoss : 1);
  const accs = accuracy.map((p) => p.y);
  const accAxis = accs.length
    ? niceTicks(Math.min(...accs), Math.max(...accs), 4)
    : niceTicks(0, 1, 4);
  const scale = (axis, from, to) => (v) =>
    from + ((v - axis.lo) / (axis.hi - axis.lo)) * (to - from);
  return {
    plot: { x0, x1, yTop, yBottom },
    xAxis,
    lossAxis,
    accAxis,
    sx: scale(xAxis, x0, x1),
    sLoss: scale(lossAxis, yBottom, yTop),
    sAcc: scale(accAxis, yBottom, yTop),
  };
}

/**
 * The training chart as an SVG document: the loss as a blue polyline on the left axis, the test
 * accuracy as a red polyline with a dot per epoch on the right axis, over epochs 0 … `epochs`.
 * @param {{ loss: Point[], accuracy: Point[], epochs: number, title?: string, lossLabel?: string,
 *   accuracyLabel?: string }} data - `epochs` ≥ 1
 * @returns {string} the SVG file's text (UTF-8)
 * @example
 * writeFileSync("training.svg", svgChart({ loss: [{ x: 0.5, y: 1.2 }, { x: 1, y: 0.6 }],
 *   accuracy: [{ x: 1, y: 0.9 }], epochs: 1 }));
 */
export function svgChart({
  loss,
  accuracy,
  epochs,
  title = "Training",
  lossLabel = "training loss",
  accuracyLabel = "test accuracy",
}) {
  if (!(Number.isInteger(epochs) && epochs >= 1)) {
    throw new RangeError(`svgChart: epochs must be a positive integer (got ${epochs})`);
  }
  const { width, height } = SVG_LAYOUT;
  const { plot, xAxis, lossAxis, accAxis, sx, sLoss, sAcc } = chartAxes({ loss, accuracy, epochs });
  const { x0, x1, yTop, yBottom } = plot;
  const lossColor = "#1f77b4";
  const accColor = "#d62728";
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${px(width / 2)}" y="22" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
    '<g class="grid" stroke="#e6e6e6" stroke-width="1">',
    ...lossAxis.ticks.map(
      (t) => `<line x1="${x0}" y1="${px(sLoss(t))}" x2="${x1}" y2="${px(sLoss(t))}"/>`,
    ),
    "</g>",
    '<g class="axes" stroke="#333333" stroke-width="1">',
    `<line x1="${x0}" y1="${yBottom}" x2="${x1}" y2="${yBottom}"/>`,
    `<line x1="${x0}" y1="${yTop}" x2="${x0}" y2="${yBottom}"/>`,
    `<line x1="${x1}" y1="${yTop}" x2="${x1}" y2="${yBottom}"/>`,
    ...xAxis.ticks.map(
      (t) => `<line x1="${px(sx(t))}" y1="${yBottom}" x2="${px(sx(t))}" y2="${yBottom + 5}"/>`,
    ),
    ...lossAxis.ticks.map(
      (t) => `<line x1="${x0 - 5}" y1="${px(sLoss(t))}" x2="${x0}" y2="${px(sLoss(t))}"/>`,
    ),
    ...accAxis.ticks.map(
      (t) => `<line x1="${x1}" y1="${px(sAcc(t))}" x2="${x1 + 5}" y2="${px(sAcc(t))}"/>`,
    ),
    "</g>",
    '<g class="x-ticks" text-anchor="middle" fill="#333333">',
    ...xAxis.ticks.map(
      (t) => `<text x="${px(sx(t))}" y="${yBottom + 19}">${t.toFixed(xAxis.decimals)}</text>`,
    ),
    "</g>",
    `<g class="loss-ticks" text-anchor="end" fill="${lossColor}">`,
    ...lossAxis.ticks.map(
      (t) => `<text x="${x0 - 8}" y="${px(sLoss(t) + 4)}">${t.toFixed(lossAxis.decimals)}</text>`,
    ),
    "</g>",
    `<g class="accuracy-ticks" text-anchor="start" fill="${accColor}">`,
    ...accAxis.ticks.map(
      (t) => `<text x="${x1 + 8}" y="${px(sAcc(t) + 4)}">${t.toFixed(accAxis.decimals)}</text>`,
    ),
    "</g>",
    `<text x="${px((x0 + x1) / 2)}" y="${height - 12}" text-anchor="middle" fill="#333333">epoch</text>`,
    `<text transform="translate(16 ${px((yTop + yBottom) / 2)}) rotate(-90)" text-anchor="middle" fill="${lossColor}">${escapeXml(lossLabel)}</text>`,
    `<text transform="translate(${width - 10} ${px((yTop + yBottom) / 2)}) rotate(-90)" text-anchor="middle" fill="${accColor}">${escapeXml(accuracyLabel)}</text>`,
  ];
  const points = (series, sy) => series.map((p) => `${px(sx(p.x))},${px(sy(p.y))}`).join(" ");
  if (loss.length) {
    out.push(
      `<polyline class="series-loss" fill="none" stroke="${lossColor}" stroke-width="1.5" points="${points(loss, sLoss)}"/>`,
    );
  }
  if (accuracy.length) {
    out.push(
      `<polyline class="series-accuracy" fill="none" stroke="${accColor}" stroke-width="2" points="${points(accuracy, sAcc)}"/>`,
      `<g class="markers-accuracy" fill="${accColor}">`,
      ...accuracy.map((p) => `<circle cx="${px(sx(p.x))}" cy="${px(sAcc(p.y))}" r="3.5"/>`),
      "</g>",
    );
  }
  // legend: one row in the top margin under the title, a line sample and a label per series,
  // centred with the labels' widths estimated at 0.6 em a character
  const textWidth = (t) => Math.ceil(t.length * 7.2);
  const item = 30; // line sample + gap
  const gap = 24;
  const total = item + textWidth(lossLabel) + gap + item + textWidth(accuracyLabel);
  const lx = Math.round((x0 + x1) / 2 - total / 2);
  const ax = lx + item + textWidth(lossLabel) + gap;
  const ly = yTop - 14;
  out.push(
    '<g class="legend" fill="#333333">',
    `<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${lossColor}" stroke-width="2"/>`,
    `<text x="${lx + item}" y="${ly + 4}">${escapeXml(lossLabel)}</text>`,
    `<line x1="${ax}" y1="${ly}" x2="${ax + 24}" y2="${ly}" stroke="${accColor}" stroke-width="2"/>`,
    `<circle cx="${ax + 12}" cy="${ly}" r="3.5" fill="${accColor}"/>`,
    `<text x="${ax + item}" y="${ly + 4}">${escapeXml(accuracyLabel)}</text>`,
    "</g>",
    "</svg>",
  );
  return `${out.join("\n")}\n`;
}

/**
 * The training chart for the terminal (asciichart): the loss averaged into at most `width` columns,
 * then the test accuracy of each column's epoch (a step per epoch) on the same columns, then an
 * epoch axis under both with a ┴ under the last column of each epoch that ended.
 * @param {{ loss: Point[], accuracy: Point[], epochs: number, width?: number }} data - `loss`
 *   per step; `width` columns (60)
 * @returns {string[]} the lines (none when there is no finite loss)
 */
export function terminalChart({ loss, accuracy, epochs, width = 60 }) {
  const cols = downsample(loss, width);
  if (cols.length === 0) return [];
  const label = (decimals) => (v) => v.toFixed(decimals).padStart(8);
  const lossLines = asciichart
    .plot(
      cols.map((p) => p.y),
      { height: 8, format: label(3) },
    )
    .split("\n");
  // accuracy of epoch e held over the columns of epoch e (x in (e − 1, e]); columns of an epoch
  // with no accuracy yet (training stopped early) are left out
  const accOf = new Map(accuracy.map((p) => [Math.round(p.x), p.y]));
  const accCols = [];
  for (const p of cols) {
    const a = accOf.get(Math.max(1, Math.ceil(p.x - 1e-9)));
    if (a === undefined) break;
    accCols.push(a);
  }
  const lines = [`training loss, ${stepsPer(loss.length, width)} a column:`, ...lossLines];
  if (accCols.length) {
    lines.push(
      "test accuracy (after each epoch):",
      ...asciichart
        .plot(accCols, {
          height: 4,
          format: label(4),
          // one value: asciichart would label its single row with the rounded value, so give it a range
          ...(Math.min(...accCols) === Math.max(...accCols) && {
            min: accCols[0] - 0.005,
            max: accCols[0] + 0.005,
          }),
        })
        .split("\n"),
    );
  }
  // the epoch axis: └ under the first column, ┴ under the last column of each epoch
  const axisAt = lossLines[0].search(/[┤┼]/);
  const axis = [..."─".repeat(cols.length)];
  axis[0] = "└";
  // epoch numbers end under their ┴, skipped where they would touch the previous number
  const names = [..." ".repeat(cols.length)];
  let free = 0; // the first column a number may start at
  const reached = loss.reduce((m, p) => Math.max(m, p.x), 0); // epochs ended before this x only
  for (let e = 1; e <= Math.min(epochs, Math.floor(reached + 1e-9)); e++) {
    let last = -1;
    for (let i = 0; i < cols.length; i++) if (cols[i].x <= e + 1e-9) last = i;
    if (last < 0) continue;
    if (last > 0) axis[last] = "┴";
    const text = String(e);
    const start = last - text.length + 1;
    if (start < free) continue;
    for (let k = 0; k < text.length; k++) names[start + k] = text[k];
    free = last + 2;
  }
  lines.push(
    `${" ".repeat(axisAt)}${axis.join("")}`,
    `${"epoch".padStart(axisAt - 1)} ${names.join("").trimEnd()}`,
  );
  return lines;
}
