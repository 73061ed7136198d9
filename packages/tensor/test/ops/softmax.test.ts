import { DTypeError, memory, ShapeError, softmax, tensor, tidy } from "@edgenn/tensor";
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

/** Softmax along `axis` in float64: a naive loop over every slice, shifted by its max. */
function refSoftmax(x: readonly number[], shape: readonly number[], axis: number): number[] {
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
    for (let k = 0; k < n; k++) out[at(k)] = Math.exp(x[at(k)]! - m) / s;
  }
  return out;
}

describe("softmax", () => {
  it("gives the golden values", () => {
    tidy(() => {
      // softmax([1,2,3]) = e^x/Σe^x = [0.0900306, 0.2447285, 0.6652410]
      expectClose(
        softmax(tensor([1, 2, 3])),
        [0.09003057317038046, 0.24472847105479764, 0.6652409557748219],
        {
          rtol: 1e-6,
          atol: 0,
        },
      );
      // along axis 0 of [[0, 0], [ln 3, 0]]: columns [1/4, 3/4] and [1/2, 1/2]
      expectClose(
        softmax(
          tensor([
            [0, 0],
            [Math.log(3), 0],
          ]),
          0,
        ),
        [0.25, 0.5, 0.75, 0.5],
        { rtol: 1e-6, atol: 0 },
      );
    });
  });

  it("is exact for constant inputs and stays finite at ±1e4, ±100, ±88", () => {
    tidy(() => {
      expectClose(softmax(tensor([5, 5, 5, 5])), [0.25, 0.25, 0.25, 0.25], { rtol: 0, atol: 0 });
      expectClose(softmax(tensor([-1e4, -1e4])), [0.5, 0.5], { rtol: 0, atol: 0 });
      const rows = [
        [1e4, -1e4, 0],
        [1e4, 1e4 - 1, 1e4 - 2],
        [-1e4, -1e4 + 1, -1e4 + 2],
        [88, 100, -100],
        [-88, -100, 100],
        [89, 90, 91],
      ];
      const y = softmax(tensor(rows));
      for (const v of y.dataSync()) expect(Number.isFinite(v)).toBe(true);
      expectClose(y, refSoftmax(rows.flat(), [6, 3], 1), { rtol: 2e-6, atol: 1e-30 });
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
      const y = softmax(tensor(data, { shape }), axis);
      expect(y.shape).toEqual(shape);
      expectClose(y, refSoftmax(data.map(Math.fround), shape, ax), { rtol: 2e-6, atol: 1e-12 });
    });
  });

  it("works on a transposed view and on empty tensors", () => {
    tidy(() => {
      const x = tensor([
        [1, 2],
        [3, 5],
      ]);
      // x.T = [[1, 3], [2, 5]], softmax along rows
      expectClose(softmax(x.transpose()), refSoftmax([1, 3, 2, 5], [2, 2], 1), {
        rtol: 1e-6,
        atol: 0,
      });
      expect(softmax(tensor([], { shape: [0] })).shape).toEqual([0]);
      expect(softmax(tensor([], { shape: [2, 0] }), 0).shape).toEqual([2, 0]);
    });
  });

  it("matches central differences along either axis", () => {
    tidy(() => {
      const w = tensor([
        [1, -2, 0.5],
        [3, 0.25, -1],
      ]);
      const x = tensor([
        [0.1, -0.5, 1.2],
        [2, 0.3, -1],
      ]);
      expectGrad((a) => softmax(a!).mul(w).sum(), [x]);
      expectGrad((a) => softmax(a!, 0).mul(w).sum(), [x]);
      // the rule, not a composed chain, handles huge logits: y = [1, 0, 0] ⇒ dy/dx ≈ 0
      expectGrad(
        (a) =>
          softmax(a!)
            .mul(tensor([1, -2, 3]))
            .sum(),
        [tensor([1e4, 1e4 - 1, -1e4])],
      );
      expectGrad(
        (a) =>
          softmax(a!)
            .mul(tensor([1, -2, 3]))
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
    const y = softmax(x);
    expect(memory().tensors).toBe(before + 1);
    y.dispose();
    x.dispose();
  });

  it("rejects bad inputs with typed errors naming softmax", () => {
    tidy(() => {
      const x = tensor([
        [1, 2],
        [3, 4],
      ]);
      expect(() => softmax(tensor([1], { dtype: "int32" }))).toThrow(DTypeError);
      expect(() => softmax(tensor([1], { dtype: "int32" }))).toThrow(
        /^softmax: x has dtype int32 \(expected float32/,
      );
      expect(() => softmax(x, 2)).toThrow(ShapeError);
      expect(() => softmax(x, -3)).toThrow(
        /^softmax: axis out of range \(expected an integer in \[-2, 1\], got -3\)/,
      );
      expect(() => softmax(x, 0.5)).toThrow(/^softmax: axis out of range/);
      expect(() => softmax(tensor(1))).toThrow(/^softmax: x must have rank ≥ 1 \(got shape \[\]\)/);
      expect(() => softmax([1, 2] as never)).toThrow(/^softmax: x must be a Tensor/);
    });
  });
});
