import { Flatten } from "@edgenn/nn";
import {
  ArgumentError,
  arange,
  mul,
  randn,
  ShapeError,
  sum,
  type Tensor,
  tidy,
  transpose,
  zeros,
} from "@edgenn/tensor";
import { expectGrad } from "@edgenn/testkit";
import { describe, expect, it } from "vitest";

describe("Flatten", () => {
  it("flattens startDim…endDim into one dim, keeping row-major order (golden)", () => {
    tidy(() => {
      const x = arange(24).reshape([2, 3, 4]);
      // default startDim 1: [2, 3, 4] → [2, 12]; row n holds 12n … 12n + 11
      const y = new Flatten().forward(x);
      expect(y.shape).toEqual([2, 12]);
      expect(y.toArray()).toEqual([
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
        [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23],
      ]);
      expect(new Flatten(0).forward(x).shape).toEqual([24]);
      expect(new Flatten(0, 1).forward(x).shape).toEqual([6, 4]);
      expect(new Flatten(-2, -1).forward(zeros([2, 3, 4, 5])).shape).toEqual([2, 3, 20]);
      expect(new Flatten(1, 1).forward(x).shape).toEqual([2, 3, 4]);
      // a non-contiguous input is copied in row-major order of its logical shape
      const t = transpose(arange(6).reshape([2, 3])); // [[0, 3], [1, 4], [2, 5]]
      expect(new Flatten(0).forward(t).toArray()).toEqual([0, 3, 1, 4, 2, 5]);
    });
  });

  it("has the identity gradient (reshaped)", () => {
    tidy(() => {
      const x = randn([2, 3, 2], { seed: 1 });
      const r = randn([2, 6], { seed: 2 });
      const flat = new Flatten();
      expectGrad((xi) => sum(mul(flat.forward(xi!), r)), [x]);
      expect(flat.parameters()).toEqual([]);
    });
  });

  it("validates its dims against the input with typed errors naming the layer", () => {
    tidy(() => {
      expect(() => new Flatten().forward(zeros([5]))).toThrow(ShapeError);
      expect(() => new Flatten().forward(zeros([5]))).toThrow(
        /Flatten: dims 1…-1 do not fit the input .*got shape \[5\]/,
      );
      expect(() => new Flatten(2, 1).forward(zeros([2, 3, 4]))).toThrow(ShapeError);
      expect(() => new Flatten(0, 3).forward(zeros([2, 3, 4]))).toThrow(ShapeError);
      expect(() => new Flatten().forward("x" as unknown as Tensor)).toThrow(ArgumentError);
    });
    expect(() => new Flatten(1.5)).toThrow(/Flatten: startDim must be an integer/);
    expect(() => new Flatten(1, Number.NaN)).toThrow(/Flatten: endDim must be an integer/);
  });
});
