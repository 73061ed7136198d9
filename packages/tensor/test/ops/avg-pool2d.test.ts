import {
  ArgumentError,
  arange,
  avgPool2d,
  DTypeError,
  ones,
  randn,
  reshape,
  ShapeError,
  tensor,
  tidy,
} from "@edgenn/tensor";
import { arbValues, expectClose, expectGrad } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

type Quad = [number, number, number, number];

function outSize(size: number, k: number, s: number, begin: number, end: number, ceil: boolean) {
  const span = size + begin + end - k;
  let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (o - 1) * s >= size + begin) o--;
  return o;
}

/**
 * Average pooling by its definition: the sum of the window's taps inside the input, divided by the
 * number of those taps, or (countIncludePad) by the number of taps inside the padded input
 * [−begin, size + end); null when a window holds no input element.
 */
function refAvgPool(
  x: readonly number[],
  [n, c, h, w]: Quad,
  [kh, kw]: [number, number],
  [sh, sw]: [number, number],
  [top, left, bottom, right]: Quad,
  ceil: boolean,
  countIncludePad: boolean,
): { data: number[]; shape: Quad } | null {
  const oh = outSize(h, kh, sh, top, bottom, ceil);
  const ow = outSize(w, kw, sw, left, right, ceil);
  const data: number[] = [];
  for (let p = 0; p < n * c; p++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        let s = 0;
        let valid = 0;
        let padded = 0;
        for (let a = 0; a < kh; a++) {
          for (let b = 0; b < kw; b++) {
            const y = i * sh - top + a;
            const z = j * sw - left + b;
            if (y >= -top && y < h + bottom && z >= -left && z < w + right) padded++;
            if (y < 0 || y >= h || z < 0 || z >= w) continue;
            valid++;
            s += x[(p * h + y) * w + z]!;
          }
        }
        if (valid === 0) return null;
        data.push(s / (countIncludePad ? padded : valid));
      }
    }
  }
  return { data, shape: [n, c, oh, ow] };
}

describe("avgPool2d", () => {
  it("averages 2×2 blocks (golden)", () => {
    // x = 1..16 as 4×4: block means (1+2+5+6)/4 = 3.5, (3+4+7+8)/4 = 5.5, 11.5, 13.5
    const x = reshape(arange(1, 17), [1, 1, 4, 4]);
    expectClose(avgPool2d(x, { kernelSize: 2 }), [3.5, 5.5, 11.5, 13.5]);
  });

  it("handles padding, ceilMode and countIncludePad (golden)", () => {
    const x = reshape(arange(1, 17), [1, 1, 4, 4]); // x[i][j] = 4i + j + 1
    const opts = { kernelSize: 3, stride: 2, padding: 1, ceilMode: true };
    // windows per dim (ceilMode keeps the third: it starts at 3 < 4 + 1):
    //   taps in the input    R = {0,1}, {1,2,3}, {3}   (valid counts 2, 3, 1)
    //   taps in padded input [−1, 5): {−1,0,1}, {1,2,3}, {3,4}  (counts 3, 3, 2; tap 5 overhangs)
    // mean over the valid taps = 4·mean(rows) + mean(cols) + 1 with row/col means 0.5, 2, 3:
    //   [[3.5, 5, 6], [9.5, 11, 12], [13.5, 15, 16]]
    expectClose(avgPool2d(x, opts), [3.5, 5, 6, 9.5, 11, 12, 13.5, 15, 16]);
    // countIncludePad: sum / (padded count) = mean·(valid_r·valid_c)/(padded_r·padded_c), e.g.
    //   [0,0]: 3.5·4/9 = 1.5556; [0,2]: 6·2/6 = 2; [1,1]: 11·9/9 = 11; [2,2]: 16·1/4 = 4
    expectClose(
      avgPool2d(x, { ...opts, countIncludePad: true }),
      [14 / 9, 10 / 3, 2, 19 / 3, 11, 6, 4.5, 7.5, 4],
      { rtol: 1e-5 },
    );
    // without ceilMode no window overhangs: countIncludePad divides by kH·kW = 9 everywhere
    // [0,0] = (1+2+5+6)/9 = 14/9; [1,1] = (x11..x33 = 6+7+8+10+11+12+14+15+16)/9 = 11
    expectClose(avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: true }), [
      14 / 9,
      (2 + 3 + 4 + 6 + 7 + 8) / 9,
      (5 + 6 + 9 + 10 + 13 + 14) / 9,
      11,
    ]);
  });

  fcTest.prop(
    [
      fc
        .record({
          n: fc.integer({ min: 1, max: 2 }),
          c: fc.integer({ min: 1, max: 3 }),
          h: fc.integer({ min: 1, max: 7 }),
          w: fc.integer({ min: 1, max: 7 }),
          kh: fc.integer({ min: 1, max: 3 }),
          kw: fc.integer({ min: 1, max: 3 }),
          sh: fc.integer({ min: 1, max: 3 }),
          sw: fc.integer({ min: 1, max: 3 }),
          pads: fc.tuple(
            fc.integer({ min: 0, max: 2 }),
            fc.integer({ min: 0, max: 2 }),
            fc.integer({ min: 0, max: 2 }),
            fc.integer({ min: 0, max: 2 }),
          ),
          ceil: fc.boolean(),
          countIncludePad: fc.boolean(),
        })
        .filter((g) => g.h + g.pads[0] + g.pads[2] >= g.kh && g.w + g.pads[1] + g.pads[3] >= g.kw)
        .chain((g) => fc.tuple(fc.constant(g), arbValues(g.n * g.c * g.h * g.w))),
    ],
    { numRuns: 100 },
  )("matches a naive window loop (or rejects windows entirely in the padding)", ([g, x]) => {
    tidy(() => {
      const shape: Quad = [g.n, g.c, g.h, g.w];
      const ref = refAvgPool(
        x,
        shape,
        [g.kh, g.kw],
        [g.sh, g.sw],
        g.pads,
        g.ceil,
        g.countIncludePad,
      );
      const run = () =>
        avgPool2d(tensor(x, { shape }), {
          kernelSize: [g.kh, g.kw],
          stride: [g.sh, g.sw],
          padding: g.pads,
          ceilMode: g.ceil,
          countIncludePad: g.countIncludePad,
        });
      if (ref === null) {
        expect(run).toThrow(/avgPool2d: a window lies entirely in the padding/);
        return;
      }
      const y = run();
      expect(y.shape).toEqual(ref.shape);
      expectClose(y, ref.data, { rtol: 1e-5, atol: 1e-5 });
    });
  });

  it("has the right gradient (dy/count spread over each window)", () => {
    tidy(() => {
      const x = randn([2, 3, 5, 6], { seed: 21 });
      for (const opts of [
        { kernelSize: 2 },
        { kernelSize: 3, stride: 2, padding: 1, ceilMode: true },
        { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: true },
        {
          kernelSize: [2, 3] as [number, number],
          stride: 1,
          padding: [1, 0, 0, 2] as Quad,
          countIncludePad: true,
        },
      ]) {
        const r = randn(avgPool2d(x, opts).shape, { seed: 22 });
        expectGrad((xi) => avgPool2d(xi!, opts).mul(r).sum(), [x]);
      }
    });
  });

  it("rejects bad input with typed errors", () => {
    tidy(() => {
      const x = ones([1, 2, 4, 4]);
      expect(() => avgPool2d(ones([4, 4]), { kernelSize: 2 })).toThrow(
        /avgPool2d: x must have rank 4/,
      );
      expect(() => avgPool2d(x.cast("int32"), { kernelSize: 2 })).toThrow(DTypeError);
      expect(() => avgPool2d(x, { kernelSize: [2, 0] })).toThrow(ArgumentError);
      expect(() => avgPool2d(x, { kernelSize: 2, stride: -2 })).toThrow(
        /avgPool2d: stride must be/,
      );
      expect(() => avgPool2d(x, { kernelSize: 2, countIncludePad: "yes" as never })).toThrow(
        /avgPool2d: countIncludePad must be a boolean/,
      );
      expect(() => avgPool2d(x, { kernelSize: [5, 1] })).toThrow(ShapeError);
      expect(() => avgPool2d(x, { kernelSize: 1, padding: 1 })).toThrow(
        /a window lies entirely in the padding/,
      );
    });
  });
});
