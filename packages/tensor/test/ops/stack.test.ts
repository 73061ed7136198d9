import {
  ArgumentError,
  DTypeError,
  ShapeError,
  stack,
  tensor,
  tidy,
  transpose,
  zeros,
} from "@edgenn/tensor";
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

describe("stack", () => {
  it("joins along a new axis (golden)", () => {
    const a = tensor([1, 2]);
    const b = tensor([3, 4]);
    expect(stack([a, b], 0).toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    // axis 1 = -1 for rank-1 inputs: pairs [a_i, b_i]
    expect(stack([a, b], 1).toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(stack([a, b], -1).toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(stack([tensor(1), tensor(2)], 0).toArray()).toEqual([1, 2]);
    const m = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(stack([m, transpose(m)], 2).toArray()).toEqual([
      [
        [1, 1],
        [2, 3],
      ],
      [
        [3, 2],
        [4, 4],
      ],
    ]);
  });

  fcTest.prop(
    [
      arbShape({ maxRank: 3, maxDim: 3 }).chain((shape) =>
        fc.tuple(
          fc.constant(shape),
          fc.integer({ min: -shape.length - 1, max: shape.length }),
          fc.array(arbValues(size(shape)), { minLength: 1, maxLength: 4 }),
        ),
      ),
    ],
    { numRuns: 60 },
  )("matches a naive loop: y[..., k, ...] = xs[k]", ([shape, axis, datas]) => {
    tidy(() => {
      const y = stack(
        datas.map((d) => tensor(d, { shape })),
        axis,
      );
      const a = axis < 0 ? axis + shape.length + 1 : axis;
      const outShape = [...shape.slice(0, a), datas.length, ...shape.slice(a)];
      expect(y.shape).toEqual(outShape);
      const expected = Array.from({ length: size(outShape) }, (_, o) => {
        const idx = unravel(o, outShape);
        const k = idx.splice(a, 1)[0]!;
        return datas[k]![ravel(idx, shape)]!;
      });
      expectClose(y, expected, { rtol: 0, atol: 0 });
    });
  });

  it("has the right gradient", () => {
    expectGrad(
      (a, b) =>
        stack([a!, b!], 1)
          .mul(
            tensor([
              [1, -1],
              [2, 3],
              [0.5, 4],
            ]),
          )
          .sum(),
      [tensor([0.1, 0.2, 0.3]), tensor([1, 2, 3])],
    );
  });

  it("rejects mismatched shapes and dtypes, bad axes and empty lists", () => {
    expect(() => stack([zeros([2]), zeros([3])], 0)).toThrow(ShapeError);
    expect(() => stack([zeros([2]), zeros([3])], 0)).toThrow(
      /stack: shapes differ \(expected \[2\], got \[3\] for xs\[1\]\)/,
    );
    expect(() => stack([zeros([2]), zeros([2], "int32")], 0)).toThrow(DTypeError);
    expect(() => stack([zeros([2]), zeros([2], "int32")], 0)).toThrow(
      /stack: inputs have different dtypes/,
    );
    expect(() => stack([zeros([2]), zeros([2])], 2)).toThrow(/stack: axis out of range/);
    expect(() => stack([zeros([2]), zeros([2])], -3)).toThrow(ShapeError);
    expect(() => stack([], 0)).toThrow(ArgumentError);
    expect(() => stack([zeros([1]), [1] as unknown as never], 0)).toThrow(ArgumentError);
  });
});
