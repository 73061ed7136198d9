/*
 * int8 kernels of the TFLite scheme, bit-exact against the reference in `@edgenn/quant`
 * (`packages/quant/src/reference.ts`, the spec). For output channel j:
 *   acc_j = wrap32(Σₚ w[j, p]·(x[p] − zpIn) + bias[j])
 *   y_j   = clamp(zpOut + MBQM(acc_j, M_j, shift_j), actMin, actMax)
 * with int8 weights (symmetric per output channel, zero point 0), int8 activations with a zero
 * point, an int32 bias, and MBQM = TFLite's MultiplyByQuantizedMultiplier: x·2^max(shift, 0)
 * (wrapping, as the int32 multiply in TFLite), then gemmlowp's SaturatingRoundingDoublingHighMul
 * by the Q31 multiplier M_j, then RoundingDivideByPOT by max(−shift, 0). Fused ReLU/ReLU6 are the
 * clamp bounds [actMin, actMax].
 *
 * No BigInt here: the 64-bit product in SRDHM is exact in float64 below 2²² and split into 16-bit
 * halves above (proofs at `saturatingRoundingDoublingHighMul` and `srdhmNonNegative`).
 *
 * int32 accumulator: |w·(x − zpIn)| ≤ 128·255, so Σ over K products fits int32 while
 * K·128·255 ≤ 2³¹ − 1, i.e. K ≤ INT8_MAX_K = 65,793; prepare refuses a larger K. Only the bias
 * addition may wrap (as TFLite's int32 add does); the kernels compute it modulo 2³², like the
 * reference.
 *
 * The GEMM (linear and conv) packs two int8 lanes into one float64 ("SWAR"): the weights of output
 * channels j and j+1 become W[j, p] + W[j+1, p]·2²⁴ (prepared once), so one multiply-add
 * x·(w₀ + w₁·2²⁴) advances two dot products. Exactness: |x·w| ≤ 2¹⁴, so over a block of
 * KC = 256 steps each lane's sum L satisfies |L| ≤ 2²²; the packed sum L₀ + L₁·2²⁴ and every
 * partial sum are integers below 2⁴⁷ < 2⁵³ (exact in float64), and L₁ = round(acc·2⁻²⁴) because
 * |L₀·2⁻²⁴| ≤ 1/4, then L₀ = acc − L₁·2²⁴. After each block the lanes are added into a float64
 * tile (exact: |Σ| ≤ 2³¹). Measured against the float32 `gemm` on one core (Node 20): n = 256
 * (256×256×256) 1.25×, n = 512 1.28×, batch-1 256→256 1.8×, batch-1 1024→1024 3.3×; a 3×3 conv
 * 32→32 on 28×28 1.25×; the requantization epilogue costs ≈ 6 ns an output, so layers with a
 * small K (a 1-channel 3×3 conv) run slower than float32.
 * Steps of one call (loop order panel → row tile → K block):
 *  1. for each panel of 16 output channels (8 packed pairs, K×8 float64 prepared at load),
 *  2. for each tile of 4 rows of A (1 row for the last m mod 4), read straight from the int8
 *     input with a row and a column stride (no run-time packing: measured no faster),
 *  3. run the 4×8 micro-kernel (32 float64 accumulators = 4×16 outputs) per K block of 256,
 *     split the lanes into the tile,
 *  4. requantize the tile: acc + fold_j, fold_j = bias_j − zpIn·Σₚ w[j, p] (the input zero point
 *     by precomputed weight row sums, exact modulo 2³²), then MBQM, zero point, clamp.
 * Prepared weights take 4 bytes per int8 weight (float64 per pair); `packedBytes` reports it.
 *
 * Every prepare function validates its arguments and precomputes multipliers, shifts, weight
 * sums and window ranges; the run functions assume a valid plan and allocate nothing.
 */
import type { Conv2dParams, Pool2dParams } from "../backend.js";
import { ArgumentError, ShapeError } from "../errors.js";
import type { Conv2dDims } from "./conv.js";
import type { Pool2dDims } from "./pool.js";

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const TWO_15 = 32768;
const TWO_16 = 65536;
const TWO_24 = 16777216;
const TWO_30 = 1073741824;
const TWO_31 = 2147483648;
const INV_2_15 = 1 / TWO_15;
const INV_2_31 = 1 / TWO_31;
/** |v| below 2²²: v·m (m < 2³¹) is exact in float64. */
const SMALL = 4194304;

/** Deepest accumulation the int8 kernels take: K·128·255 ≤ 2³¹ − 1 ⇔ K ≤ 65,793. */
export const INT8_MAX_K = 65793; // ⌊(2³¹ − 1) / 32640⌋

/** Micro-tile rows. */
const MR = 4;
/** Packed pairs per micro-tile row (16 output channels). */
const PAIRS = 8;
/** Output channels per packed panel. */
const NR = 2 * PAIRS;
/** K block after which the packed lanes are split (|lane| ≤ 256·2¹⁴ = 2²² < 2²³). */
const KC = 256;
/** Output positions per im2col chunk (whole output rows, at least one). */
const CHUNK = 256;

/** The exact int32 sums of one MR×NR tile, `tile[i·NR + j]`. */
const tile = new Float64Array(MR * NR);
/** The packed accumulators of one micro-kernel call, `lanes[i·PAIRS + jj]`. */
const lanes = new Float64Array(MR * PAIRS);
/** im2col scratch, grown by prepare (never by a run). */
let colScratch = new Int8Array(0);
/** Depthwise accumulator plane, grown by prepare. */
let planeScratch = new Int32Array(0);

// ---------------------------------------------------------------------------------------------
// Fixed-point arithmetic (32-bit, no BigInt)
// ---------------------------------------------------------------------------------------------

const F32 = new Float32Array(1);
const F32_BITS = new Uint32Array(F32.buffer);

/**
 * The symmetric per-channel weight scale: float32(maxAbs / 127), 1 for an all-zero channel, and for
 * a subnormal range the next float32 up that keeps maxAbs within ±127 (float32 rounding among
 * subnormals is coarse enough to push it past 127.5).
 * @param maxAbs - max |w| over the channel, finite and ≥ 0
 * @returns the scale (> 0)
 */
export function symmetricWeightScale(maxAbs: number): number {
  if (maxAbs === 0) return 1;
  let s = Math.fround(maxAbs / 127);
  if (s === 0) s = 2 ** -149;
  const q = (x: number) => Math.round(Math.fround(maxAbs / x));
  while (q(s) > 127) {
    F32[0] = s;
    F32_BITS[0] = F32_BITS[0]! + 1;
    s = F32[0];
  }
  return s;
}

/**
 * TFLite's QuantizeMultiplier: real = multiplier·2^(shift − 31) with multiplier a Q31 integer in
 * [2³⁰, 2³¹) (frexp, then round half away from zero; a round up to 2³¹ halves it and bumps shift;
 * a shift below −31 flushes to zero).
 * @param real - the real multiplier, finite and ≥ 0 (e.g. inScale·wScale/outScale)
 * @returns `{ multiplier, shift }`, a new object; `{ 0, 0 }` for 0 or a real below ≈ 2⁻³²
 * @throws ArgumentError for a negative, NaN or infinite multiplier
 */
export function quantizeMultiplier(real: number): { multiplier: number; shift: number } {
  if (!(real >= 0) || real === Number.POSITIVE_INFINITY) {
    throw new ArgumentError(
      `quantizeMultiplier: the real multiplier must be finite and ≥ 0 (got ${real})`,
    );
  }
  if (real === 0) return { multiplier: 0, shift: 0 };
  // frexp: real = q·2^shift with q ∈ [0.5, 1); halving and doubling are exact
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
  // q·2³¹ is exact; for a positive value Math.round is round half away from zero
  let m = Math.round(q * TWO_31);
  if (m === TWO_31) {
    m = TWO_30;
    shift++;
  }
  if (shift < -31) return { multiplier: 0, shift: 0 };
  return { multiplier: m, shift };
}

/**
 * gemmlowp's SaturatingRoundingDoublingHighMul: trunc((a·b + nudge) / 2³¹), nudge = 2³⁰ when
 * a·b ≥ 0 else 1 − 2³⁰, and INT32_MAX for INT32_MIN·INT32_MIN. Computed as ⌊(a·b + 2³⁰) / 2³¹⌋
 * (round half up), which is the same: for a·b ≥ 0 trivially; for a·b < 0, with y = a·b/2³¹ a
 * multiple of 2⁻³¹, ⌈y − 1/2 + 2⁻³¹⌉ = ⌊y + 1/2⌋. Splitting b = bh·2¹⁶ + bl and
 * h = a·bh = hq·2¹⁵ + hr (hr ∈ [0, 2¹⁵)) gives a·b = hq·2³¹ + (hr·2¹⁶ + a·bl), so the result is
 * hq + ⌊(hr·2¹⁶ + a·bl + 2³⁰) / 2³¹⌋: |h| ≤ 2⁴⁶, |a·bl| < 2⁴⁷, every value an integer below 2⁵³
 * (exact in float64), and scaling by a power of two is exact.
 * @param a - an int32
 * @param b - an int32
 * @returns the int32 result
 */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const h = a * (b >> 16);
  const hq = Math.floor(h * INV_2_15);
  return (hq + Math.floor(((h - hq * TWO_15) * TWO_16 + a * (b & 0xffff) + TWO_30) * INV_2_31)) | 0;
}

/**
 * gemmlowp's RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero.
 * @param x - an int32
 * @param exponent - an integer in [0, 31]
 * @returns the int32 result
 */
export function roundingDivideByPOT(x: number, exponent: number): number {
  const mask = exponent === 31 ? INT32_MAX : (1 << exponent) - 1;
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/**
 * TFLite's MultiplyByQuantizedMultiplier: RDBPOT(SRDHM(x·2^max(shift, 0), multiplier),
 * max(−shift, 0)) ≈ x·multiplier·2^(shift − 31); the left shift wraps modulo 2³² as TFLite's int32
 * multiply does.
 * @param x - an int32
 * @param multiplier - a Q31 multiplier, an int32
 * @param shift - an integer in [−31, 31]
 * @returns the int32 result
 */
export function multiplyByQuantizedMultiplier(
  x: number,
  multiplier: number,
  shift: number,
): number {
  const left = Math.max(shift, 0);
  const right = shift > 0 ? 0 : -shift;
  // a non-negative multiplier (every TFLite multiplier) takes the kernels' own path
  const high =
    multiplier >= 0
      ? srdhmNonNegative(x << left, multiplier)
      : saturatingRoundingDoublingHighMul(x << left, multiplier);
  return roundingDivideByPOT(high, right);
}

// ---------------------------------------------------------------------------------------------
// Requantization
// ---------------------------------------------------------------------------------------------

/** How int32 accumulators become int8 outputs, per output channel. */
export interface Int8Requant {
  /** Q31 multipliers, one per output channel, in [0, 2³¹) (from `quantizeMultiplier`). */
  readonly multipliers: ArrayLike<number>;
  /** Shifts, one per output channel, in [−31, 31] (positive: left). */
  readonly shifts: ArrayLike<number>;
  /** The output zero point, in [−128, 127]. */
  readonly outZeroPoint: number;
  /** The lower clamp (−128, or the zero point for a fused ReLU/ReLU6). */
  readonly actMin: number;
  /** The upper clamp (127, or quantize(6) for a fused ReLU6). */
  readonly actMax: number;
}

/** A prepared `Int8Requant`: each shift split into a left and a right shift, with the rounding
 * mask 2^right − 1 of RoundingDivideByPOT. */
export interface RequantTable {
  readonly leftShift: Int32Array;
  readonly multiplier: Int32Array;
  readonly rightShift: Int32Array;
  readonly mask: Int32Array;
  readonly outZeroPoint: number;
  readonly actMin: number;
  readonly actMax: number;
}

function isInt(v: unknown, lo: number, hi: number): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= lo && v <= hi;
}

function checkInt(op: string, name: string, v: unknown, lo: number, hi: number): number {
  if (!isInt(v, lo, hi)) {
    throw new ArgumentError(`${op}: ${name} must be an integer in [${lo}, ${hi}] (got ${v})`);
  }
  return v;
}

function checkRequant(op: string, rq: Int8Requant, channels: number): RequantTable {
  const { multipliers, shifts } = rq;
  if (multipliers.length !== channels || shifts.length !== channels) {
    throw new ShapeError(
      `${op}: one multiplier and one shift per output channel (expected ${channels}, got ${multipliers.length} multipliers and ${shifts.length} shifts)`,
    );
  }
  const outZeroPoint = checkInt(op, "outZeroPoint", rq.outZeroPoint, -128, 127);
  const actMin = checkInt(op, "actMin", rq.actMin, -128, 127);
  const actMax = checkInt(op, "actMax", rq.actMax, actMin, 127);
  const t = {
    leftShift: new Int32Array(channels),
    multiplier: new Int32Array(channels),
    rightShift: new Int32Array(channels),
    mask: new Int32Array(channels),
    outZeroPoint,
    actMin,
    actMax,
  };
  for (let j = 0; j < channels; j++) {
    const m = checkInt(op, `multipliers[${j}]`, multipliers[j], 0, INT32_MAX);
    const s = checkInt(op, `shifts[${j}]`, shifts[j], -31, 31);
    t.leftShift[j] = Math.max(s, 0);
    t.rightShift[j] = s > 0 ? 0 : -s;
    t.mask[j] = s <= -31 ? INT32_MAX : s >= 0 ? 0 : (1 << -s) - 1;
    t.multiplier[j] = m;
  }
  return t;
}

/**
 * SRDHM(v, m) = ⌊(v·m + 2³⁰) / 2³¹⌋ for an int32 v and a multiplier m ∈ [0, 2³¹) (see
 * `saturatingRoundingDoublingHighMul`; its saturating case needs m = INT32_MIN): when |v| < 2²²
 * (nearly every accumulator) |v·m| + 2³⁰ < 2⁵³ and the product is exact as it stands, otherwise
 * it goes through the 16-bit split.
 */
function srdhmNonNegative(v: number, m: number): number {
  if (v < SMALL && v > -SMALL) return Math.floor((v * m + TWO_30) * INV_2_31);
  const h = v * (m >>> 16);
  const hq = Math.floor(h * INV_2_15);
  return hq + Math.floor(((h - hq * TWO_15) * TWO_16 + v * (m & 0xffff) + TWO_30) * INV_2_31);
}

/**
 * clamp(zp + RDBPOT(SRDHM(acc·2^ls, m), rs), lo, hi) for a multiplier m ∈ [0, 2³¹), an int32
 * `acc` and `mask` = 2^rs − 1, without sign branches: RDBPOT(r, rs) = (r >> rs) + [r & mask >
 * (mask >> 1) + [r < 0]], the bracket being the sign bit of threshold − remainder (both in
 * [0, 2³¹), so the difference fits int32).
 */
function requantOne(
  acc: number,
  ls: number,
  m: number,
  rs: number,
  mask: number,
  zp: number,
  lo: number,
  hi: number,
): number {
  const r = srdhmNonNegative(acc << ls, m);
  const q = (r >> rs) + (((mask >> 1) + (r >>> 31) - (r & mask)) >>> 31) + zp;
  return Math.min(Math.max(q, lo), hi);
}

// ---------------------------------------------------------------------------------------------
// The packed int8 GEMM
// ---------------------------------------------------------------------------------------------

/**
 * Packs `n` weight rows of length `k` (row j at `wOff + j·k`) into panels of 16 channels:
 * `bp[(pn·k + p)·8 + jj] = W[j, p] + W[j + 1, p]·2²⁴` with j = 16·pn + 2·jj (rows past n are 0).
 */
function packWeights(w: Int8Array, wOff: number, n: number, k: number): Float64Array {
  const panels = Math.ceil(n / NR);
  const bp = new Float64Array(panels * k * PAIRS);
  for (let pn = 0; pn < panels; pn++) {
    for (let jj = 0; jj < PAIRS; jj++) {
      const j = pn * NR + 2 * jj;
      const r0 = j < n ? wOff + j * k : -1;
      const r1 = j + 1 < n ? wOff + (j + 1) * k : -1;
      for (let p = 0, dst = pn * k * PAIRS + jj; p < k; p++, dst += PAIRS) {
        const w0 = r0 < 0 ? 0 : w[r0 + p]!;
        const w1 = r1 < 0 ? 0 : w[r1 + p]!;
        bp[dst] = w0 + w1 * TWO_24;
      }
    }
  }
  return bp;
}

/** Σₚ W[j, p] for each of the `n` rows. */
function rowSums(w: Int8Array, wOff: number, n: number, k: number): Int32Array {
  const s = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    let t = 0;
    for (let p = 0, o = wOff + j * k; p < k; p++, o++) t += w[o]!;
    s[j] = t;
  }
  return s;
}

/** Adds the packed accumulators `lanes[0 : rows·8]` into `tile`, each split into its two lanes. */
function splitLanes(rows: number): void {
  for (let i = 0; i < rows; i++) {
    for (let jj = 0; jj < PAIRS; jj++) {
      const c = lanes[i * PAIRS + jj]!;
      const l1 = Math.round(c * (1 / TWO_24));
      tile[i * NR + 2 * jj]! += c - l1 * TWO_24;
      tile[i * NR + 2 * jj + 1]! += l1;
    }
  }
}

/**
 * lanes[i·8 + jj] = Σ_{p<kc} A[i, p]·bp[bo + p·8 + jj] for 4 rows of A, row i at `ao + i·ars`,
 * columns `acs` apart: 32 packed accumulators (64 outputs) in locals, 4 + 8 loads per step.
 */
// biome-ignore format: one row of the tile per line
function kernel4x8(
  kc: number,
  a: Int8Array,
  ao: number,
  ars: number,
  acs: number,
  bp: Float64Array,
  bo: number,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c04 = 0, c05 = 0, c06 = 0, c07 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0, c15 = 0, c16 = 0, c17 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c24 = 0, c25 = 0, c26 = 0, c27 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0, c34 = 0, c35 = 0, c36 = 0, c37 = 0;
  let a0 = ao, a1 = ao + ars, a2 = a1 + ars, a3 = a2 + ars;
  for (let p = 0; p < kc; p++) {
    const b0 = bp[bo]!, b1 = bp[bo + 1]!, b2 = bp[bo + 2]!, b3 = bp[bo + 3]!;
    const b4 = bp[bo + 4]!, b5 = bp[bo + 5]!, b6 = bp[bo + 6]!, b7 = bp[bo + 7]!;
    let x = a[a0]!;
    c00 += x * b0; c01 += x * b1; c02 += x * b2; c03 += x * b3;
    c04 += x * b4; c05 += x * b5; c06 += x * b6; c07 += x * b7;
    x = a[a1]!;
    c10 += x * b0; c11 += x * b1; c12 += x * b2; c13 += x * b3;
    c14 += x * b4; c15 += x * b5; c16 += x * b6; c17 += x * b7;
    x = a[a2]!;
    c20 += x * b0; c21 += x * b1; c22 += x * b2; c23 += x * b3;
    c24 += x * b4; c25 += x * b5; c26 += x * b6; c27 += x * b7;
    x = a[a3]!;
    c30 += x * b0; c31 += x * b1; c32 += x * b2; c33 += x * b3;
    c34 += x * b4; c35 += x * b5; c36 += x * b6; c37 += x * b7;
    a0 += acs; a1 += acs; a2 += acs; a3 += acs;
    bo += PAIRS;
  }
  const l = lanes;
  l[0] = c00; l[1] = c01; l[2] = c02; l[3] = c03; l[4] = c04; l[5] = c05; l[6] = c06; l[7] = c07;
  l[8] = c10; l[9] = c11; l[10] = c12; l[11] = c13; l[12] = c14; l[13] = c15; l[14] = c16; l[15] = c17;
  l[16] = c20; l[17] = c21; l[18] = c22; l[19] = c23; l[20] = c24; l[21] = c25; l[22] = c26; l[23] = c27;
  l[24] = c30; l[25] = c31; l[26] = c32; l[27] = c33; l[28] = c34; l[29] = c35; l[30] = c36; l[31] = c37;
  splitLanes(4);
}

/** `kernel4x8` for one row (the last m mod 4 rows, and matrix-vector products). */
// biome-ignore format: one accumulator pair per column
function kernel1x8(
  kc: number,
  a: Int8Array,
  ao: number,
  acs: number,
  bp: Float64Array,
  bo: number,
): void {
  let c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0, c6 = 0, c7 = 0;
  for (let p = 0; p < kc; p++) {
    const x = a[ao]!;
    c0 += x * bp[bo]!; c1 += x * bp[bo + 1]!; c2 += x * bp[bo + 2]!; c3 += x * bp[bo + 3]!;
    c4 += x * bp[bo + 4]!; c5 += x * bp[bo + 5]!; c6 += x * bp[bo + 6]!; c7 += x * bp[bo + 7]!;
    ao += acs;
    bo += PAIRS;
  }
  const l = lanes;
  l[0] = c0; l[1] = c1; l[2] = c2; l[3] = c3; l[4] = c4; l[5] = c5; l[6] = c6; l[7] = c7;
  splitLanes(1);
}

/**
 * tile[i·16 + j] = Σ_{p<k} A[i, p]·W[16·pn + j, p] for `rows` (4 or 1) rows of A from `ao`, with the
 * panel's packed weights at `bo`, one K block at a time.
 */
function computeTile(
  rows: number,
  k: number,
  a: Int8Array,
  ao: number,
  ars: number,
  acs: number,
  bp: Float64Array,
  bo: number,
): void {
  tile.fill(0, 0, rows * NR);
  for (let pc = 0; pc < k; pc += KC) {
    const kc = Math.min(KC, k - pc);
    if (rows === MR) kernel4x8(kc, a, ao + pc * acs, ars, acs, bp, bo + pc * PAIRS);
    else kernel1x8(kc, a, ao + pc * acs, acs, bp, bo + pc * PAIRS);
  }
}

/**
 * y[i·yrs + j·ycs] = requant(Σₚ A[i, p]·W[j, p] + fold[c0 + j]) for i < m, j < n: the packed GEMM
 * with the requantization epilogue (channel c0 + j's multiplier, shift and fold).
 */
function gemmRequant(
  m: number,
  n: number,
  k: number,
  a: Int8Array,
  aOff: number,
  ars: number,
  acs: number,
  bp: Float64Array,
  bpOff: number,
  fold: Int32Array,
  c0: number,
  rq: RequantTable,
  y: Int8Array,
  yOff: number,
  yrs: number,
  ycs: number,
): void {
  const { leftShift, multiplier, rightShift, mask, outZeroPoint: zp, actMin, actMax } = rq;
  for (let j0 = 0, bo = bpOff; j0 < n; j0 += NR, bo += k * PAIRS) {
    const nr = Math.min(NR, n - j0);
    for (let i = 0; i < m; ) {
      const rows = m - i >= MR ? MR : 1;
      computeTile(rows, k, a, aOff + i * ars, ars, acs, bp, bo);
      // loop order j → i: a channel's requantization parameters are loaded once per tile
      for (let jj = 0; jj < nr; jj++) {
        const ch = c0 + j0 + jj;
        const f = fold[ch]!;
        const ls = leftShift[ch]!;
        const mul = multiplier[ch]!;
        const rs = rightShift[ch]!;
        const mk = mask[ch]!;
        let o = yOff + i * yrs + (j0 + jj) * ycs;
        for (let ii = 0; ii < rows; ii++, o += yrs) {
          const acc = (tile[ii * NR + jj]! + f) | 0;
          y[o] = requantOne(acc, ls, mul, rs, mk, zp, actMin, actMax);
        }
      }
      i += rows;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Fully connected
// ---------------------------------------------------------------------------------------------

/** A prepared int8 fully-connected layer (`prepareLinearQ8`). */
export interface LinearQ8Plan {
  /** Output channels N. */
  readonly n: number;
  /** Input features K. */
  readonly k: number;
  /** The input zero point the plan was prepared for. */
  readonly inZeroPoint: number;
  /** The weights, packed (two channels per float64). */
  readonly packed: Float64Array;
  /** Σₚ W[j, p] per channel. */
  readonly rowSums: Int32Array;
  /** The int32 bias (zeros without one). */
  readonly bias: Int32Array;
  /** bias_j − inZeroPoint·rowSums_j, modulo 2³². */
  readonly fold: Int32Array;
  readonly requant: RequantTable;
  /** Bytes held by the plan's arrays. */
  readonly packedBytes: number;
}

function checkK(op: string, k: number): void {
  if (k > INT8_MAX_K) {
    throw new ArgumentError(
      `${op}: accumulation depth too large for an int32 accumulator (expected K·128·255 ≤ 2^31 − 1, i.e. K ≤ ${INT8_MAX_K}, got K = ${k})`,
    );
  }
}

function checkBuffer(op: string, name: string, length: number, off: number, need: number): void {
  if (!isInt(off, 0, Number.MAX_SAFE_INTEGER) || off + need > length) {
    throw new ShapeError(
      `${op}: ${name} too short (expected ${need} elements from offset ${off}, got length ${length})`,
    );
  }
}

function prepareFold(bias: Int32Array, sums: Int32Array, zp: number): Int32Array {
  const f = new Int32Array(bias.length);
  for (let j = 0; j < f.length; j++) f[j] = (bias[j]! - Math.imul(zp, sums[j]!)) | 0;
  return f;
}

/** What `requantizeQ8` needs: the int32 bias and the requantization per output channel. */
export interface RequantQ8Plan {
  /** Output channels N. */
  readonly n: number;
  /** The int32 bias (zeros without one). */
  readonly bias: Int32Array;
  readonly requant: RequantTable;
}

/**
 * The bias and requantization of an int8 layer whose accumulators another kernel computes (e.g.
 * the WebAssembly int8 GEMM): `prepareLinearQ8` without packing the weights.
 * @param n - output channels
 * @param bias - int32 bias from `biasOff` (n values), or null
 * @param biasOff - offset of the bias
 * @param rq - the requantization (multipliers and shifts per channel, output zero point, clamp)
 * @returns a new plan for `requantizeQ8`
 * @throws ArgumentError for bad requantization parameters or sizes
 */
export function prepareRequantQ8(
  n: number,
  bias: Int32Array | null,
  biasOff: number,
  rq: Int8Requant,
): RequantQ8Plan {
  const op = "requantizeQ8";
  checkInt(op, "n", n, 1, INT32_MAX);
  if (bias !== null) checkBuffer(op, "bias", bias.length, biasOff, n);
  const requant = checkRequant(op, rq, n);
  return { n, bias: bias === null ? new Int32Array(n) : bias.slice(biasOff, biasOff + n), requant };
}

/**
 * Prepares y = requant(x·Wᵀ + bias) for int8 x [m, K] (zero point `inZeroPoint`), int8 weights W
 * [N, K] (symmetric per output channel) and an int32 bias [N]: packs the weights, sums their rows
 * and splits the multipliers, once.
 * @param w - the weights, row j at `wOff + j·k` (copied: the plan does not keep `w`)
 * @param n - output channels N ≥ 1
 * @param k - input features K, 1 ≤ K ≤ INT8_MAX_K
 * @param bias - N int32 values from `biasOff`, or null for none
 * @param inZeroPoint - the input zero point in [−128, 127]
 * @param rq - per-channel multipliers and shifts, output zero point and clamp
 * @returns a new plan, owned by the caller (plain arrays: garbage-collected)
 * @throws ArgumentError for K > INT8_MAX_K or out-of-range parameters; ShapeError for short arrays
 */
export function prepareLinearQ8(
  w: Int8Array,
  wOff: number,
  n: number,
  k: number,
  bias: Int32Array | null,
  biasOff: number,
  inZeroPoint: number,
  rq: Int8Requant,
): LinearQ8Plan {
  const op = "linearQ8";
  checkInt(op, "n", n, 1, INT32_MAX);
  checkInt(op, "k", k, 1, INT32_MAX);
  checkK(op, k);
  checkInt(op, "inZeroPoint", inZeroPoint, -128, 127);
  checkBuffer(op, "w", w.length, wOff, n * k);
  if (bias !== null) checkBuffer(op, "bias", bias.length, biasOff, n);
  const requant = checkRequant(op, rq, n);
  const packed = packWeights(w, wOff, n, k);
  const sums = rowSums(w, wOff, n, k);
  const b = bias === null ? new Int32Array(n) : bias.slice(biasOff, biasOff + n);
  const fold = prepareFold(b, sums, inZeroPoint);
  return {
    n,
    k,
    inZeroPoint,
    packed,
    rowSums: sums,
    bias: b,
    fold,
    requant,
    packedBytes: packed.byteLength + 3 * 4 * n + 5 * 4 * n,
  };
}

/**
 * y[i, j] = clamp(zpOut + MBQM(Σₚ W[j, p]·(x[i, p] − zpIn) + bias[j], M_j, shift_j)) for the
 * `m` rows of x: the prepared int8 fully-connected layer.
 * @param plan - from `prepareLinearQ8`
 * @param m - rows (batch)
 * @param x - m×K int8 inputs, row-major from `xOff`
 * @param y - m×N int8 outputs, row-major from `yOff`, overwritten
 * @returns nothing: `y` holds the result
 */
export function linearQ8(
  plan: LinearQ8Plan,
  m: number,
  x: Int8Array,
  xOff: number,
  y: Int8Array,
  yOff: number,
): void {
  const { n, k } = plan;
  gemmRequant(m, n, k, x, xOff, k, 1, plan.packed, 0, plan.fold, 0, plan.requant, y, yOff, n, 1);
}

/**
 * y[i, j] = wrap32(Σₚ W[j, p]·(x[i, p] − inZeroPoint) + bias[j]): the raw int32 accumulators of
 * the prepared layer, with the input zero point given per call (dynamic quantization).
 * @param plan - from `prepareLinearQ8` (its requantization is not used)
 * @param m - rows (batch)
 * @param x - m×K int8 inputs, row-major from `xOff`
 * @param inZeroPoint - this call's input zero point in [−128, 127]
 * @param y - m×N int32 outputs, row-major from `yOff`, overwritten
 * @returns nothing: `y` holds the result
 */
export function linearQ8Int32(
  plan: LinearQ8Plan,
  m: number,
  x: Int8Array,
  xOff: number,
  inZeroPoint: number,
  y: Int32Array,
  yOff: number,
): void {
  const { n, k, packed, bias, rowSums: sums } = plan;
  for (let j0 = 0, bo = 0; j0 < n; j0 += NR, bo += k * PAIRS) {
    const nr = Math.min(NR, n - j0);
    for (let i = 0; i < m; ) {
      const rows = m - i >= MR ? MR : 1;
      computeTile(rows, k, x, xOff + i * k, k, 1, packed, bo);
      for (let jj = 0; jj < nr; jj++) {
        const j = j0 + jj;
        const f = (bias[j]! - Math.imul(inZeroPoint, sums[j]!)) | 0;
        for (let ii = 0; ii < rows; ii++)
          y[yOff + (i + ii) * n + j] = (tile[ii * NR + jj]! + f) | 0;
      }
      i += rows;
    }
  }
}

/**
 * y[i, j] = clamp(outZeroPoint + MBQM(acc[i, j] + bias[j], M_j)): the requantization of
 * `linearQ8` applied to accumulators computed elsewhere (Σₚ W[j, p]·(x[i, p] − inZeroPoint), e.g.
 * by the WebAssembly int8 GEMM), bit-exact with `linearQ8` on the same accumulators.
 * @param plan - from `prepareRequantQ8` (or `prepareLinearQ8`: its bias and requantization)
 * @param m - rows (batch)
 * @param acc - m×N int32 accumulators, row-major from `accOff`
 * @param y - m×N int8 outputs, row-major from `yOff`, overwritten
 * @returns nothing: `y` holds the result
 */
export function requantizeQ8(
  plan: RequantQ8Plan,
  m: number,
  acc: Int32Array,
  accOff: number,
  y: Int8Array,
  yOff: number,
): void {
  const { n, bias } = plan;
  const {
    leftShift,
    multiplier,
    rightShift,
    mask,
    outZeroPoint: zp,
    actMin,
    actMax,
  } = plan.requant;
  for (let j = 0; j < n; j++) {
    const b = bias[j]!;
    const ls = leftShift[j]!;
    const mul = multiplier[j]!;
    const rs = rightShift[j]!;
    const mk = mask[j]!;
    for (let i = 0, o = j; i < m; i++, o += n) {
      y[yOff + o] = requantOne((acc[accOff + o]! + b) | 0, ls, mul, rs, mk, zp, actMin, actMax);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// conv2d
// ---------------------------------------------------------------------------------------------

/** A prepared int8 conv2d (`prepareConv2dQ8`). */
export interface Conv2dQ8Plan {
  readonly dims: Conv2dDims;
  readonly params: Conv2dParams;
  /** `'depthwise'` (groups > 1 with one input channel each: a direct loop), `'pointwise'` (1×1,
   * stride 1, no padding: the input planes are the GEMM operand), or `'im2col'`. */
  readonly path: "depthwise" | "pointwise" | "im2col";
  readonly inZeroPoint: number;
  /** GEMM paths: each group's weights packed, group g at `g·groupStride`. */
  readonly packed: Float64Array;
  readonly groupStride: number;
  /** Depthwise: the int8 weights, copied. */
  readonly weights: Int8Array;
  /** The int32 bias (zeros without one). */
  readonly bias: Int32Array;
  /** GEMM paths: bias_j − inZeroPoint·Σ w_j (mod 2³²); depthwise: the bias. */
  readonly fold: Int32Array;
  readonly requant: RequantTable;
  /** Depthwise: the valid output columns [lo, hi) per kernel column kw, at `2·kw`, `2·kw + 1`. */
  readonly cols: Int32Array;
  /** Output rows per im2col chunk. */
  readonly chunkRows: number;
  /** Bytes held by the plan's arrays (the shared im2col scratch not included). */
  readonly packedBytes: number;
}

/** First tap t with start + t·dil ≥ 0. */
function tapLo(start: number, dil: number): number {
  return start >= 0 ? 0 : Math.ceil(-start / dil);
}

/** One past the last tap t < k with start + t·dil < size (at least `lo`). */
function tapHi(start: number, dil: number, k: number, size: number, lo: number): number {
  return Math.max(lo, Math.min(k, Math.ceil((size - start) / dil)));
}

function checkConvGeometry(op: string, d: Conv2dDims, p: Conv2dParams): void {
  for (const key of ["inC", "inH", "inW", "outC", "outH", "outW", "kernelH", "kernelW"] as const) {
    checkInt(op, key, d[key], 1, INT32_MAX);
  }
  for (const key of ["strideH", "strideW", "dilationH", "dilationW", "groups"] as const) {
    checkInt(op, key, p[key], 1, INT32_MAX);
  }
  checkInt(op, "padTop", p.padTop, 0, INT32_MAX);
  checkInt(op, "padLeft", p.padLeft, 0, INT32_MAX);
  if (d.inC % p.groups !== 0 || d.outC % p.groups !== 0) {
    throw new ShapeError(
      `${op}: channels must divide into groups (expected inC and outC multiples of ${p.groups}, got inC = ${d.inC}, outC = ${d.outC})`,
    );
  }
}

/**
 * Prepares int8 conv2d (NCHW, weights [outC, inC/groups, kH, kW], symmetric per output channel;
 * the TFLite ConvPerChannel arithmetic, padding reading as the input zero point, i.e. real 0):
 * chooses the path (a direct loop when groups > 1 and each group has one input channel, else
 * im2col + the packed int8 GEMM, no im2col for 1×1 stride-1 unpadded), packs the weights, folds
 * the input zero point into the bias and sizes the shared im2col scratch, once.
 * @param w - the weights from `wOff` (copied)
 * @param bias - outC int32 values from `biasOff`, or null
 * @param d - the sizes (`d.batch` is ignored: the batch is given per run)
 * @param p - stride, padding (top, left; the output size implies bottom/right), dilation, groups
 * @param inZeroPoint - the input zero point in [−128, 127]
 * @param rq - per-channel multipliers and shifts, output zero point and clamp
 * @returns a new plan, owned by the caller
 * @throws ArgumentError for K = inC/groups·kH·kW > INT8_MAX_K or bad parameters; ShapeError for
 *   channels not divisible by groups or short arrays
 */
export function prepareConv2dQ8(
  w: Int8Array,
  wOff: number,
  bias: Int32Array | null,
  biasOff: number,
  d: Conv2dDims,
  p: Conv2dParams,
  inZeroPoint: number,
  rq: Int8Requant,
): Conv2dQ8Plan {
  const op = "conv2dQ8";
  checkConvGeometry(op, d, p);
  const { inC, inH, inW, outC, outH, outW, kernelH: kH, kernelW: kW } = d;
  const g = p.groups;
  const cinG = inC / g;
  const coutG = outC / g;
  const k = cinG * kH * kW;
  checkK(op, k);
  checkInt(op, "inZeroPoint", inZeroPoint, -128, 127);
  checkBuffer(op, "w", w.length, wOff, outC * k);
  if (bias !== null) checkBuffer(op, "bias", bias.length, biasOff, outC);
  const requant = checkRequant(op, rq, outC);
  const b = bias === null ? new Int32Array(outC) : bias.slice(biasOff, biasOff + outC);
  const pointwise =
    kH === 1 &&
    kW === 1 &&
    p.strideH === 1 &&
    p.strideW === 1 &&
    p.padTop === 0 &&
    p.padLeft === 0 &&
    outH === inH &&
    outW === inW;
  // direct when groups split the input into single channels (depthwise, any channel
  // multiplier); a single-channel input with groups = 1 is a plain GEMM with K = kH·kW (measured
  // ≈ 1.4× faster than the direct loop for 1 → 16 channels, 3×3, 28×28)
  const path = cinG === 1 && g > 1 ? "depthwise" : pointwise ? "pointwise" : "im2col";
  let packed: Float64Array = new Float64Array(0);
  let groupStride = 0;
  let weights: Int8Array = new Int8Array(0);
  let fold: Int32Array = b;
  let cols: Int32Array = new Int32Array(0);
  if (path === "depthwise") {
    weights = w.slice(wOff, wOff + outC * k);
    // per kernel column kw, the output columns [lo, hi) whose input column lies inside the image
    cols = new Int32Array(2 * kW);
    for (let kw = 0; kw < kW; kw++) {
      const shift = kw * p.dilationW - p.padLeft;
      cols[2 * kw] = Math.min(outW, tapLo(shift, p.strideW));
      cols[2 * kw + 1] = tapHi(shift, p.strideW, outW, inW, cols[2 * kw]!);
    }
    if (planeScratch.length < outH * outW) planeScratch = new Int32Array(outH * outW);
  } else {
    groupStride = Math.ceil(coutG / NR) * k * PAIRS;
    packed = new Float64Array(g * groupStride);
    for (let gi = 0; gi < g; gi++) {
      packed.set(packWeights(w, wOff + gi * coutG * k, coutG, k), gi * groupStride);
    }
    fold = prepareFold(b, rowSums(w, wOff, outC, k), inZeroPoint);
  }
  const chunkRows = Math.max(1, Math.floor(CHUNK / outW));
  if (path === "im2col") {
    const need = k * Math.min(outH, chunkRows) * outW;
    if (colScratch.length < need) colScratch = new Int8Array(need);
  }
  return {
    dims: d,
    params: p,
    path,
    inZeroPoint,
    packed,
    groupStride,
    weights,
    bias: b,
    fold,
    requant,
    cols,
    chunkRows,
    packedBytes:
      packed.byteLength + weights.byteLength + cols.byteLength + 2 * 4 * outC + 5 * 4 * outC,
  };
}

/**
 * y[n, oc, oh, ow] = clamp(zpOut + MBQM(Σ_{c, kh, kw} w[oc, c, kh, kw]·(x[n, g·C/g + c, ih, iw]
 * − zpIn) + bias[oc], M_oc, shift_oc)) over the taps inside the input (ih = oh·sH − padTop + kh·dH,
 * iw likewise): the prepared int8 conv2d.
 * @param plan - from `prepareConv2dQ8`
 * @param batch - images N
 * @param x - [N, inC, inH, inW] int8 from `xOff`
 * @param y - [N, outC, outH, outW] int8 from `yOff`, overwritten
 * @returns nothing: `y` holds the result
 */
export function conv2dQ8(
  plan: Conv2dQ8Plan,
  batch: number,
  x: Int8Array,
  xOff: number,
  y: Int8Array,
  yOff: number,
): void {
  if (plan.path === "depthwise") {
    depthwiseQ8(plan, batch, x, xOff, y, yOff);
    return;
  }
  const { inC, inH, inW, outC, outH, outW, kernelH: kH, kernelW: kW } = plan.dims;
  const g = plan.params.groups;
  const cinG = inC / g;
  const coutG = outC / g;
  const k = cinG * kH * kW;
  const inHW = inH * inW;
  const hw = outH * outW;
  for (let n = 0; n < batch; n++) {
    for (let gi = 0; gi < g; gi++) {
      const xo = xOff + (n * inC + gi * cinG) * inHW;
      const yo = yOff + (n * outC + gi * coutG) * hw;
      const bo = gi * plan.groupStride;
      // C [positions, coutG] = A [positions, K] · W_gᵀ, A[s, p] = col[p, s]; C[s, j] lands at
      // y[j·hw + s]
      if (plan.path === "pointwise") {
        gemmRequant(
          hw,
          coutG,
          k,
          x,
          xo,
          1,
          inHW,
          plan.packed,
          bo,
          plan.fold,
          gi * coutG,
          plan.requant,
          y,
          yo,
          1,
          hw,
        );
        continue;
      }
      for (let oh0 = 0; oh0 < outH; oh0 += plan.chunkRows) {
        const rows = Math.min(plan.chunkRows, outH - oh0);
        const len = rows * outW;
        im2colQ8(
          x,
          xo,
          cinG,
          inH,
          inW,
          kH,
          kW,
          outW,
          plan.params,
          oh0,
          rows,
          plan.inZeroPoint,
          colScratch,
        );
        gemmRequant(
          len,
          coutG,
          k,
          colScratch,
          0,
          1,
          len,
          plan.packed,
          bo,
          plan.fold,
          gi * coutG,
          plan.requant,
          y,
          yo + oh0 * outW,
          1,
          hw,
        );
      }
    }
  }
}

/**
 * col[(c·kH + kh)·kW + kw, r·outW + ow] = x[c, (oh0 + r)·sH − padTop + kh·dH, ow·sW − padLeft +
 * kw·dW] for the output rows [oh0, oh0 + rows), `zp` where that falls in the padding.
 */
function im2colQ8(
  x: Int8Array,
  xOff: number,
  channels: number,
  inH: number,
  inW: number,
  kH: number,
  kW: number,
  outW: number,
  p: Conv2dParams,
  oh0: number,
  rows: number,
  zp: number,
  col: Int8Array,
): void {
  const { strideH: sH, strideW: sW, dilationH: dH, dilationW: dW } = p;
  const len = rows * outW;
  // loop order c → kh → kw → output row → ow, as the float im2col: the valid column range of
  // each (kw) is computed once, never tested per element
  let row = 0;
  for (let c = 0; c < channels; c++) {
    const plane = xOff + c * inH * inW;
    for (let kh = 0; kh < kH; kh++) {
      for (let kw = 0; kw < kW; kw++, row += len) {
        const shift = kw * dW - p.padLeft;
        const lo = Math.min(outW, tapLo(shift, sW));
        const hi = tapHi(shift, sW, outW, inW, lo);
        for (let r = 0; r < rows; r++) {
          const ih = (oh0 + r) * sH - p.padTop + kh * dH;
          const dst = row + r * outW;
          if (ih < 0 || ih >= inH) {
            col.fill(zp, dst, dst + outW);
            continue;
          }
          const src = plane + ih * inW + shift;
          for (let ow = 0; ow < lo; ow++) col[dst + ow] = zp;
          if (sW === 1) for (let ow = lo; ow < hi; ow++) col[dst + ow] = x[src + ow]!;
          else for (let ow = lo; ow < hi; ow++) col[dst + ow] = x[src + ow * sW]!;
          for (let ow = hi; ow < outW; ow++) col[dst + ow] = zp;
        }
      }
    }
  }
}

/**
 * The direct loop for one input channel per output channel (oc reads channel ⌊oc / (outC/inC)⌋):
 * per output plane, acc = fold_oc, then for each tap (kh, kw) acc[oh, ow] += w·x[ih, iw] − w·zpIn
 * over the output positions whose input lies inside the image (exact int32: |acc| ≤ K·128·255 plus
 * the fold, wrapped like the reference), then requantize the plane.
 */
function depthwiseQ8(
  plan: Conv2dQ8Plan,
  batch: number,
  x: Int8Array,
  xOff: number,
  y: Int8Array,
  yOff: number,
): void {
  const { inC, inH, inW, outC, outH, outW, kernelH: kH, kernelW: kW } = plan.dims;
  const { strideH: sH, strideW: sW, dilationH: dH, dilationW: dW, padTop, padLeft } = plan.params;
  const { weights: w, fold, cols, inZeroPoint: zx } = plan;
  const {
    leftShift,
    multiplier,
    rightShift,
    mask,
    outZeroPoint: zp,
    actMin,
    actMax,
  } = plan.requant;
  const perIn = outC / inC;
  const hw = outH * outW;
  const acc = planeScratch;
  for (let n = 0; n < batch; n++) {
    for (let oc = 0; oc < outC; oc++) {
      const plane = xOff + (n * inC + Math.floor(oc / perIn)) * inH * inW;
      acc.fill(fold[oc]!, 0, hw);
      // loop order kh → kw → oh → ow: each tap adds one strided input row over the valid output
      // columns of each output row, with no bounds test inside the row
      for (let kh = 0; kh < kH; kh++) {
        for (let kw = 0; kw < kW; kw++) {
          const wv = w[(oc * kH + kh) * kW + kw]!;
          const c = -wv * zx;
          const shift = kw * dW - padLeft;
          const lo = cols[2 * kw]!;
          const hi = cols[2 * kw + 1]!;
          for (let oh = 0; oh < outH; oh++) {
            const ih = oh * sH - padTop + kh * dH;
            if (ih < 0 || ih >= inH) continue;
            const src = plane + ih * inW + shift;
            const dst = oh * outW;
            if (sW === 1) {
              for (let o = dst + lo, e = dst + hi, q = src + lo; o < e; o++, q++) {
                acc[o] = acc[o]! + wv * x[q]! + c;
              }
            } else {
              for (let ow = lo; ow < hi; ow++)
                acc[dst + ow] = acc[dst + ow]! + wv * x[src + ow * sW]! + c;
            }
          }
        }
      }
      const ls = leftShift[oc]!;
      const mul = multiplier[oc]!;
      const rs = rightShift[oc]!;
      const mk = mask[oc]!;
      const out = yOff + (n * outC + oc) * hw;
      for (let i = 0; i < hw; i++)
        y[out + i] = requantOne(acc[i]!, ls, mul, rs, mk, zp, actMin, actMax);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Pooling
// ---------------------------------------------------------------------------------------------

/** A prepared int8 pooling (`preparePool2dQ8`); input and output share scale and zero point. */
export interface Pool2dQ8Plan {
  readonly dims: Pool2dDims;
  readonly params: Pool2dParams;
  readonly zeroPoint: number;
  readonly actMin: number;
  readonly actMax: number;
  /** Valid tap range per output row, `rowRanges[2·oh]`, `rowRanges[2·oh + 1]`. */
  readonly rowRanges: Int32Array;
  /** Valid tap range per output column. */
  readonly colRanges: Int32Array;
}

/**
 * Prepares int8 max/avg pooling over `inH×inW` planes (TFLite's int8 pooling: the output keeps the
 * input's scale and zero point): the valid tap range of every output row and column, once.
 * @param d - the sizes (`d.planes` is ignored: the planes are given per run)
 * @param p - window, stride, padding, dilation, countIncludePad (avg)
 * @param zeroPoint - the zero point in [−128, 127] (avg with countIncludePad: the padding value)
 * @param actMin - the lower clamp
 * @param actMax - the upper clamp
 * @returns a new plan
 * @throws ArgumentError for bad parameters or a window with no tap inside the input
 */
export function preparePool2dQ8(
  d: Pool2dDims,
  p: Pool2dParams,
  zeroPoint: number,
  actMin: number,
  actMax: number,
): Pool2dQ8Plan {
  const op = "pool2dQ8";
  for (const key of ["inH", "inW", "outH", "outW"] as const)
    checkInt(op, key, d[key], 1, INT32_MAX);
  for (const key of [
    "kernelH",
    "kernelW",
    "strideH",
    "strideW",
    "dilationH",
    "dilationW",
  ] as const) {
    checkInt(op, key, p[key], 1, INT32_MAX);
  }
  checkInt(op, "padTop", p.padTop, 0, INT32_MAX);
  checkInt(op, "padLeft", p.padLeft, 0, INT32_MAX);
  checkInt(op, "zeroPoint", zeroPoint, -128, 127);
  checkInt(op, "actMin", actMin, -128, 127);
  checkInt(op, "actMax", actMax, actMin, 127);
  const ranges = (out: number, size: number, s: number, pad: number, dil: number, k: number) => {
    const r = new Int32Array(2 * out);
    for (let o = 0; o < out; o++) {
      const start = o * s - pad;
      const lo = tapLo(start, dil);
      const hi = tapHi(start, dil, k, size, lo);
      if (hi <= lo) {
        throw new ArgumentError(
          `${op}: a pooling window has no tap inside the input (expected every window to overlap it, got window ${o} starting at ${start} of ${size})`,
        );
      }
      r[2 * o] = lo;
      r[2 * o + 1] = hi;
    }
    return r;
  };
  return {
    dims: d,
    params: p,
    zeroPoint,
    actMin,
    actMax,
    rowRanges: ranges(d.outH, d.inH, p.strideH, p.padTop, p.dilationH, p.kernelH),
    colRanges: ranges(d.outW, d.inW, p.strideW, p.padLeft, p.dilationW, p.kernelW),
  };
}

/**
 * y[pl, oh, ow] = clamp(max of the window's taps inside the input, actMin, actMax).
 * @param plan - from `preparePool2dQ8`
 * @param planes - batch·channels planes
 * @param x - `planes` int8 planes of inH×inW from `xOff`
 * @param y - `planes` int8 planes of outH×outW from `yOff`, overwritten
 * @returns nothing: `y` holds the result
 */
export function maxPool2dQ8(
  plan: Pool2dQ8Plan,
  planes: number,
  x: Int8Array,
  xOff: number,
  y: Int8Array,
  yOff: number,
): void {
  const { inH, inW, outH, outW } = plan.dims;
  const { strideH: sH, strideW: sW, dilationH: dH, dilationW: dW, padTop, padLeft } = plan.params;
  const { rowRanges, colRanges, actMin, actMax } = plan;
  let out = yOff;
  for (let pl = 0; pl < planes; pl++) {
    const plane = xOff + pl * inH * inW;
    for (let oh = 0; oh < outH; oh++) {
      const khLo = rowRanges[2 * oh]!;
      const khHi = rowRanges[2 * oh + 1]!;
      for (let ow = 0; ow < outW; ow++, out++) {
        const base = plane + (oh * sH - padTop) * inW + ow * sW - padLeft;
        const kwLo = colRanges[2 * ow]!;
        const kwHi = colRanges[2 * ow + 1]!;
        let m = actMin;
        for (let kh = khLo; kh < khHi; kh++) {
          const row = base + kh * dH * inW;
          for (let kw = kwLo; kw < kwHi; kw++) {
            const v = x[row + kw * dW]!;
            if (v > m) m = v;
          }
        }
        y[out] = Math.min(m, actMax);
      }
    }
  }
}

/**
 * y[pl, oh, ow] = clamp(round(acc / count)), acc = Σ of the window's taps inside the input (+ zp
 * per padding tap with countIncludePad), count = the taps inside (kH·kW with countIncludePad),
 * rounded half away from zero as TFLite's int8 average pool.
 * @param plan - from `preparePool2dQ8`
 * @param planes - batch·channels planes
 * @param x - `planes` int8 planes of inH×inW from `xOff`
 * @param y - `planes` int8 planes of outH×outW from `yOff`, overwritten
 * @returns nothing: `y` holds the result
 */
export function avgPool2dQ8(
  plan: Pool2dQ8Plan,
  planes: number,
  x: Int8Array,
  xOff: number,
  y: Int8Array,
  yOff: number,
): void {
  const { inH, inW, outH, outW } = plan.dims;
  const {
    kernelH: kH,
    kernelW: kW,
    strideH: sH,
    strideW: sW,
    dilationH: dH,
    dilationW: dW,
  } = plan.params;
  const { padTop, padLeft, countIncludePad } = plan.params;
  const { rowRanges, colRanges, actMin, actMax, zeroPoint: zp } = plan;
  let out = yOff;
  for (let pl = 0; pl < planes; pl++) {
    const plane = xOff + pl * inH * inW;
    for (let oh = 0; oh < outH; oh++) {
      const khLo = rowRanges[2 * oh]!;
      const khHi = rowRanges[2 * oh + 1]!;
      for (let ow = 0; ow < outW; ow++, out++) {
        const base = plane + (oh * sH - padTop) * inW + ow * sW - padLeft;
        const kwLo = colRanges[2 * ow]!;
        const kwHi = colRanges[2 * ow + 1]!;
        let acc = 0;
        for (let kh = khLo; kh < khHi; kh++) {
          const row = base + kh * dH * inW;
          for (let kw = kwLo; kw < kwHi; kw++) acc += x[row + kw * dW]!;
        }
        const valid = (khHi - khLo) * (kwHi - kwLo);
        let count = valid;
        if (countIncludePad) {
          count = kH * kW;
          acc += (count - valid) * zp;
        }
        // round half away from zero: ⌊(2|acc| + c) / 2c⌋ is exact in float64, the numerator and
        // denominator being integers with N + D < 2⁵³ (a non-integer quotient is ≥ 1/D from the
        // next integer, more than the rounding error (N/D + 1)·2⁻⁵³)
        const r = Math.floor((2 * (acc < 0 ? -acc : acc) + count) / (2 * count));
        const q = acc < 0 ? -r : r;
        y[out] = q < actMin ? actMin : Math.min(q, actMax);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Add with rescaling
// ---------------------------------------------------------------------------------------------

/** A prepared int8 add (`prepareAddQ8`): TFLite's integer parameters, and per-input tables. */
export interface AddQ8Plan {
  /** 20: inputs are scaled by 2²⁰ before rescaling, keeping 20 fraction bits. */
  readonly leftShift: number;
  /** −aZeroPoint. */
  readonly aOffset: number;
  readonly aMultiplier: number;
  readonly aShift: number;
  readonly bOffset: number;
  readonly bMultiplier: number;
  readonly bShift: number;
  readonly outMultiplier: number;
  readonly outShift: number;
  readonly outZeroPoint: number;
  readonly actMin: number;
  readonly actMax: number;
  /** MBQM((q + aOffset)·2²⁰, aMultiplier, aShift) for q = −128…127, at q + 128. */
  readonly aTable: Int32Array;
  readonly bTable: Int32Array;
}

/** The Q31 multiplier and shift of a real multiplier in (0, 1), as QuantizeMultiplierSmallerThanOneExp. */
function smallerThanOne(
  op: string,
  name: string,
  real: number,
): { multiplier: number; shift: number } {
  if (!(real > 0 && real < 1)) {
    throw new ArgumentError(`${op}: ${name} must be in (0, 1) (got ${real})`);
  }
  const r = quantizeMultiplier(real);
  if (r.shift > 0) {
    throw new ArgumentError(`${op}: ${name} rounds to 1 or more (expected < 1, got ${real})`);
  }
  return r;
}

/**
 * Prepares y = clamp(zpOut + (sA·(a − zpA) + sB·(b − zpB)) / sOut) for int8 a, b, y, with TFLite's
 * int8 Add arithmetic: both inputs shifted left by 20 and rescaled to twice the larger input scale
 * (multipliers sA/2max, sB/2max), summed, then rescaled by 2max/(2²⁰·sOut); each step MBQM.
 * @param aScale - a's scale (> 0)
 * @param aZeroPoint - a's zero point
 * @param bScale - b's scale (> 0)
 * @param bZeroPoint - b's zero point
 * @param outScale - y's scale (> 0)
 * @param outZeroPoint - y's zero point
 * @param actMin - the lower clamp
 * @param actMax - the upper clamp
 * @returns a new plan
 * @throws ArgumentError for non-positive scales, zero points outside [−128, 127], or an output
 *   multiplier of 1 or more (sOut ≤ 2·max(sA, sB)/2²⁰)
 */
export function prepareAddQ8(
  aScale: number,
  aZeroPoint: number,
  bScale: number,
  bZeroPoint: number,
  outScale: number,
  outZeroPoint: number,
  actMin: number,
  actMax: number,
): AddQ8Plan {
  const op = "addQ8";
  for (const [name, s] of [
    ["aScale", aScale],
    ["bScale", bScale],
    ["outScale", outScale],
  ] as const) {
    if (!(s > 0 && Number.isFinite(s))) {
      throw new ArgumentError(`${op}: ${name} must be finite and > 0 (got ${s})`);
    }
  }
  checkInt(op, "aZeroPoint", aZeroPoint, -128, 127);
  checkInt(op, "bZeroPoint", bZeroPoint, -128, 127);
  checkInt(op, "outZeroPoint", outZeroPoint, -128, 127);
  checkInt(op, "actMin", actMin, -128, 127);
  checkInt(op, "actMax", actMax, actMin, 127);
  const leftShift = 20;
  const twiceMax = 2 * Math.max(aScale, bScale);
  const a = smallerThanOne(op, "aScale / (2·max scale)", aScale / twiceMax);
  const b = smallerThanOne(op, "bScale / (2·max scale)", bScale / twiceMax);
  const o = smallerThanOne(
    op,
    "2·max scale / (2^20·outScale)",
    twiceMax / (2 ** leftShift * outScale),
  );
  const table = (offset: number, m: number, s: number) => {
    const t = new Int32Array(256);
    for (let q = -128; q < 128; q++) {
      t[q + 128] = multiplyByQuantizedMultiplier((q + offset) * 2 ** leftShift, m, s);
    }
    return t;
  };
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
    aTable: table(-aZeroPoint, a.multiplier, a.shift),
    bTable: table(-bZeroPoint, b.multiplier, b.shift),
  };
}

/**
 * y[i] = clamp(zpOut + MBQM(A(a[i]) + B(b[i]), outMultiplier, outShift)), A and B the rescaled
 * inputs (tabulated: an int8 has 256 values): TFLite's int8 Add, elementwise over `n` elements.
 * @param plan - from `prepareAddQ8`
 * @param n - elements
 * @param a - int8 from `aOff`
 * @param b - int8 from `bOff`
 * @param y - int8 from `yOff`, overwritten (may alias a or b)
 * @returns nothing: `y` holds the result
 */
export function addQ8(
  plan: AddQ8Plan,
  n: number,
  a: Int8Array,
  aOff: number,
  b: Int8Array,
  bOff: number,
  y: Int8Array,
  yOff: number,
): void {
  const { aTable, bTable, outMultiplier: m, outShift, outZeroPoint: zp, actMin, actMax } = plan;
  const rs = -outShift;
  const mask = rs === 31 ? INT32_MAX : (1 << rs) - 1;
  for (let i = 0; i < n; i++) {
    // |A|, |B| ≤ 255·2²⁰·½ + 1 (multipliers ≤ ½): the sum fits int32
    const sum = aTable[a[aOff + i]! + 128]! + bTable[b[bOff + i]! + 128]!;
    y[yOff + i] = requantOne(sum, 0, m, rs, mask, zp, actMin, actMax);
  }
}
