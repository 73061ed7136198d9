import { fileURLToPath } from "node:url";
import * as api from "@edgenn/tensor";
import { ArgumentError, DTypeError, ShapeError, type Tensor, tensor, tidy } from "@edgenn/tensor";
import { collectDocExamples, runDocExample } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as metrics from "../src/metrics.js";
import { accuracy } from "../src/metrics.js";

const labels = (v: number[] | number[][]): Tensor => tensor(v, { dtype: "int32" });

describe("accuracy", () => {
  it("counts argmax hits (golden)", () => {
    tidy(() => {
      const x = tensor([
        [2, 1, 0],
        [0, 3, 1],
        [5, 4, 9],
        [1, 1, 0], // a tie goes to the first class: 0
      ]);
      // predictions [0, 1, 2, 0]
      expect(accuracy(x, labels([0, 1, 2, 0]))).toBe(1);
      expect(accuracy(x, labels([0, 1, 1, 1]))).toBe(0.5);
      expect(accuracy(x, labels([1, 0, 0, 1]))).toBe(0);
      // one-hot labels [0, 2, 2, 0] → 3 of 4
      const oneHot = tensor([
        [1, 0, 0],
        [0, 0, 1],
        [0, 0, 1],
        [1, 0, 0],
      ]);
      expect(accuracy(x, oneHot)).toBe(0.75);
      // [N, C, d] = [1, 2, 3]: predictions [1, 0, 1] vs labels [1, 1, 1] → 2/3
      const x3 = tensor([
        [
          [0, 5, 1],
          [1, 2, 3],
        ],
      ]);
      expect(accuracy(x3, labels([[1, 1, 1]]))).toBeCloseTo(2 / 3, 12);
      // labels out of range never match
      expect(accuracy(x, labels([7, 1, 2, -1]))).toBe(0.5);
    });
  });

  fcTest.prop(
    [
      fc
        .record({ n: fc.integer({ min: 1, max: 8 }), c: fc.integer({ min: 1, max: 5 }) })
        .chain(({ n, c }) =>
          fc.record({
            n: fc.constant(n),
            c: fc.constant(c),
            // small integers make ties common
            x: fc.array(fc.integer({ min: -2, max: 2 }), { minLength: n * c, maxLength: n * c }),
            y: fc.array(fc.integer({ min: 0, max: c - 1 }), { minLength: n, maxLength: n }),
          }),
        ),
    ],
    { numRuns: 60 },
  )("matches a naive first-max loop", ({ n, c, x, y }) => {
    tidy(() => {
      let hits = 0;
      for (let i = 0; i < n; i++) {
        let best = 0;
        for (let k = 1; k < c; k++) if (x[i * c + k]! > x[i * c + best]!) best = k;
        if (best === y[i]) hits++;
      }
      expect(accuracy(tensor(x, { shape: [n, c] }), labels(y))).toBe(hits / n);
    });
  });

  it("rejects bad shapes and dtypes with typed errors", () => {
    tidy(() => {
      const x = tensor([
        [1, 2],
        [3, 4],
      ]);
      expect(() => accuracy(x, labels([0]))).toThrow(ShapeError);
      expect(() => accuracy(x, labels([0]))).toThrow(
        /accuracy: labels must have shape \[2\] for logits \[2,2\] \(got \[1\]\)/,
      );
      expect(() => accuracy(x, tensor([0, 1]))).toThrow(ShapeError);
      expect(() => accuracy(tensor([1, 2]), labels([0, 1]))).toThrow(ShapeError);
      expect(() => accuracy(x, tensor([0, 1], { dtype: "uint8" }))).toThrow(DTypeError);
      expect(() => accuracy(labels([[1, 2]]), labels([0]))).toThrow(DTypeError);
      expect(() => accuracy(tensor([[]]).reshape([0, 2]), labels([]))).toThrow(
        /accuracy: no positions to score/,
      );
      expect(() => accuracy(x, [0, 1] as unknown as Tensor)).toThrow(ArgumentError);
    });
  });

  it("runs its TSDoc example", () => {
    const examples = collectDocExamples(fileURLToPath(new URL("../src", import.meta.url))).filter(
      (e) => e.file === "metrics.ts",
    );
    expect(examples.length).toBe(1);
    tidy(() => {
      expect(runDocExample(examples[0]!, { ...api, ...metrics })).toBe(1);
    });
  });
});
