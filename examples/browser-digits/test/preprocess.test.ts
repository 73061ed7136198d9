import { readFileSync } from "node:fs";
import { loadModel } from "@edgenn/runtime";
import { int8Ops } from "@edgenn/runtime/ops";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { argmax, inkBox, preprocess, softmax } from "../src/preprocess";
import { testDigits } from "./digits";

/** A width × height drawing with ink 1 in the rectangle [x0, x1) × [y0, y1). */
function rect(width: number, height: number, x0: number, y0: number, x1: number, y1: number) {
  const ink = new Float32Array(width * height);
  for (let y = y0; y < y1; y++) ink.fill(1, y * width + x0, y * width + x1);
  return ink;
}

/** The box of the nonzero values of a 28 × 28 image, and its centre of mass in pixel indices. */
function stats(x: Float32Array) {
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < 784; i++) {
    mass += x[i]!;
    mx += x[i]! * (i % 28);
    my += x[i]! * Math.floor(i / 28);
  }
  return { box: inkBox(x, 28, 28, 0), cx: mx / mass, cy: my / mass };
}

describe("preprocess", () => {
  it("scales a box of ink to 20 pixels on its long side and centres it on (14, 14)", () => {
    // a 100 × 50 block on a 280 × 280 pad → 20 × 10 of ones; centre of mass (9.5, 4.5) in the
    // patch, shifted by round(14 − 9.5) = 5 (ties round up) and round(14 − 4.5) = 10:
    // columns 5 … 24, rows 10 … 19
    const x = preprocess(rect(280, 280, 30, 200, 130, 250), 280, 280)!;
    expect(inkBox(x, 28, 28, 0)).toEqual({ x0: 5, y0: 10, x1: 25, y1: 20 });
    expect(Array.from(new Set(x)).sort()).toEqual([0, 1]);
  });

  it("averages areas: a one-pixel line on a 40-pixel-high drawing becomes a half-ink line", () => {
    // a vertical 2 × 40 bar: long side 40 → 20 (s = 1/2), short side round(20 · 2 / 40) = 1; each
    // output pixel covers 2 × 2 source pixels, all ink → 1. A 1 × 40 bar beside a 40 × 1 bar (an L)
    // covers half of each output pixel on its stroke → 0.5 before normalisation, 1 after.
    const bar = preprocess(rect(100, 100, 10, 10, 12, 50), 100, 100)!;
    expect(inkBox(bar, 28, 28, 0)).toEqual({ x0: 14, y0: 5, x1: 15, y1: 25 });
    const ink = rect(100, 100, 10, 10, 11, 50);
    ink.fill(1, 49 * 100 + 10, 49 * 100 + 50); // the foot of the L: row 49, columns 10 … 49
    const l = preprocess(ink, 100, 100)!;
    // the corner pixel holds 3 of its 4 source pixels (0.75), the others 2 of 4 (0.5); ÷ 0.75
    expect(Math.max(...l)).toBe(1);
    expect(Array.from(new Set(l)).sort()).toEqual([0, Math.fround(0.5 / 0.75), 1]);
  });

  it("returns null for an empty or a faint drawing", () => {
    expect(preprocess(new Float32Array(100), 10, 10)).toBeNull();
    expect(preprocess(new Float32Array(100).fill(0.05), 10, 10)).toBeNull();
  });

  it("rejects ink of the wrong length", () => {
    expect(() => preprocess(new Float32Array(99), 10, 10)).toThrow(
      /^preprocess: ink holds 99 values \(expected width · height = 100\)$/,
    );
  });

  it("is invariant to where the drawing is and to integer zoom (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 1 << 30 }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 2, max: 4 }),
        (w, h, bits, ox, oy, zoom) => {
          // a random binary w × h shape with its corners set (so that its box is w × h), placed at
          // (ox, oy) on a 40 × 40 pad, and the same shape zoomed `zoom` times
          const on = (x: number, y: number) =>
            ((x === 0 || x === w - 1) && (y === 0 || y === h - 1)) ||
            ((bits >>> ((x * 7 + y * 3) % 30)) & 1) === 1;
          const a = new Float32Array(40 * 40);
          const b = new Float32Array(160 * 160);
          for (let y = 0; y < h; y++)
            for (let x = 0; x < w; x++) {
              if (!on(x, y)) continue;
              a[(y + oy) * 40 + x + ox] = 1;
              for (let dy = 0; dy < zoom; dy++)
                b.fill(1, (y * zoom + dy) * 160 + x * zoom, (y * zoom + dy) * 160 + (x + 1) * zoom);
            }
          const pa = preprocess(a, 40, 40)!;
          // the same shape in the top left corner: exactly the same input
          const corner = new Float32Array(40 * 40);
          for (let y = 0; y < h; y++)
            corner.set(a.subarray((y + oy) * 40 + ox, (y + oy) * 40 + ox + w), y * 40);
          expect(preprocess(corner, 40, 40)).toEqual(pa);
          // zoomed: the same patch, up to float rounding, which may tip the rounding of the
          // centring shift when the centre of mass falls half-way between pixels
          const pb = preprocess(b, 160, 160)!;
          const [ba, bb] = [inkBox(pa, 28, 28, 0)!, inkBox(pb, 28, 28, 0)!];
          const [dx, dy] = [bb.x0 - ba.x0, bb.y0 - ba.y0];
          expect(Math.abs(dx)).toBeLessThanOrEqual(1);
          expect(Math.abs(dy)).toBeLessThanOrEqual(1);
          let diff = 0;
          for (let y = 0; y < 28; y++)
            for (let x = 0; x < 28; x++) {
              const inside = x + dx >= 0 && x + dx < 28 && y + dy >= 0 && y + dy < 28;
              const v = inside ? pb[(y + dy) * 28 + x + dx]! : 0;
              diff = Math.max(diff, Math.abs(v - pa[y * 28 + x]!));
            }
          expect(diff).toBeLessThan(1e-5);
          // the box is at most 20 × 20, the long side exactly 20, the centre of mass within half a
          // pixel of (14, 14) unless the shift pushed ink off the field
          const { box, cx, cy } = stats(pa);
          const bw = box!.x1 - box!.x0;
          const bh = box!.y1 - box!.y0;
          expect(Math.max(bw, bh)).toBe(20);
          if (box!.x0 > 0 && box!.x1 < 28) expect(Math.abs(cx - 14)).toBeLessThanOrEqual(0.5);
          if (box!.y0 > 0 && box!.y1 < 28) expect(Math.abs(cy - 14)).toBeLessThanOrEqual(0.5);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("keeps the int8 model's accuracy on the MNIST test digits (0.9195 raw → 0.919)", () => {
    const bytes = readFileSync(
      new URL("../../mnist-node/models/mnist-mlp-int8.edgenn", import.meta.url),
    );
    const session = loadModel(new Uint8Array(bytes), { batchSize: 1, ops: [int8Ops] });
    const digits = testDigits();
    let raw = 0;
    let pre = 0;
    for (const d of digits) {
      if (argmax(session.run(d.pixels).data) === d.label) raw++;
      if (argmax(session.run(preprocess(d.pixels, 28, 28)!).data) === d.label) pre++;
    }
    // measured with the committed model: 0.9195 and 0.919
    expect(raw / digits.length).toBeGreaterThanOrEqual(0.91);
    expect(pre / digits.length).toBeGreaterThanOrEqual(raw / digits.length - 0.005);
  }, 30_000);
});

describe("softmax and argmax", () => {
  it("softmax([0, ln 3]) = [1/4, 3/4], stable for large logits; argmax takes the first maximum", () => {
    const p = softmax([0, Math.log(3)]);
    expect(p[0]).toBeCloseTo(0.25, 12);
    expect(p[1]).toBeCloseTo(0.75, 12);
    // e^1000 overflows; subtracting the max gives [e^−1/(1+e^−1), 1/(1+e^−1)] = [0.2689, 0.7311]
    const q = softmax([999, 1000]);
    expect(q[0]).toBeCloseTo(0.26894142, 8);
    expect(argmax([1, 3, 3, 2])).toBe(1);
  });
});
