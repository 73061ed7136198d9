import { ArgumentError, clip, DTypeError, memory, ShapeError, tensor, tidy } from "@edgenn/tensor";
import { arbTensorData, expectClose, expectGrad } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/** ONNX Clip on one element: min(max(x, lo), hi); a missing bound is ∓∞. */
function refClip(x: number, lo = -Infinity, hi = Infinity): number {
  return Math.min(Math.max(x, lo), hi);
}

describe("clip", () => {
  it("limits to [min, max] (golden)", () => {
    tidy(() => {
      // clip([−2, 0.5, 3], 0, 1) = [0, 0.5, 1]
      expect(clip(tensor([-2, 0.5, 3]), 0, 1).toArray()).toEqual([0, 0.5, 1]);
      // one-sided: clip(x, undefined, 1) = min(x, 1); clip(x, 0) = max(x, 0)
      expect(clip(tensor([-2, 0.5, 3]), undefined, 1).toArray()).toEqual([-2, 0.5, 1]);
      expect(clip(tensor([-2, 0.5, 3]), 0).toArray()).toEqual([0, 0.5, 3]);
      // scalar-tensor bounds (rank 0 or one element)
      expect(clip(tensor([-2, 0.5, 3]), tensor(-1), tensor([2])).toArray()).toEqual([-1, 0.5, 2]);
      // a number input gives a scalar
      expect(clip(5, 0, 1).toArray()).toBe(1);
    });
  });

  it("sets every element to max when min > max (ONNX)", () => {
    tidy(() => {
      // min(max(x, 2), 1) = 1 for every x
      expect(clip(tensor([-2, 0.5, 1.5, 3]), 2, 1).toArray()).toEqual([1, 1, 1, 1]);
    });
  });

  it("keeps NaN elements and infinite bounds", () => {
    tidy(() => {
      expectClose(clip(tensor([Number.NaN, 5, -5]), -1, 1), [Number.NaN, 1, -1]);
      expect(clip(tensor([-1e30, 1e30]), -Infinity, Infinity).toArray()).toEqual(
        [-1e30, 1e30].map(Math.fround),
      );
    });
  });

  it("returns a new tensor even with no bounds", () => {
    tidy(() => {
      const x = tensor([1, 2]);
      const y = clip(x);
      expect(y).not.toBe(x);
      expect(y.toArray()).toEqual([1, 2]);
      y.dispose();
      expect(x.toArray()).toEqual([1, 2]);
    });
  });

  it("clips integer tensors; out-of-range and infinite bounds saturate to the dtype", () => {
    tidy(() => {
      const x = tensor([-100, -3, 0, 7, 120], { dtype: "int8" });
      const y = clip(x, -5, 5);
      expect(y.dtype).toBe("int8");
      expect(y.toArray()).toEqual([-5, -3, 0, 5, 5]);
      expect(clip(x, -1000, 1000).toArray()).toEqual([-100, -3, 0, 7, 120]);
      expect(clip(x, -Infinity, 6).toArray()).toEqual([-100, -3, 0, 6, 6]);
      expect(clip(x, 200).toArray()).toEqual([127, 127, 127, 127, 127]);
      const i = tensor([-7, 2, 9], { dtype: "int32" });
      expect(clip(i, tensor(0, { dtype: "int32" }), 4).toArray()).toEqual([0, 2, 4]);
      expect(clip(tensor([0, 200], { dtype: "uint8" }), 10, 100).toArray()).toEqual([10, 100]);
    });
  });

  fcTest.prop(
    [
      arbTensorData({ maxRank: 3, min: -10, max: 10 }),
      fc.option(fc.integer({ min: -8, max: 8 }), { nil: undefined }),
      fc.option(fc.integer({ min: -8, max: 8 }), { nil: undefined }),
    ],
    { numRuns: 50 },
  )("matches min(max(x, lo), hi), also for lo > hi", ({ shape, data }, lo, hi) => {
    tidy(() => {
      const y = clip(tensor(data, { shape }), lo, hi);
      expect(y.shape).toEqual(shape);
      expectClose(
        y,
        data.map((v) => refClip(Math.fround(v), lo, hi)),
        { rtol: 0, atol: 0 },
      );
      const yi = clip(tensor(data.map(Math.round), { shape, dtype: "int32" }), lo, hi);
      expect(Array.from(yi.dataSync())).toEqual(
        data.map((v) => refClip(Math.round(v), lo, hi) + 0),
      );
    });
  });

  it("passes the gradient inside [min, max] only, and to tensor bounds outside", () => {
    tidy(() => {
      const w = tensor([1, 2, 3, 4, 5]);
      // d/dx = w where −1 < x < 1 → [0, 2, 3, 0, 0]
      expectGrad((x) => clip(x!, -1, 1).mul(w).sum(), [tensor([-2, -0.5, 0.7, 1.5, 3])]);
      // d/dmin = Σ w where x < min = 1; d/dmax = Σ w where x > max = 4 + 5
      expectGrad(
        (x, lo, hi) => clip(x!, lo!, hi!).mul(w).sum(),
        [tensor([-2, -0.5, 0.7, 1.5, 3]), tensor(-1), tensor(1)],
      );
      // min > max: the result is max everywhere, so only max gets a gradient
      expectGrad(
        (x, lo, hi) => clip(x!, lo!, hi!).mul(w).sum(),
        [tensor([-2, -0.5, 0.7, 1.5, 3]), tensor(2), tensor(1)],
      );
    });
  });

  it("frees its intermediates", () => {
    const x = tensor([-2, 0.5, 3]);
    const before = memory().tensors;
    const y = clip(x, tensor([-1]), 1);
    expect(memory().tensors).toBe(before + 2); // y and the bound tensor the test made
    y.dispose();
    x.dispose();
  });

  it("rejects bad inputs with typed errors naming clip", () => {
    tidy(() => {
      const x = tensor([1, 2]);
      expect(() => clip(tensor([true]), 0, 1)).toThrow(DTypeError);
      expect(() => clip(tensor([true]), 0, 1)).toThrow(/^clip: x has dtype bool/);
      expect(() => clip(x, Number.NaN)).toThrow(ArgumentError);
      expect(() => clip(x, 0, Number.NaN)).toThrow(/^clip: max must be a number \(got NaN\)/);
      expect(() => clip(tensor([1], { dtype: "int32" }), 0.5)).toThrow(
        /^clip: min must be an integer for a int32 input \(got 0.5\)/,
      );
      expect(() => clip(x, tensor([0, 1]))).toThrow(ShapeError);
      expect(() => clip(x, tensor([0, 1]))).toThrow(/^clip: min must be a scalar/);
      expect(() => clip(x, tensor(0, { dtype: "int32" }))).toThrow(DTypeError);
      expect(() => clip(x, undefined, tensor(0, { dtype: "int32" }))).toThrow(
        /^clip: max has dtype int32 \(expected x's dtype float32/,
      );
      expect(() => clip(x, "0" as never)).toThrow(ArgumentError);
      expect(() => clip(x, null as never)).toThrow(/^clip: min must be a number, a scalar Tensor/);
    });
  });
});
