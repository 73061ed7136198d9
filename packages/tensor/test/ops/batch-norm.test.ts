import {
  ArgumentError,
  batchNorm,
  DTypeError,
  ShapeError,
  type Tensor,
  tensor,
  tidy,
} from "@edgenn/tensor";
import { arbShape, arbValues, expectClose, expectGrad, expectNoLeaks, size } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/** Naive inference batch norm over a flat row-major [N, C, …] array, in float64. */
function refBatchNorm(
  x: readonly number[],
  shape: readonly number[],
  p: { mean: number[]; variance: number[]; scale: number[]; bias: number[]; epsilon: number },
): number[] {
  const c = shape[1]!;
  const inner = shape.slice(2).reduce((a, b) => a * b, 1);
  return x.map((v, i) => {
    const ch = Math.floor(i / inner) % c;
    return (
      ((v - p.mean[ch]!) / Math.sqrt(p.variance[ch]! + p.epsilon)) * p.scale[ch]! + p.bias[ch]!
    );
  });
}

describe("batchNorm", () => {
  it("normalises per channel along axis 1 (golden)", () => {
    tidy(() => {
      // x [N=1, C=2, L=2]; ε = 0
      // ch 0: (x − 2)/√1 · 2 + 10 → (1 − 2)·2 + 10 = 8, (3 − 2)·2 + 10 = 12
      // ch 1: (x − 4)/√4 · 0.5 − 1 → (2 − 4)/2·0.5 − 1 = −1.5, (6 − 4)/2·0.5 − 1 = −0.5
      const y = batchNorm(
        tensor([
          [
            [1, 3],
            [2, 6],
          ],
        ]),
        {
          mean: tensor([2, 4]),
          variance: tensor([1, 4]),
          scale: tensor([2, 0.5]),
          bias: tensor([10, -1]),
          epsilon: 0,
        },
      );
      expect(y.shape).toEqual([1, 2, 2]);
      expect(y.toArray()).toEqual([
        [
          [8, 12],
          [-1.5, -0.5],
        ],
      ]);
      // scale and bias default to 1 and 0; default ε = 1e-5 keeps a zero variance finite:
      // (3 − 1)/√(0 + 1e-5) = 632.456, (5 − 1)/√(3 + 1e-5) = 2.309397
      expectClose(
        batchNorm(tensor([[3, 5]]), { mean: tensor([1, 1]), variance: tensor([0, 3]) }),
        [[632.4555, 2.309397]],
        { rtol: 1e-5 },
      );
      // numbers stand for the same value in every channel: (x − 1)/√4 · 3 + 1
      expect(
        batchNorm(tensor([[1, 3, 5]]), {
          mean: 1,
          variance: 4,
          scale: 3,
          bias: 1,
          epsilon: 0,
        }).toArray(),
      ).toEqual([[1, 4, 7]]);
    });
  });

  fcTest.prop(
    [
      arbShape({ minRank: 2, maxRank: 4, maxDim: 4 }).chain((shape) => {
        const c = shape[1]!;
        return fc.record({
          shape: fc.constant(shape),
          x: arbValues(size(shape), { min: -5, max: 5 }),
          mean: arbValues(c),
          variance: arbValues(c, { min: 0.05, max: 4 }),
          scale: arbValues(c),
          bias: arbValues(c),
          epsilon: fc.constantFrom(0, 1e-5, 1e-3),
        });
      }),
    ],
    { numRuns: 60 },
  )("matches a naive per-channel loop", (p) => {
    tidy(() => {
      const y = batchNorm(tensor(p.x, { shape: p.shape }), {
        mean: tensor(p.mean),
        variance: tensor(p.variance),
        scale: tensor(p.scale),
        bias: tensor(p.bias),
        epsilon: p.epsilon,
      });
      expect(y.shape).toEqual(p.shape);
      expectClose(y, refBatchNorm(p.x, p.shape, p), { rtol: 1e-5, atol: 1e-5 });
    });
  });

  it("has the right gradient w.r.t. x, scale, bias, mean and variance", () => {
    tidy(() => {
      const w = tensor([
        [
          [0.3, -1.2, 0.7],
          [1.1, 0.4, -0.5],
        ],
        [
          [-0.8, 0.9, 0.2],
          [0.6, -0.3, 1.4],
        ],
      ]);
      const f = (x: Tensor, scale: Tensor, bias: Tensor, mean: Tensor, variance: Tensor) =>
        batchNorm(x, { mean, variance, scale, bias }).mul(w).sum();
      expectGrad(
        (...a) => f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!),
        [
          tensor([
            [
              [0.5, -1.5, 2.0],
              [1.0, 0.2, -0.7],
            ],
            [
              [-0.4, 0.8, 1.3],
              [2.2, -1.1, 0.1],
            ],
          ]),
          tensor([1.5, -0.5]),
          tensor([0.2, 0.3]),
          tensor([0.1, -0.2]),
          tensor([0.8, 2.0]),
        ],
      );
    });
  });

  it("rejects bad input with typed errors naming the op", () => {
    tidy(() => {
      const x = tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      const ok = { mean: tensor([0, 0, 0]), variance: tensor([1, 1, 1]) };
      expect(() => batchNorm(tensor([1, 2, 3]), ok)).toThrow(ShapeError);
      expect(() => batchNorm(tensor([1, 2, 3]), ok)).toThrow(/batchNorm: x must have rank ≥ 2/);
      expect(() => batchNorm(x, { ...ok, mean: tensor([0, 0]) })).toThrow(
        /batchNorm: mean must be 1-D.*expected \[3\], got \[2\]/,
      );
      expect(() => batchNorm(x, { ...ok, scale: tensor([[1, 1, 1]]) })).toThrow(ShapeError);
      expect(() => batchNorm(x, { ...ok, bias: tensor(1) })).toThrow(ShapeError);
      expect(() => batchNorm(tensor([[1, 2]], { dtype: "int32" }), ok)).toThrow(DTypeError);
      expect(() =>
        batchNorm(x, { ...ok, variance: tensor([1, 1, 1], { dtype: "int32" }) }),
      ).toThrow(/batchNorm: variance has dtype int32/);
      expect(() => batchNorm(x, { ...ok, epsilon: -1e-5 })).toThrow(ArgumentError);
      expect(() => batchNorm(x, { ...ok, epsilon: Number.NaN })).toThrow(/batchNorm: epsilon/);
      expect(() =>
        batchNorm(x, { variance: tensor([1, 1, 1]) } as unknown as Parameters<typeof batchNorm>[1]),
      ).toThrow(/batchNorm: options.mean is required/);
      expect(() => batchNorm(x, undefined as unknown as Parameters<typeof batchNorm>[1])).toThrow(
        ArgumentError,
      );
    });
  });

  it("frees its intermediates", () => {
    const x = tensor([[[1, 2]], [[3, 4]]]);
    const p = { mean: tensor([1]), variance: tensor([2]), scale: tensor([3]), bias: 0.5 };
    expectNoLeaks(() => batchNorm(x, p).dispose(), { steps: 50 });
    expectNoLeaks(() => tidy(() => void batchNorm(x, { mean: 0, variance: 1 })), { steps: 50 });
  });
});
