import fc from "fast-check";
import { describe, expect, it } from "vitest";
// @ts-expect-error: the example is plain JavaScript
import { chooseThreshold, confusion } from "../detector.mjs";
// @ts-expect-error: the example is plain JavaScript
import { RingBuffer } from "../ring-buffer.mjs";

describe("RingBuffer", () => {
  it("golden: capacity 3 after pushing 1…5 holds [3, 4, 5]", () => {
    const r = new RingBuffer(3);
    for (const v of [1, 2, 3, 4, 5]) r.push(v);
    expect(Array.from(r.latest(new Float32Array(3)))).toEqual([3, 4, 5]);
    expect(Array.from(r.latest(new Float32Array(2)))).toEqual([4, 5]);
    expect(r.size).toBe(3);
    expect(r.pushed).toBe(5);
  });

  it("matches a naive array (push everything, take the tail) at every step", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 17 }),
        fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { maxLength: 80 }),
        fc.integer({ min: 1, max: 17 }),
        (capacity, values, want) => {
          const r = new RingBuffer(capacity);
          const naive: number[] = [];
          for (const v of values) {
            r.push(v);
            naive.push(Math.fround(v));
            expect(r.size).toBe(Math.min(naive.length, capacity));
            const n = Math.min(want, r.size);
            expect(Array.from(r.latest(new Float32Array(n)))).toEqual(
              naive.slice(naive.length - n),
            );
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("rejects a bad capacity and asking for more than it holds", () => {
    expect(() => new RingBuffer(0)).toThrow(/capacity must be an integer ≥ 1/);
    expect(() => new RingBuffer(2.5)).toThrow(/capacity/);
    const r = new RingBuffer(4);
    r.push(1);
    expect(() => r.latest(new Float32Array(2))).toThrow(/asked for 2 samples, only 1 held/);
  });
});

describe("thresholds and metrics", () => {
  it("confusion: golden counts", () => {
    // scores > 0.5 alarm: [F, T, T, F] vs labels [0, 1, 0, 1] → tp 1, fp 1, fn 1, tn 1
    const c = confusion([0.1, 0.9, 0.7, 0.2], [0, 1, 0, 1], 0.5);
    expect(c).toMatchObject({ tp: 1, fp: 1, fn: 1, tn: 1, precision: 0.5, recall: 0.5, f1: 0.5 });
  });

  it("chooseThreshold reaches the best F1 of a brute-force search over every cut", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.boolean()), {
          minLength: 1,
          maxLength: 40,
        }),
        (pairs) => {
          const scores = pairs.map(([s]) => s / 4);
          const labels = pairs.map(([, l]) => (l ? 1 : 0));
          let best = -1;
          for (const t of [-1, ...scores]) best = Math.max(best, confusion(scores, labels, t).f1);
          const t = chooseThreshold(scores, labels);
          expect(confusion(scores, labels, t).f1).toBeCloseTo(best, 12);
        },
      ),
      { numRuns: 200 },
    );
  });
});
