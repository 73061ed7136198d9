// @ts-check
/** Seeded input data and result comparison, shared by every workload. */

/**
 * A seeded uniform generator in [0, 1) (mulberry32), so every library gets the same inputs.
 * @param {number} seed
 * @returns {() => number}
 */
export function mulberry32(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `size` float32 values uniform in [lo, hi).
 * @param {number} size
 * @param {number} seed
 * @param {number} [lo]
 * @param {number} [hi]
 * @returns {Float32Array}
 */
export function uniform(size, seed, lo = -1, hi = 1) {
  const next = mulberry32(seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = lo + (hi - lo) * next();
  return out;
}

/**
 * max |a[i] − b[i]| and max |b[i]| (the scale to read the difference against).
 * @param {ArrayLike<number>} a
 * @param {ArrayLike<number>} b
 * @returns {{ maxAbsDiff: number, maxAbs: number }}
 */
export function compare(a, b) {
  if (a.length !== b.length)
    throw new Error(`compare: lengths differ (${a.length} vs ${b.length})`);
  let maxAbsDiff = 0;
  let maxAbs = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(/** @type {number} */ (a[i]) - /** @type {number} */ (b[i]));
    // NaN anywhere must fail the check, so it is turned into an infinite difference
    maxAbsDiff = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(maxAbsDiff, d);
    maxAbs = Math.max(maxAbs, Math.abs(/** @type {number} */ (b[i])));
  }
  return { maxAbsDiff, maxAbs };
}

/**
 * An NCHW → NHWC copy of a `[n, c, h, w]` array (to compare edgenn with tfjs outputs).
 * @param {ArrayLike<number>} x
 * @param {readonly [number, number, number, number]} shape - `[n, c, h, w]`
 * @returns {Float32Array}
 */
export function nchwToNhwc(x, [n, c, h, w]) {
  const out = new Float32Array(n * c * h * w);
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++)
      for (let i = 0; i < h * w; i++)
        out[(b * h * w + i) * c + ch] = /** @type {number} */ (x[(b * c + ch) * h * w + i]);
  return out;
}

/**
 * Conv weights `[outC, inC, kH, kW]` (edgenn, ONNX) → `[kH, kW, inC, outC]` (tfjs).
 * @param {ArrayLike<number>} w
 * @param {readonly [number, number, number, number]} shape - `[outC, inC, kH, kW]`
 * @returns {Float32Array}
 */
export function oihwToHwio(w, [o, i, kh, kw]) {
  const out = new Float32Array(o * i * kh * kw);
  for (let a = 0; a < o; a++)
    for (let b = 0; b < i; b++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++)
          out[((y * kw + x) * i + b) * o + a] = /** @type {number} */ (
            w[((a * i + b) * kh + y) * kw + x]
          );
  return out;
}
