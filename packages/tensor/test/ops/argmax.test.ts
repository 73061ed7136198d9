import { valueAndGrad } from "@edgenn/autograd";
import {
  ArgumentError,
  argmax,
  cast,
  mul,
  ShapeError,
  sum,
  tensor,
  tidy,
  zeros,
} from "@edgenn/tensor";
import { arbTensorData, expectClose, ravel, size, unravel } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/** Naive argmax along `axis`: the first index of the largest value. */
function refArgmax(data: readonly number[], shape: readonly number[], axis: number): number[] {
  const outShape = shape.filter((_, i) => i !== axis);
  const out: number[] = [];
  for (let o = 0; o < size(outShape); o++) {
    const idx = unravel(o, outShape);
    let best = 0;
    let bestV = -Infinity;
    for (let k = 0; k < shape[axis]!; k++) {
      const full = [...idx.slice(0, axis), k, ...idx.slice(axis)];
      const v = data[ravel(full, shape)]!;
      if (v > bestV) {
        bestV = v;
        best = k;
      }
    }
    out.push(best);
  }
  return out;
}

describe("argmax", () => {
  it("returns the first index of the largest value (golden)", () => {
    const x = tensor([
      [1, 5, 5],
      [7, 2, 7],
    ]);
    // rows: [1,5,5] → first 5 at 1; [7,2,7] → first 7 at 0
    const r = argmax(x, 1);
    expect(r.dtype).toBe("int32");
    expect(r.toArray()).toEqual([1, 0]);
    // columns: [1,7]→1, [5,2]→0, [5,7]→1
    expect(argmax(x, 0).toArray()).toEqual([1, 0, 1]);
    expect(argmax(x, -1, true).toArray()).toEqual([[1], [0]]);
    expect(argmax(tensor([3, 9, -1], { dtype: "int8" }), 0).item()).toBe(1);
    expect(argmax(tensor([false, true, true]), 0).item()).toBe(1);
    // NaN counts as the largest
    expect(argmax(tensor([1, Number.NaN, 3]), 0).item()).toBe(1);
  });

  fcTest.prop(
    [
      arbTensorData({ minRank: 1, maxRank: 4, maxDim: 4 }).chain(({ shape, data }) =>
        fc.tuple(
          fc.constant(shape),
          // few distinct values, so ties are common
          fc.constant(data.map((v) => Math.round(v))),
          fc.integer({ min: 0, max: shape.length - 1 }),
        ),
      ),
    ],
    { numRuns: 60 },
  )("matches a naive first-index loop", ([shape, data, axis]) => {
    tidy(() => {
      const y = argmax(tensor(data, { shape }), axis);
      expect(y.shape).toEqual(shape.filter((_, i) => i !== axis));
      expectClose(y, refArgmax(data, shape, axis), { rtol: 0, atol: 0 });
    });
  });

  it("is not differentiable: no gradient flows through it", () => {
    const x = tensor([1, 3, 2]);
    const { grads } = valueAndGrad(() => sum(mul(x, cast(argmax(x, 0), "float32"))), [x]);
    // d Σ x·k = k (k = argmax = 1, a constant)
    expectClose(grads[0]!, [1, 1, 1]);
  });

  it("rejects missing or bad axes, empty dims and a bad keepDims", () => {
    const x = tensor([[1, 2]]);
    expect(() => argmax(x, undefined as unknown as number)).toThrow(ArgumentError);
    expect(() => argmax(x, 1.5)).toThrow(/argmax: axis must be an integer/);
    expect(() => argmax(x, 2)).toThrow(ShapeError);
    expect(() => argmax(x, 2)).toThrow(/argmax: axis out of range/);
    expect(() => argmax(tensor(3), 0)).toThrow(ShapeError);
    expect(() => argmax(zeros([2, 0]), 1)).toThrow(/argmax: cannot reduce an empty dim/);
    expect(() => argmax(x, 0, "no" as unknown as boolean)).toThrow(ArgumentError);
  });
});
