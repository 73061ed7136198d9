import { AvgPool2d, GlobalAvgPool2d, MaxPool2d } from "@edgenn/nn";
import {
  ArgumentError,
  DTypeError,
  mul,
  randn,
  ShapeError,
  sum,
  type Tensor,
  tensor,
  tidy,
  zeros,
} from "@edgenn/tensor";
import { expectClose, expectGrad } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

// one 4×4 plane of distinct values (0…16 without 13)
const x16 = () =>
  tensor([1, 5, 3, 2, 4, 0, 7, 6, 9, 8, 10, 16, 12, 11, 15, 14], { shape: [1, 1, 4, 4] });

/** Naive pooling over windows k×k at stride s with no padding: max or mean. */
function refPool(
  x: ArrayLike<number>,
  [n, c, h, w]: number[],
  k: number,
  s: number,
  kind: "max" | "avg",
): { data: number[]; shape: number[] } {
  const oh = Math.floor((h! - k) / s) + 1;
  const ow = Math.floor((w! - k) / s) + 1;
  const data: number[] = [];
  for (let p = 0; p < n! * c!; p++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++) {
        let acc = kind === "max" ? -Infinity : 0;
        for (let a = 0; a < k; a++)
          for (let b = 0; b < k; b++) {
            const v = x[(p * h! + i * s + a) * w! + j * s + b]!;
            acc = kind === "max" ? Math.max(acc, v) : acc + v;
          }
        data.push(kind === "max" ? acc : acc / (k * k));
      }
  return { data, shape: [n!, c!, oh, ow] };
}

describe("MaxPool2d, AvgPool2d, GlobalAvgPool2d", () => {
  it("pool windows (golden)", () => {
    tidy(() => {
      // 2×2 windows of [[1,5,3,2],[4,0,7,6],[9,8,10,16],[12,11,15,14]]:
      // max → [[5, 7], [12, 16]]; mean → [[10/4, 18/4], [40/4, 55/4]]
      expect(new MaxPool2d(2).forward(x16()).toArray()).toEqual([
        [
          [
            [5, 7],
            [12, 16],
          ],
        ],
      ]);
      expect(new AvgPool2d(2).forward(x16()).toArray()).toEqual([
        [
          [
            [2.5, 4.5],
            [10, 13.75],
          ],
        ],
      ]);
      // 3×3 windows at stride 1: rows 0–2 × cols 0–2 → max(1,5,3,4,0,7,9,8,10) = 10, cols 1–3 → 16;
      // rows 1–3 × cols 0–2 → max(4,0,7,9,8,10,12,11,15) = 15, cols 1–3 → 16
      expect(new MaxPool2d(3, { stride: 1 }).forward(x16()).toArray()).toEqual([
        [
          [
            [10, 16],
            [15, 16],
          ],
        ],
      ]);
      // padding 1 with countIncludePad: corner window [[·,·],[·,1]] → 1/4 (false: 1/1)
      const pad = new AvgPool2d(2, { padding: 1, countIncludePad: true }).forward(x16());
      expect(pad.shape).toEqual([1, 1, 3, 3]);
      expect(pad.dataSync()[0]).toBe(0.25);
      expect(new AvgPool2d(2, { padding: 1 }).forward(x16()).dataSync()[0]).toBe(1);
      // mean = (0 + 1 + … + 16 − 13)/16 = 123/16 = 7.6875, keeping [N, C, 1, 1]
      expect(new GlobalAvgPool2d().forward(x16()).toArray()).toEqual([[[[7.6875]]]]);
      // ceilMode: a 5×5 input at k = s = 2 gives 3×3 instead of 2×2
      expect(new MaxPool2d(2, { ceilMode: true }).forward(zeros([1, 2, 5, 5])).shape).toEqual([
        1, 2, 3, 3,
      ]);
    });
  });

  fcTest.prop(
    [
      fc.record({
        n: fc.integer({ min: 1, max: 2 }),
        c: fc.integer({ min: 1, max: 3 }),
        h: fc.integer({ min: 3, max: 7 }),
        w: fc.integer({ min: 3, max: 7 }),
        k: fc.integer({ min: 1, max: 3 }),
        s: fc.integer({ min: 1, max: 3 }),
        seed: fc.integer({ min: 0, max: 1000 }),
      }),
    ],
    { numRuns: 30 },
  )("match naive window loops", ({ n, c, h, w, k, s, seed }) => {
    tidy(() => {
      const x = randn([n, c, h, w], { seed });
      for (const kind of ["max", "avg"] as const) {
        const layer =
          kind === "max" ? new MaxPool2d(k, { stride: s }) : new AvgPool2d(k, { stride: s });
        const expected = refPool(x.dataSync(), [n, c, h, w], k, s, kind);
        const y = layer.forward(x);
        expect(y.shape).toEqual(expected.shape);
        expectClose(y, expected.data);
      }
      const means: number[] = [];
      const xs = x.dataSync();
      for (let p = 0; p < n * c; p++) {
        let acc = 0;
        for (let i = 0; i < h * w; i++) acc += xs[p * h * w + i]!;
        means.push(acc / (h * w));
      }
      expectClose(new GlobalAvgPool2d().forward(x), means);
    });
  });

  it("have the right gradients (max at distinct values, away from ties)", () => {
    tidy(() => {
      const x = randn([2, 2, 5, 5], { seed: 3 });
      for (const layer of [
        new MaxPool2d(2),
        new MaxPool2d(3, { stride: 2, padding: 1 }),
        new AvgPool2d(2, { stride: 1 }),
        new AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: true }),
        new GlobalAvgPool2d(),
      ]) {
        const r = randn(layer.forward(x).shape, { seed: 4 });
        expectGrad((xi: Tensor) => sum(mul(layer.forward(xi), r)), [x]);
        // pools have no parameters
        expect(layer.parameters()).toEqual([]);
      }
    });
  });

  it("validate their arguments and the input shape with typed errors naming the layer", () => {
    tidy(() => {
      expect(() => new MaxPool2d(2).forward(zeros([2, 4, 4]))).toThrow(ShapeError);
      expect(() => new MaxPool2d(2).forward(zeros([2, 4, 4]))).toThrow(
        "MaxPool2d: input must have rank 4 (expected [N, C, H, W], got shape [2,4,4])",
      );
      expect(() => new AvgPool2d(2).forward(zeros([2, 4]))).toThrow(
        /AvgPool2d: input must have rank 4/,
      );
      expect(() => new GlobalAvgPool2d().forward(zeros([2, 4]))).toThrow(
        /GlobalAvgPool2d: input must have rank 4.*\[2,4\]/,
      );
      expect(() => new MaxPool2d(5).forward(zeros([1, 1, 3, 3]))).toThrow(ShapeError);
      expect(() => new MaxPool2d(2).forward(zeros([1, 1, 4, 4], "int32"))).toThrow(DTypeError);
    });
    expect(() => new MaxPool2d(0)).toThrow(/MaxPool2d: kernelSize must be an integer ≥ 1/);
    expect(() => new MaxPool2d(2, { stride: 0 })).toThrow(/MaxPool2d: stride/);
    expect(() => new MaxPool2d(2, { ceilMode: 1 as unknown as boolean })).toThrow(ArgumentError);
    expect(() => new AvgPool2d([2, 2, 2] as unknown as 2)).toThrow(/AvgPool2d: kernelSize/);
    expect(() => new AvgPool2d(2, { padding: -1 })).toThrow(/AvgPool2d: padding must be/);
    expect(() => new AvgPool2d(2, { countIncludePad: "yes" as unknown as boolean })).toThrow(
      /AvgPool2d: countIncludePad must be a boolean/,
    );
  });
});
