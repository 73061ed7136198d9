/*
 * The int8 kernels on hand-computed values and against a naive exact loop written here (BigInt for
 * the 64-bit product). The bit-exact comparison with the reference quantizer over fast-check
 * shapes lives in packages/quant/test/reference.test.ts (the reference is in @edgenn/quant, which
 * depends on this package).
 */
import { ArgumentError, ShapeError } from "@edgenn/tensor";
import {
  addQ8,
  avgPool2dQ8,
  conv2dQ8,
  INT8_MAX_K,
  linearQ8,
  linearQ8Int32,
  maxPool2dQ8,
  multiplyByQuantizedMultiplier,
  prepareAddQ8,
  prepareConv2dQ8,
  prepareLinearQ8,
  preparePool2dQ8,
  quantizeMultiplier,
  roundingDivideByPOT,
  saturatingRoundingDoublingHighMul,
  symmetricWeightScale,
} from "@edgenn/tensor/kernels";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const wide = { outZeroPoint: 0, actMin: -128, actMax: 127 };

/** MBQM written from its definition: round(x·2^left·m / 2³¹) (ties up), then round(·/2^right). */
function naiveMbqm(x: number, m: number, shift: number): number {
  const v = BigInt.asIntN(32, BigInt(x) << BigInt(Math.max(shift, 0)));
  if (v === -(2n ** 31n) && m === INT32_MIN) return INT32_MAX;
  const p = v * BigInt(m) * 2n; // the doubled product, exact
  // round half up of p / 2³²: ⌊(p + 2³¹) / 2³²⌋ (floor division on BigInt: adjust negatives)
  const num = p + 2n ** 31n;
  const d = 2n ** 32n;
  let h = num / d;
  if (num % d !== 0n && num < 0n) h -= 1n;
  const e = BigInt(Math.max(-shift, 0));
  if (e === 0n) return Number(h);
  const s = 2n ** e;
  const a = h < 0n ? -h : h;
  const r = (a + s / 2n) / s; // half away from zero
  return Number(h < 0n ? -r : r);
}

describe("fixed-point arithmetic", () => {
  it("golden values", () => {
    // frexp(0.5) = 0.5·2⁰ → (2³⁰, 0); frexp(3) = 0.75·2² → (3·2²⁹, 2)
    expect(quantizeMultiplier(0.5)).toEqual({ multiplier: 2 ** 30, shift: 0 });
    expect(quantizeMultiplier(3)).toEqual({ multiplier: 1610612736, shift: 2 });
    // 2⁻⁴⁰: shift −39 < −31 flushes to zero
    expect(quantizeMultiplier(2 ** -40)).toEqual({ multiplier: 0, shift: 0 });
    // weight scales: max/127 in float32; 1 for zeros; subnormal 130u/127 rounds to u, which would
    // put max|w| at 130 > 127, so the scale steps up to 2u (u = 2⁻¹⁴⁹)
    expect(symmetricWeightScale(1)).toBe(Math.fround(1 / 127));
    expect(symmetricWeightScale(0)).toBe(1);
    expect(symmetricWeightScale(130 * 2 ** -149)).toBe(2 * 2 ** -149);
    expect(() => quantizeMultiplier(Number.POSITIVE_INFINITY)).toThrow(ArgumentError);
    expect(saturatingRoundingDoublingHighMul(INT32_MIN, INT32_MIN)).toBe(INT32_MAX);
    // (2⁶⁰ + 2³⁰)/2³¹ → 2²⁹; ties up: 0.5 → 1, −0.5 → 0
    expect(saturatingRoundingDoublingHighMul(2 ** 30, 2 ** 30)).toBe(2 ** 29);
    expect(saturatingRoundingDoublingHighMul(1, 2 ** 30)).toBe(1);
    expect(saturatingRoundingDoublingHighMul(-1, 2 ** 30)).toBe(0);
    // ties away from zero
    expect(roundingDivideByPOT(5, 1)).toBe(3);
    expect(roundingDivideByPOT(-5, 1)).toBe(-3);
    expect(roundingDivideByPOT(INT32_MIN, 31)).toBe(-1);
    // 101·0.5 = 50.5 → 51
    expect(multiplyByQuantizedMultiplier(101, 2 ** 30, 0)).toBe(51);
  });

  it("MBQM equals its definition over int32 (BigInt, written here)", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: INT32_MIN, max: INT32_MAX }),
          fc.constantFrom(INT32_MIN, INT32_MAX, -1, 0, 1),
        ),
        // 2³⁰ and 3·2²⁹: ties for odd x, above and below the 2²² fast-path bound
        fc.oneof(
          fc.integer({ min: 2 ** 30, max: INT32_MAX }),
          fc.constantFrom(0, 2 ** 30, 3 * 2 ** 29),
        ),
        fc.integer({ min: -31, max: 31 }),
        (x, m, s) => {
          expect(multiplyByQuantizedMultiplier(x, m, s)).toBe(naiveMbqm(x, m, s));
        },
      ),
      { numRuns: 2000 },
    );
  });
  it("is exact where v·m is no longer exact in float64 (|v| ≥ 2²²)", () => {
    // pick m with v·m ≡ 2³⁰ − 1 (mod 2³¹): v·m + 2³⁰ is one below a multiple of 2³¹, and a
    // float64 v·m (≈ 2⁵⁴, spacing 4) would round up onto it and give one too many
    for (const v of [2 ** 23 + 1, -(2 ** 23 + 1), 2 ** 22 + 3, INT32_MAX, INT32_MIN + 1]) {
      const mod = 2n ** 31n;
      const bv = ((BigInt(v) % mod) + mod) % mod;
      let inv = bv; // Newton's iteration for the inverse of an odd number modulo 2³¹
      for (let i = 0; i < 5; i++) inv = (inv * (2n - bv * inv)) % mod;
      inv = ((inv % mod) + mod) % mod;
      const m = Number(((((2n ** 30n - 1n) * inv) % mod) + mod) % mod);
      expect(Number(((BigInt(v) * BigInt(m)) % mod) + mod) % 2 ** 31).toBe(2 ** 30 - 1);
      for (const shift of [0, -3, 2]) {
        expect(multiplyByQuantizedMultiplier(v, m, shift)).toBe(naiveMbqm(v, m, shift));
      }
    }
  });
});

describe("linearQ8", () => {
  it("golden: acc = Σ w·(x − zp) + bias, ·0.5, + zero point", () => {
    // x − zp = [0, 1, 2]; acc = [13, −4]; ·0.5 → [6.5 → 7, −2]; + 3 → [10, 1]
    const rq = {
      multipliers: [2 ** 30, 2 ** 30],
      shifts: [0, 0],
      outZeroPoint: 3,
      actMin: -128,
      actMax: 127,
    };
    const plan = prepareLinearQ8(
      new Int8Array([1, 1, 1, 2, -1, 0]),
      0,
      2,
      3,
      new Int32Array([10, -3]),
      0,
      1,
      rq,
    );
    const y = new Int8Array(2);
    linearQ8(plan, 1, new Int8Array([1, 2, 3]), 0, y, 0);
    expect(Array.from(y)).toEqual([10, 1]);
    const acc = new Int32Array(2);
    linearQ8Int32(plan, 1, new Int8Array([1, 2, 3]), 0, 1, acc, 0);
    expect(Array.from(acc)).toEqual([13, -4]);
    // the same layer with input zero point 0 (given per call): acc = [1 + 2 + 3 + 10, 2 − 2 − 3]
    linearQ8Int32(plan, 1, new Int8Array([1, 2, 3]), 0, 0, acc, 0);
    expect(Array.from(acc)).toEqual([16, -3]);
    // a fused ReLU at zero point 3 clamps the second output up to 3
    const relu = prepareLinearQ8(
      new Int8Array([1, 1, 1, 2, -1, 0]),
      0,
      2,
      3,
      new Int32Array([10, -3]),
      0,
      1,
      {
        ...rq,
        actMin: 3,
      },
    );
    linearQ8(relu, 1, new Int8Array([1, 2, 3]), 0, y, 0);
    expect(Array.from(y)).toEqual([10, 3]);
  });

  it("equals a naive exact loop over odd sizes (1, 7, 13, 33) and both K blocks", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 4, 7, 13),
        fc.constantFrom(1, 7, 13, 33),
        fc.constantFrom(1, 7, 33, 300),
        fc.integer({ min: -128, max: 127 }),
        fc.integer(),
        (m, n, k, zp, seed) => {
          let s = seed >>> 0 || 1;
          const next = () => {
            s ^= s << 13;
            s ^= s >>> 17;
            s ^= s << 5;
            return s >>> 0;
          };
          const x = Int8Array.from({ length: m * k }, () => (next() % 256) - 128);
          const w = Int8Array.from({ length: n * k }, () => (next() % 255) - 127);
          const bias = Int32Array.from({ length: n }, () => next() | 0);
          const multipliers = Array.from({ length: n }, () => 2 ** 30 + (next() % 2 ** 30));
          const shifts = Array.from({ length: n }, () => (next() % 24) - 20);
          const rq = {
            multipliers,
            shifts,
            outZeroPoint: (next() % 256) - 128,
            actMin: -128,
            actMax: 127,
          };
          const y = new Int8Array(m * n);
          linearQ8(prepareLinearQ8(w, 0, n, k, bias, 0, zp, rq), m, x, 0, y, 0);
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              let acc = 0;
              for (let p = 0; p < k; p++) acc += w[j * k + p]! * (x[i * k + p]! - zp);
              acc = (acc + bias[j]!) | 0; // the int32 accumulator wraps
              const q = naiveMbqm(acc, multipliers[j]!, shifts[j]!) + rq.outZeroPoint;
              expect(y[i * n + j]).toBe(Math.min(127, Math.max(-128, q)));
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it("refuses K past the int32 accumulator limit, and bad parameters, at prepare", () => {
    const rq = { multipliers: [2 ** 30], shifts: [0], ...wide };
    // the largest K with K·128·255 ≤ 2³¹ − 1
    expect(INT8_MAX_K * 128 * 255).toBeLessThanOrEqual(INT32_MAX);
    expect((INT8_MAX_K + 1) * 128 * 255).toBeGreaterThan(INT32_MAX);
    const k = INT8_MAX_K + 1;
    expect(() => prepareLinearQ8(new Int8Array(k), 0, 1, k, null, 0, 0, rq)).toThrow(ArgumentError);
    expect(() => prepareLinearQ8(new Int8Array(k), 0, 1, k, null, 0, 0, rq)).toThrow(
      /linearQ8: accumulation depth too large .*K ≤ 65793, got K = 65794/,
    );
    expect(() => prepareLinearQ8(new Int8Array(4), 0, 2, 2, null, 0, 0, rq)).toThrow(ShapeError);
    expect(() =>
      prepareLinearQ8(new Int8Array(2), 0, 1, 2, null, 0, 0, { ...rq, shifts: [-32] }),
    ).toThrow(/shifts\[0\]/);
    expect(() => prepareLinearQ8(new Int8Array(2), 0, 1, 2, new Int32Array(0), 0, 0, rq)).toThrow(
      /bias too short/,
    );
    expect(() => prepareLinearQ8(new Int8Array(2), 0, 1, 2.5, null, 0, 0, rq)).toThrow(
      /k must be an integer/,
    );
  });
});

describe("conv2dQ8", () => {
  const rq1 = { multipliers: [2 ** 30], shifts: [1], ...wide }; // real 1.0
  it("golden: padding holds the input zero point", () => {
    // x − zp = [[1, 2], [3, 4]], 2×2 ones, padding 1: each output sums its window inside the image
    const want = [1, 3, 2, 4, 10, 6, 3, 7, 4];
    const d = {
      batch: 1,
      inC: 1,
      inH: 2,
      inW: 2,
      outC: 1,
      outH: 3,
      outW: 3,
      kernelH: 2,
      kernelW: 2,
    };
    const p = {
      strideH: 1,
      strideW: 1,
      padTop: 1,
      padLeft: 1,
      dilationH: 1,
      dilationW: 1,
      groups: 1,
    };
    const plan = prepareConv2dQ8(new Int8Array([1, 1, 1, 1]), 0, null, 0, d, p, 5, rq1);
    expect(plan.path).toBe("im2col");
    const y = new Int8Array(18);
    conv2dQ8(plan, 1, new Int8Array([6, 7, 8, 9]), 0, y, 0);
    expect(Array.from(y.subarray(0, 9))).toEqual(want);
    // depthwise (two groups of one channel), the second weights doubled: 2·want, real 1.0
    const dw = { ...d, inC: 2, outC: 2 };
    const rq2 = { multipliers: [2 ** 30, 2 ** 30], shifts: [1, 1], ...wide };
    const w2 = new Int8Array([1, 1, 1, 1, 2, 2, 2, 2]);
    const plan2 = prepareConv2dQ8(w2, 0, null, 0, dw, { ...p, groups: 2 }, 5, rq2);
    expect(plan2.path).toBe("depthwise");
    conv2dQ8(plan2, 1, new Int8Array([6, 7, 8, 9, 6, 7, 8, 9]), 0, y, 0);
    expect(Array.from(y)).toEqual([...want, ...want.map((v) => 2 * v)]);
    // im2col with two input channels, the second all zero point (real 0): want again
    const plan3 = prepareConv2dQ8(
      new Int8Array([1, 1, 1, 1, 9, 9, 9, 9]),
      0,
      null,
      0,
      { ...d, inC: 2 },
      p,
      5,
      rq1,
    );
    conv2dQ8(plan3, 1, new Int8Array([6, 7, 8, 9, 5, 5, 5, 5]), 0, y, 0);
    expect(Array.from(y.subarray(0, 9))).toEqual(want);
  });

  it("golden: pointwise (1×1) mixes channels per pixel, with bias and per-channel multipliers", () => {
    // y[0] = 1·x0 + 2·x1 + 1 at ·1.0; y[1] = (x0 − x1 − 2)·0.5
    const d = {
      batch: 1,
      inC: 2,
      inH: 1,
      inW: 3,
      outC: 2,
      outH: 1,
      outW: 3,
      kernelH: 1,
      kernelW: 1,
    };
    const p = {
      strideH: 1,
      strideW: 1,
      padTop: 0,
      padLeft: 0,
      dilationH: 1,
      dilationW: 1,
      groups: 1,
    };
    const rq = { multipliers: [2 ** 30, 2 ** 30], shifts: [1, 0], ...wide };
    const plan = prepareConv2dQ8(
      new Int8Array([1, 2, 1, -1]),
      0,
      new Int32Array([1, -2]),
      0,
      d,
      p,
      0,
      rq,
    );
    expect(plan.path).toBe("pointwise");
    const y = new Int8Array(6);
    conv2dQ8(plan, 1, new Int8Array([1, 2, 3, 10, 20, 30]), 0, y, 0);
    // [1 + 20 + 1, 2 + 40 + 1, 3 + 60 + 1] and [(1 − 10 − 2)/2, (2 − 20 − 2)/2, (3 − 30 − 2)/2]
    // = [−5.5 → −5 (SRDHM ties up), −10, −14.5 → −14]
    expect(Array.from(y)).toEqual([22, 43, 64, -5, -10, -14]);
  });

  it("refuses channels that do not divide into groups and too deep a kernel", () => {
    const d = {
      batch: 1,
      inC: 3,
      inH: 2,
      inW: 2,
      outC: 2,
      outH: 2,
      outW: 2,
      kernelH: 1,
      kernelW: 1,
    };
    const p = {
      strideH: 1,
      strideW: 1,
      padTop: 0,
      padLeft: 0,
      dilationH: 1,
      dilationW: 1,
      groups: 2,
    };
    expect(() => prepareConv2dQ8(new Int8Array(6), 0, null, 0, d, p, 0, rq1)).toThrow(ShapeError);
    const deep = { ...d, inC: 7400, outC: 1, kernelH: 3, kernelW: 3, outH: 0 };
    expect(() =>
      prepareConv2dQ8(new Int8Array(9), 0, null, 0, deep, { ...p, groups: 1 }, 0, rq1),
    ).toThrow(/outH/);
    const deep2 = { ...deep, outH: 2 }; // K = 7400·9 = 66600 > 65793
    expect(() =>
      prepareConv2dQ8(new Int8Array(66600), 0, null, 0, deep2, { ...p, groups: 1 }, 0, rq1),
    ).toThrow(/K = 66600/);
  });
});

describe("pooling and add", () => {
  const d = { planes: 2, inH: 2, inW: 2, outH: 1, outW: 1 };
  const p = {
    kernelH: 2,
    kernelW: 2,
    strideH: 2,
    strideW: 2,
    padTop: 0,
    padLeft: 0,
    dilationH: 1,
    dilationW: 1,
    countIncludePad: false,
  };
  it("golden: max, and average rounded half away from zero", () => {
    const plan = preparePool2dQ8(d, p, 0, -128, 127);
    const y = new Int8Array(2);
    maxPool2dQ8(plan, 2, new Int8Array([1, -5, 7, 3, -9, -8, -7, -6]), 0, y, 0);
    expect(Array.from(y)).toEqual([7, -6]);
    // 6/4 = 1.5 → 2; −6/4 = −1.5 → −2
    avgPool2dQ8(plan, 2, new Int8Array([1, 2, 2, 1, -1, -2, -2, -1]), 0, y, 0);
    expect(Array.from(y)).toEqual([2, -2]);
    // a window wholly in the padding is refused at prepare
    expect(() =>
      preparePool2dQ8({ ...d, outW: 2 }, { ...p, padLeft: 1, kernelW: 1 }, 0, -128, 127),
    ).toThrow(/no tap inside the input/);
  });

  it("golden: add rescales each input (TFLite int8 Add)", () => {
    // 3·0.5 + 2·0.25 = 2.0 at scale 1; 127·0.5 + 127·0.25 = 95.25 → 95; −128·0.75 = −96
    const plan = prepareAddQ8(0.5, 0, 0.25, 0, 1, 0, -128, 127);
    expect([plan.aShift, plan.bShift, plan.outShift]).toEqual([0, -1, -19]);
    const y = new Int8Array(3);
    addQ8(plan, 3, new Int8Array([3, 127, -128]), 0, new Int8Array([2, 127, -128]), 0, y, 0);
    expect(Array.from(y)).toEqual([2, 95, -96]);
    // an output scale below 2·max/2²⁰ cannot be represented
    expect(() => prepareAddQ8(1, 0, 1, 0, 1e-9, 0, -128, 127)).toThrow(ArgumentError);
  });
});
