import {
  ArgumentError,
  memory,
  ShapeError,
  squeeze,
  tensor,
  tidy,
  transpose,
  unsqueeze,
  zeros,
} from "@edgenn/tensor";
import { arbShape, expectClose, expectGrad, size } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

describe("unsqueeze", () => {
  it("inserts size-1 dims at output positions (golden)", () => {
    tidy(() => {
      const x = tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      const before = memory().bytes;
      expect(unsqueeze(x, 0).shape).toEqual([1, 2, 3]);
      // axes index the output (rank 4): 0 and -1 (= 3) → [1,2,3,1]
      expect(unsqueeze(x, [0, -1]).shape).toEqual([1, 2, 3, 1]);
      // ONNX example: [3,4,5] with axes [2,0] → [1,3,1,4,5]
      expect(unsqueeze(x, 1).toArray()).toEqual([[[1, 2, 3]], [[4, 5, 6]]]);
      expect(memory().bytes).toBe(before);
      expect(unsqueeze(zeros([3, 4, 5]), [2, 0]).shape).toEqual([1, 3, 1, 4, 5]);
      expect(unsqueeze(tensor(7), [0, 1]).toArray()).toEqual([[7]]);
      // a contiguous input stays contiguous; a transposed one keeps its strides
      expect(unsqueeze(x, [0, 2, 4]).isContiguous).toBe(true);
      expect(unsqueeze(transpose(x), 1).toArray()).toEqual([[[1, 4]], [[2, 5]], [[3, 6]]]);
    });
  });

  fcTest.prop(
    [
      arbShape({ maxRank: 4, maxDim: 3 }).chain((shape) =>
        fc.integer({ min: 0, max: 3 }).chain((k) =>
          fc.tuple(
            fc.constant(shape),
            fc.shuffledSubarray(
              Array.from({ length: shape.length + k }, (_, i) => i),
              { minLength: k, maxLength: k },
            ),
            fc.boolean(),
          ),
        ),
      ),
    ],
    { numRuns: 60 },
  )("puts 1s exactly at the axes and inverts with squeeze", ([shape, pos, negative]) => {
    tidy(() => {
      const rank = shape.length + pos.length;
      // the same axes, possibly counted from the end of the output
      const axes = negative ? pos.map((a) => a - rank) : pos;
      const data = Array.from({ length: size(shape) }, (_, i) => i);
      const y = unsqueeze(tensor(data, { shape }), axes);
      // naive: walk the output dims, taking 1 at an axis, else the next input dim
      const expected: number[] = [];
      let j = 0;
      for (let i = 0; i < rank; i++) expected.push(pos.includes(i) ? 1 : shape[j++]!);
      expect(y.shape).toEqual(expected);
      expectClose(y, data, { rtol: 0, atol: 0 });
      const back = squeeze(y, axes);
      expect(back.shape).toEqual(shape);
    });
  });

  it("has the right gradient", () => {
    expectGrad(
      (x) =>
        unsqueeze(x!, [0, 2])
          .mul(tensor([[[1], [2]]]))
          .sum(),
      [tensor([0.5, -1])],
    );
  });

  it("rejects missing, out-of-range and repeated axes", () => {
    const x = zeros([2, 3]);
    expect(() => unsqueeze(x, undefined as unknown as number)).toThrow(ArgumentError);
    expect(() => unsqueeze(x, 3)).toThrow(ShapeError);
    expect(() => unsqueeze(x, 3)).toThrow(
      /unsqueeze: axis out of range \(expected an integer in \[-3, 2\]/,
    );
    expect(() => unsqueeze(x, [0, -4])).toThrow(/unsqueeze: axes repeat/);
    expect(() => unsqueeze(x, [1.5])).toThrow(ShapeError);
  });
});
