// The gateway's preprocessing: one window of W = 256 samples (250 ms at 1024 Hz) of vibration and
// temperature → a 2 × 64 feature map, the model's input [1, 2, 1, 64]:
//   channel 0: log(1 + |V_k|) of the Hann-windowed, mean-removed vibration, V = FFT₂₅₆(v), bins
//              k = 1 … 128 averaged in pairs → 64 bands of 8 Hz (band j covers (8j, 8j + 8] Hz),
//              minus the median band (the noise floor), so that a sensor's gain and noise level
//              matter less than the lines standing out of the floor;
//   channel 1: the temperature minus the machine's baseline (its mean over the first 4 s the
//              detector saw: a commissioning period, assumed healthy), averaged over 64 runs of 4
//              samples. The baseline removes what differs between healthy machines (hall
//              temperature, drift phase, the load at start-up) and keeps what a fault adds.
// Both are then standardised with statistics of healthy training windows (per band for channel 0,
// one mean and deviation for channel 1).

export const WINDOW = 256;
export const BANDS = 64;
export const FEATURES = 2 * BANDS;
/** Samples of the temperature baseline: the first 4 s at 1024 Hz. */
export const BASELINE = 4096;

/**
 * In-place iterative radix-2 FFT (Cooley–Tukey, decimation in time) of a power-of-two length.
 * @param {Float64Array} re
 * @param {Float64Array} im
 */
export function fft(re, im) {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      const tr = re[i];
      re[i] = re[j];
      re[j] = tr;
      const ti = im[i];
      im[i] = im[j];
      im[j] = ti;
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    const wr = Math.cos(ang);
    const wi = Math.sin(ang);
    for (let i = 0; i < n; i += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const ar = re[i + k + len / 2] * cr - im[i + k + len / 2] * ci;
        const ai = re[i + k + len / 2] * ci + im[i + k + len / 2] * cr;
        re[i + k + len / 2] = re[i + k] - ar;
        im[i + k + len / 2] = im[i + k] - ai;
        re[i + k] += ar;
        im[i + k] += ai;
        const t = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = t;
      }
    }
  }
}

/** Turns windows into raw (unstandardised) features without allocating per call. */
export class FeatureExtractor {
  #re = new Float64Array(WINDOW);
  #im = new Float64Array(WINDOW);
  #sorted = new Float64Array(BANDS);
  #hann = Float64Array.from(
    { length: WINDOW },
    (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / WINDOW),
  );

  /**
   * @param {Float32Array} vibration - WINDOW samples, oldest first
   * @param {Float32Array} temperature - WINDOW samples, oldest first
   * @param {Float32Array} out - FEATURES values: channel 0 then channel 1
   * @param {number} [offset] - where in `out` to write
   * @param {number} [baseline] - the machine's temperature baseline, °C
   * @returns {Float32Array} `out`
   */
  extract(vibration, temperature, out, offset = 0, baseline = 0) {
    const re = this.#re;
    const im = this.#im;
    let mean = 0;
    for (let i = 0; i < WINDOW; i++) mean += vibration[i];
    mean /= WINDOW;
    for (let i = 0; i < WINDOW; i++) {
      re[i] = (vibration[i] - mean) * this.#hann[i];
      im[i] = 0;
    }
    fft(re, im);
    const sorted = this.#sorted;
    for (let j = 0; j < BANDS; j++) {
      const k = 2 * j + 1;
      const m1 = Math.hypot(re[k], im[k]);
      const m2 = Math.hypot(re[k + 1], im[k + 1]);
      sorted[j] = out[offset + j] = 0.5 * (Math.log1p(m1) + Math.log1p(m2));
    }
    sorted.sort();
    const floor = 0.5 * (sorted[BANDS / 2 - 1] + sorted[BANDS / 2]); // median band: the noise floor
    for (let j = 0; j < BANDS; j++) out[offset + j] -= floor;
    const run = WINDOW / BANDS;
    for (let j = 0; j < BANDS; j++) {
      let s = 0;
      for (let i = 0; i < run; i++) s += temperature[j * run + i];
      out[offset + BANDS + j] = s / run - baseline;
    }
    return out;
  }
}

/**
 * Standardisation statistics from rows of raw features (per band for the vibration channel, one
 * mean and deviation for the temperature channel; deviations floored at 0.05).
 * @param {Float32Array} rows - n × FEATURES
 * @returns {{ mean: number[], std: number[] }} FEATURES values each
 */
export function fitStandardizer(rows) {
  const n = rows.length / FEATURES;
  const mean = new Array(FEATURES).fill(0);
  const sq = new Array(FEATURES).fill(0);
  for (let r = 0; r < n; r++) {
    for (let f = 0; f < FEATURES; f++) {
      const v = rows[r * FEATURES + f];
      mean[f] += v;
      sq[f] += v * v;
    }
  }
  const pool = (from, to) => {
    let s = 0;
    let q = 0;
    for (let f = from; f < to; f++) {
      s += mean[f];
      q += sq[f];
    }
    for (let f = from; f < to; f++) {
      mean[f] = s;
      sq[f] = q;
    }
  };
  pool(BANDS, FEATURES); // temperature: one pooled statistic
  const std = new Array(FEATURES);
  for (let f = 0; f < FEATURES; f++) {
    const count = f < BANDS ? n : n * BANDS;
    const m = mean[f] / count;
    mean[f] = m;
    std[f] = Math.max(0.05, Math.sqrt(Math.max(0, sq[f] / count - m * m)));
  }
  return { mean, std };
}

/**
 * Standardises raw features in place: x ← (x − mean) / std.
 * @param {Float32Array} x - a multiple of FEATURES values
 * @param {{ mean: number[], std: number[] }} stats
 * @returns {Float32Array} `x`
 */
export function standardize(x, { mean, std }) {
  for (let i = 0; i < x.length; i++) {
    const f = i % FEATURES;
    x[i] = (x[i] - mean[f]) / std[f];
  }
  return x;
}
