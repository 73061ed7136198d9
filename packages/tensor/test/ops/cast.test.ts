import { valueAndGrad } from "@edgenn/autograd";
import { cast, type DType, DTypeError, mul, sum, tensor, tidy, transpose } from "@edgenn/tensor";
import { arbValues, expectClose, expectGrad } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const RANGE: Record<string, [number, number]> = {
  int32: [-2147483648, 2147483647],
  int8: [-128, 127],
  uint8: [0, 255],
};

/** Naive float → integer cast: truncate toward zero, saturate, NaN → 0. */
function refToInt(v: number, dtype: string): number {
  if (Number.isNaN(v)) return 0;
  const [lo, hi] = RANGE[dtype]!;
  const t = v < 0 ? Math.ceil(v) : Math.floor(v);
  return Math.min(hi, Math.max(lo, t));
}

describe("cast", () => {
  it("truncates toward zero and saturates (golden)", () => {
    const x = tensor([-1.7, -0.5, 0.5, 2.5, 300, -300, Number.NaN, Infinity, -Infinity]);
    // trunc: [-1, -0, 0, 2, 300, -300]; int8 saturates 300 → 127, -300 → -128; NaN → 0; ±∞ → ends
    expect(Array.from(cast(x, "int8").dataSync())).toEqual([-1, 0, 0, 2, 127, -128, 0, 127, -128]);
    expect(Array.from(cast(x, "uint8").dataSync())).toEqual([0, 0, 0, 2, 255, 0, 0, 255, 0]);
    expect(Array.from(cast(x, "int32").dataSync())).toEqual([
      -1, 0, 0, 2, 300, -300, 0, 2147483647, -2147483648,
    ]);
    expect(cast(x, "int8").dtype).toBe("int8");
  });

  it("casts to and from bool and between integer types", () => {
    // x ≠ 0 (NaN ≠ 0 is true)
    expect(cast(tensor([0, -0.0, 2, -0.1, Number.NaN]), "bool").toArray()).toEqual([0, 0, 1, 1, 1]);
    const b = cast(tensor([true, false]), "float32");
    expect(b.dtype).toBe("float32");
    expect(b.toArray()).toEqual([1, 0]);
    expect(cast(tensor([300, -5], { dtype: "int32" }), "uint8").toArray()).toEqual([255, 0]);
    expect(cast(tensor([-128, 127], { dtype: "int8" }), "int32").toArray()).toEqual([-128, 127]);
    expect(cast(tensor([3, 0], { dtype: "int8" }), "bool").toArray()).toEqual([1, 0]);
    // exact for integers up to 2^24
    expect(cast(tensor([16777216, -7], { dtype: "int32" }), "float32").toArray()).toEqual([
      16777216, -7,
    ]);
    // a same-dtype cast is a copy of a strided view
    const t = transpose(
      tensor([
        [1, 2],
        [3, 4],
      ]),
    );
    expect(cast(t, "float32").toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
  });

  fcTest.prop(
    [
      fc.tuple(
        arbValues(12, { min: -400, max: 400 }),
        fc.constantFrom<DType>("int32", "int8", "uint8"),
      ),
    ],
    { numRuns: 60 },
  )("matches a naive truncate-and-saturate loop", ([data, dtype]) => {
    tidy(() => {
      const y = cast(tensor(data), dtype);
      expect(y.dtype).toBe(dtype);
      expectClose(
        y,
        data.map((v) => refToInt(v, dtype)),
        { rtol: 0, atol: 0 },
      );
    });
  });

  it("passes gradients float32 → float32 only", () => {
    expectGrad(
      (x) =>
        cast(x!, "float32")
          .mul(tensor([1, -2]))
          .sum(),
      [tensor([0.3, 0.7])],
    );
    const x = tensor([1.5, 2.5]);
    const { grads } = valueAndGrad(() => sum(mul(cast(cast(x, "int32"), "float32"), x)), [x]);
    // the int round trip is a constant: d Σ c·x = c = trunc(x) = [1, 2]
    expectClose(grads[0]!, [1, 2]);
  });

  it("rejects unknown dtypes", () => {
    expect(() => cast(tensor([1]), "float64" as DType)).toThrow(DTypeError);
    expect(() => cast(tensor([1]), "float64" as DType)).toThrow(/cast: unknown dtype/);
  });
});
