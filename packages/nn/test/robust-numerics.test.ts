/*
 * Numerical robustness (issue 7, item 4): softmax, logSoftmax, crossEntropy, binaryCrossEntropy,
 * sigmoid, softplus, gelu and layerNorm, forward and gradient, stay finite and agree with float64
 * references written here for inputs up to ±1e4, for constant inputs, and for large offsets
 * (1e4 + small noise, where a one-pass variance or an unshifted exp breaks down). Gradients are
 * those of L = Σ w·f(x) with random weights w, against the closed forms (finite differences are
 * useless at ±1e4). References are computed from the float32-rounded inputs.
 */
import { valueAndGrad } from "@edgenn/autograd";
import { binaryCrossEntropy, crossEntropy } from "@edgenn/nn";
import {
  gelu,
  layerNorm,
  logSoftmax,
  mul,
  Rng,
  sigmoid,
  softmax,
  softplus,
  sum,
  type Tensor,
  tensor,
  tidy,
} from "@edgenn/tensor";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const f32 = Math.fround;

/** Rows of float32-representable inputs: mixtures of ±1e4 extremes, random values, constants, offsets. */
const arbRows = fc
  .record({
    rows: fc.integer({ min: 1, max: 4 }),
    cols: fc.integer({ min: 1, max: 6 }),
    kind: fc.constantFrom("mixed", "constant", "offset", "extreme"),
    seed: fc.integer({ min: 1, max: 1e9 }),
    c: fc.constantFrom(-1e4, -30, -1, 0, 2.5, 30, 1e4),
  })
  .map(({ rows, cols, kind, seed, c }) => {
    const rng = new Rng(seed);
    const x = new Float64Array(rows * cols);
    for (let i = 0; i < x.length; i++) {
      const u = rng.next() * 2 - 1;
      x[i] = f32(
        kind === "constant"
          ? c
          : kind === "offset"
            ? c + u
            : kind === "extreme"
              ? (rng.next() < 0.5 ? -1e4 : 1e4) * (rng.next() < 0.3 ? 1 : Math.sign(u) || 1)
              : rng.next() < 0.3
                ? u < 0
                  ? -1e4
                  : 1e4
                : u * 1e4,
      );
    }
    const w = Array.from({ length: x.length }, () => f32(rng.next() * 2 - 1));
    return { rows, cols, kind, x, w, seed };
  });
type Case = typeof arbRows extends fc.Arbitrary<infer T> ? T : never;

/** Runs `f` in a tidy scope and returns its plain (tensor-free) result. */
function scoped<T>(f: () => T): T {
  let out: T | undefined;
  tidy(() => {
    out = f();
  });
  return out as T;
}

/** f(x) and d(Σ w·f(x))/dx, computed by the library in float32. */
function run(f: (x: Tensor) => Tensor, c: Case): { y: Float32Array; dx: Float32Array } {
  return scoped(() => {
    const x = tensor(Float32Array.from(c.x), { shape: [c.rows, c.cols] });
    const w = tensor(Float32Array.from(c.w), { shape: [c.rows, c.cols] });
    let y: Float32Array = new Float32Array(0);
    const { grads } = valueAndGrad(() => {
      const out = f(x);
      y = Float32Array.from(out.dataSync());
      return sum(mul(out, w));
    }, [x]);
    return { y, dx: Float32Array.from(grads[0]!.dataSync()) };
  });
}

/** Row r of a flat row-major array. */
const row = (a: ArrayLike<number>, r: number, cols: number): number[] =>
  Array.from({ length: cols }, (_, j) => a[r * cols + j]!);

function expectFiniteClose(
  what: string,
  c: Case,
  actual: Float32Array,
  expected: ArrayLike<number>,
  tol: (i: number) => number,
): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const where = `${what}[${i}] for ${c.kind} input x = [${Array.from(c.x).join(", ")}] (shape [${c.rows},${c.cols}])`;
    expect(Number.isFinite(a), `${where}: got ${a}`).toBe(true);
    expect(Math.abs(a - e), `${where}: got ${a}, expected ${e}`).toBeLessThanOrEqual(tol(i));
  }
}

const rel =
  (rtol: number, atol: number, ref: ArrayLike<number>) =>
  (i: number): number =>
    atol + rtol * Math.abs(ref[i]!);

// float64 references ------------------------------------------------------------------------

function refSoftmax(x: number[]): number[] {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}
const lse = (x: number[]): number => {
  const m = Math.max(...x);
  return m + Math.log(x.reduce((a, v) => a + Math.exp(v - m), 0));
};
const refSigmoid = (v: number): number =>
  v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
const refSoftplus = (v: number): number => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));

/** erf to ~1e-15 (Taylor series for |x| < 3, continued fraction for erfc beyond). */
function erf(x: number): number {
  const a = Math.abs(x);
  if (a < 3) {
    let term = a;
    let s = a;
    for (let n = 1; n < 100; n++) {
      term *= (-a * a) / n;
      s += term / (2 * n + 1);
      if (Math.abs(term) < 1e-17) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * s;
  }
  // erfc(a) = e^{−a²}/√π · 1/(a + 1/2/(a + 1/(a + 3/2/(a + …)))) (Lentz-free backward evaluation)
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (a + f);
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / (a + f);
  return Math.sign(x) * (1 - erfc);
}
const Phi = (v: number): number => 0.5 * (1 + erf(v / Math.SQRT2));
const phi = (v: number): number => Math.exp(-0.5 * v * v) / Math.sqrt(2 * Math.PI);

/** Applies a row-wise reference to every row. */
function perRow(
  c: Case,
  f: (x: number[], w: number[]) => { y: number[]; dx: number[] },
): { y: number[]; dx: number[] } {
  const y: number[] = [];
  const dx: number[] = [];
  for (let r = 0; r < c.rows; r++) {
    const out = f(row(c.x, r, c.cols), row(c.w, r, c.cols));
    y.push(...out.y);
    dx.push(...out.dx);
  }
  return { y, dx };
}

const RUNS = { numRuns: 60 };

describe("numerical robustness for inputs up to ±1e4, constants and large offsets", () => {
  it("golden values at the extremes", () => {
    // softmax([1e4, 0, −1e4]) = [1, e^−1e4, e^−2e4] = [1, 0, 0]; log-softmax = [0, −1e4, −2e4]
    expect(Array.from(softmax(tensor([1e4, 0, -1e4])).dataSync())).toEqual([1, 0, 0]);
    expect(Array.from(logSoftmax(tensor([1e4, 0, -1e4])).dataSync())).toEqual([0, -1e4, -2e4]);
    // softplus(1e4) = 1e4 + log1p(e^−1e4) = 1e4; softplus(−1e4) = e^−1e4 = 0
    expect(Array.from(softplus(tensor([1e4, -1e4])).dataSync())).toEqual([1e4, 0]);
    // σ(±1e4) = 1, 0; gelu(1e4) = 1e4·Φ(1e4) = 1e4; gelu(−1e4) = −1e4·Φ(−1e4) = −0
    expect(Array.from(sigmoid(tensor([1e4, -1e4])).dataSync())).toEqual([1, 0]);
    expect(Math.abs(gelu(tensor([-1e4])).item())).toBe(0);
    expect(gelu(tensor([1e4])).item()).toBe(1e4);
    // a constant row: x − μ = 0 exactly, so layerNorm gives 0 (not 0/0)
    expect(Array.from(layerNorm(tensor([[1e4, 1e4, 1e4]])).dataSync())).toEqual([0, 0, 0]);
    // crossEntropy([[1e4, −1e4]], [1]) = lse − x₁ = 1e4 − (−1e4) = 2e4
    expect(crossEntropy(tensor([[1e4, -1e4]]), tensor([1], { dtype: "int32" })).item()).toBe(2e4);
    // bce(x = −1e4, t = 1) = max(x, 0) − x·t + log1p(e^−|x|) = 1e4
    expect(binaryCrossEntropy(tensor([-1e4]), tensor([1])).item()).toBe(1e4);
  });

  it("softmax: y = e^(x−m)/Σe^(x−m); dx = y·(w − Σ w·y)", () => {
    fc.assert(
      fc.property(arbRows, (c) => {
        const got = run((x) => softmax(x), c);
        const ref = perRow(c, (x, w) => {
          const y = refSoftmax(x);
          const wy = y.reduce((a, v, j) => a + v * w[j]!, 0);
          return { y, dx: y.map((v, j) => v * (w[j]! - wy)) };
        });
        expectFiniteClose("softmax", c, got.y, ref.y, rel(1e-5, 1e-6, ref.y));
        expectFiniteClose("d softmax", c, got.dx, ref.dx, rel(1e-4, 1e-6, ref.dx));
      }),
      RUNS,
    );
  });

  it("logSoftmax: y = x − lse(x); dx = w − softmax(x)·Σw", () => {
    fc.assert(
      fc.property(arbRows, (c) => {
        const got = run((x) => logSoftmax(x), c);
        const ref = perRow(c, (x, w) => {
          const l = lse(x);
          const sw = w.reduce((a, b) => a + b, 0);
          const p = refSoftmax(x);
          return { y: x.map((v) => v - l), dx: w.map((v, j) => v - p[j]! * sw) };
        });
        expectFiniteClose("logSoftmax", c, got.y, ref.y, rel(1e-6, 1e-5, ref.y));
        expectFiniteClose("d logSoftmax", c, got.dx, ref.dx, rel(1e-5, 1e-5, ref.dx));
      }),
      RUNS,
    );
  });

  it("sigmoid: y = 1/(1+e^−x); dx = w·y·(1−y)", () => {
    fc.assert(
      fc.property(arbRows, (c) => {
        const got = run((x) => sigmoid(x), c);
        const y = Array.from(c.x, refSigmoid);
        const dx = y.map((v, i) => c.w[i]! * v * (1 - v));
        expectFiniteClose("sigmoid", c, got.y, y, rel(1e-5, 1e-7, y));
        expectFiniteClose("d sigmoid", c, got.dx, dx, rel(1e-4, 1e-7, dx));
      }),
      RUNS,
    );
  });

  it("softplus: y = max(x,0) + log1p(e^−|x|); dx = w·σ(x)", () => {
    fc.assert(
      fc.property(arbRows, (c) => {
        const got = run((x) => softplus(x), c);
        const y = Array.from(c.x, refSoftplus);
        const dx = Array.from(c.x, (v, i) => c.w[i]! * refSigmoid(v));
        expectFiniteClose("softplus", c, got.y, y, rel(1e-5, 1e-6, y));
        expectFiniteClose("d softplus", c, got.dx, dx, rel(1e-4, 1e-7, dx));
      }),
      RUNS,
    );
  });

  it("gelu (exact and tanh): y = x·Φ(x); dx = w·(Φ(x) + x·φ(x))", () => {
    fc.assert(
      fc.property(arbRows, (c) => {
        const got = run((x) => gelu(x), c);
        const y = Array.from(c.x, (v) => v * Phi(v));
        const dx = Array.from(c.x, (v, i) => c.w[i]! * (Phi(v) + v * phi(v)));
        expectFiniteClose("gelu", c, got.y, y, rel(1e-5, 1e-5, y));
        expectFiniteClose("d gelu", c, got.dx, dx, rel(1e-4, 1e-5, dx));
        // the tanh form: u = √(2/π)(x + 0.044715x³) overflows x³ to ±Infinity in float32 for
        // |x| > 7e12 only; at ±1e4 it must still give x·½(1 + tanh u) → x or 0
        const k = Math.sqrt(2 / Math.PI);
        const gotT = run((x) => gelu(x, { approximate: "tanh" }), c);
        const yT = Array.from(c.x, (v) => 0.5 * v * (1 + Math.tanh(k * (v + 0.044715 * v ** 3))));
        const dxT = Array.from(c.x, (v, i) => {
          const t = Math.tanh(k * (v + 0.044715 * v ** 3));
          return c.w[i]! * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * k * (1 + 3 * 0.044715 * v * v));
        });
        expectFiniteClose("gelu tanh", c, gotT.y, yT, rel(1e-4, 1e-5, yT));
        expectFiniteClose("d gelu tanh", c, gotT.dx, dxT, rel(1e-3, 1e-4, dxT));
      }),
      RUNS,
    );
  });

  it("layerNorm: y = (x−μ)/√(σ²+ε); dx = (w − mean w − ŷ·mean(w·ŷ))/√(σ²+ε)", () => {
    const eps = 1e-5;
    fc.assert(
      fc.property(arbRows, (c) => {
        const got = run((x) => layerNorm(x), c);
        for (let r = 0; r < c.rows; r++) {
          const x = row(c.x, r, c.cols);
          const w = row(c.w, r, c.cols);
          const n = x.length;
          const mu = x.reduce((a, b) => a + b, 0) / n;
          const v = x.reduce((a, b) => a + (b - mu) ** 2, 0) / n;
          const s = Math.sqrt(v + eps);
          const yh = x.map((b) => (b - mu) / s);
          const mw = w.reduce((a, b) => a + b, 0) / n;
          const mwy = w.reduce((a, b, j) => a + b * yh[j]!, 0) / n;
          const dx = w.map((b, j) => (b - mw - yh[j]! * mwy) / s);
          // float32 rounding of μ costs up to a few ulp(max|x|), amplified by 1/s (and 1/s² for dx)
          const ulp = 2 ** -23 * Math.max(...x.map(Math.abs), 1e-30) * 4 * n;
          const constant = x.every((b) => b === x[0]);
          const yTol = constant ? 0 : 1e-4 + ulp / s;
          const scale = Math.max(...dx.map(Math.abs));
          const dTol = 1e-3 * scale + 1e-4 + (constant ? 0 : ulp / s ** 2);
          const gy = got.y.subarray(r * n, (r + 1) * n);
          const gd = got.dx.subarray(r * n, (r + 1) * n);
          expectFiniteClose(`layerNorm row ${r}`, c, gy, yh, () => yTol);
          expectFiniteClose(`d layerNorm row ${r}`, c, gd, dx, () => dTol);
        }
      }),
      RUNS,
    );
  });

  it("crossEntropy: mean(lse(x) − x_label); dx = (softmax(x) − onehot)/N", () => {
    fc.assert(
      fc.property(arbRows, fc.integer({ min: 0, max: 1e6 }), (c, s) => {
        const labels = Array.from({ length: c.rows }, (_, r) => (s + r * 7) % c.cols);
        const y = tensor(labels, { dtype: "int32" });
        const got = scoped(() => {
          const x = tensor(Float32Array.from(c.x), { shape: [c.rows, c.cols] });
          const { value, grads } = valueAndGrad(() => crossEntropy(x, y), [x]);
          return { v: value.item(), dx: Float32Array.from(grads[0]!.dataSync()) };
        });
        let total = 0;
        const dx: number[] = [];
        for (let r = 0; r < c.rows; r++) {
          const x = row(c.x, r, c.cols);
          total += lse(x) - x[labels[r]!]!;
          dx.push(...refSoftmax(x).map((p, j) => (p - (j === labels[r] ? 1 : 0)) / c.rows));
        }
        const ref = total / c.rows;
        expectFiniteClose("crossEntropy", c, Float32Array.of(got.v), [ref], rel(1e-5, 1e-5, [ref]));
        expectFiniteClose("d crossEntropy", c, got.dx, dx, rel(1e-4, 1e-6, dx));
        y.dispose();
      }),
      RUNS,
    );
  });

  it("binaryCrossEntropy: mean(max(x,0) − x·t + log1p(e^−|x|)); dx = (σ(x) − t)/n", () => {
    fc.assert(
      fc.property(arbRows, fc.boolean(), (c, hard) => {
        // targets: hard 0/1 labels, or soft probabilities (the w column mapped to [0, 1])
        const t = Array.from(c.w, (v, i) => (hard ? i % 2 : f32((v + 1) / 2)));
        const got = scoped(() => {
          const x = tensor(Float32Array.from(c.x), { shape: [c.rows, c.cols] });
          const tt = tensor(Float32Array.from(t), { shape: [c.rows, c.cols] });
          const { value, grads } = valueAndGrad(() => binaryCrossEntropy(x, tt), [x]);
          return { v: value.item(), dx: Float32Array.from(grads[0]!.dataSync()) };
        });
        const n = c.x.length;
        const ref = Array.from(c.x).reduce((a, v, i) => a + refSoftplus(v) - v * t[i]!, 0) / n;
        const dx = Array.from(c.x, (v, i) => (refSigmoid(v) - t[i]!) / n);
        // the loss sums terms of size up to 1e4 that cancel: its error is relative to Σ|terms|
        const mag = Array.from(c.x).reduce((a, v) => a + Math.abs(v) + 1, 0) / n;
        expectFiniteClose(
          "binaryCrossEntropy",
          c,
          Float32Array.of(got.v),
          [ref],
          () => 1e-5 + 1e-6 * mag,
        );
        expectFiniteClose("d binaryCrossEntropy", c, got.dx, dx, rel(1e-4, 1e-6, dx));
      }),
      RUNS,
    );
  });
});
