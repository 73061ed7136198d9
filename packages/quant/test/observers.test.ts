import { MinMaxObserver, MovingAverageMinMaxObserver, PercentileObserver } from "@edgenn/quant";
import { ArgumentError } from "@edgenn/tensor";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/** The exact p-th percentile of `xs` by the "continuous counts" convention the histogram uses. */
function naivePercentile(xs: number[], p: number): number {
  const s = xs.slice().sort((a, b) => a - b);
  const k = Math.min(Math.max(Math.round((s.length * p) / 100) - 1, 0), s.length - 1);
  return s[k]!;
}

describe("MinMaxObserver", () => {
  it("tracks the extremes over batches", () => {
    // batches [1, -2], [3], [0.5]: min −2, max 3
    const o = new MinMaxObserver();
    expect(o.range()).toEqual([0, 0]);
    o.observe([1, -2]);
    expect(o.range()).toEqual([-2, 1]);
    o.observe(new Float32Array([3]));
    o.observe([0.5]);
    expect(o.range()).toEqual([-2, 3]);
  });

  it("ignores NaN and empty batches", () => {
    const o = new MinMaxObserver();
    o.observe([Number.NaN]);
    o.observe([]);
    expect(o.range()).toEqual([0, 0]);
    o.observe([Number.NaN, 2, Number.NaN, -1]);
    expect(o.range()).toEqual([-1, 2]);
  });

  it("equals min/max of all values (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1 }), {
          minLength: 1,
          maxLength: 5,
        }),
        (batches) => {
          const o = new MinMaxObserver();
          for (const b of batches) o.observe(b);
          const all = batches.flat();
          expect(o.range()).toEqual([Math.min(...all), Math.max(...all)]);
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe("MovingAverageMinMaxObserver", () => {
  it("averages batch extremes with the momentum", () => {
    // momentum 0.5: [0, 2] → then batch [−4, 4]: min 0 + 0.5·(−4 − 0) = −2, max 2 + 0.5·(4 − 2) = 3
    const o = new MovingAverageMinMaxObserver({ momentum: 0.5 });
    o.observe([0, 2]);
    expect(o.range()).toEqual([0, 2]);
    o.observe([-4, 4]);
    expect(o.range()).toEqual([-2, 3]);
    // then [−2, 3] → [−2 + 0.5·(−2 + 2), 3 + 0.5·(1 − 3)] = [−2, 2] for batch [−2, 1]
    o.observe([1, -2]);
    expect(o.range()).toEqual([-2, 2]);
  });

  it("defaults to momentum 0.01: an outlier batch moves the range by 1 %", () => {
    // [−1, 1] then [−101, 101]: −1 + 0.01·(−100) = −2, 1 + 0.01·100 = 2
    const o = new MovingAverageMinMaxObserver();
    expect(o.momentum).toBe(0.01);
    o.observe([-1, 1]);
    o.observe([-101, 101]);
    const [lo, hi] = o.range();
    expect(lo).toBeCloseTo(-2, 12);
    expect(hi).toBeCloseTo(2, 12);
  });

  it("rejects a momentum outside (0, 1]", () => {
    for (const momentum of [0, -0.1, 1.5, Number.NaN]) {
      expect(() => new MovingAverageMinMaxObserver({ momentum })).toThrow(ArgumentError);
    }
    expect(() => new MovingAverageMinMaxObserver({ momentum: 2 })).toThrow(/momentum/);
  });
});

describe("PercentileObserver", () => {
  it("cuts a uniform distribution at its percentiles", () => {
    // 0, 0.1, …, 999.9 (10000 values, uniform): the 1 % tails are [0, 10) and [990, 1000),
    // so range ≈ [10, 990] within a bin width (1000/2048 ≈ 0.49)
    const xs = Array.from({ length: 10000 }, (_, i) => i / 10);
    const o = new PercentileObserver({ percentile: 99 });
    o.observe(xs);
    const [lo, hi] = o.range();
    expect(Math.abs(lo - 10)).toBeLessThan(0.5);
    expect(Math.abs(hi - 990)).toBeLessThan(0.5);
  });

  it("drops outliers that min/max would keep", () => {
    // 9999 values in [−1, 1] and one at 1000: 99.9 % ignores the outlier; min/max does not
    const xs = Array.from({ length: 9999 }, (_, i) => Math.sin(i) * 1);
    xs.push(1000);
    const o = new PercentileObserver({ percentile: 99.9 });
    o.observe(xs);
    const [lo, hi] = o.range();
    expect(hi).toBeLessThan(2); // a bin is 1001/2048 ≈ 0.49 wide
    expect(hi).toBeGreaterThan(0.9);
    expect(lo).toBeLessThan(-0.9);
    expect(lo).toBeGreaterThan(-1.5);
  });

  it("at 100 % is the min/max", () => {
    const o = new PercentileObserver({ percentile: 100 });
    o.observe([3, -2, 7, 1]);
    expect(o.range()).toEqual([-2, 7]);
  });

  it("widens its histogram across batches", () => {
    // the same uniform values as one batch or as ten increasing batches: percentiles agree
    // within two bins of the final histogram
    const o = new PercentileObserver({ percentile: 99 });
    for (let b = 0; b < 10; b++) {
      o.observe(Array.from({ length: 1000 }, (_, i) => (b * 1000 + i) / 10));
    }
    const [lo, hi] = o.range();
    expect(Math.abs(lo - 10)).toBeLessThan(1);
    expect(Math.abs(hi - 990)).toBeLessThan(1);
  });

  it("is within two bins of the exact percentile on random data (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -100, max: 100, noNaN: true }), {
          minLength: 200,
          maxLength: 600,
        }),
        fc.integer({ min: 1, max: 4 }),
        (xs, parts) => {
          const o = new PercentileObserver({ percentile: 98, bins: 512 });
          const n = Math.ceil(xs.length / parts);
          for (let i = 0; i < xs.length; i += n) o.observe(xs.slice(i, i + n));
          const width = (Math.max(...xs) - Math.min(...xs)) / 512;
          const [lo, hi] = o.range();
          // rebinning spreads counts over up to 2 bins, plus one-value rounding of the quantile
          const sorted = xs.slice().sort((a, b) => a - b);
          const gap = (k: number) => Math.abs(sorted[k + 1]! - sorted[k - 1]!);
          const kHi = Math.round(xs.length * 0.98) - 1;
          const kLo = Math.round(xs.length * 0.02);
          expect(Math.abs(hi - naivePercentile(xs, 98))).toBeLessThanOrEqual(
            (parts === 1 ? 1 : 3) * width + gap(kHi) + 1e-9,
          );
          expect(Math.abs(lo - sorted[kLo]!)).toBeLessThanOrEqual(
            (parts === 1 ? 1 : 3) * width + gap(kLo) + 1e-9,
          );
        },
      ),
      { numRuns: 40 },
    );
  });

  it("ignores NaN, counts ±∞ in the end bins, and starts at [0, 0]", () => {
    const o = new PercentileObserver({ percentile: 90 });
    expect(o.range()).toEqual([0, 0]);
    o.observe([Number.NaN]);
    expect(o.range()).toEqual([0, 0]);
    o.observe([1, 2, 3, 4, 5, 6, 7, 8, 9, Number.POSITIVE_INFINITY]);
    const [lo, hi] = o.range();
    expect(Number.isFinite(lo) && Number.isFinite(hi)).toBe(true);
    expect(hi).toBeLessThanOrEqual(9);
  });

  it("rejects bad options", () => {
    expect(() => new PercentileObserver({ percentile: 50 })).toThrow(ArgumentError);
    expect(() => new PercentileObserver({ percentile: 100.1 })).toThrow(/percentile/);
    expect(() => new PercentileObserver({ bins: 3.5 })).toThrow(/bins/);
  });
});
