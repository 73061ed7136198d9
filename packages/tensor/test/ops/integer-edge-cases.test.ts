import { ArgumentError, add, mul, pow, square, tensor } from "@edgenn/tensor";
import { describe, expect, it } from "vitest";

describe("integer and IEEE edge cases", () => {
  it("a number operand must fit the integer tensor's dtype", () => {
    const i = tensor([1, 2], { dtype: "int32" });
    expect(() => add(i, 2.5)).toThrow(ArgumentError);
    expect(() => add(tensor([1], { dtype: "int8" }), 300)).toThrow(/300 does not fit dtype int8/);
    expect(() => add(i, Number.NaN)).toThrow(ArgumentError);
    expect(add(i, -3).toArray()).toEqual([-2, -1]);
  });

  it("int32 products wrap modulo 2^32 like C", () => {
    // (2³¹ − 1)² = 2⁶² − 2³² + 1 ≡ 1 (mod 2³²)
    const big = tensor([2147483647], { dtype: "int32" });
    expect(mul(big, big).toArray()).toEqual([1]);
    expect(square(big).toArray()).toEqual([1]);
    // 65536 · 65536 = 2³² ≡ 0
    expect(mul(tensor([65536], { dtype: "int32" }), 65536).toArray()).toEqual([0]);
  });

  it("pow follows C: 1^y = 1 for any y, (−1)^±∞ = 1", () => {
    expect(
      pow(
        tensor([1, 1, -1, -1]),
        tensor([
          Number.NaN,
          Number.POSITIVE_INFINITY,
          Number.POSITIVE_INFINITY,
          Number.NEGATIVE_INFINITY,
        ]),
      ).toArray(),
    ).toEqual([1, 1, 1, 1]);
    expect(Number.isNaN(pow(tensor([-2]), 0.5).item())).toBe(true);
  });
});
