import {
  DTypeError,
  globalAvgPool2d,
  ones,
  randn,
  ShapeError,
  tensor,
  tidy,
  zeros,
} from "@edgenn/tensor";
import { arbValues, expectClose, expectGrad } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

describe("globalAvgPool2d", () => {
  it("averages each plane, keeping [N, C, 1, 1] (golden)", () => {
    // plane 0: (1+2+3+6)/4 = 3; plane 1: (−1+1+0+4)/4 = 1
    const x = tensor([1, 2, 3, 6, -1, 1, 0, 4], { shape: [1, 2, 2, 2] });
    const y = globalAvgPool2d(x);
    expect(y.shape).toEqual([1, 2, 1, 1]);
    expectClose(y, [3, 1]);
  });

  fcTest.prop(
    [
      fc
        .tuple(
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 1, max: 6 }),
          fc.integer({ min: 1, max: 6 }),
        )
        .chain((s) => fc.tuple(fc.constant(s), arbValues(s[0] * s[1] * s[2] * s[3]))),
    ],
    { numRuns: 50 },
  )("matches a naive mean per plane", ([[n, c, h, w], x]) => {
    tidy(() => {
      const expected: number[] = [];
      for (let p = 0; p < n * c; p++) {
        let s = 0;
        for (let i = 0; i < h * w; i++) s += x[p * h * w + i]!;
        expected.push(s / (h * w));
      }
      const y = globalAvgPool2d(tensor(x, { shape: [n, c, h, w] }));
      expect(y.shape).toEqual([n, c, 1, 1]);
      expectClose(y, expected, { rtol: 1e-5, atol: 1e-5 });
    });
  });

  it("has the right gradient: dy / (H·W) everywhere", () => {
    tidy(() => {
      const r = randn([2, 3, 1, 1], { seed: 2 });
      expectGrad((x) => globalAvgPool2d(x!).mul(r).sum(), [randn([2, 3, 4, 5], { seed: 1 })]);
    });
  });

  it("rejects bad input with typed errors", () => {
    tidy(() => {
      expect(() => globalAvgPool2d(ones([2, 3, 4]))).toThrow(/globalAvgPool2d: x must have rank 4/);
      expect(() => globalAvgPool2d(ones([1, 1, 2, 2], "int32"))).toThrow(DTypeError);
      expect(() => globalAvgPool2d(zeros([1, 2, 0, 3]))).toThrow(ShapeError);
    });
  });
});
