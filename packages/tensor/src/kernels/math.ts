/*
 * Portable transcendental functions: the same input gives the same bits on every JavaScript engine.
 *
 * `Math.exp`, `Math.log`, `Math.tanh`, `Math.sin`, `**` … are not specified to the last bit, and
 * engines differ (V8 versions, JavaScriptCore): 1-ulp differences that, after float32 rounding, make
 * training and inference differ between Node, Deno, Bun and workerd. The functions here use only
 * IEEE-754 operations that every engine computes exactly (+, −, ×, ÷, `Math.sqrt`, `Math.floor`,
 * `Math.round`, `Math.trunc`, `Math.fround`, `Math.abs`), exact multiplications by powers of two
 * from a table, and reading the exponent bits of a float64 (log, log1p; erf clears low bits).
 * JavaScript never fuses a·b + c, so every step rounds the same way everywhere.
 *
 * exp, expm1, log, log1p, tanh and erf are ports of fdlibm 5.3 (Sun Microsystems, freely
 * distributable; the versions V8 ships in src/base/ieee754.cc), with the same error bounds:
 * < 1 float64 ulp for exp, expm1, log, log1p; < 2 ulp for tanh and < 1 ulp (relative 2^-57 on the
 * approximation) for erf. After rounding to float32 that is well below float32 resolution: the
 * float32 result is the correctly rounded one except when the exact value lies within ~2^-52
 * (relative) of a float32 rounding boundary, about one input in 10^8. Measured: exp, expm1, log,
 * log1p and tanh give the same float64 bits as Node 20's Math.* (V8's fdlibm) on every one of
 * 10^6 random points per range tested, and so the same float32. sinPi/cosPi use fdlibm's
 * kernel polynomials (|error| < 2^-58 on [−π/4, π/4]) after an exact reduction; pow is
 * exact-by-squaring for integer exponents up to 2^10 and exp(y·log x) otherwise (relative error
 * < 2^-45 for results in float32 range).
 */

const DV = new DataView(new ArrayBuffer(8));

/** The float64 with high word `hi` and low word `lo` (for the constants below). */
function fromWords(hi: number, lo: number): number {
  DV.setUint32(0, hi >>> 0);
  DV.setUint32(4, lo >>> 0);
  return DV.getFloat64(0);
}

// Word access for log/log1p/erf: a float64 aliased by two uint32 words; HI indexes the high word.
const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;

/*
 * Each exported function is a small wrapper around `…Into`, which reads its argument from IO[0]
 * and leaves its result there. V8 boxes a float64 passed to or returned from a call it does not
 * inline (a heap allocation per element in a kernel loop); the wrappers are small enough to be
 * always inlined, and the `…Into` bodies take and return nothing, so no call allocates whether or
 * not the body is inlined.
 */
const IO = new Float64Array(1);

/** P2[k + 1074] = 2^k for k in [−1074, 1023], built by exact doubling from 2^−1074. */
const P2 = new Float64Array(2098);
P2[0] = 5e-324;
for (let i = 1; i < 2098; i++) P2[i] = P2[i - 1]! * 2;
const TWO1023 = P2[1023 + 1074]!;
const TWOM1000 = P2[-1000 + 1074]!;

const LN2_HI = 0.6931471803691238; // 0x3FE62E42 FEE00000: k·LN2_HI is exact for |k| < 2^11
const LN2_LO = 1.9082149292705877e-10; // 0x3DEA39EF 35793C76
// biome-ignore lint/suspicious/noApproximativeNumericConstant: fdlibm's constant, spelled out
const INV_LN2 = 1.4426950408889634; // 0x3FF71547 652B82FE
const TWO54 = 18014398509481984;

// exp
const O_THRESHOLD = 709.782712893384; // 0x40862E42 FEFA39EF: exp overflows above
const U_THRESHOLD = -745.1332191019411; // 0xC0874910 D52D3051: exp underflows below
const HALF_LN2 = fromWords(0x3fd62e43, 0); // |x| ≥ this ⇔ high word of |x| > 0x3FD62E42
const THREE_HALF_LN2 = fromWords(0x3ff0a2b2, 0);
const BIG = fromWords(0x40862e42, 0);
const P1 = 0.16666666666666602;
const P2C = -0.0027777777777015593;
const P3 = 6.613756321437934e-5;
const P4 = -1.6533902205465252e-6;
const P5 = 4.1381367970572385e-8;
// biome-ignore lint/suspicious/noApproximativeNumericConstant: fdlibm's constant, spelled out
const E = 2.718281828459045;

/**
 * eˣ, portable: fdlibm's exp (x = k·ln2 + r, |r| ≤ ln2/2; e^r by a degree-5 Remez rational form;
 * scaled by 2^k), error < 1 float64 ulp; exp(±0) = 1, exp(+∞) = +∞, exp(−∞) = +0, NaN → NaN,
 * +∞ above 709.78, +0 below −745.13.
 * @param x the exponent
 * @returns eˣ as a float64
 * Example: `exp(1) // 2.718281828459045` (not run: not in the root API)
 */
export function exp(x: number): number {
  IO[0] = x;
  expInto();
  return IO[0]!;
}

/** `exp` of IO[0], into IO[0]. */
function expInto(): void {
  const x = IO[0]!;
  const ax = x < 0 ? -x : x;
  let y: number;
  if (!(ax < BIG || (x <= O_THRESHOLD && x >= U_THRESHOLD))) {
    // NaN, overflow (+∞) or underflow (+0)
    y = x !== x ? x : x > 0 ? Number.POSITIVE_INFINITY : 0;
  } else if (ax < HALF_LN2) {
    // k = 0; below 2^-28, e^x = 1 + x to float64 precision
    const t = x * x;
    const c = x - t * (P1 + t * (P2C + t * (P3 + t * (P4 + t * P5))));
    y = ax < 3.725290298461914e-9 ? 1 + x : 1 - ((x * c) / (c - 2) - x);
  } else if (x === 1) {
    y = E; // fdlibm's form is 1 ulp off here
  } else {
    // x = k·ln2 + (hi − lo); k·LN2_HI is exact (≤ 43 significant bits)
    const k =
      ax < THREE_HALF_LN2 ? (x > 0 ? 1 : -1) : Math.trunc(INV_LN2 * x + (x < 0 ? -0.5 : 0.5));
    const hi = x - k * LN2_HI;
    const lo = k * LN2_LO;
    const r = hi - lo;
    const t = r * r;
    const c = r - t * (P1 + t * (P2C + t * (P3 + t * (P4 + t * P5))));
    const e = 1 - (lo - (r * c) / (2 - c) - hi);
    if (k < -1021) y = e * P2[k + 1000 + 1074]! * TWOM1000;
    else y = k === 1024 ? e * 2 * TWO1023 : e * P2[k + 1074]!;
  }
  IO[0] = y;
}

// expm1
const EXPM1_BIG = fromWords(0x4043687a, 0); // 56·ln2
const Q1 = -0.03333333333333313;
const Q2 = 0.0015873015872548146;
const Q3 = -7.93650757867488e-5;
const Q4 = 4.008217827329362e-6;
const Q5 = -2.0109921818362437e-7;

/**
 * eˣ − 1, portable and accurate near 0: fdlibm's expm1, error < 1 float64 ulp; expm1(±0) = ±0,
 * expm1(+∞) = +∞, expm1(−∞) = −1, NaN → NaN.
 * @param x the exponent
 * @returns eˣ − 1 as a float64
 * Example: `expm1(1e-10) // 1.00000000005e-10` (not run: not in the root API)
 */
export function expm1(x: number): number {
  IO[0] = x;
  expm1Into();
  return IO[0]!;
}

/** `expm1` of IO[0], into IO[0]. */
function expm1Into(): void {
  const x = IO[0]!;
  const ax = x < 0 ? -x : x;
  if (!(ax < EXPM1_BIG)) {
    if (x !== x) {
      IO[0] = x;
      return;
    }
    if (x > O_THRESHOLD) {
      IO[0] = Number.POSITIVE_INFINITY;
      return;
    }
    if (x < 0) {
      IO[0] = -1;
      return;
    }
  }
  let hi: number;
  let lo: number;
  let k = 0;
  let c = 0;
  let r = x;
  if (ax >= HALF_LN2) {
    if (ax < THREE_HALF_LN2) {
      if (x > 0) {
        hi = x - LN2_HI;
        lo = LN2_LO;
        k = 1;
      } else {
        hi = x + LN2_HI;
        lo = -LN2_LO;
        k = -1;
      }
    } else {
      k = Math.trunc(INV_LN2 * x + (x < 0 ? -0.5 : 0.5));
      hi = x - k * LN2_HI;
      lo = k * LN2_LO;
    }
    r = hi - lo;
    c = hi - r - lo;
  } else if (ax < 5.551115123125783e-17) {
    IO[0] = x;
    return;
  }
  const hfx = 0.5 * r;
  const hxs = r * hfx;
  const r1 = 1 + hxs * (Q1 + hxs * (Q2 + hxs * (Q3 + hxs * (Q4 + hxs * Q5))));
  const t = 3 - r1 * hfx;
  let e = hxs * ((r1 - t) / (6 - r * t));
  if (k === 0) {
    IO[0] = r - (r * e - hxs);
    return;
  }
  e = r * (e - c) - c;
  e -= hxs;
  if (k === -1) {
    IO[0] = 0.5 * (r - e) - 0.5;
    return;
  }
  if (k === 1) {
    IO[0] = r < -0.25 ? -2 * (e - (r + 0.5)) : 1 + 2 * (r - e);
    return;
  }
  if (k <= -2 || k > 56) {
    const y = 1 - (e - r);
    IO[0] = (k === 1024 ? y * 2 * TWO1023 : y * P2[k + 1074]!) - 1;
    return;
  }
  if (k < 20) {
    IO[0] = (1 - P2[-k + 1074]! - (e - r)) * P2[k + 1074]!;
    return;
  } // (1 − 2^−k) − (e − r)
  IO[0] = (r - (e + P2[-k + 1074]!) + 1) * P2[k + 1074]!;
  return;
}

// log
const LG1 = 0.6666666666666735;
const LG2 = 0.3999999999940942;
const LG3 = 0.2857142874366239;
const LG4 = 0.22222198432149784;
const LG5 = 0.1818357216161805;
const LG6 = 0.15313837699209373;
const LG7 = 0.14798198605116586;

/**
 * ln x, portable: fdlibm's log (x = 2^k·(1+f), √2/2 < 1+f < √2; log(1+f) from s = f/(2+f) and a
 * degree-14 Remez polynomial), error < 1 float64 ulp; log(±0) = −∞, log(x < 0) = NaN,
 * log(+∞) = +∞, log(1) = +0.
 * @param x the argument
 * @returns ln x as a float64
 * Example: `log(Math.E) // 1` (not run: not in the root API)
 */
export function log(x: number): number {
  IO[0] = x;
  logInto();
  return IO[0]!;
}

/** `log` of IO[0], into IO[0]. */
function logInto(): void {
  let x = IO[0]!;
  if (!(x > 0)) {
    IO[0] = x === 0 ? Number.NEGATIVE_INFINITY : Number.NaN;
    return;
  }
  if (x === Number.POSITIVE_INFINITY) {
    IO[0] = x;
    return;
  }
  let k = 0;
  if (x < 2.2250738585072014e-308) {
    k = -54;
    x *= TWO54; // subnormal: scale up
  }
  F64[0] = x;
  let hx = U32[HI]! | 0;
  const e = (hx >> 20) - 1023;
  hx &= 0x000fffff;
  let i = (hx + 0x95f64) & 0x100000;
  // x/2^e or x/2^(e+1) in [√2/2, √2): fdlibm sets the exponent bits; an exact power-of-two
  // product gives the same value without writing through the alias (a store-forwarding stall)
  const f = x * P2[1074 - e - (i >> 20)]! - 1;
  k += e + (i >> 20);
  const dk = k;
  if ((0x000fffff & (2 + hx)) < 3) {
    // −2^-20 ≤ f < 2^-20
    if (f === 0) {
      IO[0] = k === 0 ? 0 : dk * LN2_HI + dk * LN2_LO;
      return;
    }
    const R = f * f * (0.5 - 0.3333333333333333 * f);
    IO[0] = k === 0 ? f - R : dk * LN2_HI - (R - dk * LN2_LO - f);
    return;
  }
  const s = f / (2 + f);
  const z = s * s;
  i = hx - 0x6147a;
  const w = z * z;
  const j = 0x6b851 - hx;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  const R = t2 + t1;
  if ((i | j) > 0) {
    const hfsq = 0.5 * f * f;
    if (k === 0) {
      IO[0] = f - (hfsq - s * (hfsq + R));
      return;
    }
    IO[0] = dk * LN2_HI - (hfsq - (s * (hfsq + R) + dk * LN2_LO) - f);
    return;
  }
  if (k === 0) {
    IO[0] = f - s * (f - R);
    return;
  }
  IO[0] = dk * LN2_HI - (s * (f - R) - dk * LN2_LO - f);
  return;
}

/**
 * ln(1 + x), portable and accurate near 0: fdlibm's log1p, error < 1 float64 ulp;
 * log1p(±0) = ±0, log1p(−1) = −∞, log1p(x < −1) = NaN, log1p(+∞) = +∞.
 * @param x the argument
 * @returns ln(1 + x) as a float64
 * Example: `log1p(1e-10) // 9.9999999995e-11` (not run: not in the root API)
 */
export function log1p(x: number): number {
  IO[0] = x;
  log1pInto();
  return IO[0]!;
}

/** `log1p` of IO[0], into IO[0]. */
function log1pInto(): void {
  const x = IO[0]!;
  if (!(x > -1)) {
    IO[0] = x === -1 ? Number.NEGATIVE_INFINITY : Number.NaN;
    return;
  }
  if (x === Number.POSITIVE_INFINITY) {
    IO[0] = x;
    return;
  }
  F64[0] = x;
  const hx = U32[HI]! | 0;
  const ax = hx & 0x7fffffff;
  let k = 1;
  let f = 0;
  let c = 0;
  let hu = 0;
  if (hx < 0x3fda827a) {
    // 1 + x < √2
    if (ax < 0x3e200000) {
      // |x| < 2^-29
      if (ax < 0x3c900000) {
        IO[0] = x;
        return;
      } // |x| < 2^-54 (keeps −0)
      IO[0] = x - x * x * 0.5;
      return;
    }
    if (hx > 0 || hx <= (0xbfd2bec4 | 0)) {
      // √2/2 ≤ 1 + x < √2: f = x exactly
      k = 0;
      f = x;
      hu = 1;
    }
  }
  if (k !== 0) {
    let u: number;
    if (hx < 0x43400000) {
      u = 1 + x;
      F64[0] = u;
      hu = U32[HI]! | 0;
      k = (hu >> 20) - 1023;
      c = k > 0 ? 1 - (u - x) : x - (u - 1); // the rounding error of 1 + x
      c /= u;
    } else {
      u = x;
      F64[0] = x;
      hu = U32[HI]! | 0;
      k = (hu >> 20) - 1023;
      c = 0;
    }
    hu &= 0x000fffff;
    if (hu >= 0x6a09e) {
      k += 1; // normalise u/2 instead of u
      hu = (0x00100000 - hu) >> 2;
    }
    // u/2^k in [√2/2, √2): fdlibm sets the exponent bits; the exact power-of-two product gives the
    // same value without writing through the alias (a store-forwarding stall)
    f = u * P2[1074 - k]! - 1;
  }
  const hfsq = 0.5 * f * f;
  if (hu === 0) {
    // |f| < 2^-20
    if (f === 0) {
      IO[0] = k === 0 ? 0 : k * LN2_HI + (c + k * LN2_LO);
      return;
    }
    const R = hfsq * (1 - 0.6666666666666666 * f);
    IO[0] = k === 0 ? f - R : k * LN2_HI - (R - (k * LN2_LO + c) - f);
    return;
  }
  const s = f / (2 + f);
  const z = s * s;
  const R = z * (LG1 + z * (LG2 + z * (LG3 + z * (LG4 + z * (LG5 + z * (LG6 + z * LG7))))));
  if (k === 0) {
    IO[0] = f - (hfsq - s * (hfsq + R));
    return;
  }
  IO[0] = k * LN2_HI - (hfsq - (s * (hfsq + R) + (k * LN2_LO + c)) - f);
  return;
}

/**
 * tanh(x) = (e²ˣ − 1)/(e²ˣ + 1), portable: fdlibm's tanh through expm1, error < 2 float64 ulp;
 * tanh(±0) = ±0, tanh(±∞) = ±1, ±1 for |x| ≥ 22.
 * @param x the argument
 * @returns tanh x as a float64
 * Example: `tanh(0.5) // 0.46211715726000974` (not run: not in the root API)
 */
export function tanh(x: number): number {
  IO[0] = x;
  tanhInto();
  return IO[0]!;
}

/** `tanh` of IO[0], into IO[0]. */
function tanhInto(): void {
  const x = IO[0]!;
  if (x !== x) {
    IO[0] = x;
    return;
  }
  const ax = x < 0 ? -x : x;
  let z: number;
  if (ax < 22) {
    if (ax < 3.725290298461914e-9) {
      IO[0] = x;
      return;
    } // |x| < 2^-28 (keeps −0)
    if (ax >= 1) {
      z = 1 - 2 / (expm1(2 * ax) + 2);
    } else {
      const t = expm1(-2 * ax);
      z = -t / (t + 2);
    }
  } else {
    z = 1;
  }
  IO[0] = x < 0 ? -z : z;
  return;
}

// erf
const ERX = 0.8450629115104675;
const EFX = 0.1283791670955126;
const EFX8 = 1.0270333367641007;
const PP0 = 0.12837916709551256;
const PP1 = -0.3250421072470015;
const PP2 = -0.02848174957559851;
const PP3 = -0.005770270296489442;
const PP4 = -2.3763016656650163e-5;
const QQ1 = 0.39791722395915535;
const QQ2 = 0.0650222499887673;
const QQ3 = 0.005081306281875766;
const QQ4 = 0.00013249473800432164;
const QQ5 = -3.960228278775368e-6;
const PA0 = -0.0023621185607526594;
const PA1 = 0.41485611868374833;
const PA2 = -0.3722078760357013;
const PA3 = 0.31834661990116175;
const PA4 = -0.11089469428239668;
const PA5 = 0.035478304325618236;
const PA6 = -0.002166375594868791;
const QA1 = 0.10642088040084423;
const QA2 = 0.540397917702171;
const QA3 = 0.07182865441419627;
const QA4 = 0.12617121980876164;
const QA5 = 0.01363708391202905;
const QA6 = 0.011984499846799107;
const RA0 = -0.009864944034847148;
const RA1 = -0.6938585727071818;
const RA2 = -10.558626225323291;
const RA3 = -62.375332450326006;
const RA4 = -162.39666946257347;
const RA5 = -184.60509290671104;
const RA6 = -81.2874355063066;
const RA7 = -9.814329344169145;
const SA1 = 19.651271667439257;
const SA2 = 137.65775414351904;
const SA3 = 434.56587747522923;
const SA4 = 645.3872717332679;
const SA5 = 429.00814002756783;
const SA6 = 108.63500554177944;
const SA7 = 6.570249770319282;
const SA8 = -0.0604244152148581;
const RB0 = -0.0098649429247001;
const RB1 = -0.799283237680523;
const RB2 = -17.757954917754752;
const RB3 = -160.63638485582192;
const RB4 = -637.5664433683896;
const RB5 = -1025.0951316110772;
const RB6 = -483.5191916086514;
const SB1 = 30.33806074348246;
const SB2 = 325.7925129965739;
const SB3 = 1536.729586084437;
const SB4 = 3199.8582195085955;
const SB5 = 2553.0504064331644;
const SB6 = 474.52854120695537;
const SB7 = -22.44095244658582;
const ERF_A = fromWords(0x3feb0000, 0); // 0.84375
const ERF_C = fromWords(0x4006db6e, 0); // ≈ 1/0.35
const TWOM1015 = P2[-1015 + 1074]!;

/**
 * erf(x) = (2/√π)∫₀ˣ e^(−t²) dt, portable: fdlibm's erf (rational approximations on [0, 0.84375),
 * [0.84375, 1.25), then exp(−x² − 0.5625 + R/S)/x), error < 1 float64 ulp; erf(±0) = ±0,
 * erf(±∞) = ±1, NaN → NaN.
 * @param x the argument
 * @returns erf x as a float64
 * Example: `erf(1) // 0.8427007929497149` (not run: not in the root API)
 */
export function erf(x: number): number {
  IO[0] = x;
  erfInto();
  return IO[0]!;
}

/** `erf` of IO[0], into IO[0]. */
function erfInto(): void {
  const x = IO[0]!;
  if (x !== x) {
    IO[0] = x;
    return;
  }
  const ax = x < 0 ? -x : x;
  if (ax < ERF_A) {
    if (ax < 3.725290298461914e-9) {
      // |x| < 2^-28
      if (ax < TWOM1015) {
        IO[0] = 0.125 * (8 * x + EFX8 * x);
        return;
      } // avoids underflow
      IO[0] = x + EFX * x;
      return;
    }
    const z = x * x;
    const r = PP0 + z * (PP1 + z * (PP2 + z * (PP3 + z * PP4)));
    const s = 1 + z * (QQ1 + z * (QQ2 + z * (QQ3 + z * (QQ4 + z * QQ5))));
    IO[0] = x + x * (r / s);
    return;
  }
  if (ax < 1.25) {
    const s = ax - 1;
    const P = PA0 + s * (PA1 + s * (PA2 + s * (PA3 + s * (PA4 + s * (PA5 + s * PA6)))));
    const Q = 1 + s * (QA1 + s * (QA2 + s * (QA3 + s * (QA4 + s * (QA5 + s * QA6)))));
    IO[0] = x >= 0 ? ERX + P / Q : -ERX - P / Q;
    return;
  }
  if (ax >= 6) {
    IO[0] = x >= 0 ? 1 : -1;
    return;
  }
  const s = 1 / (ax * ax);
  let R: number;
  let S: number;
  if (ax < ERF_C) {
    R = RA0 + s * (RA1 + s * (RA2 + s * (RA3 + s * (RA4 + s * (RA5 + s * (RA6 + s * RA7))))));
    S =
      1 +
      s * (SA1 + s * (SA2 + s * (SA3 + s * (SA4 + s * (SA5 + s * (SA6 + s * (SA7 + s * SA8)))))));
  } else {
    R = RB0 + s * (RB1 + s * (RB2 + s * (RB3 + s * (RB4 + s * (RB5 + s * RB6)))));
    S = 1 + s * (SB1 + s * (SB2 + s * (SB3 + s * (SB4 + s * (SB5 + s * (SB6 + s * SB7))))));
  }
  // z = ax with its low 32 bits cleared: z·z is exact, so e^(−x²) splits without error
  F64[0] = ax;
  U32[LO] = 0;
  const z = F64[0]!;
  const r = exp(-z * z - 0.5625) * exp((z - ax) * (z + ax) + R / S);
  IO[0] = x >= 0 ? 1 - r / ax : r / ax - 1;
  return;
}

// sin/cos kernels on [−π/4, π/4] (fdlibm k_sin.c, k_cos.c)
const S1 = -0.16666666666666632;
const S2 = 0.00833333333332249;
const S3 = -0.0001984126982985795;
const S4 = 2.7557313707070068e-6;
const S5 = -2.5050760253406863e-8;
const S6 = 1.58969099521155e-10;
const C1 = 0.0416666666666666;
const C2 = -0.001388888888887411;
const C3 = 2.480158728947673e-5;
const C4 = -2.7557314351390663e-7;
const C5 = 2.087572321298175e-9;
const C6 = -1.1359647557788195e-11;
// biome-ignore lint/suspicious/noApproximativeNumericConstant: fdlibm's constant, spelled out
const PI = 3.141592653589793;

function kernelSin(x: number): number {
  const z = x * x;
  const r = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
  return x + z * x * (S1 + z * r);
}

function kernelCos(x: number): number {
  const z = x * x;
  const r = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))));
  const hz = 0.5 * z;
  const w = 1 - hz;
  return w + (1 - w - hz + z * r); // 1 − z/2 + z·r, with the rounding of 1 − z/2 added back
}

/**
 * sin(πx), portable: x is reduced exactly to [−1, 1], then to [0, ¼] by symmetry, then fdlibm's
 * sin/cos kernel polynomial; error ≲ 1 float64 ulp; sinPi(n) = ±0 for integers n, NaN for ±∞.
 * @param x the argument, in half-turns
 * @returns sin(πx) as a float64
 * Example: `sinPi(0.5) // 1` (not run: not in the root API)
 */
export function sinPi(x: number): number {
  if (!Number.isFinite(x)) return Number.NaN;
  if (x === 0) return x; // keeps −0
  const r = x - 2 * Math.round(0.5 * x); // exact, in [−1, 1]
  let a = r < 0 ? -r : r;
  if (a > 0.5) a = 1 - a; // sin(π(1 − a)) = sin(πa), exact
  const y = a <= 0.25 ? kernelSin(PI * a) : kernelCos(PI * (0.5 - a));
  return r < 0 ? -y : y;
}

/**
 * cos(πx), portable: the reduction of `sinPi`; error ≲ 1 float64 ulp; cosPi(n + ½) = 0, NaN for ±∞.
 * @param x the argument, in half-turns
 * @returns cos(πx) as a float64
 * Example: `cosPi(1) // -1` (not run: not in the root API)
 */
export function cosPi(x: number): number {
  if (!Number.isFinite(x)) return Number.NaN;
  const r = x - 2 * Math.round(0.5 * x);
  let a = r < 0 ? -r : r;
  let sign = 1;
  if (a > 0.5) {
    a = 1 - a; // cos(π(1 − a)) = −cos(πa)
    sign = -1;
  }
  const y = a <= 0.25 ? kernelCos(PI * a) : kernelSin(PI * (0.5 - a));
  return sign * y;
}

/**
 * xʸ, portable, with C/NumPy's special cases (x⁰ = 1, 1ʸ = 1 even for NaN, (−1)^±∞ = 1, (x < 0)^y
 * = NaN for non-integer y): integer y with |y| ≤ 1024 by repeated squaring (exact for integer
 * results below 2^53), otherwise sign · exp(y·ln|x|) (relative error < 2^-45 for results in float32
 * range: below float32 resolution, not a float64-accurate pow).
 * @param x the base
 * @param y the exponent
 * @returns xʸ as a float64
 * Example: `pow(2, 10) // 1024` (not run: not in the root API)
 */
export function pow(x: number, y: number): number {
  if (y === 0 || x === 1) return 1;
  if (x !== x || y !== y) return Number.NaN;
  const ay = y < 0 ? -y : y;
  const ax = x < 0 ? -x : x;
  if (ay === Number.POSITIVE_INFINITY) {
    if (ax === 1) return 1;
    return ax > 1 === y > 0 ? Number.POSITIVE_INFINITY : 0;
  }
  const isInt = Math.floor(y) === y;
  if (isInt && ay <= 1024) {
    // x^n by squaring: x^(Σ bᵢ2ⁱ) = Π x^(2ⁱ)
    let n = ay;
    let b = x;
    let p = 1;
    while (n > 0) {
      if (n % 2 === 1) p *= b;
      n = Math.floor(n / 2);
      if (n > 0) b *= b;
    }
    return y < 0 ? 1 / p : p;
  }
  if (x < 0 && !isInt && x !== Number.NEGATIVE_INFINITY) return Number.NaN;
  // |y| > 1024 integers: odd only below 2^53
  const isOdd = x < 0 && ay < 9007199254740992 && ay % 2 === 1;
  let v: number;
  if (ax === 0) v = y > 0 ? 0 : Number.POSITIVE_INFINITY;
  else if (ax === Number.POSITIVE_INFINITY) v = y > 0 ? Number.POSITIVE_INFINITY : 0;
  else v = exp(y * log(ax));
  return isOdd ? -v : v;
}
