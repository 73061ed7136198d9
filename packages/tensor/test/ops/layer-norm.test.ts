import {
  ArgumentError,
  DTypeError,
  layerNorm,
  ShapeError,
  type Tensor,
  tensor,
  tidy,
} from "@edgenn/tensor";
import {
  arbShape,
  arbValues,
  expectClose,
  expectGrad,
  expectNoLeaks,
  readBroadcast,
  size,
  unravel,
} from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/**
 * Naive layer norm in float64: for each outer index, the mean and biased variance of the `n`
 * trailing elements, then (x − μ)/√(σ² + ε)·scale + bias with scale/bias read by broadcasting.
 */
function refLayerNorm(
  x: readonly number[],
  shape: readonly number[],
  axis: number,
  epsilon: number,
  scale: { data: number[]; shape: number[] } | null,
  bias: { data: number[]; shape: number[] } | null,
): number[] {
  const normShape = shape.slice(axis);
  const n = size(normShape);
  const out = new Array<number>(x.length);
  for (let o = 0; o < x.length / n; o++) {
    let mean = 0;
    for (let j = 0; j < n; j++) mean += x[o * n + j]!;
    mean /= n;
    let variance = 0;
    for (let j = 0; j < n; j++) variance += (x[o * n + j]! - mean) ** 2;
    variance /= n;
    for (let j = 0; j < n; j++) {
      const idx = unravel(j, normShape);
      const s = scale ? readBroadcast(scale.data, scale.shape, idx) : 1;
      const b = bias ? readBroadcast(bias.data, bias.shape, idx) : 0;
      out[o * n + j] = ((x[o * n + j]! - mean) / Math.sqrt(variance + epsilon)) * s + b;
    }
  }
  return out;
}

describe("layerNorm", () => {
  it("normalises the last axis by default (golden)", () => {
    tidy(() => {
      // row 0: μ = 2, σ² = (1 + 0 + 1)/3 = 2/3 → (x − 2)/√(2/3 + 1e-5) = [−1.2247357, 0, 1.2247357]
      //        ·[1, 2, 3] + 0.5 = [−0.7247357, 0.5, 4.1742071]
      // row 1: constant → x − μ = 0 → y = bias = 0.5
      const y = layerNorm(
        tensor([
          [1, 2, 3],
          [4, 4, 4],
        ]),
        { scale: tensor([1, 2, 3]), bias: tensor([0.5, 0.5, 0.5]) },
      );
      expectClose(y, [
        [-0.7247357, 0.5, 4.1742071],
        [0.5, 0.5, 0.5],
      ]);
      // without scale/bias: [−1.2247357, 0, 1.2247357]
      expectClose(layerNorm(tensor([1, 2, 3])), [-1.2247357, 0, 1.2247357]);
    });
  });

  it("normalises over axis … rank−1 together", () => {
    tidy(() => {
      // axis 1 of [2, 2, 2]: each [2, 2] block; block 0 = [0, 2, 4, 6]: μ = 3, σ² = 5, ε = 0
      // → (x − 3)/√5 = [−1.3416408, −0.4472136, 0.4472136, 1.3416408]; block 1 = 10·block 0 → same
      const x = tensor([
        [
          [0, 2],
          [4, 6],
        ],
        [
          [0, 20],
          [40, 60],
        ],
      ]);
      const e = [
        [-1.3416408, -0.4472136],
        [0.4472136, 1.3416408],
      ];
      expectClose(layerNorm(x, { axis: 1, epsilon: 0 }), [e, e]);
      expectClose(layerNorm(x, { axis: -2, epsilon: 0 }), [e, e]);
      // scale [2] broadcasts over the last dim of the [2, 2] normalised shape: columns ×1 and ×−1
      expectClose(layerNorm(x, { axis: 1, epsilon: 0, scale: tensor([1, -1]) }), [
        [
          [-1.3416408, 0.4472136],
          [0.4472136, -1.3416408],
        ],
        [
          [-1.3416408, 0.4472136],
          [0.4472136, -1.3416408],
        ],
      ]);
    });
  });

  it("gives exactly the bias on constant rows whose float32 mean is inexact", () => {
    tidy(() => {
      // fround(fround(3c)/3) ≠ c for c = −3.763371 (and n = 5, c = 0.23643249): a mean computed
      // directly leaves x − μ ≈ 2e-7, which 1/√(0 + 1e-5) turns into ≈ 0.07; shifting each row by its
      // first element makes x − μ exactly 0
      const c3 = Math.fround(-3.763370990753174);
      const c5 = Math.fround(0.2364324927330017);
      expect(layerNorm(tensor([[c3, c3, c3]]), { bias: 2 }).toArray()).toEqual([[2, 2, 2]]);
      expect(layerNorm(tensor(new Float32Array(5).fill(c5)), { bias: -1 }).toArray()).toEqual([
        -1, -1, -1, -1, -1,
      ]);
    });
  });

  fcTest.prop(
    [
      fc.record({
        shape: arbShape({ minRank: 1, maxRank: 3, maxDim: 7 }),
        // full-mantissa values in ±8192 (fc.float favours round numbers, whose means are exact)
        c: fc.integer({ min: -(2 ** 30), max: 2 ** 30 }).map((i) => Math.fround(i / 2 ** 17)),
        scale: fc.float({ min: -3, max: 3, noNaN: true }),
        bias: fc.float({ min: -3, max: 3, noNaN: true }),
      }),
    ],
    { numRuns: 40 },
  )("gives exactly the bias on a constant input", ({ shape, c, scale, bias }) => {
    tidy(() => {
      const x = tensor(new Float32Array(size(shape)).fill(c), { shape });
      const y = layerNorm(x, { scale, bias: tensor([bias]) });
      // (+0 normalises −0: 0·scale may be −0)
      expect(Array.from(y.dataSync(), (v) => v + 0)).toEqual(
        new Array(size(shape)).fill(Math.fround(bias) + 0),
      );
    });
  });

  it("is stable for large offsets (never E[x²] − E[x]²)", () => {
    tidy(() => {
      // 1e4 + [0, 1, 2, 3]: μ = 10001.5, σ² = 1.25 → (x − μ)/√1.25000001 = [−1.3416354, −0.4472118, …]
      // (E[x²] − E[x]² in float32 gives σ² = 0 here)
      const off = [0, 1, 2, 3].map((v) => 1e4 + v);
      const e = [-1.3416354, -0.4472118, 0.4472118, 1.3416354];
      expectClose(layerNorm(tensor(off)), e);
      expectClose(
        layerNorm(tensor(off.map((v) => -v))),
        e.map((v) => -v),
      );
      const y = layerNorm(tensor([1e4, -1e4, 1e4, -1e4]));
      expectClose(y, [1, -1, 1, -1]);
    });
  });

  fcTest.prop(
    [
      arbShape({ minRank: 1, maxRank: 4, maxDim: 4 }).chain((shape) =>
        fc.integer({ min: -shape.length, max: shape.length - 1 }).chain((ax) => {
          const axis = ax < 0 ? ax + shape.length : ax;
          const normShape = shape.slice(axis);
          // scale: the normalised shape, or a trailing part of it with some dims set to 1
          const arbParam = fc
            .tuple(
              fc.integer({ min: 0, max: normShape.length }),
              fc.array(fc.boolean(), { minLength: normShape.length, maxLength: normShape.length }),
            )
            .map(([drop, ones]) => normShape.map((d, i) => (ones[i] ? 1 : d)).slice(drop))
            .chain((s) => arbValues(size(s)).map((data) => ({ data, shape: s })));
          return fc.record({
            shape: fc.constant(shape),
            axis: fc.constant(ax),
            x: arbValues(size(shape), { min: -5, max: 5 }),
            scale: fc.option(arbParam, { nil: null }),
            bias: fc.option(arbParam, { nil: null }),
            epsilon: fc.constantFrom(1e-5, 1e-2),
          });
        }),
      ),
    ],
    { numRuns: 80 },
  )("matches a naive loop over random shapes and axes", (p) => {
    tidy(() => {
      const axis = p.axis < 0 ? p.axis + p.shape.length : p.axis;
      const y = layerNorm(tensor(p.x, { shape: p.shape }), {
        axis: p.axis,
        epsilon: p.epsilon,
        scale: p.scale ? tensor(p.scale.data, { shape: p.scale.shape }) : undefined,
        bias: p.bias ? tensor(p.bias.data, { shape: p.bias.shape }) : undefined,
      });
      expect(y.shape).toEqual(p.shape);
      const ref = refLayerNorm(p.x, p.shape, axis, p.epsilon, p.scale, p.bias);
      // (x − μ) carries float32 rounding (~1e-6) that 1/√(σ² + ε) can amplify up to 1/√1e-5 ≈ 316
      expectClose(y, ref, { rtol: 1e-3, atol: 1e-3 });
      for (const v of y.dataSync()) expect(Number.isFinite(v)).toBe(true);
    });
  });

  it("has the right gradient w.r.t. x, scale and bias", () => {
    tidy(() => {
      const w = tensor([
        [0.3, -1.2, 0.7, 0.5],
        [1.1, 0.4, -0.5, -0.9],
      ]);
      const f = (x: Tensor, scale: Tensor, bias: Tensor) =>
        layerNorm(x, { scale, bias }).mul(w).sum();
      expectGrad(
        (...a) => f(a[0]!, a[1]!, a[2]!),
        [
          tensor([
            [0.5, -1.5, 2.0, 0.3],
            [1.0, 0.2, -0.7, 1.6],
          ]),
          tensor([1.5, -0.5, 0.8, 1.2]),
          tensor([0.2, 0.3, -0.1, 0.0]),
        ],
      );
      // axis 1 of a [2, 2, 3] input, scale/bias of shape [2, 3]
      const w3 = tensor([
        [
          [0.2, -0.4, 0.9],
          [1.3, -0.6, 0.1],
        ],
        [
          [-1.0, 0.5, 0.8],
          [0.4, 0.7, -0.3],
        ],
      ]);
      expectGrad(
        (x, scale, bias) => layerNorm(x!, { axis: 1, scale: scale!, bias: bias! }).mul(w3).sum(),
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
          tensor([
            [1.5, -0.5, 0.8],
            [1.2, 0.9, -1.1],
          ]),
          tensor([
            [0.2, 0.3, -0.1],
            [0.0, 0.4, 0.6],
          ]),
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
      expect(() => layerNorm(x, { axis: 2 })).toThrow(ShapeError);
      expect(() => layerNorm(x, { axis: -3 })).toThrow(/layerNorm: axis out of range/);
      expect(() => layerNorm(x, { axis: 0.5 })).toThrow(ShapeError);
      expect(() => layerNorm(x, { axis: "1" as unknown as number })).toThrow(
        /layerNorm: axis must be an integer/,
      );
      expect(() => layerNorm(tensor(3))).toThrow(/layerNorm: x must have rank ≥ 1/);
      expect(() => layerNorm(x, { scale: tensor([1, 2]) })).toThrow(
        /layerNorm: scale must broadcast.*\[3\], got \[2\]/,
      );
      expect(() => layerNorm(x, { axis: -1, bias: tensor([[1, 2, 3]]) })).toThrow(ShapeError);
      expect(() => layerNorm(tensor([[1, 2]], { dtype: "int32" }))).toThrow(DTypeError);
      expect(() => layerNorm(x, { scale: tensor([1, 2, 3], { dtype: "int32" }) })).toThrow(
        /layerNorm: scale has dtype int32/,
      );
      expect(() => layerNorm(x, { epsilon: -1 })).toThrow(ArgumentError);
      expect(() => layerNorm(x, { epsilon: Number.POSITIVE_INFINITY })).toThrow(
        /layerNorm: epsilon/,
      );
    });
  });

  it("handles empty tensors and frees its intermediates", () => {
    tidy(() => {
      expect(layerNorm(tensor([], { shape: [0, 3] })).shape).toEqual([0, 3]);
      expect(layerNorm(tensor([], { shape: [2, 0] })).shape).toEqual([2, 0]);
    });
    const x = tensor([
      [1, 2, 3],
      [3, 3, 3],
    ]);
    const scale = tensor([1, 2, 3]);
    expectNoLeaks(() => layerNorm(x, { scale, bias: 1 }).dispose(), { steps: 50 });
  });
});
