import { ArgumentError, DTypeError, mean, ShapeError, tensor, tidy, zeros } from "@edgenn/tensor";
import { arbTensorData, expectClose, expectGrad, refReduce } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const arbReduction = arbTensorData({ maxRank: 4, maxDim: 4 }).chain(({ shape, data }) =>
  fc.tuple(
    fc.constant(shape),
    fc.constant(data),
    fc.option(fc.subarray(shape.map((_, i) => i)), { nil: undefined }),
    fc.boolean(),
  ),
);

describe("mean", () => {
  it("averages all elements or along axes (golden)", () => {
    const x = tensor([
      [1, 2, 3],
      [4, 5, 9],
    ]);
    // (1+2+3+4+5+9)/6 = 24/6 = 4
    expect(mean(x).item()).toBe(4);
    // columns: [(1+4)/2, (2+5)/2, (3+9)/2] = [2.5, 3.5, 6]
    expect(mean(x, 0).toArray()).toEqual([2.5, 3.5, 6]);
    // rows, kept: [[6/3], [18/3]] = [[2], [6]]
    expect(mean(x, -1, true).toArray()).toEqual([[2], [6]]);
    expect(mean(tensor(7)).item()).toBe(7);
  });

  fcTest.prop([arbReduction], { numRuns: 60 })(
    "matches a naive sum / count",
    ([shape, data, axes, keepDims]) => {
      tidy(() => {
        const ax = axes ?? shape.map((_, i) => i);
        const n = ax.reduce((p, a) => p * shape[a]!, 1);
        const s = refReduce(data, shape, ax, keepDims, 0, (a, v) => a + v);
        const y = mean(tensor(data, { shape }), axes, keepDims);
        expect(y.shape).toEqual(s.shape);
        expectClose(
          y,
          s.data.map((v) => v / n),
          { rtol: 1e-5, atol: 1e-5 },
        );
      });
    },
  );

  it("has the right gradient: dy / n broadcast", () => {
    expectGrad(
      (x) =>
        mean(x!, 1)
          .mul(tensor([1, -2]))
          .sum(),
      [
        tensor([
          [0.1, 0.2, 0.3],
          [0.4, 0.5, 0.6],
        ]),
      ],
    );
    expectGrad((x) => mean(x!).mul(3), [tensor([[1, 2, 3, 4]])]);
  });

  it("rejects non-float input, empty reductions and bad axes", () => {
    expect(() => mean(tensor([1, 2], { dtype: "int32" }))).toThrow(DTypeError);
    expect(() => mean(tensor([1, 2], { dtype: "int32" }))).toThrow(/mean: x has dtype int32/);
    // 0/0 would be NaN: an error instead
    expect(() => mean(zeros([2, 0]), 1)).toThrow(ShapeError);
    expect(() => mean(zeros([2, 0]), 1)).toThrow(/mean: cannot average an empty dim/);
    expect(mean(zeros([2, 0]), 0).shape).toEqual([0]);
    expect(() => mean(tensor([1, 2]), 1)).toThrow(/mean: axis out of range/);
    expect(() => mean(tensor([1, 2]), [0, 0])).toThrow(ShapeError);
    expect(() => mean(tensor([1, 2]), 0, 1 as unknown as boolean)).toThrow(ArgumentError);
    expect(() => mean(tensor([1, 2]), 0, 1 as unknown as boolean)).toThrow(/mean: keepDims/);
  });
});
