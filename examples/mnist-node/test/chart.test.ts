import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  downsample,
  niceTicks,
  SVG_LAYOUT,
  stepsPer,
  svgChart,
  terminalChart,
  // @ts-expect-error: the example is plain JavaScript
} from "../chart.mjs";
import { allElements, parseXml, type XmlElement } from "./xml";

type Point = { x: number; y: number };

/** The polyline of `cls` as [x, y] pairs. */
function polyline(root: XmlElement, cls: string): number[][] {
  const el = allElements(root).find((e) => e.name === "polyline" && e.attrs.class === cls);
  if (!el) throw new Error(`no polyline ${cls}`);
  return (el.attrs.points ?? "").split(" ").map((p) => p.split(",").map(Number));
}

/** The tick labels of the group `cls`: value and its x, y attributes. */
function tickLabels(root: XmlElement, cls: string) {
  const g = allElements(root).find((e) => e.name === "g" && e.attrs.class === cls);
  if (!g) throw new Error(`no group ${cls}`);
  return g.children.map((t) => ({ v: Number(t.text), x: Number(t.attrs.x), y: Number(t.attrs.y) }));
}

describe("XML checker (used on the SVG below)", () => {
  it("accepts well-formed XML and rejects broken nesting, quoting and escaping", () => {
    const root = parseXml('<?xml version="1.0"?>\n<a k="1 &amp; 2"><b/><c>x &lt; y</c></a>\n');
    expect(root.attrs.k).toBe("1 & 2");
    expect(root.children.map((c) => c.name)).toEqual(["b", "c"]);
    expect(root.children[1]?.text).toBe("x < y");
    for (const bad of [
      "<a><b></a></b>", // crossed tags
      "<a k=1></a>", // unquoted attribute
      '<a k="1" k="2"></a>', // repeated attribute
      "<a>x & y</a>", // bare ampersand
      "<a>", // unclosed
      "<a></a><b></b>", // two roots
      "text<a></a>", // text outside the root
    ]) {
      expect(() => parseXml(bad), bad).toThrow(/^xml:/);
    }
  });
});

describe("chart.mjs", () => {
  it("downsample averages runs of consecutive points, dropping non-finite losses", () => {
    // 5 finite points into 2 runs: ⌊0·5/2⌋ … ⌊5/2⌋−1 = points 0–1, then points 2–4
    const pts = [
      { x: 1, y: 4 },
      { x: 2, y: 2 },
      { x: 3, y: Number.NaN },
      { x: 4, y: 3 },
      { x: 5, y: 6 },
      { x: 6, y: 0 },
    ];
    // run 1: x (1+2)/2 = 1.5, y (4+2)/2 = 3; run 2: x (4+5+6)/3 = 5, y (3+6+0)/3 = 3
    expect(downsample(pts, 2)).toEqual([
      { x: 1.5, y: 3 },
      { x: 5, y: 3 },
    ]);
    expect(downsample(pts, 10)).toHaveLength(5); // fewer points than asked: each kept
    expect(downsample([], 10)).toEqual([]);
    expect([stepsPer(250, 100), stepsPer(500, 100), stepsPer(60, 100)]).toEqual([
      "mean of ≈ 2.5 steps",
      "mean of 5 steps",
      "per step",
    ]);
  });

  it("niceTicks picks 1/2/5 × 10^k steps and covers the range", () => {
    // [0, 2.31] in 5: raw 0.462 → 0.5; ⌈2.31/0.5⌉ = 5 → 0 … 2.5
    expect(niceTicks(0, 2.31)).toEqual({
      lo: 0,
      hi: 2.5,
      step: 0.5,
      ticks: [0, 0.5, 1, 1.5, 2, 2.5],
      decimals: 1,
    });
    // [0.894, 0.92] in 4: raw 0.0065 → 0.01; ⌊89.4⌋ = 89, ⌈92⌉ = 92
    expect(niceTicks(0.894, 0.92, 4).ticks).toEqual([0.89, 0.9, 0.91, 0.92]);
    // one value 0.9: widened by 1/20 each side to [0.85, 0.95], raw 0.025 → 0.05
    expect(niceTicks(0.9, 0.9, 4).ticks).toEqual([0.85, 0.9, 0.95]);
    expect(() => niceTicks(1, 0)).toThrow(/niceTicks/);
    expect(() => niceTicks(0, Number.NaN)).toThrow(/niceTicks/);
    fc.assert(
      fc.property(
        fc.double({ min: -1e3, max: 1e3, noNaN: true }),
        fc.double({ min: 0, max: 1e3, noNaN: true }),
        fc.integer({ min: 2, max: 10 }),
        (lo, span, count) => {
          const hi = lo + span;
          const t = niceTicks(lo, hi, count);
          const mantissa = t.step / 10 ** Math.floor(Math.log10(t.step) + 1e-9);
          expect([1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6)).toBe(true);
          expect(t.lo).toBeLessThanOrEqual(lo + 1e-9 * Math.max(1, Math.abs(lo)));
          expect(t.hi).toBeGreaterThanOrEqual(hi - 1e-9 * Math.max(1, Math.abs(hi)));
          expect(t.ticks.length).toBeLessThanOrEqual(count + 3);
          for (let i = 1; i < t.ticks.length; i++) {
            expect(t.ticks[i] - t.ticks[i - 1]).toBeCloseTo(t.step, 6);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("svgChart places the series at hand-computed coordinates", () => {
    // plot area x 64 … 576 (512 px for 2 epochs: 256 px an epoch), y 300 (bottom) … 60 (240 px)
    expect(SVG_LAYOUT).toMatchObject({
      width: 640,
      height: 360,
      left: 64,
      right: 64,
      top: 60,
      bottom: 60,
    });
    const svg = svgChart({
      loss: [
        { x: 0.5, y: 2 },
        { x: 1, y: 1 },
        { x: 2, y: 0.5 },
      ],
      accuracy: [
        { x: 1, y: 0.8 },
        { x: 2, y: 0.9 },
      ],
      epochs: 2,
      title: "loss & <accuracy>",
    });
    const root = parseXml(svg);
    expect(root.name).toBe("svg");
    expect(root.attrs).toMatchObject({ width: "640", height: "360", viewBox: "0 0 640 360" });
    expect(allElements(root).find((e) => e.name === "title")?.text).toBe("loss & <accuracy>");
    // loss axis: niceTicks(0, 2) → step 0.5 (raw 0.4), 0 … 2 → y = 300 − v/2·240
    // x = 64 + 256·epoch: 0.5 → 192, 1 → 320, 2 → 576; loss 2 → 60, 1 → 180, 0.5 → 240
    expect(polyline(root, "series-loss")).toEqual([
      [192, 60],
      [320, 180],
      [576, 240],
    ]);
    // accuracy axis: niceTicks(0.8, 0.9, 4) → step 0.05 (raw 0.025), 0.8 … 0.9 → 0.8 at 300, 0.9 at 60
    expect(polyline(root, "series-accuracy")).toEqual([
      [320, 300],
      [576, 60],
    ]);
    const dots = allElements(root).filter((e) => e.name === "circle" && e.attrs.r === "3.5");
    expect(dots.slice(0, 2).map((c) => [Number(c.attrs.cx), Number(c.attrs.cy)])).toEqual([
      [320, 300],
      [576, 60],
    ]);
    // tick labels: text and position (labels sit 4 px below their tick to centre the digits)
    expect(tickLabels(root, "x-ticks")).toEqual([
      { v: 0, x: 64, y: 319 },
      { v: 1, x: 320, y: 319 },
      { v: 2, x: 576, y: 319 },
    ]);
    expect(tickLabels(root, "loss-ticks").map((t) => [t.v, t.y])).toEqual([
      [0, 304],
      [0.5, 244],
      [1, 184],
      [1.5, 124],
      [2, 64],
    ]);
    const acc = allElements(root).find((e) => e.attrs.class === "accuracy-ticks");
    expect(acc?.children.map((t) => t.text)).toEqual(["0.80", "0.85", "0.90"]);
    const legend = allElements(root).find((e) => e.attrs.class === "legend");
    expect(legend?.children.filter((e) => e.name === "text").map((e) => e.text)).toEqual([
      "training loss",
      "test accuracy",
    ]);
    expect(() => svgChart({ loss: [], accuracy: [], epochs: 0 })).toThrow(/svgChart: epochs/);
  });

  it("svgChart's polylines are the values scaled to the axes its tick labels show (random histories)", () => {
    const arbHistory = fc.integer({ min: 1, max: 12 }).chain((epochs) =>
      fc.record({
        epochs: fc.constant(epochs),
        steps: fc.integer({ min: 1, max: 30 }),
        losses: fc.array(fc.double({ min: 0.01, max: 5, noNaN: true }), {
          minLength: epochs * 30,
          maxLength: epochs * 30,
        }),
        accs: fc.array(fc.double({ min: 0.05, max: 1, noNaN: true }), {
          minLength: epochs,
          maxLength: epochs,
        }),
      }),
    );
    fc.assert(
      fc.property(arbHistory, ({ epochs, steps, losses, accs }) => {
        const loss: Point[] = [];
        for (let i = 0; i < epochs * steps; i++) loss.push({ x: (i + 1) / steps, y: losses[i]! });
        const accuracy = accs.map((y, i) => ({ x: i + 1, y }));
        const root = parseXml(svgChart({ loss, accuracy, epochs }));
        // the axes as the reader sees them: first and last tick label and where they are drawn
        const xs = tickLabels(root, "x-ticks");
        const ls = tickLabels(root, "loss-ticks");
        const as = tickLabels(root, "accuracy-ticks");
        const lin = (v: number, a: { v: number; p: number }, b: { v: number; p: number }) =>
          a.p + ((v - a.v) / (b.v - a.v)) * (b.p - a.p);
        const ends = (t: { v: number; x: number; y: number }[], key: "x" | "y", shift: number) => [
          { v: t[0]!.v, p: t[0]![key] - shift },
          { v: t.at(-1)!.v, p: t.at(-1)![key] - shift },
        ];
        const [x0, x1] = ends(xs, "x", 0);
        const [l0, l1] = ends(ls, "y", 4);
        const [a0, a1] = ends(as, "y", 4);
        // the axes span the plot area: first tick at the bottom / left edge, last at the top / right
        const { width, height, left, right, top, bottom } = SVG_LAYOUT;
        expect([x0!.p, x1!.p]).toEqual([left, width - right]);
        expect([l0!.p, l1!.p, a0!.p, a1!.p]).toEqual([height - bottom, top, height - bottom, top]);
        const lossPts = polyline(root, "series-loss");
        const accPts = polyline(root, "series-accuracy");
        expect(lossPts).toHaveLength(loss.length);
        expect(accPts).toHaveLength(accuracy.length);
        // coordinates are printed with 2 decimals (and tick positions too): within 0.02 px
        loss.forEach((p, i) => {
          expect(Math.abs(lossPts[i]![0]! - lin(p.x, x0!, x1!))).toBeLessThan(0.02);
          expect(Math.abs(lossPts[i]![1]! - lin(p.y, l0!, l1!))).toBeLessThan(0.02);
        });
        accuracy.forEach((p, i) => {
          expect(Math.abs(accPts[i]![0]! - lin(p.x, x0!, x1!))).toBeLessThan(0.02);
          expect(Math.abs(accPts[i]![1]! - lin(p.y, a0!, a1!))).toBeLessThan(0.02);
        });
        // every point inside the plot area
        for (const [x, y] of [...lossPts, ...accPts]) {
          expect(x).toBeGreaterThanOrEqual(left - 0.01);
          expect(x).toBeLessThanOrEqual(width - right + 0.01);
          expect(y).toBeGreaterThanOrEqual(top - 0.01);
          expect(y).toBeLessThanOrEqual(height - bottom + 0.01);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("terminalChart draws the loss, the accuracy per epoch and an epoch axis", () => {
    // 2 epochs of 2 steps: 4 columns (fewer than 60). asciichart scales the 8 rows over the range:
    // loss 2 … 0.5, a row every (2 − 0.5)/8 = 0.1875; accuracy 0.8 … 0.9, a row every 0.025
    const lines = terminalChart({
      loss: [
        { x: 0.5, y: 2 },
        { x: 1, y: 1 },
        { x: 1.5, y: 1 },
        { x: 2, y: 0.5 },
      ],
      accuracy: [
        { x: 1, y: 0.8 },
        { x: 2, y: 0.9 },
      ],
      epochs: 2,
    });
    expect(lines).toEqual([
      "training loss, per step a column:",
      "   2.000 ┼╮   ",
      "   1.813 ┤│   ",
      "   1.625 ┤│   ",
      "   1.438 ┤│   ",
      "   1.250 ┤│   ",
      "   1.063 ┤│   ",
      "   0.875 ┤╰─╮ ",
      "   0.688 ┤  │ ",
      "   0.500 ┤  ╰ ",
      "test accuracy (after each epoch):",
      "  0.9000 ┤ ╭─ ",
      "  0.8750 ┤ │  ",
      "  0.8500 ┤ │  ",
      "  0.8250 ┤ │  ",
      "  0.8000 ┼─╯  ",
      "         └┴─┴",
      "   epoch  1 2",
    ]);
    // one epoch: a one-value accuracy chart still labels its row with the value
    const one = terminalChart({
      loss: [
        { x: 0.5, y: 1 },
        { x: 1, y: 0.5 },
      ],
      accuracy: [{ x: 1, y: 0.894 }],
      epochs: 1,
    });
    expect(one.some((l) => l.startsWith("  0.8940 ┼"))).toBe(true);
    // a long run in 60 columns: 60 columns, a ┴ per epoch, and nothing when there is no loss
    const loss: Point[] = [];
    for (let i = 1; i <= 750; i++) loss.push({ x: i / 250, y: 2 / Math.sqrt(i) });
    const long = terminalChart({ loss, accuracy: [], epochs: 3 });
    expect(long[0]).toBe("training loss, mean of ≈ 12.5 steps a column:");
    expect(long.at(-2)).toMatch(/^ {9}└─+┴─+┴─+┴$/);
    expect(long.at(-2)?.length).toBe(9 + 60);
    expect(long.some((l) => l.startsWith("test accuracy"))).toBe(false);
    expect(terminalChart({ loss: [], accuracy: [], epochs: 1 })).toEqual([]);
    // stopped 40 % into epoch 2: only epoch 1 is marked, and the accuracy stops at its end
    const stopped = terminalChart({
      loss: loss.slice(0, 350),
      accuracy: [{ x: 1, y: 0.9 }],
      epochs: 2,
    });
    expect(stopped.at(-2)).toMatch(/^ {9}└─+┴─+$/);
    expect(stopped.at(-1)).toMatch(/^ {3}epoch +1$/);
    // 350 steps in 60 columns: columns 0–42 hold epoch 1 (mean x ≤ 1), the accuracy stops there
    const accRow = stopped.find((l) => l.startsWith("  0.9000"));
    expect(accRow?.trimEnd()).toBe(`  0.9000 ┼${"─".repeat(42)}`);
  });
});
