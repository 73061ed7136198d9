import { flatten, memory, ShapeError, tensor, tidy, transpose, zeros } from "@edgenn/tensor";
import { arbShape, expectClose, expectGrad, size } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

describe("flatten", () => {
  it("splits the dims at axis into a matrix (golden)", () => {
    tidy(() => {
      const x = zeros([2, 3, 4, 5]);
      const before = memory().bytes;
      // axis 1 (default): [2, 3·4·5] = [2, 60]
      expect(flatten(x).shape).toEqual([2, 60]);
      expect(flatten(x, 0).shape).toEqual([1, 120]);
      expect(flatten(x, 2).shape).toEqual([6, 20]);
      expect(flatten(x, 4).shape).toEqual([120, 1]);
      // negative axis counts from the end: -1 → 3 → [24, 5]
      expect(flatten(x, -1).shape).toEqual([24, 5]);
      expect(flatten(x, -4).shape).toEqual([1, 120]);
      expect(memory().bytes).toBe(before);
      expect(flatten(tensor(3), 0).toArray()).toEqual([[3]]);
      expect(
        flatten(
          transpose(
            tensor([
              [1, 2],
              [3, 4],
            ]),
          ),
          0,
        ).toArray(),
      ).toEqual([[1, 3, 2, 4]]);
    });
  });

  fcTest.prop(
    [
      arbShape({ maxRank: 4, maxDim: 3 }).chain((shape) =>
        fc.tuple(fc.constant(shape), fc.integer({ min: -shape.length, max: shape.length })),
      ),
    ],
    { numRuns: 60 },
  )("keeps row-major order", ([shape, axis]) => {
    tidy(() => {
      const data = Array.from({ length: size(shape) }, (_, i) => i);
      const y = flatten(tensor(data, { shape }), axis);
      const a = axis < 0 ? axis + shape.length : axis;
      expect(y.shape).toEqual([size(shape.slice(0, a)), size(shape.slice(a))]);
      expectClose(y, data, { rtol: 0, atol: 0 });
    });
  });

  it("has the right gradient", () => {
    expectGrad(
      (x) =>
        flatten(x!)
          .mul(tensor([[1, 2, 3, 4]]))
          .sum(),
      [
        tensor([
          [
            [0.1, 0.2],
            [0.3, 0.4],
          ],
        ]),
      ],
    );
  });

  it("rejects axes out of [-rank, rank]", () => {
    const x = zeros([2, 3]);
    expect(() => flatten(x, 3)).toThrow(ShapeError);
    expect(() => flatten(x, 3)).toThrow(
      /flatten: axis out of range \(expected an integer in \[-2, 2\]/,
    );
    expect(() => flatten(x, -3)).toThrow(ShapeError);
    expect(() => flatten(x, 1.5)).toThrow(ShapeError);
  });
});
