import { valueAndGrad } from "@edgenn/autograd";
import {
  ArgumentError,
  DTypeError,
  dropout,
  ones,
  Rng,
  randn,
  setSeed,
  tensor,
  tidy,
} from "@edgenn/tensor";
import { arbShape, arbValues, expectClose, expectGrad, expectNoLeaks, size } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

describe("dropout", () => {
  it("keeps element i when the i-th draw of Rng(seed) is ≥ rate, scaled by 1/(1 − rate)", () => {
    tidy(() => {
      // rate 0.25 → kept elements ×4/3; mask from the same generator the op documents
      const x = [1, -2, 3, -4, 5, -6, 7, -8];
      const rng = new Rng(7);
      const expected = x.map((v) => (rng.next() >= 0.25 ? v / 0.75 : 0));
      expectClose(dropout(tensor(x), 0.25, { seed: 7 }), expected);
      expect(expected.some((v) => v === 0)).toBe(true);
      expect(expected.some((v) => v !== 0)).toBe(true);
    });
  });

  it("is deterministic for a seed (also through setSeed) and differs across seeds", () => {
    tidy(() => {
      const x = ones([64]);
      const a = Array.from(dropout(x, 0.5, { seed: 3 }).dataSync());
      expect(Array.from(dropout(x, 0.5, { seed: 3 }).dataSync())).toEqual(a);
      expect(Array.from(dropout(x, 0.5, { seed: 4 }).dataSync())).not.toEqual(a);
      setSeed(11);
      const g = Array.from(dropout(x, 0.5).dataSync());
      expect(Array.from(dropout(x, 0.5).dataSync())).not.toEqual(g); // the stream moved on
      setSeed(11);
      expect(Array.from(dropout(x, 0.5).dataSync())).toEqual(g);
    });
  });

  it("keeps about 1 − rate of the elements and preserves the mean", () => {
    tidy(() => {
      // n = 20000 Bernoulli(0.7): σ of the kept fraction = √(0.7·0.3/n) ≈ 0.0032; allow 5σ
      const n = 20000;
      for (const rate of [0.1, 0.3, 0.8]) {
        const y = dropout(ones([n]), rate, { seed: 42 }).dataSync();
        let kept = 0;
        let total = 0;
        for (const v of y) {
          if (v !== 0) kept++;
          total += v;
        }
        const sigma = Math.sqrt((rate * (1 - rate)) / n);
        expect(Math.abs(kept / n - (1 - rate))).toBeLessThan(5 * sigma);
        // mean(y) = kept/n/(1 − rate) ≈ 1
        expect(Math.abs(total / n - 1)).toBeLessThan((5 * sigma) / (1 - rate));
      }
    });
  });

  fcTest.prop(
    [
      arbShape({ minRank: 0, maxRank: 4 }).chain((shape) =>
        fc.record({
          shape: fc.constant(shape),
          x: arbValues(size(shape)),
          rate: fc.double({ min: 0, max: 0.95, noNaN: true }),
          seed: fc.integer({ min: 0, max: 2 ** 31 }),
        }),
      ),
    ],
    { numRuns: 60 },
  )("every element is 0 or x/(1 − rate)", ({ shape, x, rate, seed }) => {
    tidy(() => {
      const y = dropout(tensor(x, { shape }), rate, { seed });
      expect(y.shape).toEqual(shape);
      const yd = y.dataSync();
      x.forEach((v, i) => {
        const got = yd[i]!;
        if (got === 0) return;
        expectClose(got, v / (1 - rate), { rtol: 1e-6, atol: 1e-30 });
      });
    });
  });

  it("is the identity (a view of x) when not training or at rate 0", () => {
    tidy(() => {
      const x = tensor([
        [1, 2],
        [3, 4],
      ]);
      for (const y of [dropout(x, 0.5, { training: false }), dropout(x, 0)]) {
        expect(y).not.toBe(x);
        expect(y.toArray()).toEqual(x.toArray());
        y.dispose();
        expect(x.toArray()).toEqual([
          [1, 2],
          [3, 4],
        ]); // disposing the view leaves x alive
      }
      const { grads } = valueAndGrad(
        () =>
          dropout(x, 0.9, { training: false })
            .mul(tensor([5, 6]))
            .sum(),
        [x],
      );
      expect(grads[0]!.toArray()).toEqual([
        [5, 6],
        [5, 6],
      ]);
    });
  });

  it("has gradient dy·mask/(1 − rate)", () => {
    tidy(() => {
      const x = tensor([0.5, -1.5, 2, 0.3, 1, -0.7, 1.6, 0.9]);
      const w = tensor([0.3, -1.2, 0.7, 0.5, 1.1, 0.4, -0.5, -0.9]);
      // a fixed seed gives the same mask at every probe, so central differences see a linear map
      expectGrad((a) => dropout(a!, 0.4, { seed: 5 }).mul(w).sum(), [x]);
      const y = dropout(x, 0.4, { seed: 5 }).dataSync();
      const { grads } = valueAndGrad(() => dropout(x, 0.4, { seed: 5 }).mul(w).sum(), [x]);
      // mask/(1 − rate) = y/x elementwise
      const wd = w.dataSync();
      const xd = x.dataSync();
      expectClose(
        grads[0]!,
        Array.from(y, (v, i) => (wd[i]! * v) / xd[i]!),
      );
    });
  });

  it("rejects bad input with typed errors naming the op", () => {
    tidy(() => {
      const x = tensor([1, 2, 3]);
      expect(() => dropout(x, 1)).toThrow(ArgumentError);
      expect(() => dropout(x, -0.1)).toThrow(/dropout: rate must be in \[0, 1\)/);
      expect(() => dropout(x, Number.NaN)).toThrow(ArgumentError);
      expect(() => dropout(x, "0.5" as unknown as number)).toThrow(ArgumentError);
      expect(() => dropout(tensor([1], { dtype: "int32" }), 0.5)).toThrow(DTypeError);
      expect(() => dropout(x, 0.5, { seed: 1.5 })).toThrow(/dropout: seed must be an integer/);
      expect(() => dropout(x, 0.5, { seed: Number.POSITIVE_INFINITY })).toThrow(ArgumentError);
      expect(() => dropout(x, 0.5, { training: "yes" as unknown as boolean })).toThrow(
        /dropout: training must be a boolean/,
      );
    });
  });

  it("frees its mask", () => {
    const x = randn([4, 5], { seed: 1 });
    expectNoLeaks(() => dropout(x, 0.5, { seed: 2 }).dispose(), { steps: 50 });
    expectNoLeaks(() => dropout(x, 0.5, { training: false }).dispose(), { steps: 50 });
  });
});
