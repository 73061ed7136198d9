import { ArgumentError, DTypeError, elu, memory, tensor, tidy } from "@edgenn/tensor";
import { arbTensorData, expectClose, expectGrad } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

describe("elu", () => {
  it("is α(eˣ − 1) below 0 and x above (golden)", () => {
    tidy(() => {
      // α = 1: elu(−1) = e⁻¹ − 1 = −0.6321206; elu(2) = 2; elu(0) = 0
      expectClose(elu(tensor([-1, 0, 2])), [Math.expm1(-1), 0, 2]);
      // α = 2: elu(−1) = 2(e⁻¹ − 1) = −1.2642411
      expectClose(elu(tensor([-1, 3]), 2), [2 * Math.expm1(-1), 3]);
      expectClose(elu(tensor([Number.NaN])), [Number.NaN]);
    });
  });

  it("keeps full precision for tiny negative inputs (expm1, not exp − 1)", () => {
    tidy(() => {
      // elu(−1e−7) = e^(−1e−7) − 1 ≈ −1e−7 (exp(x) − 1 in float32 would give −1.19e−7)
      expectClose(
        elu(tensor([-1e-7, -1e-20])),
        [Math.expm1(Math.fround(-1e-7)), Math.fround(-1e-20)],
        {
          rtol: 1e-6,
          atol: 0,
        },
      );
    });
  });

  it("stays finite at ±1e4, ±100, ±88 (elu(−1e4) = −α)", () => {
    tidy(() => {
      const xs = [-1e4, -100, -88, 88, 100, 1e4];
      expectClose(
        elu(tensor(xs), 0.5),
        xs.map((v) => (v < 0 ? 0.5 * Math.expm1(v) : v)),
      );
    });
  });

  fcTest.prop(
    [
      arbTensorData({ maxRank: 3, min: -20, max: 20 }),
      fc.double({ min: 0.1, max: 3, noNaN: true }),
    ],
    {
      numRuns: 40,
    },
  )("matches x ≥ 0 ? x : α·expm1(x)", ({ shape, data }, alpha) => {
    tidy(() => {
      const a = Math.fround(alpha);
      expectClose(
        elu(tensor(data, { shape }), alpha),
        data.map((v) => (v >= 0 ? v : a * Math.expm1(Math.fround(v)))),
        { rtol: 2e-6, atol: 1e-30 },
      );
    });
  });

  it("has gradient α·eˣ below 0 and 1 above, finite where eˣ overflows", () => {
    tidy(() => {
      const w = tensor([1, 2, 3, 4]);
      expectGrad((x) => elu(x!, 1.5).mul(w).sum(), [tensor([-3, -0.5, 0.5, 2])]);
      // e^100 overflows float32: the unused branch must not turn the gradient into 0·∞ = NaN
      for (const v of [100, 1e4, -1e4, -100]) {
        expectGrad((x) => elu(x!).sum(), [tensor([v])]);
      }
    });
  });

  it("frees its intermediates", () => {
    const x = tensor([-1, 1]);
    const before = memory().tensors;
    const y = elu(x);
    expect(memory().tensors).toBe(before + 1);
    y.dispose();
    x.dispose();
  });

  it("rejects bad inputs with typed errors naming elu", () => {
    tidy(() => {
      expect(() => elu(tensor([1], { dtype: "int8" }))).toThrow(DTypeError);
      expect(() => elu(tensor([1], { dtype: "int8" }))).toThrow(
        /^elu: x has dtype int8 \(expected float32/,
      );
      expect(() => elu(tensor([1]), Infinity)).toThrow(ArgumentError);
      expect(() => elu(tensor([1]), Infinity)).toThrow(/^elu: alpha must be a finite number/);
    });
  });
});
