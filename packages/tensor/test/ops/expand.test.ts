import { expand, memory, ShapeError, tensor, tidy } from "@edgenn/tensor";
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

describe("expand", () => {
  it("broadcasts without copying (golden)", () => {
    tidy(() => {
      const x = tensor([[1], [2]]); // [2,1]
      const before = memory().bytes;
      const y = expand(x, [2, 3]);
      expect(memory().bytes).toBe(before);
      expect(y.toArray()).toEqual([
        [1, 1, 1],
        [2, 2, 2],
      ]);
      // ONNX Expand: the result is the broadcast of both shapes, [2,1] with [3,1,1] → [3,2,1]
      expect(expand(x, [3, 1, 1]).shape).toEqual([3, 2, 1]);
      expect(expand(tensor(7), [2]).toArray()).toEqual([7, 7]);
      expect(expand(tensor([1, 2]), [0, 2]).shape).toEqual([0, 2]);
    });
  });

  fcTest.prop(
    [
      arbBroadcastShapes().chain(([sa, sb]) =>
        fc.tuple(fc.constant(sa), fc.constant(sb), arbValues(size(sa))),
      ),
    ],
    { numRuns: 60 },
  )("matches naive broadcasting", ([sa, sb, da]) => {
    tidy(() => {
      const ones = new Array<number>(size(sb)).fill(0);
      // x broadcast against sb reads x at each broadcast index: x + 0
      const expected = refBinary(da, sa, ones, sb, (v) => v);
      const y = expand(tensor(da, { shape: sa }), sb);
      expect(y.shape).toEqual(expected.shape);
      expectClose(y, expected.data, { rtol: 0, atol: 0 });
    });
  });

  it("has the right gradient: dy summed over the broadcast dims", () => {
    expectGrad(
      (x) =>
        expand(x!, [2, 2, 3])
          .mul(
            tensor([
              [
                [1, 2, 3],
                [4, 5, 6],
              ],
              [
                [-1, 0, 1],
                [2, 2, 2],
              ],
            ]),
          )
          .sum(),
      [tensor([[0.5], [1.5]])],
    );
  });

  it("rejects shapes that do not broadcast and invalid sizes", () => {
    const x = tensor([1, 2, 3]);
    expect(() => expand(x, [2])).toThrow(ShapeError);
    expect(() => expand(x, [2])).toThrow(/expand: shapes do not broadcast.*\[3\] and \[2\]/);
    expect(() => expand(x, [2, -3])).toThrow(ShapeError);
    expect(() => expand(x, [1.5, 3])).toThrow(ShapeError);
    expect(() => expand(x, 3 as unknown as number[])).toThrow(ShapeError);
  });
});
