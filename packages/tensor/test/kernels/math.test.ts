// The portable transcendental functions: accuracy against Math.* (after float32 rounding, the form
// the kernels store), special values, and pinned bits (the functions are the definition of what a
// seed produces: any change to their results must be deliberate).
import { cosPi, erf, exp, expm1, log, log1p, pow, sinPi, tanh } from "@edgenn/tensor/kernels";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const F32 = new Float32Array(2);
const I32 = new Int32Array(F32.buffer);

/** Distance in float32 ulps between fround(a) and fround(b) (0 when both are NaN). */
function ulp32(a: number, b: number): number {
  F32[0] = a;
  F32[1] = b;
  if (Number.isNaN(F32[0]) && Number.isNaN(F32[1])) return 0;
  if (Number.isNaN(F32[0]) || Number.isNaN(F32[1])) return Number.POSITIVE_INFINITY;
  const ord = (i: number) => (i < 0 ? -2147483648 - i : i); // monotone in the float value
  return Math.abs(ord(I32[0]!) - ord(I32[1]!));
}

/** xorshift32 in [0, 1): the sample points, seeded, identical on every run. */
function uniform(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

interface Stats {
  n: number;
  exact: number;
  maxUlp: number;
  worst: number;
}

/** Compares f with ref at n float32 points drawn from [lo, hi] (log-uniform when `logScale`). */
function compare(
  f: (x: number) => number,
  ref: (x: number) => number,
  lo: number,
  hi: number,
  n: number,
  logScale = false,
): Stats {
  const r = uniform(n ^ Math.round(hi * 1000));
  const s: Stats = { n, exact: 0, maxUlp: 0, worst: Number.NaN };
  for (let i = 0; i < n; i++) {
    const u = r();
    const x = Math.fround(logScale ? lo * (hi / lo) ** u : lo + (hi - lo) * u);
    const d = ulp32(f(x), ref(x));
    if (d === 0) s.exact++;
    if (d > s.maxUlp) {
      s.maxUlp = d;
      s.worst = x;
    }
  }
  return s;
}

/** ≤ 1 float32 ulp everywhere, and the same float32 as Math.* on ≥ 99.9 % of points. */
function expectAccurate(s: Stats): void {
  expect(s.maxUlp, `worst at x = ${s.worst}`).toBeLessThanOrEqual(1);
  expect(s.exact / s.n).toBeGreaterThanOrEqual(0.999);
}

/** erf in float64: Maclaurin series for |x| < 3, else the erfc continued fraction (< 1e−13). */
function erfRef(x: number): number {
  const a = Math.abs(x);
  if (a < 3) {
    // erf x = 2/√π Σ (−1)ⁿ x^(2n+1) / (n!(2n+1))
    let term = a;
    let sum = a;
    for (let n = 1; n < 200; n++) {
      term *= (-a * a) / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * ((2 / Math.sqrt(Math.PI)) * sum);
  }
  // erfc x = e^(−x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …))))
  let f = a;
  for (let k = 60; k >= 1; k--) f = a + k / 2 / f;
  return Math.sign(x) * (1 - Math.exp(-a * a) / (Math.sqrt(Math.PI) * f));
}

describe("portable math: golden values", () => {
  it("matches known values", () => {
    // e¹ = 2.718281828459045 (the float64 nearest e), e⁰ = 1, ln 1 = 0, ln e = 1
    expect(exp(1)).toBe(Math.E);
    expect(exp(0)).toBe(1);
    expect(log(1)).toBe(0);
    expect(log(Math.E)).toBe(1);
    // ln 2 = 0.6931471805599453; ln 1024 = 10·ln 2
    expect(log(2)).toBe(Math.LN2);
    expect(log(1024)).toBeCloseTo(10 * Math.LN2, 15);
    // expm1(x) ≈ x + x²/2, log1p(x) ≈ x − x²/2 for tiny x: no cancellation
    expect(expm1(1e-10)).toBeCloseTo(1.00000000005e-10, 24);
    expect(log1p(1e-10)).toBeCloseTo(9.9999999995e-11, 24);
    // tanh ½ = (e − 1)/(e + 1) = 0.46211715726000974
    expect(tanh(0.5)).toBeCloseTo(0.46211715726000974, 16);
    // erf 1 = 0.8427007929497149, erf 3.5 = 0.9999992569016276
    expect(erf(1)).toBeCloseTo(0.8427007929497149, 16);
    expect(erf(3.5)).toBeCloseTo(0.9999992569016276, 16);
    // sin(π/2) = 1, cos π = −1, sin(π/6) = ½, cos(π/3) = ½
    expect(sinPi(0.5)).toBe(1);
    expect(cosPi(1)).toBe(-1);
    expect(sinPi(1 / 6)).toBeCloseTo(0.5, 15);
    expect(cosPi(1 / 3)).toBeCloseTo(0.5, 15);
    // integer powers are exact: 3² = 9, (−2)³ = −8, 10¹⁵, 2⁻¹⁰⁷⁴ = the smallest subnormal
    expect(pow(3, 2)).toBe(9);
    expect(pow(-2, 3)).toBe(-8);
    expect(pow(10, 15)).toBe(1e15);
    expect(pow(2, -1074)).toBe(5e-324);
    expect(pow(4, 0.5)).toBeCloseTo(2, 15);
  });
});

describe("portable math: accuracy against Math.* in float32 ulps", () => {
  it("exp over [−104, 89] and [−745, 710]", () => {
    expectAccurate(compare(exp, Math.exp, -104, 89, 100_000));
    expectAccurate(compare(exp, Math.exp, -1e-3, 1e-3, 20_000));
    expectAccurate(compare(exp, Math.exp, -745, 710, 20_000));
  });

  it("expm1 over [−40, 89] and near 0", () => {
    expectAccurate(compare(expm1, Math.expm1, -40, 89, 50_000));
    expectAccurate(compare(expm1, Math.expm1, -1e-4, 1e-4, 20_000));
  });

  it("log over [1e−45, 3.4e38] (log-uniform, subnormals included) and near 1", () => {
    expectAccurate(compare(log, Math.log, 1e-45, 3.4e38, 100_000, true));
    expectAccurate(compare(log, Math.log, 0.5, 2, 50_000));
  });

  it("log1p over (−1, 1e30] and near 0", () => {
    expectAccurate(compare(log1p, Math.log1p, -0.999999, 3, 50_000));
    expectAccurate(compare(log1p, Math.log1p, 1e-8, 1e30, 50_000, true));
    expectAccurate(compare(log1p, Math.log1p, -1e-4, 1e-4, 20_000));
  });

  it("tanh over [−25, 25] and near 0", () => {
    expectAccurate(compare(tanh, Math.tanh, -25, 25, 50_000));
    expectAccurate(compare(tanh, Math.tanh, -1e-3, 1e-3, 20_000));
  });

  it("erf over [−7, 7] against a float64 series/continued fraction", () => {
    expectAccurate(compare(erf, erfRef, -7, 7, 50_000));
    expectAccurate(compare(erf, erfRef, -1e-3, 1e-3, 20_000));
  });

  it("sinPi/cosPi over [−4, 4] against Math.sin/cos(π·x)", () => {
    // near a zero, π·x rounded has an absolute error ~1e−16: compare the values there instead
    const near = (f: (x: number) => number, g: (x: number) => number) => (x: number) =>
      Math.abs(f(x) - g(x)) < 1e-15 ? g(x) : f(x);
    const s = (x: number) => Math.sin(Math.PI * x);
    const c = (x: number) => Math.cos(Math.PI * x);
    expectAccurate(compare(near(sinPi, s), s, -4, 4, 50_000));
    expectAccurate(compare(near(cosPi, c), c, -4, 4, 50_000));
  });

  it("pow against ** for positive bases, integer and fractional exponents", () => {
    fc.assert(
      fc.property(
        fc.float({ min: Math.fround(1e-3), max: Math.fround(1e3), noNaN: true }),
        fc.oneof(fc.integer({ min: -12, max: 12 }), fc.float({ min: -8, max: 8, noNaN: true })),
        (x, y) => ulp32(pow(x, y), x ** y) <= 1,
      ),
      { numRuns: 2000 },
    );
    const ys = [-2.5, -1, -0.5, 0.5, 1.5, 3, 7.25];
    for (const y of ys)
      expectAccurate(
        compare(
          (x) => pow(x, y),
          (x) => x ** y,
          1e-3,
          1e3,
          5000,
        ),
      );
    // negative bases with integer exponents keep the sign of (−1)ⁿ
    expectAccurate(
      compare(
        (x) => pow(x, 3),
        (x) => x ** 3,
        -100,
        100,
        5000,
      ),
    );
  });
});

describe("portable math: special values", () => {
  const INF = Number.POSITIVE_INFINITY;

  it("exp/expm1: ±0, ±∞, NaN, overflow and underflow thresholds", () => {
    expect(exp(-0)).toBe(1);
    expect(exp(INF)).toBe(INF);
    expect(exp(-INF)).toBe(0);
    expect(exp(Number.NaN)).toBeNaN();
    // float64: overflow above 709.782712893384, subnormal results down to −745.1332191019411
    expect(exp(709.78)).toBeLessThan(INF);
    expect(exp(709.79)).toBe(INF);
    expect(exp(-745.13)).toBe(5e-324);
    expect(exp(-745.14)).toBe(0);
    // float32: ln(FLT_MAX) = 88.7228391; e^−103.9721 is the smallest float32 subnormal
    expect(Math.fround(exp(88.72283))).toBeLessThan(INF);
    expect(Math.fround(exp(88.72284))).toBe(INF);
    expect(Math.fround(exp(-103.2789))).toBe(Math.fround(Math.exp(-103.2789)));
    expect(Math.fround(exp(-104))).toBe(0);
    expect(Object.is(expm1(-0), -0)).toBe(true);
    expect(expm1(INF)).toBe(INF);
    expect(expm1(-INF)).toBe(-1);
    expect(expm1(-50)).toBe(-1);
    expect(expm1(Number.NaN)).toBeNaN();
    expect(expm1(709.79)).toBe(INF);
  });

  it("log/log1p: zero, negatives, ±∞, NaN, subnormals, 1", () => {
    expect(log(0)).toBe(-INF);
    expect(log(-0)).toBe(-INF);
    expect(log(-1)).toBeNaN();
    expect(log(-INF)).toBeNaN();
    expect(log(INF)).toBe(INF);
    expect(log(Number.NaN)).toBeNaN();
    expect(Object.is(log(1), 0)).toBe(true);
    // ln(2⁻¹⁰⁷⁴) = −1074·ln 2 = −744.4400719213812; ln(float32 min subnormal 2⁻¹⁴⁹)
    expect(log(5e-324)).toBeCloseTo(-744.4400719213812, 12);
    expect(log(2 ** -149)).toBeCloseTo(-149 * Math.LN2, 12);
    expect(log(Number.MAX_VALUE)).toBeCloseTo(709.782712893384, 12);
    expect(Object.is(log1p(-0), -0)).toBe(true);
    expect(log1p(-1)).toBe(-INF);
    expect(log1p(-2)).toBeNaN();
    expect(log1p(INF)).toBe(INF);
    expect(log1p(Number.NaN)).toBeNaN();
    expect(log1p(5e-324)).toBe(5e-324);
  });

  it("tanh/erf: ±0, ±∞, NaN, saturation", () => {
    expect(Object.is(tanh(-0), -0)).toBe(true);
    expect(tanh(INF)).toBe(1);
    expect(tanh(-INF)).toBe(-1);
    expect(tanh(30)).toBe(1);
    expect(tanh(Number.NaN)).toBeNaN();
    expect(Object.is(erf(-0), -0)).toBe(true);
    expect(erf(INF)).toBe(1);
    expect(erf(-INF)).toBe(-1);
    expect(erf(Number.NaN)).toBeNaN();
    expect(erf(1e-310)).toBeCloseTo((2 / Math.sqrt(Math.PI)) * 1e-310, 320);
  });

  it("sinPi/cosPi: exact zeros and ones, ±∞ and NaN", () => {
    for (const n of [-3, -2, -1, 1, 2, 3, 1e20]) expect(Math.abs(sinPi(n))).toBe(0);
    expect(Object.is(sinPi(-0), -0)).toBe(true);
    for (const h of [-1.5, -0.5, 0.5, 1.5, 2.5]) expect(Math.abs(cosPi(h))).toBe(0);
    expect(cosPi(2)).toBe(1);
    expect(sinPi(-0.5)).toBe(-1);
    expect(sinPi(INF)).toBeNaN();
    expect(cosPi(-INF)).toBeNaN();
    expect(sinPi(Number.NaN)).toBeNaN();
  });

  it("pow follows C/NumPy's special cases", () => {
    expect(pow(Number.NaN, 0)).toBe(1);
    expect(pow(1, Number.NaN)).toBe(1);
    expect(pow(-1, INF)).toBe(1);
    expect(pow(-1, -INF)).toBe(1);
    expect(pow(2, Number.NaN)).toBeNaN();
    expect(pow(-2, 0.5)).toBeNaN();
    expect(pow(0, 2.5)).toBe(0);
    expect(pow(0, -2.5)).toBe(INF);
    expect(Object.is(pow(-0, 3), -0)).toBe(true);
    expect(pow(-0, -3)).toBe(-INF);
    expect(pow(INF, 0.5)).toBe(INF);
    expect(pow(INF, -0.5)).toBe(0);
    expect(pow(-INF, 3)).toBe(-INF);
    expect(pow(-INF, 0.5)).toBe(INF);
    expect(pow(0.5, INF)).toBe(0);
    expect(pow(2, INF)).toBe(INF);
    expect(pow(2, -INF)).toBe(0);
    expect(pow(0.5, -INF)).toBe(INF);
    expect(pow(-2, 2001)).toBe(-INF);
    expect(pow(-1.0001, 4096)).toBeGreaterThan(1);
  });
});

describe("portable math: pinned bits", () => {
  it("the float64 results over fixed points hash to pinned values (identical on every engine)", () => {
    // FNV-1a over the 32-bit words of each function's results at 4,000 fixed points: a change here
    // changes what every seed produces, on every runtime
    const words = new Uint32Array(new Float64Array(1).buffer);
    const f64 = new Float64Array(words.buffer);
    const hash = (f: (x: number) => number, lo: number, step: number) => {
      let h = 0x811c9dc5;
      for (let i = 0; i < 4000; i++) {
        f64[0] = f(lo + i * step);
        for (let w = 0; w < 2; w++) h = Math.imul(h ^ words[w]!, 0x01000193) >>> 0;
      }
      return h.toString(16);
    };
    expect({
      exp: hash(exp, -100, 0.047),
      expm1: hash(expm1, -20, 0.0101),
      log: hash(log, 1e-3, 0.037),
      log1p: hash(log1p, -0.999, 0.0113),
      tanh: hash(tanh, -10, 0.0051),
      erf: hash(erf, -6, 0.0031),
      sinPi: hash(sinPi, -3, 0.00157),
      cosPi: hash(cosPi, -3, 0.00157),
      pow: hash((x) => pow(x, 1.37), 1e-3, 0.0131),
    }).toMatchInlineSnapshot(`
      {
        "cosPi": "1cf08f2f",
        "erf": "760ec728",
        "exp": "1d1bb295",
        "expm1": "88046499",
        "log": "6622665",
        "log1p": "d27914cd",
        "pow": "a259ad5c",
        "sinPi": "6b870fb1",
        "tanh": "22bce645",
      }
    `);
  });
});
