import { DTypeError, logSoftmax, memory, ShapeError, tensor, tidy } from "@edgenn/tensor";
import {
  arbShape,
  arbValues,
  expectClose,
  expectGrad,
  ravel,
  size,
  unravel,
} from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/** logSoftmax along `axis` in float64: x − m − ln Σ e^(x − m) per slice, by a naive loop. */
function refLogSoftmax(x: readonly number[], shape: readonly number[], axis: number): number[] {
  const out = new Array<number>(x.length);
  const n = shape[axis]!;
  for (let i = 0; i < x.length; i++) {
    const idx = unravel(i, shape);
    if (idx[axis] !== 0) continue;
    const at = (k: number) =>
      ravel(
        idx.map((v, d) => (d === axis ? k : v)),
        shape,
      );
    let m = -Infinity;
    for (let k = 0; k < n; k++) m = Math.max(m, x[at(k)]!);
    let s = 0;
    for (let k = 0; k < n; k++) s += Math.exp(x[at(k)]! - m);
    for (let k = 0; k < n; k++) out[at(k)] = x[at(k)]! - m - Math.log(s);
  }
  return out;
}

describe("logSoftmax", () => {
  it("gives the golden values", () => {
    tidy(() => {
      // logSoftmax([1,2,3]) = x − ln(e + e² + e³) = x − 3.4076059 = [−2.4076059, −1.4076059, −0.4076059]
      expectClose(
        logSoftmax(tensor([1, 2, 3])),
        [-2.4076059644443806, -1.4076059644443806, -0.4076059644443803],
        {
          rtol: 1e-6,
          atol: 0,
        },
      );
      // along axis 0 of [[0, 0], [ln 3, 0]]: columns [ln ¼, ln ¾] and [ln ½, ln ½]
      expectClose(
        logSoftmax(
          tensor([
            [0, 0],
            [Math.log(3), 0],
          ]),
          0,
        ),
        [Math.log(0.25), Math.log(0.5), Math.log(0.75), Math.log(0.5)],
        { rtol: 1e-6, atol: 0 },
      );
    });
  });

  it("stays finite and exact where softmax underflows (±1e4, ±100, ±88), and for constants", () => {
    tidy(() => {
      // [0, −1e4]: ln Σ = ln(1 + e^−1e4) = 0 ⇒ [0, −1e4] (log(softmax) would give −∞)
      expectClose(logSoftmax(tensor([0, -1e4])), [0, -1e4], { rtol: 0, atol: 0 });
      expectClose(
        logSoftmax(tensor([3, 3, 3, 3])),
        [-Math.log(4), -Math.log(4), -Math.log(4), -Math.log(4)],
        {
          rtol: 1e-7,
          atol: 0,
        },
      );
      const rows = [
        [1e4, -1e4, 0],
        [1e4, 1e4 - 1, 1e4 - 2],
        [-1e4, -1e4 + 1, -1e4 + 2],
        [88, 100, -100],
        [-88, -100, 100],
        [89, 90, 91],
      ];
      const y = logSoftmax(tensor(rows));
      for (const v of y.dataSync()) expect(Number.isFinite(v)).toBe(true);
      expectClose(y, refLogSoftmax(rows.flat(), [6, 3], 1), { rtol: 1e-6, atol: 1e-6 });
    });
  });

  fcTest.prop(
    [
      arbShape({ minRank: 1, maxRank: 3, maxDim: 4 }).chain((shape) =>
        fc.tuple(
          fc.constant(shape),
          arbValues(size(shape), { min: -30, max: 30 }),
          fc.integer({ min: -shape.length, max: shape.length - 1 }),
        ),
      ),
    ],
    { numRuns: 50 },
  )("matches a naive per-slice loop along any axis", ([shape, data, axis]) => {
    tidy(() => {
      const ax = axis < 0 ? axis + shape.length : axis;
      const y = logSoftmax(tensor(data, { shape }), axis);
      expect(y.shape).toEqual(shape);
      // |y| ≤ 60 here: a few float32 ulps of x − m
      expectClose(y, refLogSoftmax(data.map(Math.fround), shape, ax), { rtol: 1e-6, atol: 2e-6 });
    });
  });

  it("handles empty tensors", () => {
    tidy(() => {
      expect(logSoftmax(tensor([], { shape: [0] })).shape).toEqual([0]);
      expect(logSoftmax(tensor([], { shape: [0, 3] }), 1).shape).toEqual([0, 3]);
    });
  });

  it("matches central differences along either axis, also for huge logits", () => {
    tidy(() => {
      const w = tensor([
        [1, -2, 0.5],
        [3, 0.25, -1],
      ]);
      const x = tensor([
        [0.1, -0.5, 1.2],
        [2, 0.3, -1],
      ]);
      expectGrad((a) => logSoftmax(a!).mul(w).sum(), [x]);
      expectGrad((a) => logSoftmax(a!, 0).mul(w).sum(), [x]);
      // dx = dy − softmax(x)·Σdy: for [1e4, 1e4 − 1, −1e4] with dy = [1, 0, 0] that is ≈ [0.27, −0.27, 0]
      expectGrad(
        (a) =>
          logSoftmax(a!)
            .mul(tensor([1, 0, 0]))
            .sum(),
        [tensor([1e4, 1e4 - 1, -1e4])],
      );
      expectGrad(
        (a) =>
          logSoftmax(a!)
            .mul(tensor([0, 0, 1]))
            .sum(),
        [tensor([-100, -99.5, -88])],
      );
    });
  });

  it("frees its intermediates", () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    const before = memory().tensors;
    const y = logSoftmax(x, 0);
    expect(memory().tensors).toBe(before + 1);
    y.dispose();
    x.dispose();
  });

  it("rejects bad inputs with typed errors naming logSoftmax", () => {
    tidy(() => {
      const x = tensor([1, 2, 3]);
      expect(() => logSoftmax(tensor([true]))).toThrow(DTypeError);
      expect(() => logSoftmax(tensor([true]))).toThrow(
        /^logSoftmax: x has dtype bool \(expected float32/,
      );
      expect(() => logSoftmax(x, 1)).toThrow(ShapeError);
      expect(() => logSoftmax(x, 1)).toThrow(/^logSoftmax: axis out of range/);
      expect(() => logSoftmax(x, Number.NaN)).toThrow(/^logSoftmax: axis out of range/);
      expect(() => logSoftmax(tensor(2))).toThrow(/^logSoftmax: x must have rank ≥ 1/);
    });
  });
});
