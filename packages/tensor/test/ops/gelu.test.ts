import { ArgumentError, DTypeError, gelu, memory, tensor, tidy } from "@edgenn/tensor";
import { arbTensorData, expectClose, expectGrad } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";

/** erf in float64: Maclaurin series for |x| < 3, else the erfc continued fraction (both < 1e−13). */
function refErf(x: number): number {
  const a = Math.abs(x);
  if (a < 3) {
    // erf x = 2/√π Σ (−1)ⁿ x^(2n+1) / (n!(2n+1))
    let term = x;
    let s = x;
    for (let n = 1; n < 80; n++) {
      term *= (-x * x) / n;
      s += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * s;
  }
  // erfc a = e^(−a²)/√π · 1/(a + ½/(a + 1/(a + 3/2/(a + …))))
  let f = a;
  for (let n = 120; n >= 1; n--) f = a + n / 2 / f;
  const erfc = Math.exp(-a * a) / (Math.sqrt(Math.PI) * f);
  return x < 0 ? erfc - 1 : 1 - erfc;
}

/** gelu(x) = x·Φ(x) in float64. */
const refGelu = (x: number): number => 0.5 * x * (1 + refErf(x / Math.SQRT2));
/** The tanh form in float64. */
const refGeluTanh = (x: number): number =>
  0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

describe("gelu", () => {
  it("reference erf is right (erf 1 = 0.8427007929, erf 3.5 = 0.9999992569)", () => {
    expect(refErf(1)).toBeCloseTo(0.8427007929497149, 13);
    expect(refErf(-3.5)).toBeCloseTo(-0.9999992569016276, 13);
  });

  it("gives the golden values", () => {
    tidy(() => {
      // gelu(±1) = ±Φ(±1): Φ(1) = 0.8413447461 → [−0.1586553, 0, 0.8413447]; gelu(2) = 2·0.9772499 = 1.9544997
      expectClose(
        gelu(tensor([-1, 0, 1, 2])),
        [-0.15865525393145707, 0, 0.8413447460685429, 1.9544997361036416],
        {
          rtol: 1e-6,
          atol: 1e-7,
        },
      );
      // tanh form: ½(1 + tanh(√(2/π)·1.044715)) = ½(1 + tanh(0.8335565)) = 0.8411920
      expectClose(gelu(tensor([1]), { approximate: "tanh" }), [0.8411919906082768], {
        rtol: 1e-6,
        atol: 0,
      });
      expectClose(gelu(tensor([1]), { approximate: "none" }), [0.8413447460685429], {
        rtol: 1e-6,
        atol: 0,
      });
      expect(gelu(0).shape).toEqual([]);
    });
  });

  fcTest.prop([arbTensorData({ maxRank: 3, min: -8, max: 8 })], { numRuns: 40 })(
    "matches x·Φ(x) (float64 erf) within float32 error",
    ({ shape, data }) => {
      tidy(() => {
        const xs = data.map(Math.fround);
        // 1 + erf(x/√2) is rounded to float32 near 0 for x ≪ 0: absolute error ≲ |x|·1e−7
        expectClose(gelu(tensor(data, { shape })), xs.map(refGelu), { rtol: 2e-6, atol: 1e-6 });
        expectClose(gelu(tensor(data, { shape }), { approximate: "tanh" }), xs.map(refGeluTanh), {
          rtol: 2e-6,
          atol: 1e-6,
        });
      });
    },
  );

  it.each(["none", "tanh"] as const)(
    "stays finite and accurate at ±1e4, ±100, ±88 (%s)",
    (approximate) => {
      tidy(() => {
        const xs = [-1e4, -100, -88, -10, 10, 88, 100, 1e4];
        const y = gelu(tensor(xs), { approximate });
        for (const v of y.dataSync()) expect(Number.isFinite(v)).toBe(true);
        expectClose(y, xs.map(approximate === "none" ? refGelu : refGeluTanh), {
          rtol: 1e-6,
          atol: 1e-6,
        });
        for (const v of xs) expectGrad((x) => gelu(x!, { approximate }).sum(), [tensor([v])]);
      });
    },
  );

  it.each(["none", "tanh"] as const)("matches central differences (%s)", (approximate) => {
    tidy(() => {
      const w = tensor([1, -2, 0.5, 3, 1.5]);
      expectGrad(
        (x) => gelu(x!, { approximate }).mul(w).sum(),
        [tensor([-3, -0.7, 0.1, 0.9, 2.5])],
      );
    });
  });

  it("frees its intermediates", () => {
    const x = tensor([-1, 1]);
    const before = memory().tensors;
    const a = gelu(x);
    const b = gelu(x, { approximate: "tanh" });
    expect(memory().tensors).toBe(before + 2);
    a.dispose();
    b.dispose();
    x.dispose();
  });

  it("rejects bad inputs with typed errors naming gelu", () => {
    tidy(() => {
      expect(() => gelu(tensor([1], { dtype: "int32" }))).toThrow(DTypeError);
      expect(() => gelu(tensor([1], { dtype: "int32" }))).toThrow(
        /^gelu: x has dtype int32 \(expected float32/,
      );
      expect(() => gelu(tensor([1]), { approximate: "erf" as never })).toThrow(ArgumentError);
      expect(() => gelu(tensor([1]), { approximate: "erf" as never })).toThrow(
        /^gelu: approximate must be 'none' or 'tanh' \(got "erf"\)/,
      );
      expect(() => gelu(tensor([1]), "tanh" as never)).toThrow(/^gelu: options must be an object/);
      expect(() => gelu(tensor([1]), null as never)).toThrow(/^gelu: options must be an object/);
    });
  });
});
