import { add, DTypeError, ShapeError, tensor, tidy } from "@edgenn/tensor";
import {
  arbBroadcastShapes,
  arbValues,
  expectClose,
  expectGrad,
  refBinary,
  size,
} from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

describe("add", () => {
  it("adds with broadcasting (golden)", () => {
    // [[1,2,3],[4,5,6]] + [10,20,30] = [[11,22,33],[14,25,36]]
    expect(
      add(
        tensor([
          [1, 2, 3],
          [4, 5, 6],
        ]),
        tensor([10, 20, 30]),
      ).toArray(),
    ).toEqual([
      [11, 22, 33],
      [14, 25, 36],
    ]);
    expect(add(tensor([1, 2]), 0.5).toArray()).toEqual([1.5, 2.5]);
    expect(add(3, tensor([1], { dtype: "int32" })).dtype).toBe("int32");
  });

  fcTest.prop([
    arbBroadcastShapes().chain(([sa, sb]) =>
      fc.tuple(fc.constant(sa), fc.constant(sb), arbValues(size(sa)), arbValues(size(sb))),
    ),
  ])("matches a naive broadcasting loop", ([sa, sb, da, db]) => {
    tidy(() => {
      const expected = refBinary(da, sa, db, sb, (x, y) => Math.fround(x) + Math.fround(y));
      const y = add(tensor(da, { shape: sa }), tensor(db, { shape: sb }));
      expect(y.shape).toEqual(expected.shape);
      expectClose(y, expected.data);
    });
  });

  it("rejects shapes that do not broadcast and mixed dtypes", () => {
    expect(() => add(tensor([1, 2, 3]), tensor([1, 2]))).toThrow(ShapeError);
    expect(() => add(tensor([1, 2, 3]), tensor([1, 2]))).toThrow(
      /add: shapes do not broadcast.*\[3\] and \[2\]/,
    );
    expect(() => add(tensor([1]), tensor([1], { dtype: "int32" }))).toThrow(DTypeError);
    expect(() => add(tensor([true]), tensor([false]))).toThrow(DTypeError);
  });

  it("has the right gradient, summed back over broadcast dims", () => {
    expectGrad(
      (a, b) =>
        add(a!, b!)
          .mul(
            tensor([
              [1, 2, 3],
              [4, 5, 6],
            ]),
          )
          .sum(),
      [
        tensor([
          [0.1, 0.2, 0.3],
          [0.4, 0.5, 0.6],
        ]),
        tensor([1, 2, 3]),
      ],
    );
    expectGrad(
      (a, b) =>
        add(a!, b!)
          .mul(tensor([[1], [2]]))
          .sum(),
      [tensor([[0.5], [1.5]]), tensor(2)],
    );
  });
});
