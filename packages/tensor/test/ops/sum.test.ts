import { ArgumentError, ShapeError, sum, tensor, tidy, zeros } from "@edgenn/tensor";
import { arbTensorData, expectClose, expectGrad, refReduce } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/** A random shape with data, and a random subset of its axes (or undefined = all). */
const arbReduction = arbTensorData({ maxRank: 4, maxDim: 4 }).chain(({ shape, data }) =>
  fc.tuple(
    fc.constant(shape),
    fc.constant(data),
    fc.option(fc.subarray(shape.map((_, i) => i)), { nil: undefined }),
    fc.boolean(),
  ),
);

describe("sum", () => {
  it("sums all elements or along axes (golden)", () => {
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    // 1+2+3+4+5+6 = 21
    expect(sum(x).toArray()).toBe(21);
    expect(sum(x).shape).toEqual([]);
    // columns: [1+4, 2+5, 3+6] = [5, 7, 9]
    expect(sum(x, 0).toArray()).toEqual([5, 7, 9]);
    // rows, kept: [[1+2+3], [4+5+6]] = [[6], [15]]
    expect(sum(x, -1, true).toArray()).toEqual([[6], [15]]);
    expect(sum(x, [0, 1], true).toArray()).toEqual([[21]]);
    // no axes: nothing reduced
    expect(sum(x, []).toArray()).toEqual(x.toArray());
  });

  it("sums integers and bools into int32; an empty sum is 0", () => {
    const i8 = tensor([100, 100, 100], { dtype: "int8" });
    // 300 does not fit int8: the accumulator is int32
    expect(sum(i8).dtype).toBe("int32");
    expect(sum(i8).item()).toBe(300);
    // bool counts its trues: [1, 0, 1] → 2
    expect(sum(tensor([true, false, true])).item()).toBe(2);
    expect(sum(zeros([2, 0]), 1).toArray()).toEqual([0, 0]);
  });

  it("reads strided views", () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]).transpose();
    // xᵀ = [[1,3],[2,4]] → row sums [4, 6]
    expect(sum(x, 1).toArray()).toEqual([4, 6]);
  });

  fcTest.prop([arbReduction], { numRuns: 60 })(
    "matches a naive reduction loop",
    ([shape, data, axes, keepDims]) => {
      tidy(() => {
        const ax = axes ?? shape.map((_, i) => i);
        const expected = refReduce(data, shape, ax, keepDims, 0, (a, v) => a + v);
        const y = sum(tensor(data, { shape }), axes, keepDims);
        expect(y.shape).toEqual(expected.shape);
        expectClose(y, expected.data, { rtol: 1e-5, atol: 1e-5 });
      });
    },
  );

  it("has the right gradient", () => {
    // d/dx Σ_j w_j·Σ_i x_ij = w broadcast over rows
    expectGrad(
      (x) =>
        sum(x!, 0)
          .mul(tensor([1, -2, 3]))
          .sum(),
      [
        tensor([
          [0.1, 0.2, 0.3],
          [0.4, 0.5, 0.6],
        ]),
      ],
    );
    expectGrad(
      (x) =>
        sum(x!, [0, 2], true)
          .mul(tensor([[[2]], [[-1]]]))
          .sum(),
      [
        tensor([
          [
            [1, 2],
            [3, 4],
          ],
          [
            [5, 6],
            [7, 8],
          ],
        ]),
      ],
    );
  });

  it("rejects bad axes and options with typed errors", () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(() => sum(x, 2)).toThrow(ShapeError);
    expect(() => sum(x, 2)).toThrow(/sum: axis out of range.*got 2/);
    expect(() => sum(x, -3)).toThrow(ShapeError);
    expect(() => sum(x, 0.5)).toThrow(ShapeError);
    expect(() => sum(x, [0, -2])).toThrow(/sum: axes repeat/);
    expect(() => sum(x, 0, "yes" as unknown as boolean)).toThrow(ArgumentError);
    expect(() => sum(1 as unknown as never, 0)).toThrow(ShapeError);
    expect(() => sum("x" as unknown as never)).toThrow(ArgumentError);
  });
});
