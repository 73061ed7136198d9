import {
  ArgumentError,
  arange,
  memory,
  reshape,
  ShapeError,
  tensor,
  tidy,
  transpose,
  zeros,
} from "@edgenn/tensor";
import { arbShape, expectClose, expectGrad, size } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

describe("reshape", () => {
  it("keeps row-major order and infers one -1 (golden)", () => {
    const x = arange(6);
    // [0..5] as [2,3] = [[0,1,2],[3,4,5]]
    expect(reshape(x, [2, 3]).toArray()).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    // 6 / 2 = 3
    expect(reshape(x, [-1, 2]).shape).toEqual([3, 2]);
    expect(reshape(x, [1, -1, 1]).shape).toEqual([1, 6, 1]);
    expect(reshape(tensor([5]), []).item()).toBe(5);
    expect(reshape(zeros([0, 3]), [3, 0]).shape).toEqual([3, 0]);
  });

  it("is a view of a contiguous tensor and a copy of a strided one", () => {
    tidy(() => {
      const x = arange(6).reshape([2, 3]);
      const before = memory().bytes;
      const v = reshape(x, [3, 2]);
      expect(memory().bytes).toBe(before);
      expect(v.toArray()).toEqual([
        [0, 1],
        [2, 3],
        [4, 5],
      ]);
      // xᵀ = [[0,3],[1,4],[2,5]] read in row-major order: [0,3,1,4,2,5]
      expect(reshape(transpose(x), [6]).toArray()).toEqual([0, 3, 1, 4, 2, 5]);
    });
  });

  fcTest.prop(
    [
      arbShape({ maxRank: 4, maxDim: 4 }).chain((shape) =>
        fc.tuple(
          fc.constant(shape),
          fc.shuffledSubarray(shape, { minLength: shape.length, maxLength: shape.length }),
          fc.boolean(),
        ),
      ),
    ],
    { numRuns: 60 },
  )("round trips through any shape of the same size", ([shape, other, viaTranspose]) => {
    tidy(() => {
      const n = size(shape);
      const data = Array.from({ length: n }, (_, i) => i);
      let x = tensor(data, { shape });
      if (viaTranspose) x = transpose(transpose(x)); // a strided view of the same values
      const y = reshape(x, other);
      expect(y.shape).toEqual(other);
      expectClose(y, data, { rtol: 0, atol: 0 });
      const back = reshape(y, shape);
      expect(back.shape).toEqual(shape);
      expectClose(back, data, { rtol: 0, atol: 0 });
    });
  });

  it("has the right gradient (also through a copy)", () => {
    const w = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expectGrad(
      (x) => reshape(x!, [3, 2]).mul(w).sum(),
      [
        tensor([
          [0.1, 0.2, 0.3],
          [0.4, 0.5, 0.6],
        ]),
      ],
    );
    expectGrad(
      (x) => reshape(transpose(x!), [3, 2]).mul(w).sum(),
      [
        tensor([
          [0.1, 0.2, 0.3],
          [0.4, 0.5, 0.6],
        ]),
      ],
    );
  });

  it("rejects size mismatches and invalid sizes", () => {
    const x = arange(6);
    expect(() => reshape(x, [4, 2])).toThrow(ShapeError);
    expect(() => reshape(x, [4, 2])).toThrow(/reshape: sizes differ \(expected 6 elements/);
    expect(() => reshape(x, [-1, 4])).toThrow(/reshape: cannot infer -1/);
    expect(() => reshape(x, [-1, -1])).toThrow(ShapeError);
    expect(() => reshape(x, [2.5, 2])).toThrow(ShapeError);
    expect(() => reshape(x, [-2, -3])).toThrow(ShapeError);
    expect(() => reshape(x, "6" as unknown as number[])).toThrow(ArgumentError);
  });
});
