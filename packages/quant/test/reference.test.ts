import {
  activationRange,
  chooseQuantParams,
  dequantizeValue,
  dequantizeWeightsPerChannel,
  multiplyByQuantizedMultiplier,
  quantizeBias,
  quantizedAddParams,
  quantizeMultiplier,
  quantizeValue,
  quantizeWeightsPerChannel,
  type RequantParams,
  referenceAdd,
  referenceAvgPool2d,
  referenceConv2d,
  referenceLinear,
  referenceLinearAcc,
  referenceMaxPool2d,
  requantize,
  requantMultipliers,
  roundingDivideByPOT,
  saturatingRoundingDoublingHighMul,
  wrapInt32,
} from "@edgenn/quant";
import { ArgumentError, type Conv2dParams, type Pool2dParams, ShapeError } from "@edgenn/tensor";
import type { Conv2dDims, Pool2dDims } from "@edgenn/tensor/kernels";
import * as k from "@edgenn/tensor/kernels";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** xorshift32: a deterministic generator of uint32s from a seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

/** int8 values, a quarter of them at the ends (−128 or 127) to reach saturation. */
function int8s(n: number, next: () => number): Int8Array {
  const out = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    const r = next();
    out[i] = r % 8 === 0 ? -128 : r % 8 === 1 ? 127 : (r >>> 8) % 256;
  }
  return out;
}

/** Symmetric int8 weights in [−127, 127]. */
function weights(n: number, next: () => number): Int8Array {
  const out = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    const r = next();
    out[i] = r % 8 === 0 ? -127 : r % 8 === 1 ? 127 : ((r >>> 8) % 255) - 127;
  }
  return out;
}

/** A real in [2^lo, 2^hi), log-uniform. */
function logUniform(next: () => number, lo: number, hi: number): number {
  return 2 ** (lo + ((hi - lo) * next()) / 2 ** 32);
}

/**
 * Per-channel requantization from random reals in [2⁻²⁰, 4) (some above 1: left shifts; large
 * ones saturate both ends), a random output zero point and a random clamp.
 */
function randomRequant(n: number, next: () => number): RequantParams {
  const multipliers = new Int32Array(n);
  const shifts = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    const m = quantizeMultiplier(logUniform(next, -20, 2));
    multipliers[j] = m.multiplier;
    shifts[j] = m.shift;
  }
  const a = (next() % 256) - 128;
  const b = (next() % 256) - 128;
  const wide = next() % 2 === 0;
  return {
    multipliers,
    shifts,
    outZeroPoint: (next() % 256) - 128,
    actMin: wide ? -128 : Math.min(a, b),
    actMax: wide ? 127 : Math.max(a, b),
  };
}

/** Random int32 biases, mostly small, some anywhere in int32. */
function biases(n: number, next: () => number): Int32Array {
  const out = new Int32Array(n);
  for (let j = 0; j < n; j++) out[j] = next() % 4 === 0 ? next() | 0 : (next() % 200001) - 100000;
  return out;
}

function toKernelRequant(rq: RequantParams): k.Int8Requant {
  return rq;
}

describe("fixed-point arithmetic: golden values", () => {
  it("quantizeMultiplier (TFLite QuantizeMultiplier)", () => {
    // frexp(0.5) = 0.5·2⁰ → round(0.5·2³¹) = 2³⁰
    expect(quantizeMultiplier(0.5)).toEqual({ multiplier: 2 ** 30, shift: 0 });
    // frexp(1) = 0.5·2¹
    expect(quantizeMultiplier(1)).toEqual({ multiplier: 2 ** 30, shift: 1 });
    // frexp(0.25) = 0.5·2⁻¹
    expect(quantizeMultiplier(0.25)).toEqual({ multiplier: 2 ** 30, shift: -1 });
    // frexp(0.75) = 0.75·2⁰ → 0.75·2³¹ = 3·2²⁹ = 1610612736
    expect(quantizeMultiplier(0.75)).toEqual({ multiplier: 1610612736, shift: 0 });
    // frexp(3) = 0.75·2²
    expect(quantizeMultiplier(3)).toEqual({ multiplier: 1610612736, shift: 2 });
    // 1 − 2⁻⁴⁰ = q·2⁰, q·2³¹ = 2³¹ − 2⁻⁹ rounds to 2³¹ → halved, shift + 1
    expect(quantizeMultiplier(1 - 2 ** -40)).toEqual({ multiplier: 2 ** 30, shift: 1 });
    // 2⁻⁴⁰ = 0.5·2⁻³⁹: shift −39 < −31 flushes to zero
    expect(quantizeMultiplier(2 ** -40)).toEqual({ multiplier: 0, shift: 0 });
    // 2⁻³² = 0.5·2⁻³¹ is the smallest kept
    expect(quantizeMultiplier(2 ** -32)).toEqual({ multiplier: 2 ** 30, shift: -31 });
    expect(quantizeMultiplier(0)).toEqual({ multiplier: 0, shift: 0 });
    // 0.1 = 0.8·2⁻³, 0.8·2³¹ = 1717986918.4 → 1717986918
    expect(quantizeMultiplier(0.1)).toEqual({ multiplier: 1717986918, shift: -3 });
    // a tie: (2³⁰ + 0.5)·2⁻³¹ = q exactly, rounds half away from zero → 2³⁰ + 1
    expect(quantizeMultiplier((2 ** 30 + 0.5) * 2 ** -31)).toEqual({
      multiplier: 2 ** 30 + 1,
      shift: 0,
    });
    expect(() => quantizeMultiplier(-1)).toThrow(RangeError);
    expect(() => quantizeMultiplier(Number.NaN)).toThrow(RangeError);
  });

  it("saturatingRoundingDoublingHighMul (gemmlowp SRDHM), INT32_MIN included", () => {
    const srdhm = saturatingRoundingDoublingHighMul;
    // INT32_MIN·INT32_MIN = 2⁶² would give 2³¹: saturates
    expect(srdhm(INT32_MIN, INT32_MIN)).toBe(INT32_MAX);
    // (2⁶⁰ + 2³⁰)/2³¹ = 2²⁹ + 0.5 → truncated 2²⁹
    expect(srdhm(2 ** 30, 2 ** 30)).toBe(2 ** 29);
    // (−2⁶¹ + 1 − 2³⁰)/2³¹ = −2³⁰ − 0.5 + 2⁻³¹ → truncated toward zero: −2³⁰
    expect(srdhm(INT32_MIN, 2 ** 30)).toBe(-(2 ** 30));
    // (INT32_MIN·INT32_MAX + 1 − 2³⁰)/2³¹ = −2³¹ + 1 − 0.5 + 2⁻³¹ → −2³¹ + 1
    expect(srdhm(INT32_MIN, INT32_MAX)).toBe(INT32_MIN + 1);
    // (INT32_MAX² + 2³⁰)/2³¹ = 2³¹ − 2 + 0.5 + 2⁻³¹ → 2³¹ − 2
    expect(srdhm(INT32_MAX, INT32_MAX)).toBe(INT32_MAX - 1);
    // ties round up: 1·2³⁰/2³¹ = 0.5 → 1, but −0.5 → 0 and −1.5 → −1
    expect(srdhm(1, 2 ** 30)).toBe(1);
    expect(srdhm(-1, 2 ** 30)).toBe(0);
    expect(srdhm(-3, 2 ** 30)).toBe(-1);
    expect(srdhm(0, INT32_MIN)).toBe(0);
  });

  it("roundingDivideByPOT (gemmlowp): ties away from zero", () => {
    expect(roundingDivideByPOT(5, 1)).toBe(3); // 2.5
    expect(roundingDivideByPOT(-5, 1)).toBe(-3); // −2.5
    expect(roundingDivideByPOT(6, 2)).toBe(2); // 1.5
    expect(roundingDivideByPOT(-6, 2)).toBe(-2); // −1.5
    expect(roundingDivideByPOT(7, 2)).toBe(2); // 1.75
    expect(roundingDivideByPOT(-5, 2)).toBe(-1); // −1.25
    expect(roundingDivideByPOT(123, 0)).toBe(123);
    expect(roundingDivideByPOT(INT32_MIN, 31)).toBe(-1); // −1 exactly
    expect(roundingDivideByPOT(INT32_MAX, 31)).toBe(1); // 0.99…
    expect(roundingDivideByPOT(2 ** 30, 31)).toBe(1); // 0.5
    expect(roundingDivideByPOT(-(2 ** 30), 31)).toBe(-1); // −0.5
    expect(roundingDivideByPOT(2 ** 30 - 1, 31)).toBe(0); // just under 0.5
  });

  it("multiplyByQuantizedMultiplier and requantize", () => {
    // 100·0.5 = 50 (SRDHM(100, 2³⁰) = trunc(50.5) = 50)
    expect(multiplyByQuantizedMultiplier(100, 2 ** 30, 0)).toBe(50);
    // 101·0.5 = 50.5 → 51
    expect(multiplyByQuantizedMultiplier(101, 2 ** 30, 0)).toBe(51);
    // 100·0.5·2⁻¹ = RDBPOT(50, 1) = 25
    expect(multiplyByQuantizedMultiplier(100, 2 ** 30, -1)).toBe(25);
    // shift 1: 100·2 = 200, SRDHM(200, 2³⁰) = 100 (a multiplier of 1.0)
    expect(multiplyByQuantizedMultiplier(100, 2 ** 30, 1)).toBe(100);
    // the left shift wraps as TFLite's int32 multiply: 2³⁰·2 = −2³¹, SRDHM(−2³¹, 2³⁰) = −2³⁰
    expect(multiplyByQuantizedMultiplier(2 ** 30, 2 ** 30, 1)).toBe(-(2 ** 30));
    // real 0.25 = (2³⁰, −1): 1000 → 250, + 5 → 255 → clamped to 127; −1000 → −245 → −128
    expect(requantize(1000, 2 ** 30, -1, 5, -128, 127)).toBe(127);
    expect(requantize(-1000, 2 ** 30, -1, 5, -128, 127)).toBe(-128);
    // 202·0.5 = 101, RDBPOT(101, 1) = 50.5 → 51, − 3 = 48
    expect(requantize(202, 2 ** 30, -1, -3, -128, 127)).toBe(48);
    // a fused ReLU6 clamp [zp, q(6)] = [−3, 20]
    expect(requantize(-202, 2 ** 30, -1, -3, -3, 20)).toBe(-3);
  });
});

describe("quantization parameters: golden values", () => {
  it("chooseQuantParams (TFLite ChooseQuantizationParams)", () => {
    // [−1, 2]: scale = 3/255; zero point from min: −128 + 1/scale = −128 + 85 = −43
    const a = chooseQuantParams(-1, 2);
    expect(a.scale).toBe(Math.fround(3 / 255));
    expect(a.zeroPoint).toBe(-43);
    // [0.5, 2] widens to [0, 2]: zero point −128 (real 0 at the bottom)
    expect(chooseQuantParams(0.5, 2)).toEqual({ scale: Math.fround(2 / 255), zeroPoint: -128 });
    // [−3, −1] widens to [−3, 0]: zero point 127
    expect(chooseQuantParams(-3, -1)).toEqual({ scale: Math.fround(3 / 255), zeroPoint: 127 });
    // symmetric [−1, 1]: scale = float32(2/255) lies just above 2/255, so 1/scale = 127.4999…;
    // the max end has the smaller error (127 + 127.5 < 128 + 127.5): 127 − 127.4999… = −0.4999… → 0
    expect(chooseQuantParams(-1, 1)).toEqual({ scale: Math.fround(2 / 255), zeroPoint: 0 });
    // {0}: scale 1, zero point 0 (a zero scale is not allowed)
    expect(chooseQuantParams(0, 0)).toEqual({ scale: 1, zeroPoint: 0 });
    expect(() => chooseQuantParams(1, -1)).toThrow(RangeError);
    expect(() => chooseQuantParams(Number.NaN, 1)).toThrow(RangeError);
  });

  it("subnormal ranges get a scale that still covers them", () => {
    const u = 2 ** -149; // the smallest float32
    // [0, 300u]: 300u/255 rounds to u, and 300 steps do not fit in 255; 2u does (150 steps)
    expect(chooseQuantParams(0, 300 * u).scale).toBe(2 * u);
    // max|w| = 130u: 130u/127 rounds to u, and 130 > 127 would saturate; 2u gives q = 65
    // (the counterexample fast-check found: a row of 26u, scaled by channel 5)
    const { q, scales } = quantizeWeightsPerChannel([26 * u, 130 * u, -130 * u], 3);
    expect(Array.from(scales)).toEqual([u, 2 * u, 2 * u]);
    expect(Array.from(q)).toEqual([26, 65, -65]);
  });

  it("quantizeValue: half to even in float32, saturating", () => {
    expect(quantizeValue(2.5, 1, 0)).toBe(2);
    expect(quantizeValue(3.5, 1, 0)).toBe(4);
    expect(quantizeValue(-2.5, 1, 0)).toBe(-2);
    // 0.3/0.25 = 1.2 → 1, + 10
    expect(quantizeValue(0.3, 0.25, 10)).toBe(11);
    expect(quantizeValue(1000, 1, 0)).toBe(127);
    expect(quantizeValue(-1000, 1, 0)).toBe(-128);
    expect(quantizeValue(Number.POSITIVE_INFINITY, 1, 0)).toBe(127);
    expect(quantizeValue(Number.NEGATIVE_INFINITY, 1, 0)).toBe(-128);
    expect(() => quantizeValue(Number.NaN, 1, 0)).toThrow(RangeError);
    expect(dequantizeValue(-43, 0.5, -43)).toBe(0);
    expect(dequantizeValue(-40, 0.5, -43)).toBe(1.5);
  });

  it("symmetric per-channel weights, bias, multipliers, activation ranges", () => {
    // row 0: max|w| = 1 → scale float32(1/127); 1/s = 127, −0.5/s = −63.5 → even −64,
    // 0.25/s = 31.75 → 32; row 1 all zero → scale 1; row 2: max 2 → scale float32(2/127)
    const { q, scales } = quantizeWeightsPerChannel([1, -0.5, 0.25, 0, 0, 0, 2, 1, -2], 3);
    expect(Array.from(q)).toEqual([127, -64, 32, 0, 0, 0, 127, 64, -127]);
    expect(Array.from(scales)).toEqual([Math.fround(1 / 127), 1, Math.fround(2 / 127)]);
    expect(Array.from(dequantizeWeightsPerChannel(q, scales))).toEqual([
      Math.fround(scales[0]! * 127),
      Math.fround(scales[0]! * -64),
      Math.fround(scales[0]! * 32),
      0,
      0,
      0,
      Math.fround(scales[2]! * 127),
      Math.fround(scales[2]! * 64),
      Math.fround(scales[2]! * -127),
    ]);
    // bias at scale inScale·wScale: 0.5/(0.5·0.25) = 4, −1/(0.5·0.5) = −4, 0.3125/0.125 = 2.5 → 2
    expect(Array.from(quantizeBias([0.5, -1, 0.3125], 0.5, [0.25, 0.5, 0.25]))).toEqual([4, -4, 2]);
    // saturates at ±(2³¹ − 1)
    expect(Array.from(quantizeBias([1e10, -1e10], 1, [1]))).toEqual([INT32_MAX, -INT32_MAX]);
    // M = 0.5·0.25/0.125 = 1 → (2³⁰, 1); 0.5·0.5/0.125 = 2 → (2³⁰, 2)
    const m = requantMultipliers(0.5, [0.25, 0.5], 0.125);
    expect(Array.from(m.multipliers)).toEqual([2 ** 30, 2 ** 30]);
    expect(Array.from(m.shifts)).toEqual([1, 2]);
    // relu: [zp, 127]; relu6 at scale 1/16: 6·16 = 96 + zp
    expect(activationRange("relu", 0.0625, -50)).toEqual({ min: -50, max: 127 });
    expect(activationRange("relu6", 0.0625, -50)).toEqual({ min: -50, max: 46 });
    expect(activationRange("relu6", 0.01, -128)).toEqual({ min: -128, max: 127 });
    expect(activationRange("none", 0.01, 3)).toEqual({ min: -128, max: 127 });
  });
});

describe("reference kernels: golden values", () => {
  it("linear: acc = Σ w·(x − zp) + bias, then requantized", () => {
    // x − zp = [0, 1, 2]; acc = [0 + 1 + 2 + 10, 0 − 1 + 0 − 3] = [13, −4]
    expect(
      Array.from(referenceLinearAcc([1, 2, 3], 1, [1, 1, 1, 2, -1, 0], [10, -3], 1, 2, 3)),
    ).toEqual([13, -4]);
    // ·0.5: 6.5 → 7 (SRDHM ties up), −2; + zero point 3
    const rq = {
      multipliers: [2 ** 30, 2 ** 30],
      shifts: [0, 0],
      outZeroPoint: 3,
      actMin: -128,
      actMax: 127,
    };
    expect(
      Array.from(referenceLinear([1, 2, 3], 1, [1, 1, 1, 2, -1, 0], [10, -3], 1, 2, 3, rq)),
    ).toEqual([10, 1]);
    // the bias addition wraps: (2³¹ − 1) + 1 → −2³¹
    expect(Array.from(referenceLinearAcc([1], 0, [1], [INT32_MAX], 1, 1, 1))).toEqual([INT32_MIN]);
  });

  it("conv2d: padding holds the zero point (real 0)", () => {
    // x − zp = [[1, 2], [3, 4]], a 2×2 kernel of ones, padding 1 all round, multiplier 1.0:
    // each output sums the window's taps inside the image
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
    const rq = { multipliers: [2 ** 30], shifts: [1], outZeroPoint: 0, actMin: -128, actMax: 127 };
    expect(Array.from(referenceConv2d([6, 7, 8, 9], 5, [1, 1, 1, 1], null, d, p, rq))).toEqual([
      1, 3, 2, 4, 10, 6, 3, 7, 4,
    ]);
  });

  it("pooling: max, and average rounded half away from zero", () => {
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
    expect(Array.from(referenceMaxPool2d([1, -5, 7, 3, -9, -8, -7, -6], d, p, -128, 127))).toEqual([
      7, -6,
    ]);
    // max clamped by a fused ReLU at zero point −7
    expect(Array.from(referenceMaxPool2d([1, -5, 7, 3, -9, -8, -9, -8], d, p, -7, 127))).toEqual([
      7, -7,
    ]);
    // 6/4 = 1.5 → 2; −6/4 = −1.5 → −2
    expect(
      Array.from(referenceAvgPool2d([1, 2, 2, 1, -1, -2, -2, -1], 0, d, p, -128, 127)),
    ).toEqual([2, -2]);
    // 5/3 = 1.67 → 2 (a 2×2 window over a 1×3 row, padding 1 on top: three taps inside)
    const d2 = { planes: 1, inH: 1, inW: 3, outH: 1, outW: 1 };
    const p2 = { ...p, kernelH: 2, kernelW: 3, padTop: 1, strideH: 1, strideW: 1 };
    expect(Array.from(referenceAvgPool2d([1, 2, 2], 0, d2, p2, -128, 127))).toEqual([2]);
    // countIncludePad: the 3 padding taps hold zp = −10 → (5 − 30)/6 = −4.17 → −4
    expect(
      Array.from(
        referenceAvgPool2d([1, 2, 2], -10, d2, { ...p2, countIncludePad: true }, -128, 127),
      ),
    ).toEqual([-4]);
  });

  it("add: TFLite's int8 Add (left shift 20, per-input multipliers)", () => {
    // sA = 0.5, sB = 0.25, sOut = 1: twiceMax = 1; multipliers 0.5 → (2³⁰, 0), 0.25 → (2³⁰, −1),
    // 1/2²⁰ → (2³⁰, −19)
    const q = quantizedAddParams(0.5, 0, 0.25, 0, 1, 0, -128, 127);
    expect(q).toMatchObject({
      leftShift: 20,
      aMultiplier: 2 ** 30,
      aShift: 0,
      bMultiplier: 2 ** 30,
      bShift: -1,
      outMultiplier: 2 ** 30,
      outShift: -19,
    });
    // a = 3 (1.5): 3·2²⁰·0.5 = 1572864; b = 2 (0.5): 2·2²⁰·0.25 = 524288; sum 2²¹ → 2²¹/2²⁰ = 2
    expect(Array.from(referenceAdd([3, 127, -128], [2, 127, -128], q))).toEqual([2, 95, -96]);
    expect(() => quantizedAddParams(1, 0, 1, 0, 1e-9, 0, -128, 127)).toThrow(RangeError);
  });
});

describe("fixed-point kernels equal the reference", () => {
  const int32 = fc.oneof(
    fc.integer({ min: INT32_MIN, max: INT32_MAX }),
    fc.constantFrom(
      INT32_MIN,
      INT32_MIN + 1,
      -1,
      0,
      1,
      2 ** 30,
      -(2 ** 30),
      INT32_MAX - 1,
      INT32_MAX,
    ),
    fc.integer({ min: -70000, max: 70000 }),
  );

  it("saturatingRoundingDoublingHighMul", () => {
    fc.assert(
      fc.property(int32, int32, (a, b) => {
        expect(k.saturatingRoundingDoublingHighMul(a, b)).toBe(
          saturatingRoundingDoublingHighMul(a, b),
        );
      }),
      { numRuns: 3000 },
    );
    expect(k.saturatingRoundingDoublingHighMul(INT32_MIN, INT32_MIN)).toBe(INT32_MAX);
  });

  it("roundingDivideByPOT and multiplyByQuantizedMultiplier", () => {
    fc.assert(
      fc.property(int32, fc.integer({ min: 0, max: 31 }), (x, e) => {
        expect(k.roundingDivideByPOT(x, e)).toBe(roundingDivideByPOT(x, e));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        int32,
        // 2³⁰ and 3·2²⁹ make ties (v·m/2³¹ ending in .5) for odd v, large and small
        fc.oneof(
          fc.integer({ min: 2 ** 30, max: INT32_MAX }),
          fc.constantFrom(0, 2 ** 30, 3 * 2 ** 29, INT32_MAX),
          fc.integer({ min: INT32_MIN, max: -1 }),
        ),
        fc.integer({ min: -31, max: 31 }),
        (x, m, s) => {
          expect(k.multiplyByQuantizedMultiplier(x, m, s)).toBe(
            multiplyByQuantizedMultiplier(x, m, s),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("quantizeMultiplier", () => {
    const real = fc.oneof(
      fc.double({ min: 0, max: 1e6, noNaN: true }),
      fc.double({ min: 0, max: 1e-6, noNaN: true }),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }).map((m) => (2 ** 30 + m / 2 + 0.5) * 2 ** -31),
    );
    fc.assert(
      fc.property(real, (r) => {
        expect(k.quantizeMultiplier(r)).toEqual(quantizeMultiplier(r));
      }),
      { numRuns: 2000 },
    );
    expect(() => k.quantizeMultiplier(-1)).toThrow(ArgumentError);
  });
});

describe("linearQ8 equals the reference", () => {
  const shapes = fc.record({
    m: fc.constantFrom(1, 2, 3, 4, 5, 7, 9, 13),
    n: fc.constantFrom(1, 2, 7, 13, 16, 17, 33),
    k: fc.constantFrom(1, 7, 13, 33, 255, 256, 257, 300, 520),
    zp: fc.oneof(fc.integer({ min: -128, max: 127 }), fc.constantFrom(-128, 0, 127)),
    hasBias: fc.boolean(),
    seed: fc.integer(),
  });

  it("over random shapes, zero points, per-channel multipliers and clamps", () => {
    fc.assert(
      fc.property(shapes, ({ m, n, k: depth, zp, hasBias, seed }) => {
        const next = rng(seed);
        const x = int8s(m * depth, next);
        const w = weights(n * depth, next);
        const bias = hasBias ? biases(n, next) : null;
        const rq = randomRequant(n, next);
        const plan = k.prepareLinearQ8(w, 0, n, depth, bias, 0, zp, toKernelRequant(rq));
        // at an offset, with guard values around the output
        const y = new Int8Array(m * n + 6).fill(99);
        const xo = new Int8Array(m * depth + 3);
        xo.set(x, 3);
        k.linearQ8(plan, m, xo, 3, y, 2);
        const want = referenceLinear(x, zp, w, bias, m, n, depth, rq);
        expect(Array.from(y.subarray(2, 2 + m * n))).toEqual(Array.from(want));
        expect([y[0], y[1], y[2 + m * n], y[m * n + 5]]).toEqual([99, 99, 99, 99]);
        // the raw accumulators, with the zero point given per call
        const acc = new Int32Array(m * n);
        k.linearQ8Int32(plan, m, x, 0, zp, acc, 0);
        expect(Array.from(acc)).toEqual(
          Array.from(referenceLinearAcc(x, zp, w, bias, m, n, depth)),
        );
      }),
      { numRuns: 60 },
    );
  });

  it("saturates at both ends", () => {
    const next = rng(7);
    const [m, n, depth] = [5, 17, 33];
    const x = int8s(m * depth, next);
    const w = weights(n * depth, next);
    // multiplier 2³⁰·2⁸ ≈ 256: nearly every output clamps to −128 or 127
    const rq = {
      multipliers: new Int32Array(n).fill(2 ** 30),
      shifts: new Int32Array(n).fill(9),
      outZeroPoint: 0,
      actMin: -128,
      actMax: 127,
    };
    const y = new Int8Array(m * n);
    k.linearQ8(k.prepareLinearQ8(w, 0, n, depth, null, 0, 3, rq), m, x, 0, y, 0);
    expect(Array.from(y)).toEqual(Array.from(referenceLinear(x, 3, w, null, m, n, depth, rq)));
    expect(y.filter((v) => v === 127).length).toBeGreaterThan(10);
    expect(y.filter((v) => v === -128).length).toBeGreaterThan(10);
  });

  it("accumulators at the int32 limit (K = INT8_MAX_K) and a wrapping bias", () => {
    const depth = k.INT8_MAX_K;
    expect(depth).toBe(65793); // ⌊(2³¹ − 1)/(128·255)⌋
    const [m, n] = [5, 4];
    // x = −128 with zero point 127: x − zp = −255 everywhere
    const x = new Int8Array(m * depth).fill(-128);
    const w = new Int8Array(n * depth);
    w.fill(127, 0, depth); // row 0: Σ = −255·127·K = −2,130,706,305
    w.fill(-127, depth, 2 * depth); // row 1: +2,130,706,305
    w.fill(-128, 2 * depth, 3 * depth); // row 2: +255·128·K = 2,147,483,520 (an int8 −128 weight)
    // row 3: −127, 127, …, −127 (K odd): Σ w = −127, Σ = −255·−127 = 32,385
    for (let p = 0; p < depth; p++) w[3 * depth + p] = p % 2 ? 127 : -127;
    // row 0 reaches −2³¹ + 127; rows 1 and 2 wrap past 2³¹ − 1
    const bias = new Int32Array([-(2 ** 24), 2 ** 25, 128, 5]);
    const rq = {
      multipliers: new Int32Array([2 ** 30, 2147483000, 2 ** 30, 1717986918]),
      shifts: new Int32Array([1, 0, -20, 3]),
      outZeroPoint: -5,
      actMin: -128,
      actMax: 127,
    };
    const plan = k.prepareLinearQ8(w, 0, n, depth, bias, 0, 127, rq);
    const acc = new Int32Array(m * n);
    k.linearQ8Int32(plan, m, x, 0, 127, acc, 0);
    const exact = [
      -255 * 127 * depth - 2 ** 24,
      255 * 127 * depth + 2 ** 25,
      255 * 128 * depth + 128,
      -255 * -127 + 5,
    ];
    expect(exact[0]).toBe(INT32_MIN + 127);
    for (let i = 0; i < m; i++) {
      expect(Array.from(acc.subarray(i * n, i * n + n))).toEqual(exact.map(wrapInt32));
    }
    expect(wrapInt32(exact[2]!)).toBe(INT32_MIN);
    expect(wrapInt32(exact[1]!)).toBeLessThan(0); // it did wrap
    const y = new Int8Array(m * n);
    k.linearQ8(plan, m, x, 0, y, 0);
    expect(Array.from(y)).toEqual(Array.from(referenceLinear(x, 127, w, bias, m, n, depth, rq)));
    // one more and prepare refuses
    expect(() =>
      k.prepareLinearQ8(new Int8Array(depth + 1), 0, 1, depth + 1, null, 0, 0, {
        ...rq,
        multipliers: [2 ** 30],
        shifts: [0],
      }),
    ).toThrow(/K ≤ 65793/);
  });
});

/** A conv geometry with the output size from the floor rule and a bottom/right padding. */
function convGeometry(g: {
  batch: number;
  cinG: number;
  coutG: number;
  groups: number;
  inH: number;
  inW: number;
  kH: number;
  kW: number;
  s: [number, number];
  dil: [number, number];
  pad: [number, number, number, number];
}): { d: Conv2dDims; p: Conv2dParams } | null {
  const [pt, pl, pb, pr] = g.pad;
  const outH = Math.floor((g.inH + pt + pb - g.dil[0] * (g.kH - 1) - 1) / g.s[0]) + 1;
  const outW = Math.floor((g.inW + pl + pr - g.dil[1] * (g.kW - 1) - 1) / g.s[1]) + 1;
  if (outH < 1 || outW < 1) return null;
  return {
    d: {
      batch: g.batch,
      inC: g.cinG * g.groups,
      inH: g.inH,
      inW: g.inW,
      outC: g.coutG * g.groups,
      outH,
      outW,
      kernelH: g.kH,
      kernelW: g.kW,
    },
    p: {
      strideH: g.s[0],
      strideW: g.s[1],
      padTop: pt,
      padLeft: pl,
      dilationH: g.dil[0],
      dilationW: g.dil[1],
      groups: g.groups,
    },
  };
}

function checkConv(
  d: Conv2dDims,
  p: Conv2dParams,
  zp: number,
  hasBias: boolean,
  seed: number,
): string {
  const next = rng(seed);
  const kk = (d.inC / p.groups) * d.kernelH * d.kernelW;
  const x = int8s(d.batch * d.inC * d.inH * d.inW, next);
  const w = weights(d.outC * kk, next);
  const bias = hasBias ? biases(d.outC, next) : null;
  const rq = randomRequant(d.outC, next);
  const plan = k.prepareConv2dQ8(w, 0, bias, 0, d, p, zp, rq);
  const size = d.batch * d.outC * d.outH * d.outW;
  const y = new Int8Array(size + 2).fill(99);
  k.conv2dQ8(plan, d.batch, x, 0, y, 1);
  const want = referenceConv2d(x, zp, w, bias, d, p, rq);
  expect(Array.from(y.subarray(1, 1 + size))).toEqual(Array.from(want));
  expect([y[0], y[size + 1]]).toEqual([99, 99]);
  return plan.path;
}

describe("conv2dQ8 equals the reference", () => {
  const geometry = fc.record({
    batch: fc.integer({ min: 1, max: 2 }),
    cinG: fc.constantFrom(1, 2, 3),
    coutG: fc.constantFrom(1, 2, 5, 17),
    groups: fc.constantFrom(1, 2, 3),
    inH: fc.integer({ min: 1, max: 7 }),
    inW: fc.integer({ min: 1, max: 9 }),
    kH: fc.integer({ min: 1, max: 3 }),
    kW: fc.integer({ min: 1, max: 3 }),
    s: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    dil: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    pad: fc.tuple(
      fc.integer({ min: 0, max: 2 }),
      fc.integer({ min: 0, max: 2 }),
      fc.integer({ min: 0, max: 2 }),
      fc.integer({ min: 0, max: 2 }),
    ),
  });

  it("over random geometries (groups, depthwise, pointwise), zero points and requantization", () => {
    const paths = new Set<string>();
    fc.assert(
      fc.property(
        geometry,
        fc.integer({ min: -128, max: 127 }),
        fc.boolean(),
        fc.integer(),
        fc.boolean(),
        (g, zp, hasBias, seed, pointwise) => {
          const geo = convGeometry(
            pointwise ? { ...g, kH: 1, kW: 1, s: [1, 1], pad: [0, 0, 0, 0] } : g,
          );
          if (geo === null) return;
          paths.add(checkConv(geo.d, geo.p, zp, hasBias, seed));
        },
      ),
      { numRuns: 80 },
    );
    expect([...paths].sort()).toEqual(["depthwise", "im2col", "pointwise"]);
  });

  it("a large image (several im2col chunks) and a deep depthwise layer", () => {
    // 20×20 → 400 output positions: chunks of ⌊256/20⌋ = 12 rows
    const a = convGeometry({
      batch: 1,
      cinG: 3,
      coutG: 17,
      groups: 1,
      inH: 20,
      inW: 20,
      kH: 3,
      kW: 3,
      s: [1, 1],
      dil: [1, 1],
      pad: [1, 1, 1, 1],
    })!;
    expect(checkConv(a.d, a.p, -7, true, 11)).toBe("im2col");
    const b = convGeometry({
      batch: 2,
      cinG: 1,
      coutG: 2,
      groups: 8,
      inH: 9,
      inW: 11,
      kH: 3,
      kW: 3,
      s: [2, 1],
      dil: [1, 2],
      pad: [1, 2, 1, 2],
    })!;
    expect(checkConv(b.d, b.p, 100, true, 12)).toBe("depthwise");
  });
});

describe("pooling and add equal the reference", () => {
  const poolGeometry = fc.record({
    planes: fc.integer({ min: 1, max: 3 }),
    inH: fc.integer({ min: 1, max: 8 }),
    inW: fc.integer({ min: 1, max: 8 }),
    kH: fc.integer({ min: 1, max: 3 }),
    kW: fc.integer({ min: 1, max: 3 }),
    sH: fc.integer({ min: 1, max: 3 }),
    sW: fc.integer({ min: 1, max: 3 }),
    dH: fc.integer({ min: 1, max: 2 }),
    dW: fc.integer({ min: 1, max: 2 }),
    pt: fc.integer({ min: 0, max: 2 }),
    pl: fc.integer({ min: 0, max: 2 }),
    pb: fc.integer({ min: 0, max: 2 }),
    pr: fc.integer({ min: 0, max: 2 }),
    countIncludePad: fc.boolean(),
  });

  it("max and average pooling", () => {
    let compared = 0;
    fc.assert(
      fc.property(
        poolGeometry,
        fc.integer({ min: -128, max: 127 }),
        fc.integer({ min: -128, max: 127 }),
        fc.integer(),
        (g, zp, lo, seed) => {
          const outH = Math.floor((g.inH + g.pt + g.pb - g.dH * (g.kH - 1) - 1) / g.sH) + 1;
          const outW = Math.floor((g.inW + g.pl + g.pr - g.dW * (g.kW - 1) - 1) / g.sW) + 1;
          if (outH < 1 || outW < 1) return;
          const d: Pool2dDims = { planes: g.planes, inH: g.inH, inW: g.inW, outH, outW };
          const p: Pool2dParams = {
            kernelH: g.kH,
            kernelW: g.kW,
            strideH: g.sH,
            strideW: g.sW,
            padTop: g.pt,
            padLeft: g.pl,
            dilationH: g.dH,
            dilationW: g.dW,
            countIncludePad: g.countIncludePad,
          };
          const x = int8s(g.planes * g.inH * g.inW, rng(seed));
          const actMin = Math.min(lo, 100);
          let plan: k.Pool2dQ8Plan;
          try {
            plan = k.preparePool2dQ8(d, p, zp, actMin, 127);
          } catch (e) {
            // a window with no tap inside the input: the reference refuses it too
            expect(e).toBeInstanceOf(ArgumentError);
            expect(() => referenceMaxPool2d(x, d, p, actMin, 127)).toThrow(RangeError);
            return;
          }
          const y = new Int8Array(g.planes * outH * outW);
          k.maxPool2dQ8(plan, g.planes, x, 0, y, 0);
          expect(Array.from(y)).toEqual(Array.from(referenceMaxPool2d(x, d, p, actMin, 127)));
          k.avgPool2dQ8(plan, g.planes, x, 0, y, 0);
          expect(Array.from(y)).toEqual(Array.from(referenceAvgPool2d(x, zp, d, p, actMin, 127)));
          compared++;
        },
      ),
      { numRuns: 200 },
    );
    expect(compared).toBeGreaterThan(30);
  });

  it("add, over every pair of int8 inputs for a few scales, and random scales", () => {
    const all = new Int8Array(65536);
    const bll = new Int8Array(65536);
    for (let i = 0; i < 65536; i++) {
      all[i] = (i >> 8) - 128;
      bll[i] = (i & 255) - 128;
    }
    for (const [sa, za, sb, zb, so, zo, lo, hi] of [
      [0.5, 0, 0.25, 0, 1, 0, -128, 127],
      [0.0213, -17, 0.0071, 100, 0.0302, 5, 5, 127],
      [
        Math.fround(1 / 255),
        -128,
        Math.fround(1 / 255),
        -128,
        Math.fround(2 / 255),
        -128,
        -128,
        127,
      ],
    ] as const) {
      const plan = k.prepareAddQ8(sa, za, sb, zb, so, zo, lo, hi);
      const want = quantizedAddParams(sa, za, sb, zb, so, zo, lo, hi);
      expect(plan).toMatchObject({ ...want });
      const y = new Int8Array(65536);
      k.addQ8(plan, 65536, all, 0, bll, 0, y, 0);
      expect(Array.from(y)).toEqual(Array.from(referenceAdd(all, bll, want)));
    }
    fc.assert(
      fc.property(
        fc.tuple(
          fc.double({ min: -12, max: 2, noNaN: true }),
          fc.double({ min: -12, max: 2, noNaN: true }),
          fc.double({ min: -12, max: 2, noNaN: true }),
        ),
        fc.tuple(
          fc.integer({ min: -128, max: 127 }),
          fc.integer({ min: -128, max: 127 }),
          fc.integer({ min: -128, max: 127 }),
        ),
        fc.integer(),
        ([ea, eb, eo], [za, zb, zo], seed) => {
          const [sa, sb, so] = [ea, eb, eo].map((e) => Math.fround(2 ** e)) as [
            number,
            number,
            number,
          ];
          const want = quantizedAddParams(sa, za, sb, zb, so, zo, -128, 127);
          const plan = k.prepareAddQ8(sa, za, sb, zb, so, zo, -128, 127);
          const next = rng(seed);
          const a = int8s(257, next);
          const b = int8s(257, next);
          const y = new Int8Array(257);
          k.addQ8(plan, 257, a, 0, b, 0, y, 0);
          expect(Array.from(y)).toEqual(Array.from(referenceAdd(a, b, want)));
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("quantize/dequantize error budget", () => {
  it("|x − deq(q(x))| ≤ scale/2 + 2⁻²⁴·|x| inside the representable range", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1000, max: 0, noNaN: true }),
        fc.double({ min: 0, max: 1000, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (min, max, t) => {
          fc.pre(max - min > 1e-30);
          const { scale, zeroPoint } = chooseQuantParams(min, max);
          const lo = (-128 - zeroPoint) * scale;
          const hi = (127 - zeroPoint) * scale;
          // the representable range contains [min, max] up to the zero point's rounding
          expect(lo).toBeLessThanOrEqual(min + scale / 2);
          expect(hi).toBeGreaterThanOrEqual(max - scale / 2);
          const x = Math.fround(lo + t * (hi - lo));
          if (x < lo || x > hi) return;
          const err = Math.abs(
            x - dequantizeValue(quantizeValue(x, scale, zeroPoint), scale, zeroPoint),
          );
          expect(err).toBeLessThanOrEqual(scale / 2 + 2 ** -24 * Math.abs(x));
          expect(dequantizeValue(quantizeValue(0, scale, zeroPoint), scale, zeroPoint)).toBe(0);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("per-channel weights stay within ±127 and half a step", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.float({ min: -10, max: 10, noNaN: true }), { minLength: 1, maxLength: 12 }),
        (channels, row) => {
          // float32 weights (the budget is for float32 inputs)
          const w = Array.from({ length: channels }, (_, c) =>
            row.map((v) => Math.fround(v * (c + 1))),
          ).flat();
          const { q, scales } = quantizeWeightsPerChannel(w, channels);
          for (let i = 0; i < w.length; i++) {
            const s = scales[Math.floor(i / row.length)]!;
            expect(Math.abs(q[i]!)).toBeLessThanOrEqual(127);
            expect(Math.abs(w[i]! - s * q[i]!)).toBeLessThanOrEqual(
              s / 2 + 2 ** -24 * Math.abs(w[i]!),
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("prepare validates once", () => {
  const rq1 = { multipliers: [2 ** 30], shifts: [0], outZeroPoint: 0, actMin: -128, actMax: 127 };
  it("rejects bad requantization, zero points and shapes with typed errors", () => {
    const w = new Int8Array(4);
    expect(() => k.prepareLinearQ8(w, 0, 2, 2, null, 0, 0, rq1)).toThrow(ShapeError);
    expect(() => k.prepareLinearQ8(w, 0, 1, 2, null, 0, 200, rq1)).toThrow(/inZeroPoint/);
    expect(() => k.prepareLinearQ8(w, 0, 1, 2, null, 0, 0, { ...rq1, shifts: [32] })).toThrow(
      ArgumentError,
    );
    expect(() => k.prepareLinearQ8(w, 0, 1, 2, null, 0, 0, { ...rq1, multipliers: [-1] })).toThrow(
      ArgumentError,
    );
    expect(() =>
      k.prepareLinearQ8(w, 0, 1, 2, null, 0, 0, { ...rq1, actMin: 5, actMax: 4 }),
    ).toThrow(/actMax/);
    expect(() => k.prepareLinearQ8(w, 0, 1, 8, null, 0, 0, rq1)).toThrow(/w too short/);
    expect(() => k.prepareAddQ8(0, 0, 1, 0, 1, 0, -128, 127)).toThrow(/aScale/);
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
    expect(() => k.prepareConv2dQ8(new Int8Array(6), 0, null, 0, d, p, 0, rq1)).toThrow(/groups/);
  });
});
