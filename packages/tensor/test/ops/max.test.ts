import { valueAndGrad } from "@edgenn/autograd";
import { DTypeError, max, ShapeError, tensor, tidy, zeros } from "@edgenn/tensor";
import { arbTensorData, expectClose, expectGrad, refReduce } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const arbReduction = arbTensorData({ minRank: 1, maxRank: 4, maxDim: 4 }).chain(({ shape, data }) =>
  fc.tuple(
    fc.constant(shape),
    fc.constant(data),
    fc.option(fc.subarray(shape.map((_, i) => i)), { nil: undefined }),
    fc.boolean(),
  ),
);

describe("max", () => {
  it("takes the largest element (golden)", () => {
    const x = tensor([
      [1, 7, 3],
      [4, -5, 6],
    ]);
    expect(max(x).item()).toBe(7);
    // columns: [max(1,4), max(7,-5), max(3,6)] = [4, 7, 6]
    expect(max(x, 0).toArray()).toEqual([4, 7, 6]);
    expect(max(x, 1, true).toArray()).toEqual([[7], [6]]);
    // integer dtypes keep their dtype
    const i = max(tensor([-3, 100, 5], { dtype: "int8" }));
    expect(i.dtype).toBe("int8");
    expect(i.item()).toBe(100);
    expect(max(tensor([0, 255, 7], { dtype: "uint8" })).item()).toBe(255);
    // NaN wins (ONNX/NumPy)
    expect(max(tensor([1, Number.NaN, 3])).item()).toBeNaN();
    expect(max(tensor([Number.NEGATIVE_INFINITY, -1e30])).item()).toBeCloseTo(-1e30, -25);
  });

  fcTest.prop([arbReduction], { numRuns: 60 })(
    "matches a naive reduction loop",
    ([shape, data, axes, keepDims]) => {
      tidy(() => {
        const ax = axes ?? shape.map((_, i) => i);
        const expected = refReduce(data, shape, ax, keepDims, -Infinity, Math.max);
        const y = max(tensor(data, { shape }), axes, keepDims);
        expect(y.shape).toEqual(expected.shape);
        expectClose(y, expected.data, { rtol: 0, atol: 0 });
      });
    },
  );

  it("has the right gradient away from ties", () => {
    expectGrad(
      (x) =>
        max(x!, 1)
          .mul(tensor([1, -2]))
          .sum(),
      [
        tensor([
          [0.1, 0.9, 0.3],
          [0.4, 0.5, 1.6],
        ]),
      ],
    );
    expectGrad(
      (x) => max(x!).mul(2),
      [
        tensor([
          [1, 2.5],
          [-3, 0.5],
        ]),
      ],
    );
  });

  it("splits the gradient evenly over tied maxima", () => {
    const x = tensor([
      [1, 3, 3],
      [5, 5, 5],
    ]);
    const { grads } = valueAndGrad(() => max(x, 1).sum(), [x]);
    // row 0: two maxima → ½ each; row 1: three → ⅓ each
    expectClose(grads[0]!, [0, 0.5, 0.5, 1 / 3, 1 / 3, 1 / 3]);
    const { grads: all } = valueAndGrad(() => max(x), [x]);
    expectClose(all[0]!, [0, 0, 0, 1 / 3, 1 / 3, 1 / 3]);
  });

  it("rejects bool, empty dims and bad axes", () => {
    expect(() => max(tensor([true, false]))).toThrow(DTypeError);
    expect(() => max(tensor([true, false]))).toThrow(/max: x has dtype bool/);
    expect(() => max(zeros([2, 0]), 1)).toThrow(ShapeError);
    expect(() => max(zeros([2, 0]), 1)).toThrow(/max: cannot reduce an empty dim/);
    expect(() => max(tensor([1, 2]), 3)).toThrow(/max: axis out of range/);
  });
});
