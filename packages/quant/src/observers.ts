/*
 * Calibration observers: each watches one tensor's values over the calibration batches and says
 * which real range [min, max] its int8 quantization should cover (`chooseQuantParams` then widens
 * the range to contain 0). NaN values are ignored; ±∞ are clipped by the percentile observer only.
 */
import { ArgumentError } from "@edgenn/tensor/errors";
import { show } from "./show.js";

/** What `quantizeGraph` feeds calibration values into. */
export interface Observer {
  /**
   * Records one batch of values.
   * @param data - the values (any shape, flattened); NaN is ignored
   */
  observe(data: ArrayLike<number>): void;
  /**
   * The range to quantize, [min, max] with min ≤ max; [0, 0] before any value was observed.
   * @returns a new pair
   */
  range(): [number, number];
}

/** [min, max] of the non-NaN values of `data`, or null when there are none. */
function extent(data: ArrayLike<number>): [number, number] | null {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : null;
}

/**
 * The running extremes: range = [min over all batches, max over all batches].
 * @example
 * const o = new MinMaxObserver();
 * o.observe([1, -2]);
 * o.observe([3]);
 * o.range(); // [-2, 3]
 */
export class MinMaxObserver implements Observer {
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;

  /**
   * Records one batch: min = min(min, batch min), max likewise.
   * @param data - the values
   */
  observe(data: ArrayLike<number>): void {
    const e = extent(data);
    if (!e) return;
    this.#min = Math.min(this.#min, e[0]);
    this.#max = Math.max(this.#max, e[1]);
  }

  /**
   * The extremes seen so far ([0, 0] before any).
   * @returns a new `[min, max]`
   */
  range(): [number, number] {
    return this.#min <= this.#max ? [this.#min, this.#max] : [0, 0];
  }
}

/** Options of `MovingAverageMinMaxObserver`. */
export interface MovingAverageOptions {
  /** The weight of each new batch's extremes, in (0, 1] (default 0.01). */
  readonly momentum?: number;
}

/**
 * Exponential moving averages of the batch extremes (PyTorch's MovingAverageMinMaxObserver):
 * the first batch sets [min, max], each later one moves them by min += momentum·(batchMin − min),
 * max += momentum·(batchMax − max), so rare outlier batches pull the range only a little.
 * @example
 * const o = new MovingAverageMinMaxObserver({ momentum: 0.5 });
 * o.observe([0, 2]);
 * o.observe([-4, 4]);
 * o.range(); // [-2, 3]
 */
export class MovingAverageMinMaxObserver implements Observer {
  readonly momentum: number;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;

  /**
   * @param options - `momentum` in (0, 1] (default 0.01)
   * @throws ArgumentError for a momentum outside (0, 1]
   */
  constructor(options: MovingAverageOptions = {}) {
    const { momentum = 0.01 } = options;
    if (!(typeof momentum === "number" && momentum > 0 && momentum <= 1)) {
      throw new ArgumentError(
        `MovingAverageMinMaxObserver: momentum must be in (0, 1] (got ${show(momentum)})`,
      );
    }
    this.momentum = momentum;
  }

  /**
   * Records one batch: the first sets the range, later ones move it by `momentum`.
   * @param data - the values
   */
  observe(data: ArrayLike<number>): void {
    const e = extent(data);
    if (!e) return;
    if (this.#min > this.#max) {
      [this.#min, this.#max] = e;
      return;
    }
    this.#min += this.momentum * (e[0] - this.#min);
    this.#max += this.momentum * (e[1] - this.#max);
  }

  /**
   * The averaged extremes ([0, 0] before any batch).
   * @returns a new `[min, max]`
   */
  range(): [number, number] {
    return this.#min <= this.#max ? [this.#min, this.#max] : [0, 0];
  }
}

/** Options of `PercentileObserver`. */
export interface PercentileOptions {
  /**
   * The share of values kept inside the range at each end, in percent, in (50, 100] (default
   * 99.99): the range is [the (100 − p)-th percentile, the p-th percentile].
   */
  readonly percentile?: number;
  /** Histogram bins, an integer in [16, 2²⁰] (default 2048). */
  readonly bins?: number;
}

/**
 * A histogram of every observed value over the running [min, max], and a range cut at the
 * percentiles: [P(100 − p), P(p)] with P the quantile read from the histogram, linearly
 * interpolated inside a bin (so exact up to a bin width, (max − min)/bins). When a batch widens the
 * running range the old counts are spread over the new bins in proportion to their overlap (each
 * old bin's values assumed uniform). ±∞ are counted in the end bins.
 * @example
 * const o = new PercentileObserver({ percentile: 99 });
 * o.observe(Array.from({ length: 1000 }, (_, i) => i / 10)); // 0, 0.1, …, 99.9
 * o.range().map((v) => Math.round(v * 100) / 100); // [0.93, 98.92]
 */
export class PercentileObserver implements Observer {
  readonly percentile: number;
  readonly bins: number;
  #counts: Float64Array;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;
  #total = 0;

  /**
   * @param options - `percentile` in (50, 100] (default 99.99), `bins` (default 2048)
   * @throws ArgumentError for a percentile outside (50, 100] or a bad bin count
   */
  constructor(options: PercentileOptions = {}) {
    const { percentile = 99.99, bins = 2048 } = options;
    if (!(typeof percentile === "number" && percentile > 50 && percentile <= 100)) {
      throw new ArgumentError(
        `PercentileObserver: percentile must be in (50, 100] (got ${show(percentile)})`,
      );
    }
    if (!(Number.isInteger(bins) && bins >= 16 && bins <= 2 ** 20)) {
      throw new ArgumentError(
        `PercentileObserver: bins must be an integer in [16, 2^20] (got ${show(bins)})`,
      );
    }
    this.percentile = percentile;
    this.bins = bins;
    this.#counts = new Float64Array(bins);
  }

  /**
   * Records one batch: widens the histogram's range to the batch's finite extremes (rebinning the
   * old counts), then counts each value.
   * @param data - the values
   */
  observe(data: ArrayLike<number>): void {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    let n = 0;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (Number.isNaN(v)) continue;
      n++;
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (n === 0) return;
    if (lo > hi) lo = hi = this.#min <= this.#max ? this.#min : 0; // only ±∞: keep the range
    if (lo < this.#min || hi > this.#max)
      this.#widen(Math.min(lo, this.#min), Math.max(hi, this.#max));
    const counts = this.#counts;
    const bins = this.bins;
    const min = this.#min;
    const width = (this.#max - min) / bins;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (Number.isNaN(v)) continue;
      // a zero-width range keeps every value in bin 0
      const b = width > 0 ? Math.floor((v - min) / width) : 0;
      counts[b < 0 ? 0 : b >= bins ? bins - 1 : b]! += 1;
    }
    this.#total += n;
  }

  /** Moves the histogram onto [lo, hi] ⊇ [min, max], spreading each old bin by overlap. */
  #widen(lo: number, hi: number): void {
    const old = this.#counts;
    const bins = this.bins;
    const oldMin = this.#min;
    const oldWidth = (this.#max - oldMin) / bins;
    this.#counts = new Float64Array(bins);
    this.#min = lo;
    this.#max = hi;
    if (this.#total === 0) return;
    const width = (hi - lo) / bins;
    const place = (v: number): number =>
      Math.min(Math.max(Math.floor((v - lo) / width), 0), bins - 1);
    for (let b = 0; b < bins; b++) {
      const c = old[b]!;
      if (c === 0) continue;
      if (!(oldWidth > 0)) {
        this.#counts[place(oldMin)]! += c; // a point mass
        continue;
      }
      const a = oldMin + b * oldWidth;
      const z = a + oldWidth;
      // the new bins [first, last] that [a, z) overlaps get c·overlap/oldWidth each
      for (let k = place(a); k <= place(z) && k < bins; k++) {
        const s = Math.max(a, lo + k * width);
        const e = Math.min(z, lo + (k + 1) * width);
        if (e > s) this.#counts[k]! += (c * (e - s)) / oldWidth;
      }
    }
  }

  /** The value below which `q` (a count in [0, total]) values lie, interpolated in its bin. */
  #quantile(q: number): number {
    const counts = this.#counts;
    const width = (this.#max - this.#min) / this.bins;
    let seen = 0;
    for (let b = 0; b < this.bins; b++) {
      const c = counts[b]!;
      if (c > 0 && seen + c >= q) return this.#min + (b + (q - seen) / c) * width;
      seen += c;
    }
    return this.#max;
  }

  /**
   * [P(100 − p), P(p)] of everything observed ([0, 0] before any value).
   * @returns a new `[min, max]`
   */
  range(): [number, number] {
    if (this.#total === 0) return [0, 0];
    if (!(this.#max > this.#min)) return [this.#min, this.#max];
    const cut = (this.#total * (100 - this.percentile)) / 100;
    const lo = Math.max(this.#quantile(cut), this.#min);
    const hi = Math.min(this.#quantile(this.#total - cut), this.#max);
    return lo <= hi ? [lo, hi] : [hi, lo];
  }
}
