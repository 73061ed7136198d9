/*
 * The reference quantizer: the spec every int8 kernel must match exactly on CPU. Plain, slow,
 * obviously correct code, written from TFLite's quantization spec
 * (https://www.tensorflow.org/lite/performance/quantization_spec) and its reference kernels
 * (tensorflow/lite/kernels/internal/common.h, quantization_util.cc, reference_integer_ops/*.h):
 *  - real = scale·(q − zeroPoint); int8 weights symmetric per output channel (zero point 0, range
 *    ±127); int8 activations asymmetric per tensor, [min, max] widened to contain 0;
 *  - bias int32 at scale inScale·wScale; the int32 accumulator rescaled by a Q31 multiplier and a
 *    power-of-two shift (MultiplyByQuantizedMultiplier), then zero point and clamp (fused
 *    ReLU/ReLU6 are clamp bounds).
 * 64-bit products use BigInt, so nothing depends on float64 rounding. Where TFLite's C++ has
 * undefined behaviour on int32 overflow, this spec says what happens: `x·2^shift` and the bias
 * addition wrap modulo 2³² (what the compiled code does); `acc + zeroPoint` is exact, then clamped.
 * Scales are float32 values (what the model file stores); multipliers are computed from them in
 * float64, as TFLite does. Quantization rounds half to even in float32, as ONNX QuantizeLinear.
 *
 * Named error budgets (tested):
 *  - quantize/dequantize: |x − dequantize(quantize(x))| ≤ scale/2 + 2⁻²⁴·|x| for x inside
 *    [(qmin − zp)·scale, (qmax − zp)·scale] (scale/2 from rounding, 2⁻²⁴·|x| from the float32
 *    quotient x/scale);
 *  - kernels: 0 (every `@edgenn/tensor/kernels` int8 kernel equals these functions bit for bit).
 */
import type { Conv2dParams, Pool2dParams } from "@edgenn/tensor";
import type { Conv2dDims, Pool2dDims } from "@edgenn/tensor/kernels";

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** The quantization of a tensor: real = scale·(q − zeroPoint). */
export interface QuantParams {
  /** A positive float32. */
  readonly scale: number;
  /** An integer in [qmin, qmax]. */
  readonly zeroPoint: number;
}

/** A real multiplier as TFLite stores it: real ≈ multiplier·2^(shift − 31). */
export interface QuantizedMultiplier {
  /** Q31: an integer in [2³⁰, 2³¹), or 0. */
  readonly multiplier: number;
  /** The power of two; positive shifts left. */
  readonly shift: number;
}

/** How int32 accumulators become int8 outputs, per output channel. */
export interface RequantParams {
  readonly multipliers: ArrayLike<number>;
  readonly shifts: ArrayLike<number>;
  readonly outZeroPoint: number;
  readonly actMin: number;
  readonly actMax: number;
}

/** The fused activation of a quantized op. */
export type QuantActivation = "none" | "relu" | "relu6";

function checkInt32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) {
    throw new RangeError(`${name}: expected an int32 (got ${v})`);
  }
}

/**
 * wrap32(v) = v modulo 2³² as a signed int32 (two's complement wrap-around, what an int32 add or
 * multiply does on overflow).
 * @param v - an integer (exact in float64)
 * @returns the int32 congruent to v modulo 2³²
 * @example
 * wrapInt32(2 ** 31); // -2147483648
 */
export function wrapInt32(v: number): number {
  return Number(BigInt.asIntN(32, BigInt(v)));
}

/**
 * Round half to even (banker's rounding, ONNX's rounding), exact for any float64.
 * @param v - a number
 * @returns the nearest integer, the even one on a tie
 * @example
 * roundHalfToEven(2.5); // 2
 * roundHalfToEven(-3.5); // -4
 */
export function roundHalfToEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f; // exact: v and f are within one unit of each other
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

const F32 = new Float32Array(1);
const F32_BITS = new Uint32Array(F32.buffer);

/** The next float32 above a positive float32 `x` (steps through subnormals one unit at a time). */
function nextUpF32(x: number): number {
  F32[0] = x;
  F32_BITS[0] = F32_BITS[0]! + 1;
  return F32[0];
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}

// ---------------------------------------------------------------------------------------------
// Fixed-point arithmetic
// ---------------------------------------------------------------------------------------------

/**
 * TFLite's QuantizeMultiplier: frexp(real) = q·2^shift with q ∈ [0.5, 1); multiplier =
 * round(q·2³¹) (half away from zero); a multiplier of 2³¹ becomes 2³⁰ with shift + 1; a shift below
 * −31 flushes to (0, 0); real 0 is (0, 0).
 * @param real - a finite real multiplier ≥ 0
 * @returns a new `{ multiplier, shift }`
 * @throws RangeError for a negative, NaN or infinite multiplier
 * @example
 * quantizeMultiplier(0.5).multiplier; // 1073741824
 * quantizeMultiplier(0.5).shift; // 0
 */
export function quantizeMultiplier(real: number): QuantizedMultiplier {
  if (!Number.isFinite(real) || real < 0) {
    throw new RangeError(`quantizeMultiplier: expected a finite real ≥ 0 (got ${real})`);
  }
  if (real === 0) return { multiplier: 0, shift: 0 };
  let q = real;
  let shift = 0;
  while (q >= 1) {
    q /= 2;
    shift++;
  }
  while (q < 0.5) {
    q *= 2;
    shift--;
  }
  const scaled = q * 2 ** 31; // exact: a power-of-two scaling
  let multiplier = Math.floor(scaled);
  if (scaled - multiplier >= 0.5) multiplier++; // half away from zero (scaled > 0)
  if (multiplier === 2 ** 31) {
    multiplier /= 2;
    shift++;
  }
  if (shift < -31) return { multiplier: 0, shift: 0 };
  return { multiplier, shift };
}

/**
 * gemmlowp's SaturatingRoundingDoublingHighMul: (a·b + nudge) / 2³¹ truncated toward zero, nudge =
 * 2³⁰ if a·b ≥ 0 else 1 − 2³⁰ (≈ round(a·b/2³¹), ties up); INT32_MIN·INT32_MIN saturates to INT32_MAX.
 * @param a - an int32
 * @param b - an int32
 * @returns an int32
 * @throws RangeError for a non-int32 argument
 * @example
 * saturatingRoundingDoublingHighMul(-2147483648, -2147483648); // 2147483647
 */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  checkInt32("saturatingRoundingDoublingHighMul", a);
  checkInt32("saturatingRoundingDoublingHighMul", b);
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((ab + nudge) / (1n << 31n)); // BigInt division truncates toward zero, as C++
}

/**
 * gemmlowp's RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero.
 * @param x - an int32
 * @param exponent - an integer in [0, 31]
 * @returns an int32
 * @throws RangeError for a bad argument
 * @example
 * roundingDivideByPOT(5, 1); // 3
 * roundingDivideByPOT(-5, 1); // -3
 */
export function roundingDivideByPOT(x: number, exponent: number): number {
  checkInt32("roundingDivideByPOT", x);
  if (!Number.isInteger(exponent) || exponent < 0 || exponent > 31) {
    throw new RangeError(`roundingDivideByPOT: expected an exponent in [0, 31] (got ${exponent})`);
  }
  const d = 1n << BigInt(exponent);
  const X = BigInt(x);
  const abs = X < 0n ? -X : X;
  const q = (2n * abs + d) / (2n * d); // ⌊|x|/d + 1/2⌋
  return Number(X < 0n ? -q : q);
}

/**
 * TFLite's MultiplyByQuantizedMultiplier: RDBPOT(SRDHM(wrap32(x·2^max(shift, 0)), multiplier),
 * max(−shift, 0)) ≈ x·multiplier·2^(shift − 31).
 * @param x - an int32
 * @param multiplier - an int32 Q31 multiplier
 * @param shift - an integer in [−31, 31]
 * @returns an int32
 * @throws RangeError for a bad argument
 * @example
 * multiplyByQuantizedMultiplier(100, 1073741824, -1); // 25
 */
export function multiplyByQuantizedMultiplier(
  x: number,
  multiplier: number,
  shift: number,
): number {
  checkInt32("multiplyByQuantizedMultiplier", x);
  if (!Number.isInteger(shift) || shift < -31 || shift > 31) {
    throw new RangeError(
      `multiplyByQuantizedMultiplier: expected a shift in [−31, 31] (got ${shift})`,
    );
  }
  const left = Math.max(shift, 0);
  const right = shift > 0 ? 0 : -shift;
  const shifted = Number(BigInt.asIntN(32, BigInt(x) << BigInt(left)));
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(shifted, multiplier), right);
}

/**
 * requantize(acc) = clamp(MBQM(acc, multiplier, shift) + outZeroPoint, qmin, qmax): an int32
 * accumulator to an int8 output (the sum is exact, then clamped).
 * @param acc - the int32 accumulator
 * @param multiplier - the Q31 multiplier
 * @param shift - the shift
 * @param outZeroPoint - the output zero point
 * @param qmin - the lower clamp
 * @param qmax - the upper clamp
 * @returns the quantized output
 * @example
 * requantize(202, 1073741824, -1, -3, -128, 127); // 48
 */
export function requantize(
  acc: number,
  multiplier: number,
  shift: number,
  outZeroPoint: number,
  qmin: number,
  qmax: number,
): number {
  return clamp(multiplyByQuantizedMultiplier(acc, multiplier, shift) + outZeroPoint, qmin, qmax);
}

// ---------------------------------------------------------------------------------------------
// Quantization parameters and values
// ---------------------------------------------------------------------------------------------

/**
 * Asymmetric parameters for [min, max] as TFLite's ChooseQuantizationParams: the range widened to
 * contain 0, scale = float32((max − min)/(qmax − qmin)), the zero point from whichever end gives
 * the smaller error, rounded (half away from zero) and clamped into [qmin, qmax]. A range of just
 * {0} gets scale 1, zero point 0 (every value quantizes to 0; a zero scale is not allowed).
 * @param min - the smallest observed value
 * @param max - the largest observed value
 * @param qmin - the smallest quantized value (default −128)
 * @param qmax - the largest quantized value (default 127)
 * @returns a new `{ scale, zeroPoint }`
 * @throws RangeError for NaN, infinite or reversed bounds
 * @example
 * chooseQuantParams(-1, 2).zeroPoint; // -43
 * chooseQuantParams(-1, 2).scale; // 0.011764706
 */
export function chooseQuantParams(min: number, max: number, qmin = -128, qmax = 127): QuantParams {
  if (!Number.isFinite(min) || !Number.isFinite(max) || min > max) {
    throw new RangeError(`chooseQuantParams: expected finite min ≤ max (got [${min}, ${max}])`);
  }
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  if (lo === hi) return { scale: 1, zeroPoint: 0 };
  let scale = Math.fround((hi - lo) / (qmax - qmin));
  if (scale === 0) scale = 2 ** -149; // the smallest float32 (a range below float32 resolution)
  // Among subnormals float32 rounding can leave the scale so coarse that the range no longer fits
  // in qmax − qmin steps; step up until it does (never taken for normal scales).
  while (Math.fround((hi - lo) / scale) > qmax - qmin) scale = nextUpF32(scale);
  const fromMin = qmin - lo / scale;
  const fromMax = qmax - hi / scale;
  const errMin = Math.abs(qmin) + Math.abs(lo / scale);
  const errMax = Math.abs(qmax) + Math.abs(hi / scale);
  const zp = errMin < errMax ? fromMin : fromMax;
  let zeroPoint: number;
  if (zp < qmin) zeroPoint = qmin;
  else if (zp > qmax) zeroPoint = qmax;
  else zeroPoint = Math.sign(zp) * Math.floor(Math.abs(zp) + 0.5);
  return { scale, zeroPoint: zeroPoint + 0 }; // + 0: no −0
}

/**
 * q = clamp(roundHalfToEven(float32(x / scale)) + zeroPoint, qmin, qmax), with x and the quotient
 * in float32, as ONNX QuantizeLinear; ±∞ saturate.
 * @param x - the real value
 * @param scale - the scale (> 0)
 * @param zeroPoint - the zero point
 * @param qmin - default −128
 * @param qmax - default 127
 * @returns the quantized value
 * @throws RangeError for NaN
 * @example
 * quantizeValue(2.5, 1, 0); // 2
 * quantizeValue(3.5, 1, 0); // 4
 */
export function quantizeValue(
  x: number,
  scale: number,
  zeroPoint: number,
  qmin = -128,
  qmax = 127,
): number {
  if (Number.isNaN(x)) throw new RangeError("quantizeValue: cannot quantize NaN");
  const r = roundHalfToEven(Math.fround(Math.fround(x) / scale));
  return clamp(r + zeroPoint, qmin, qmax) + 0;
}

/**
 * x = scale·(q − zeroPoint), in float64.
 * @param q - the quantized value
 * @param scale - the scale
 * @param zeroPoint - the zero point
 * @returns the real value
 * @example
 * dequantizeValue(-43, 3 / 255, -43); // 0
 */
export function dequantizeValue(q: number, scale: number, zeroPoint: number): number {
  return scale * (q - zeroPoint);
}

/**
 * `quantizeValue` of every element (per tensor).
 * @param x - real values
 * @param scale - the scale
 * @param zeroPoint - the zero point
 * @returns a new Int8Array
 * @throws RangeError for NaN
 * @example
 * quantizeTensor([0.1, -0.2], 0.1, 0); // [1, -2]
 */
export function quantizeTensor(x: ArrayLike<number>, scale: number, zeroPoint: number): Int8Array {
  const q = new Int8Array(x.length);
  for (let i = 0; i < x.length; i++) q[i] = quantizeValue(x[i]!, scale, zeroPoint);
  return q;
}

/**
 * `dequantizeValue` of every element (per tensor), rounded to float32.
 * @param q - quantized values
 * @param scale - the scale
 * @param zeroPoint - the zero point
 * @returns a new Float32Array
 * @example
 * dequantizeTensor(new Int8Array([1, -2]), 0.5, 0); // [0.5, -1]
 */
export function dequantizeTensor(
  q: ArrayLike<number>,
  scale: number,
  zeroPoint: number,
): Float32Array {
  const x = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) x[i] = dequantizeValue(q[i]!, scale, zeroPoint);
  return x;
}

/**
 * Symmetric int8 weights per output channel (axis 0): scale_c = float32(max|w_c| / 127) (1 for an
 * all-zero channel; for subnormal ranges, the next float32 up that keeps max|w_c| within ±127), q = clamp(roundHalfToEven(w/scale_c), −127, 127), zero point 0.
 * @param w - real weights, `channels` equal rows (e.g. [outC, K] or [outC, inC/g, kH, kW])
 * @param channels - output channels
 * @returns new `{ q, scales }`
 * @throws RangeError when `channels` does not divide `w.length`, or for NaN
 * @example
 * quantizeWeightsPerChannel([1, -0.5, 0.25], 1).q; // [127, -64, 32]
 */
export function quantizeWeightsPerChannel(
  w: ArrayLike<number>,
  channels: number,
): { q: Int8Array; scales: Float32Array } {
  if (!Number.isInteger(channels) || channels < 1 || w.length % channels !== 0) {
    throw new RangeError(
      `quantizeWeightsPerChannel: ${w.length} weights do not split into ${channels} channels`,
    );
  }
  const per = w.length / channels;
  const q = new Int8Array(w.length);
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    let maxAbs = 0;
    for (let i = c * per; i < (c + 1) * per; i++) maxAbs = Math.max(maxAbs, Math.abs(w[i]!));
    let s = Math.fround(maxAbs / 127);
    if (s === 0) s = maxAbs === 0 ? 1 : 2 ** -149;
    // subnormal scales are coarse: step up until max|w| lands on ±127, not beyond it
    while (roundHalfToEven(Math.fround(maxAbs / s)) > 127) s = nextUpF32(s);
    scales[c] = s;
    for (let i = c * per; i < (c + 1) * per; i++) q[i] = quantizeValue(w[i]!, s, 0, -127, 127);
  }
  return { q, scales };
}

/**
 * w = scale_c·q per output channel (axis 0), rounded to float32.
 * @param q - quantized weights, `scales.length` equal rows
 * @param scales - one scale per channel
 * @returns a new Float32Array
 * @example
 * dequantizeWeightsPerChannel(new Int8Array([127, -64]), [0.5]); // [63.5, -32]
 */
export function dequantizeWeightsPerChannel(
  q: ArrayLike<number>,
  scales: ArrayLike<number>,
): Float32Array {
  const per = q.length / scales.length;
  const w = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) w[i] = scales[Math.floor(i / per)]! * q[i]!;
  return w;
}

/**
 * bias_q[c] = clamp(roundHalfToEven(bias[c] / (inScale·wScale_c)), −(2³¹ − 1), 2³¹ − 1): int32 at
 * the accumulator's scale.
 * @param bias - real biases, one per output channel
 * @param inScale - the input scale
 * @param wScales - the weight scales (one per channel, or one for all)
 * @returns a new Int32Array
 * @throws RangeError for NaN
 * @example
 * quantizeBias([0.5, -1], 0.5, [0.25, 0.5]); // [4, -4]
 */
export function quantizeBias(
  bias: ArrayLike<number>,
  inScale: number,
  wScales: ArrayLike<number>,
): Int32Array {
  const out = new Int32Array(bias.length);
  for (let c = 0; c < bias.length; c++) {
    const s = inScale * wScales[wScales.length === 1 ? 0 : c]!;
    if (Number.isNaN(bias[c])) throw new RangeError("quantizeBias: cannot quantize NaN");
    out[c] = clamp(roundHalfToEven(bias[c]! / s), -INT32_MAX, INT32_MAX);
  }
  return out;
}

/**
 * Q31 multipliers M_c = inScale·wScale_c / outScale (float64 of float32 scales), per channel.
 * @param inScale - the input scale
 * @param wScales - the weight scales
 * @param outScale - the output scale
 * @returns new `{ multipliers, shifts }` Int32Arrays
 * @example
 * requantMultipliers(0.5, [0.25], 0.125).shifts; // [1]
 */
export function requantMultipliers(
  inScale: number,
  wScales: ArrayLike<number>,
  outScale: number,
): { multipliers: Int32Array; shifts: Int32Array } {
  const multipliers = new Int32Array(wScales.length);
  const shifts = new Int32Array(wScales.length);
  for (let c = 0; c < wScales.length; c++) {
    const m = quantizeMultiplier((inScale * wScales[c]!) / outScale);
    multipliers[c] = m.multiplier;
    shifts[c] = m.shift;
  }
  return { multipliers, shifts };
}

/**
 * The clamp of a fused activation in the quantized domain: the quantized images of the float
 * bounds (none: [qmin, qmax]; relu: [q(0), qmax]; relu6: [q(0), q(6)]), q(0) being the zero point.
 * @param act - the activation
 * @param scale - the output scale
 * @param zeroPoint - the output zero point
 * @returns a new `{ min, max }`
 * @example
 * activationRange("relu6", 0.0625, -50).max; // 46
 */
export function activationRange(
  act: QuantActivation,
  scale: number,
  zeroPoint: number,
): { min: number; max: number } {
  if (act === "none") return { min: -128, max: 127 };
  const min = quantizeValue(0, scale, zeroPoint);
  return { min, max: act === "relu6" ? quantizeValue(6, scale, zeroPoint) : 127 };
}

// ---------------------------------------------------------------------------------------------
// Reference kernels
// ---------------------------------------------------------------------------------------------

/**
 * acc[i, j] = wrap32(Σₚ w[j, p]·(x[i, p] − inZeroPoint) + bias[j]) for x [m, K], w [N, K]: the
 * int32 accumulators of a quantized fully-connected layer.
 * @param x - m×K int8 inputs
 * @param inZeroPoint - the input zero point
 * @param w - N×K int8 weights (row per output channel)
 * @param bias - N int32, or null
 * @param m - rows
 * @param n - output channels
 * @param k - input features
 * @returns a new Int32Array m×N
 * @example
 * referenceLinearAcc(new Int8Array([1, 2]), 1, new Int8Array([3, 4]), null, 1, 1, 2); // [4]
 */
export function referenceLinearAcc(
  x: ArrayLike<number>,
  inZeroPoint: number,
  w: ArrayLike<number>,
  bias: ArrayLike<number> | null,
  m: number,
  n: number,
  k: number,
): Int32Array {
  const out = new Int32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0; // exact: |acc| < 2⁵³ for any K below 2³⁷
      for (let p = 0; p < k; p++) acc += w[j * k + p]! * (x[i * k + p]! - inZeroPoint);
      out[i * n + j] = wrapInt32(acc + (bias === null ? 0 : bias[j]!));
    }
  }
  return out;
}

/**
 * y[i, j] = requantize(acc[i, j], M_j, shift_j, outZeroPoint, actMin, actMax) with acc from
 * `referenceLinearAcc`: TFLite's per-channel int8 FullyConnected.
 * @param x - m×K int8 inputs
 * @param inZeroPoint - the input zero point
 * @param w - N×K int8 weights
 * @param bias - N int32, or null
 * @param m - rows
 * @param n - output channels
 * @param k - input features
 * @param rq - per-channel multipliers, shifts, output zero point and clamp
 * @returns a new Int8Array m×N
 * @example
 * const rq = { multipliers: [2 ** 30, 2 ** 30], shifts: [0, 0], outZeroPoint: 3, actMin: -128,
 *   actMax: 127 };
 * referenceLinear([1, 2, 3], 1, [1, 1, 1, 2, -1, 0], [10, -3], 1, 2, 3, rq); // [10, 1]
 */
export function referenceLinear(
  x: ArrayLike<number>,
  inZeroPoint: number,
  w: ArrayLike<number>,
  bias: ArrayLike<number> | null,
  m: number,
  n: number,
  k: number,
  rq: RequantParams,
): Int8Array {
  const acc = referenceLinearAcc(x, inZeroPoint, w, bias, m, n, k);
  const y = new Int8Array(m * n);
  for (let i = 0; i < m * n; i++) {
    const j = i % n;
    y[i] = requantize(
      acc[i]!,
      rq.multipliers[j]!,
      rq.shifts[j]!,
      rq.outZeroPoint,
      rq.actMin,
      rq.actMax,
    );
  }
  return y;
}

/**
 * TFLite's per-channel int8 conv in NCHW: y[b, oc, oh, ow] = requantize(wrap32(Σ over c < C/g,
 * kh, kw with the input position inside the image of w[oc, c, kh, kw]·(x[b, g·C/g + c, ih, iw] −
 * inZeroPoint) + bias[oc])), ih = oh·sH − padTop + kh·dH, iw = ow·sW − padLeft + kw·dW,
 * g = ⌊oc / (outC/groups)⌋. Padding contributes 0 (it holds real 0, the zero point).
 * @param x - [batch, inC, inH, inW] int8
 * @param inZeroPoint - the input zero point
 * @param w - [outC, inC/groups, kH, kW] int8
 * @param bias - outC int32, or null
 * @param d - sizes (the output size implies the bottom/right padding)
 * @param p - stride, padding, dilation, groups
 * @param rq - per-channel multipliers, shifts, output zero point and clamp
 * @returns a new Int8Array [batch, outC, outH, outW]
 * @example
 * const d = { batch: 1, inC: 1, inH: 2, inW: 2, outC: 1, outH: 3, outW: 3, kernelH: 2, kernelW: 2 };
 * const p = { strideH: 1, strideW: 1, padTop: 1, padLeft: 1, dilationH: 1, dilationW: 1, groups: 1 };
 * const rq = { multipliers: [2 ** 30], shifts: [1], outZeroPoint: 0, actMin: -128, actMax: 127 };
 * referenceConv2d([6, 7, 8, 9], 5, [1, 1, 1, 1], null, d, p, rq); // [1, 3, 2, 4, 10, 6, 3, 7, 4]
 */
export function referenceConv2d(
  x: ArrayLike<number>,
  inZeroPoint: number,
  w: ArrayLike<number>,
  bias: ArrayLike<number> | null,
  d: Conv2dDims,
  p: Conv2dParams,
  rq: RequantParams,
): Int8Array {
  const { batch, inC, inH, inW, outC, outH, outW, kernelH: kH, kernelW: kW } = d;
  const cinG = inC / p.groups;
  const coutG = outC / p.groups;
  const y = new Int8Array(batch * outC * outH * outW);
  for (let b = 0; b < batch; b++) {
    for (let oc = 0; oc < outC; oc++) {
      const g = Math.floor(oc / coutG);
      for (let oh = 0; oh < outH; oh++) {
        for (let ow = 0; ow < outW; ow++) {
          let acc = 0;
          for (let c = 0; c < cinG; c++) {
            for (let kh = 0; kh < kH; kh++) {
              for (let kw = 0; kw < kW; kw++) {
                const ih = oh * p.strideH - p.padTop + kh * p.dilationH;
                const iw = ow * p.strideW - p.padLeft + kw * p.dilationW;
                if (ih < 0 || ih >= inH || iw < 0 || iw >= inW) continue;
                const xv = x[((b * inC + g * cinG + c) * inH + ih) * inW + iw]!;
                const wv = w[((oc * cinG + c) * kH + kh) * kW + kw]!;
                acc += wv * (xv - inZeroPoint);
              }
            }
          }
          acc = wrapInt32(acc + (bias === null ? 0 : bias[oc]!));
          y[((b * outC + oc) * outH + oh) * outW + ow] = requantize(
            acc,
            rq.multipliers[oc]!,
            rq.shifts[oc]!,
            rq.outZeroPoint,
            rq.actMin,
            rq.actMax,
          );
        }
      }
    }
  }
  return y;
}

/** Calls `f(value)` for each tap of window (oh, ow) inside the input; returns the tap count. */
function forEachTap(
  x: ArrayLike<number>,
  plane: number,
  d: Pool2dDims,
  p: Pool2dParams,
  oh: number,
  ow: number,
  f: (v: number) => void,
): number {
  let count = 0;
  for (let kh = 0; kh < p.kernelH; kh++) {
    for (let kw = 0; kw < p.kernelW; kw++) {
      const ih = oh * p.strideH - p.padTop + kh * p.dilationH;
      const iw = ow * p.strideW - p.padLeft + kw * p.dilationW;
      if (ih < 0 || ih >= d.inH || iw < 0 || iw >= d.inW) continue;
      f(x[(plane * d.inH + ih) * d.inW + iw]!);
      count++;
    }
  }
  if (count === 0) {
    throw new RangeError(`pooling: window (${oh}, ${ow}) has no tap inside the input`);
  }
  return count;
}

/**
 * TFLite's int8 MaxPool: y = clamp(max of the window's taps inside the input, actMin, actMax);
 * input and output share scale and zero point.
 * @param x - `d.planes` int8 planes of inH×inW
 * @param d - sizes
 * @param p - window, stride, padding, dilation
 * @param actMin - the lower clamp
 * @param actMax - the upper clamp
 * @returns a new Int8Array of `d.planes` planes of outH×outW
 * @throws RangeError for a window with no tap inside the input
 * @example
 * const d = { planes: 1, inH: 2, inW: 2, outH: 1, outW: 1 };
 * const p = { kernelH: 2, kernelW: 2, strideH: 2, strideW: 2, padTop: 0, padLeft: 0, dilationH: 1,
 *   dilationW: 1, countIncludePad: false };
 * referenceMaxPool2d([1, -5, 7, 3], d, p, -128, 127); // [7]
 */
export function referenceMaxPool2d(
  x: ArrayLike<number>,
  d: Pool2dDims,
  p: Pool2dParams,
  actMin: number,
  actMax: number,
): Int8Array {
  const y = new Int8Array(d.planes * d.outH * d.outW);
  for (let pl = 0; pl < d.planes; pl++) {
    for (let oh = 0; oh < d.outH; oh++) {
      for (let ow = 0; ow < d.outW; ow++) {
        let m = Number.NEGATIVE_INFINITY;
        forEachTap(x, pl, d, p, oh, ow, (v) => {
          m = Math.max(m, v);
        });
        y[(pl * d.outH + oh) * d.outW + ow] = clamp(m, actMin, actMax);
      }
    }
  }
  return y;
}

/**
 * TFLite's int8 AveragePool: y = clamp(round(acc / count)) rounded half away from zero, acc = the
 * sum of the taps inside the input, count their number; with `p.countIncludePad` the padding taps
 * count too, each holding the zero point (real 0), and count = kH·kW.
 * @param x - `d.planes` int8 planes of inH×inW
 * @param zeroPoint - the (shared) zero point
 * @param d - sizes
 * @param p - window, stride, padding, dilation, countIncludePad
 * @param actMin - the lower clamp
 * @param actMax - the upper clamp
 * @returns a new Int8Array
 * @throws RangeError for a window with no tap inside the input
 * @example
 * const d = { planes: 1, inH: 2, inW: 2, outH: 1, outW: 1 };
 * const p = { kernelH: 2, kernelW: 2, strideH: 2, strideW: 2, padTop: 0, padLeft: 0, dilationH: 1,
 *   dilationW: 1, countIncludePad: false };
 * referenceAvgPool2d([1, 2, 2, 1], 0, d, p, -128, 127); // [2]
 * referenceAvgPool2d([-1, -2, -2, -1], 0, d, p, -128, 127); // [-2]
 */
export function referenceAvgPool2d(
  x: ArrayLike<number>,
  zeroPoint: number,
  d: Pool2dDims,
  p: Pool2dParams,
  actMin: number,
  actMax: number,
): Int8Array {
  const y = new Int8Array(d.planes * d.outH * d.outW);
  for (let pl = 0; pl < d.planes; pl++) {
    for (let oh = 0; oh < d.outH; oh++) {
      for (let ow = 0; ow < d.outW; ow++) {
        let acc = 0;
        let count = forEachTap(x, pl, d, p, oh, ow, (v) => {
          acc += v;
        });
        if (p.countIncludePad) {
          acc += (p.kernelH * p.kernelW - count) * zeroPoint;
          count = p.kernelH * p.kernelW;
        }
        // half away from zero: sign(acc)·⌊(2|acc| + count) / (2·count)⌋, in BigInt
        const a = BigInt(Math.abs(acc));
        const r = Number((2n * a + BigInt(count)) / (2n * BigInt(count)));
        y[(pl * d.outH + oh) * d.outW + ow] = clamp(acc < 0 ? -r : r, actMin, actMax);
      }
    }
  }
  return y;
}

/** TFLite's int8 Add parameters (ArithmeticParams of add.cc's Prepare). */
export interface AddParams {
  /** 20. */
  readonly leftShift: number;
  /** −aZeroPoint. */
  readonly aOffset: number;
  readonly aMultiplier: number;
  readonly aShift: number;
  /** −bZeroPoint. */
  readonly bOffset: number;
  readonly bMultiplier: number;
  readonly bShift: number;
  readonly outMultiplier: number;
  readonly outShift: number;
  readonly outZeroPoint: number;
  readonly actMin: number;
  readonly actMax: number;
}

/** QuantizeMultiplierSmallerThanOneExp: QuantizeMultiplier of a real in (0, 1), shift ≤ 0. */
function smallerThanOne(real: number): QuantizedMultiplier {
  if (!(real > 0 && real < 1)) {
    throw new RangeError(`quantizedAddParams: expected a multiplier in (0, 1) (got ${real})`);
  }
  const m = quantizeMultiplier(real);
  if (m.shift > 0) throw new RangeError(`quantizedAddParams: ${real} rounds to 1`);
  return m;
}

/**
 * TFLite's int8 Add preparation: left shift 20; twiceMax = 2·max(aScale, bScale); input
 * multipliers aScale/twiceMax and bScale/twiceMax; output multiplier twiceMax/(2²⁰·outScale).
 * @param aScale - a's scale
 * @param aZeroPoint - a's zero point
 * @param bScale - b's scale
 * @param bZeroPoint - b's zero point
 * @param outScale - the output scale
 * @param outZeroPoint - the output zero point
 * @param actMin - the lower clamp
 * @param actMax - the upper clamp
 * @returns new `AddParams`
 * @throws RangeError when a multiplier is not in (0, 1)
 * @example
 * quantizedAddParams(0.5, 0, 0.25, 0, 1, 0, -128, 127).outShift; // -19
 */
export function quantizedAddParams(
  aScale: number,
  aZeroPoint: number,
  bScale: number,
  bZeroPoint: number,
  outScale: number,
  outZeroPoint: number,
  actMin: number,
  actMax: number,
): AddParams {
  const leftShift = 20;
  const twiceMax = 2 * Math.max(aScale, bScale);
  const a = smallerThanOne(aScale / twiceMax);
  const b = smallerThanOne(bScale / twiceMax);
  const o = smallerThanOne(twiceMax / (2 ** leftShift * outScale));
  return {
    leftShift,
    aOffset: -aZeroPoint,
    aMultiplier: a.multiplier,
    aShift: a.shift,
    bOffset: -bZeroPoint,
    bMultiplier: b.multiplier,
    bShift: b.shift,
    outMultiplier: o.multiplier,
    outShift: o.shift,
    outZeroPoint,
    actMin,
    actMax,
  };
}

/**
 * TFLite's int8 AddElementwise: A = MBQM((a + aOffset)·2²⁰, aMultiplier, aShift), B likewise,
 * y = clamp(MBQM(A + B, outMultiplier, outShift) + outZeroPoint, actMin, actMax).
 * @param a - int8 values
 * @param b - int8 values, as many as `a`
 * @param q - from `quantizedAddParams`
 * @returns a new Int8Array
 * @example
 * referenceAdd([3], [2], quantizedAddParams(0.5, 0, 0.25, 0, 1, 0, -128, 127)); // [2]
 */
export function referenceAdd(a: ArrayLike<number>, b: ArrayLike<number>, q: AddParams): Int8Array {
  const y = new Int8Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const sa = multiplyByQuantizedMultiplier(
      (a[i]! + q.aOffset) * 2 ** q.leftShift,
      q.aMultiplier,
      q.aShift,
    );
    const sb = multiplyByQuantizedMultiplier(
      (b[i]! + q.bOffset) * 2 ** q.leftShift,
      q.bMultiplier,
      q.bShift,
    );
    y[i] = requantize(sa + sb, q.outMultiplier, q.outShift, q.outZeroPoint, q.actMin, q.actMax);
  }
  return y;
}
