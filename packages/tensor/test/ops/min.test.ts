import { valueAndGrad } from "@edgenn/autograd";
import { DTypeError, min, ShapeError, tensor, tidy, zeros } from "@edgenn/tensor";
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

describe("min", () => {
  it("takes the smallest element (golden)", () => {
    const x = tensor([
      [1, 7, 3],
      [4, -5, 6],
    ]);
    expect(min(x).item()).toBe(-5);
    // columns: [min(1,4), min(7,-5), min(3,6)] = [1, -5, 3]
    expect(min(x, 0).toArray()).toEqual([1, -5, 3]);
    expect(min(x, -1, true).toArray()).toEqual([[1], [-5]]);
    const i = min(tensor([-3, 100, -128], { dtype: "int8" }));
    expect(i.dtype).toBe("int8");
    expect(i.item()).toBe(-128);
    expect(min(tensor([7, 2147483647, -2147483648], { dtype: "int32" })).item()).toBe(-2147483648);
    // NaN wins (ONNX/NumPy)
    expect(min(tensor([1, Number.NaN, 3])).item()).toBeNaN();
  });

  fcTest.prop([arbReduction], { numRuns: 60 })(
    "matches a naive reduction loop",
    ([shape, data, axes, keepDims]) => {
      tidy(() => {
        const ax = axes ?? shape.map((_, i) => i);
        const expected = refReduce(data, shape, ax, keepDims, Infinity, Math.min);
        const y = min(tensor(data, { shape }), axes, keepDims);
        expect(y.shape).toEqual(expected.shape);
        expectClose(y, expected.data, { rtol: 0, atol: 0 });
      });
    },
  );

  it("has the right gradient away from ties", () => {
    expectGrad(
      (x) =>
        min(x!, 0)
          .mul(tensor([1, -2, 3]))
          .sum(),
      [
        tensor([
          [0.1, 0.9, 0.3],
          [0.4, 0.5, -1.6],
        ]),
      ],
    );
    expectGrad(
      (x) => min(x!).mul(2),
      [
        tensor([
          [1, 2.5],
          [-3, 0.5],
        ]),
      ],
    );
  });

  it("splits the gradient evenly over tied minima", () => {
    const x = tensor([
      [1, 1, 3],
      [-2, 0, -2],
    ]);
    const { grads } = valueAndGrad(
      () =>
        min(x, 1)
          .mul(tensor([1, 4]))
          .sum(),
      [x],
    );
    // row 0: minima at 0,1 → ½ each; row 1: minima at 0,2 → 4·½ each
    expectClose(grads[0]!, [0.5, 0.5, 0, 2, 0, 2]);
  });

  it("rejects bool, empty dims and bad axes", () => {
    expect(() => min(tensor([true, false]))).toThrow(DTypeError);
    expect(() => min(zeros([0]))).toThrow(ShapeError);
    expect(() => min(zeros([0]))).toThrow(/min: cannot reduce an empty dim/);
    expect(() => min(tensor([1, 2]), [0, 1])).toThrow(/min: axis out of range/);
  });
});
