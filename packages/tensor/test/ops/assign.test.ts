import {
  ArgumentError,
  assign,
  DTypeError,
  expand,
  ShapeError,
  tensor,
  tidy,
  transpose,
} from "@edgenn/tensor";
import {
  arbBroadcastShapes,
  arbValues,
  readBroadcast,
  refBroadcast,
  size,
  unravel,
} from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

describe("assign", () => {
  it("overwrites in place, broadcasting the value; views see it", () => {
    const w = tensor([
      [1, 2],
      [3, 4],
    ]);
    const t = transpose(w);
    expect(assign(w, tensor([10, 20]))).toBe(w);
    expect(w.toArray()).toEqual([
      [10, 20],
      [10, 20],
    ]);
    expect(t.toArray()).toEqual([
      [10, 10],
      [20, 20],
    ]);
    // writing through a transposed view lands in the right places of the base
    assign(
      t,
      tensor([
        [1, 2],
        [3, 4],
      ]),
    );
    expect(w.toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    assign(w, 0);
    expect(w.toArray()).toEqual([
      [0, 0],
      [0, 0],
    ]);
  });

  it("rejects a value that does not fit the target", () => {
    const w = tensor([1, 2, 3]);
    expect(() => assign(w, tensor([1, 2]))).toThrow(ShapeError);
    expect(() =>
      assign(
        w,
        tensor([
          [1, 2, 3],
          [4, 5, 6],
        ]),
      ),
    ).toThrow(/assign: value must broadcast/);
    expect(() => assign(w, tensor([1, 2, 3], { dtype: "int32" }))).toThrow(DTypeError);
    expect(() => assign(expand(tensor([1]), [3]), tensor([1, 2, 3]))).toThrow(ArgumentError);
  });

  fcTest.prop([
    arbBroadcastShapes().chain(([sa, sb]) => {
      const target = refBroadcast(sa, sb)!;
      return fc.tuple(fc.constant(target), fc.constant(sb), arbValues(size(sb)));
    }),
  ])("fills the target with the broadcast value (naive index loop)", ([target, vShape, vData]) => {
    tidy(() => {
      const t = tensor(new Float32Array(size(target)).fill(-7), { shape: target });
      assign(t, tensor(vData, { shape: vShape }));
      const got = Array.from(t.dataSync());
      const want = got.map((_, i) => Math.fround(readBroadcast(vData, vShape, unravel(i, target))));
      expect(got).toEqual(want);
    });
  });
});
