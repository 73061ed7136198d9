import { LayerNorm } from "@edgenn/nn";
import {
  ArgumentError,
  assign,
  DTypeError,
  randn,
  ShapeError,
  tensor,
  tidy,
  zeros,
} from "@edgenn/tensor";
import { expectClose, expectModuleGrad } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

describe("LayerNorm", () => {
  it("normalises each sample over the trailing dims (golden)", () => {
    tidy(() => {
      const ln = new LayerNorm(3, { epsilon: 0 });
      // [1, 2, 3]: μ = 2, σ² = 2/3 → (x − 2)/√(2/3) = [−1.2247449, 0, 1.2247449]; [5, 5, 8]: μ = 6,
      // σ² = 2 → [−1, −1, 2]/√2
      const x = tensor([
        [1, 2, 3],
        [5, 5, 8],
      ]);
      expectClose(ln.forward(x), [
        [-1.2247449, 0, 1.2247449],
        [-Math.SQRT1_2, -Math.SQRT1_2, Math.SQRT2],
      ]);
      // γ = [1, 2, 3], β = [0, 0, 1] per position
      assign(ln.weight!, tensor([1, 2, 3]));
      assign(ln.bias!, tensor([0, 0, 1]));
      expectClose(ln.forward(x), [
        [-1.2247449, 0, 1.2247449 * 3 + 1],
        [-Math.SQRT1_2, -Math.SQRT2, Math.SQRT2 * 3 + 1],
      ]);
      // the same in eval mode (no running statistics)
      expectClose(ln.eval().forward(x), [
        [-1.2247449, 0, 1.2247449 * 3 + 1],
        [-Math.SQRT1_2, -Math.SQRT2, Math.SQRT2 * 3 + 1],
      ]);
      expect(ln.namedParameters().map(([n, t]) => [n, t.shape])).toEqual([
        ["weight", [3]],
        ["bias", [3]],
      ]);
      // normalizedShape [2, 2] normalises each 2×2 block of [N, 2, 2]; no affine → no parameters
      const ln2 = new LayerNorm([2, 2], { elementwiseAffine: false, epsilon: 0 });
      expect(ln2.parameters()).toEqual([]);
      // [0, 2, 4, 6]: μ = 3, σ² = 5
      const s5 = Math.sqrt(5);
      expectClose(ln2.forward(tensor([0, 2, 4, 6], { shape: [1, 2, 2] })), [
        [
          [-3 / s5, -1 / s5],
          [1 / s5, 3 / s5],
        ],
      ]);
      ln.dispose();
    });
  });

  fcTest.prop(
    [
      fc.record({
        lead: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 2 }),
        norm: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 2 }),
        seed: fc.integer({ min: 0, max: 1000 }),
      }),
    ],
    { numRuns: 30 },
  )("matches a naive per-sample loop", ({ lead, norm, seed }) => {
    tidy(() => {
      const ln = new LayerNorm(norm);
      assign(ln.weight!, randn(norm, { seed: seed + 1 }));
      assign(ln.bias!, randn(norm, { seed: seed + 2 }));
      const x = randn([...lead, ...norm], { seed, mean: 3, std: 2 });
      const xs = x.dataSync();
      const g = ln.weight!.dataSync();
      const b = ln.bias!.dataSync();
      const k = norm.reduce((a, q) => a * q, 1);
      const expected: number[] = [];
      for (let s = 0; s < xs.length / k; s++) {
        const v = Array.from(xs.subarray(s * k, (s + 1) * k));
        const m = v.reduce((a, q) => a + q, 0) / k;
        const var_ = v.reduce((a, q) => a + (q - m) ** 2, 0) / k;
        for (let i = 0; i < k; i++) {
          expected.push(((v[i]! - m) / Math.sqrt(var_ + 1e-5)) * g[i]! + b[i]!);
        }
      }
      expectClose(ln.forward(x), expected, { rtol: 1e-4, atol: 1e-4 });
      ln.dispose();
    });
  });

  it("has the right gradient w.r.t. input, weight and bias", () => {
    tidy(() => {
      const ln = new LayerNorm(4);
      assign(ln.weight!, randn([4], { seed: 1, mean: 1 }));
      assign(ln.bias!, randn([4], { seed: 2 }));
      expectModuleGrad(ln, randn([3, 4], { seed: 3 }));
      const ln2 = new LayerNorm([2, 3]);
      expectModuleGrad(ln2, randn([2, 2, 3], { seed: 4 }));
      ln.dispose();
      ln2.dispose();
    });
  });

  it("validates arguments and the input shape with typed errors naming the layer", () => {
    tidy(() => {
      const ln = new LayerNorm([2, 3]);
      expect(() => ln.forward(zeros([4, 3, 2]))).toThrow(ShapeError);
      expect(() => ln.forward(zeros([4, 3, 2]))).toThrow(
        "LayerNorm: input's last dims must be [2,3] (got shape [4,3,2])",
      );
      expect(() => ln.forward(zeros([3]))).toThrow(/LayerNorm: input's last dims/);
      expect(() => ln.forward(zeros([2, 3], "int32"))).toThrow(DTypeError);
      ln.dispose();
    });
    expect(() => new LayerNorm(0)).toThrow(/LayerNorm: normalizedShape must be/);
    expect(() => new LayerNorm([])).toThrow(ArgumentError);
    expect(() => new LayerNorm(4, { epsilon: Number.NaN })).toThrow(/LayerNorm: epsilon/);
    expect(() => new LayerNorm(4, { elementwiseAffine: 1 as unknown as boolean })).toThrow(
      /LayerNorm: elementwiseAffine must be a boolean/,
    );
  });
});
