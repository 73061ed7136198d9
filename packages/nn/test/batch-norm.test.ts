import { valueAndGrad } from "@edgenn/autograd";
import { BatchNorm1d, BatchNorm2d, type Module } from "@edgenn/nn";
import {
  ArgumentError,
  assign,
  DTypeError,
  mul,
  randn,
  ShapeError,
  sum,
  type Tensor,
  tensor,
  tidy,
  zeros,
} from "@edgenn/tensor";
import { expectClose, expectModuleGrad } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/** Naive per-channel statistics of x [N, C, …] (float64): mean, biased and unbiased variance. */
function refStats(x: ArrayLike<number>, shape: readonly number[]) {
  const c = shape[1]!;
  const inner = shape.slice(2).reduce((a, b) => a * b, 1);
  const n = shape[0]! * inner;
  const mean: number[] = [];
  const biased: number[] = [];
  const unbiased: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    const vals: number[] = [];
    for (let b = 0; b < shape[0]!; b++)
      for (let i = 0; i < inner; i++) vals.push(x[(b * c + ch) * inner + i]!);
    const m = vals.reduce((a, v) => a + v, 0) / n;
    const ss = vals.reduce((a, v) => a + (v - m) ** 2, 0);
    mean.push(m);
    biased.push(ss / n);
    unbiased.push(ss / (n - 1));
  }
  return { mean, biased, unbiased, inner };
}

/** Naive y = (x − m[c])/√(v[c] + ε)·γ[c] + β[c] over x [N, C, …]. */
function refNormalize(
  x: ArrayLike<number>,
  shape: readonly number[],
  m: readonly number[],
  v: readonly number[],
  g: ArrayLike<number>,
  b: ArrayLike<number>,
  eps: number,
): number[] {
  const c = shape[1]!;
  const inner = shape.slice(2).reduce((a, q) => a * q, 1);
  return Array.from(x, (val, i) => {
    const ch = Math.floor(i / inner) % c;
    return ((val - m[ch]!) / Math.sqrt(v[ch]! + eps)) * g[ch]! + b[ch]!;
  });
}

describe("BatchNorm1d / BatchNorm2d", () => {
  it("normalise with batch statistics in training and update the running ones (golden)", () => {
    tidy(() => {
      const bn = new BatchNorm1d(2, { epsilon: 0 });
      // channel 0: [1, 3, 5], μ = 3, σ² = 8/3 (biased) → (x − 3)/√(8/3) = [−1.2247449, 0, 1.2247449];
      // channel 1: [10, 20, 30], μ = 20, σ² = 200/3 → the same
      const x = tensor([
        [1, 10],
        [3, 20],
        [5, 30],
      ]);
      expectClose(bn.forward(x), [
        [-1.2247449, -1.2247449],
        [0, 0],
        [1.2247449, 1.2247449],
      ]);
      // running ← 0.9·running + 0.1·batch: mean [0.3, 2]; var with the unbiased σ²·3/2 = [4, 100]:
      // 0.9·1 + 0.1·4 = 1.3, 0.9·1 + 0.1·100 = 10.9
      expectClose(bn.runningMean, [0.3, 2]);
      expectClose(bn.runningVar, [1.3, 10.9]);
      // γ = [2, 1], β = [0, 5] scale and shift per channel
      assign(bn.weight!, tensor([2, 1]));
      assign(bn.bias!, tensor([0, 5]));
      expectClose(bn.forward(x), [
        [-2.4494898, 3.7752551],
        [0, 5],
        [2.4494898, 6.2247449],
      ]);
      // eval: (x − running mean)/√running var: (1 − 0.57)/√1.57·2 with the stats after 2 steps
      bn.eval();
      expectClose(bn.runningMean, [0.57, 3.8]);
      expectClose(bn.runningVar, [1.57, 19.81]);
      expectClose(bn.forward(tensor([[1, 10]])), [
        [(2 * (1 - 0.57)) / Math.sqrt(1.57), (10 - 3.8) / Math.sqrt(19.81) + 5],
      ]);
      // eval leaves the running statistics alone
      expectClose(bn.runningMean, [0.57, 3.8]);
      bn.dispose();
    });
  });

  fcTest.prop(
    [
      fc.record({
        rank: fc.constantFrom(2, 3, 4),
        n: fc.integer({ min: 2, max: 4 }),
        c: fc.integer({ min: 1, max: 3 }),
        h: fc.integer({ min: 1, max: 3 }),
        w: fc.integer({ min: 1, max: 3 }),
        momentum: fc.constantFrom(0, 0.1, 0.3, 1),
        steps: fc.integer({ min: 1, max: 3 }),
        seed: fc.integer({ min: 0, max: 1000 }),
      }),
    ],
    { numRuns: 30 },
  )(
    "match a naive computation over several training steps, then in eval",
    ({ rank, n, c, h, w, momentum, steps, seed }) => {
      tidy(() => {
        const shape = rank === 2 ? [n, c] : rank === 3 ? [n, c, h] : [n, c, h, w];
        const bn = rank === 4 ? new BatchNorm2d(c, { momentum }) : new BatchNorm1d(c, { momentum });
        assign(bn.weight!, randn([c], { seed: seed + 100 }));
        assign(bn.bias!, randn([c], { seed: seed + 200 }));
        const g = bn.weight!.dataSync();
        const b = bn.bias!.dataSync();
        let rm = new Array<number>(c).fill(0);
        let rv = new Array<number>(c).fill(1);
        for (let s = 0; s < steps; s++) {
          const x = randn(shape, { seed: seed + s, mean: s, std: 2 });
          const st = refStats(x.dataSync(), shape);
          const y = bn.forward(x);
          expect(y.shape).toEqual(shape);
          expectClose(y, refNormalize(x.dataSync(), shape, st.mean, st.biased, g, b, 1e-5), {
            rtol: 1e-4,
            atol: 1e-4,
          });
          rm = rm.map((v, i) => (1 - momentum) * v + momentum * st.mean[i]!);
          rv = rv.map((v, i) => (1 - momentum) * v + momentum * st.unbiased[i]!);
          expectClose(bn.runningMean, rm, { rtol: 1e-5, atol: 1e-5 });
          expectClose(bn.runningVar, rv, { rtol: 1e-5, atol: 1e-5 });
        }
        bn.eval();
        const x = randn(shape, { seed: seed + 50 });
        expectClose(bn.forward(x), refNormalize(x.dataSync(), shape, rm, rv, g, b, 1e-5), {
          rtol: 1e-4,
          atol: 1e-4,
        });
        bn.dispose();
      });
    },
  );

  it("update the running statistics in place, under noGrad, keeping their identity", () => {
    tidy(() => {
      const bn = new BatchNorm2d(3);
      const rm = bn.runningMean;
      const rv = bn.runningVar;
      expect(bn.namedBuffers().map(([n2]) => n2)).toEqual(["runningMean", "runningVar"]);
      expect(bn.namedParameters().map(([n2]) => n2)).toEqual(["weight", "bias"]);
      const x = randn([4, 3, 2, 2], { seed: 1, mean: 2 });
      const { value, grads } = valueAndGrad(
        () => sum(mul(bn.forward(x), randn([4, 3, 2, 2], { seed: 2 }))),
        bn.parameters(),
      );
      expect(Number.isFinite(value.item())).toBe(true);
      expect(grads.map((t) => t.shape)).toEqual([[3], [3]]);
      expect(bn.runningMean).toBe(rm);
      expect(bn.stateDict().runningVar).toBe(rv);
      expect(rm.isDisposed || rv.isDisposed).toBe(false);
      // moved 10% of the way to the batch mean (≈ 2)
      for (const v of rm.dataSync()) expect(v).toBeGreaterThan(0.1);
      bn.dispose();
    });
  });

  it("without affine have no parameters; [N, C, L] takes statistics over N and L", () => {
    tidy(() => {
      const bn = new BatchNorm1d(2, { affine: false });
      expect(bn.parameters()).toEqual([]);
      expect(bn.weight).toBeNull();
      // channel 0 over N and L: [0, 2, 4, 6] → μ = 3, σ² = 5 → ±3/√(5 + ε), ±1/√(5 + ε);
      // channel 1 is constant: x − μ = 0 exactly, so y = 0 (ε > 0 keeps 0/√ε finite)
      const x = tensor([0, 2, 1, 1, 4, 6, 1, 1], { shape: [2, 2, 2] });
      const s5 = Math.sqrt(5 + 1e-5);
      expectClose(bn.forward(x), [
        [
          [-3 / s5, -1 / s5],
          [0, 0],
        ],
        [
          [1 / s5, 3 / s5],
          [0, 0],
        ],
      ]);
      // a constant channel: σ² = 0, running var ← 0.9·1 + 0.1·0 = 0.9
      expectClose(bn.runningVar, [1 + 0.1 * (20 / 3 - 1), 0.9]);
      bn.dispose();
    });
  });

  it("have the right gradients in training mode (through μ and σ²) and in eval mode", () => {
    tidy(() => {
      const cases: [Module, Tensor][] = [
        [new BatchNorm1d(3), randn([4, 3], { seed: 1 })],
        [new BatchNorm1d(2), randn([3, 2, 4], { seed: 2 })],
        [new BatchNorm2d(2), randn([2, 2, 3, 3], { seed: 3 })],
      ];
      for (const [bn, x] of cases) {
        const c = bn.parameters()[0]!.size;
        assign(bn.parameters()[0]!, randn([c], { seed: 4, mean: 1 }));
        assign(bn.parameters()[1]!, randn([c], { seed: 5 }));
        expectModuleGrad(bn, x);
        bn.eval();
        expectModuleGrad(bn, x);
        bn.dispose();
      }
    });
  });

  it("validate arguments and inputs with typed errors naming the layer", () => {
    tidy(() => {
      const bn1 = new BatchNorm1d(4);
      expect(() => bn1.forward(zeros([2, 5]))).toThrow(ShapeError);
      expect(() => bn1.forward(zeros([2, 5]))).toThrow(
        "BatchNorm1d: input has 5 channels (expected 4, got shape [2,5])",
      );
      expect(() => bn1.forward(zeros([2, 4, 3, 3]))).toThrow(
        "BatchNorm1d: input must have rank 2 or 3 (expected [N, C] or [N, C, L], got shape [2,4,3,3])",
      );
      // one value per channel cannot be normalised in training (PyTorch refuses too); eval can
      expect(() => bn1.forward(zeros([1, 4]))).toThrow(
        /BatchNorm1d: training needs more than one value per channel/,
      );
      expect(bn1.eval().forward(zeros([1, 4])).shape).toEqual([1, 4]);
      expect(() => bn1.forward(zeros([2, 4], "int32"))).toThrow(DTypeError);
      const bn2 = new BatchNorm2d(3);
      expect(() => bn2.forward(zeros([2, 3]))).toThrow(
        /BatchNorm2d: input must have rank 4 \(expected \[N, C, H, W\], got shape \[2,3\]\)/,
      );
      expect(() => bn2.forward(zeros([2, 1, 4, 4]))).toThrow(/BatchNorm2d: input has 1 channels/);
      bn1.dispose();
      bn2.dispose();
    });
    expect(() => new BatchNorm2d(0)).toThrow(/BatchNorm2d: numFeatures must be an integer ≥ 1/);
    expect(() => new BatchNorm1d(2, { momentum: 1.5 })).toThrow(
      /BatchNorm1d: momentum must be in \[0, 1\] \(got 1.5\)/,
    );
    expect(() => new BatchNorm1d(2, { epsilon: -1 })).toThrow(ArgumentError);
    expect(() => new BatchNorm1d(2, { affine: 0 as unknown as boolean })).toThrow(
      /BatchNorm1d: affine must be a boolean/,
    );
  });
});
