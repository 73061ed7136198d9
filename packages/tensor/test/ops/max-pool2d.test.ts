import {
  ArgumentError,
  arange,
  DTypeError,
  maxPool2d,
  ones,
  randn,
  reshape,
  ShapeError,
  tensor,
  tidy,
  transpose,
} from "@edgenn/tensor";
import { arbValues, expectClose, expectGrad } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

type Quad = [number, number, number, number];

/** Output size of one dim by the ONNX/PyTorch rule (ceil mode drops a window starting past in + begin). */
function outSize(
  size: number,
  k: number,
  s: number,
  d: number,
  begin: number,
  end: number,
  ceil: boolean,
) {
  const span = size + begin + end - ((k - 1) * d + 1);
  let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (o - 1) * s >= size + begin) o--;
  return o;
}

/** Max pooling by its definition; null when some window holds no input element. */
function refMaxPool(
  x: readonly number[],
  [n, c, h, w]: Quad,
  [kh, kw]: [number, number],
  [sh, sw]: [number, number],
  [top, left, bottom, right]: Quad,
  [dh, dw]: [number, number],
  ceil: boolean,
): { data: number[]; shape: Quad } | null {
  const oh = outSize(h, kh, sh, dh, top, bottom, ceil);
  const ow = outSize(w, kw, sw, dw, left, right, ceil);
  const data: number[] = [];
  for (let p = 0; p < n * c; p++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        let m = Number.NEGATIVE_INFINITY;
        let any = false;
        for (let a = 0; a < kh; a++) {
          for (let b = 0; b < kw; b++) {
            const y = i * sh - top + a * dh;
            const z = j * sw - left + b * dw;
            if (y < 0 || y >= h || z < 0 || z >= w) continue;
            any = true;
            m = Math.max(m, x[(p * h + y) * w + z]!);
          }
        }
        if (!any) return null;
        data.push(m);
      }
    }
  }
  return { data, shape: [n, c, oh, ow] };
}

describe("maxPool2d", () => {
  it("pools 2×2 blocks, and with padding 1, stride 2, ceilMode (golden)", () => {
    // x = 1..16 as 4×4: the max of each 2×2 block is its bottom-right element
    const x = reshape(arange(1, 17), [1, 1, 4, 4]);
    expect(maxPool2d(x, { kernelSize: 2 }).toArray()).toEqual([
      [
        [
          [6, 8],
          [14, 16],
        ],
      ],
    ]);
    // kernel 3, stride 2, padding 1, ceilMode: rows/cols per window {0,1}, {1,2,3}, {3} (the third
    // starts at 3 < 4 + 1, so it is kept; floor mode would give 2 windows). x[i][j] = 4i + j + 1, so
    // each max is x at the largest row and column: [[x11, x13, x13], [x31, x33, x33], [x31, x33, x33]]
    const y = maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true });
    expect(y.toArray()).toEqual([
      [
        [
          [6, 8, 8],
          [14, 16, 16],
          [14, 16, 16],
        ],
      ],
    ]);
    expect(maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }).shape).toEqual([1, 1, 2, 2]);
    // ceilMode on 5 columns, kernel 2, stride 2: ceil(3/2) + 1 = 3 windows, the last one [4, 5)
    expect(maxPool2d(ones([1, 1, 5, 5]), { kernelSize: 2, ceilMode: true }).shape).toEqual([
      1, 1, 3, 3,
    ]);
    // dilation 2: taps {0, 2} per dim of a 3×3 window → max of x00, x02, x20, x22 = 11
    expect(maxPool2d(x, { kernelSize: 2, dilation: 2, stride: 1 }).toArray()).toEqual([
      [
        [
          [11, 12],
          [15, 16],
        ],
      ],
    ]);
  });

  it("propagates NaN and ignores padding even for negative inputs", () => {
    const x = tensor([Number.NaN, -1, -2, -3], { shape: [1, 1, 2, 2] });
    expect(Number.isNaN(maxPool2d(x, { kernelSize: 2 }).item())).toBe(true);
    const neg = tensor([-5, -6, -7, -8], { shape: [1, 1, 2, 2] });
    // padding is never a candidate: the max of the corner windows is the input value, not 0
    expect(maxPool2d(neg, { kernelSize: 2, stride: 1, padding: 1 }).toArray()).toEqual([
      [
        [
          [-5, -5, -6],
          [-5, -5, -6],
          [-7, -7, -8],
        ],
      ],
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
          dh: fc.integer({ min: 1, max: 2 }),
          dw: fc.integer({ min: 1, max: 2 }),
          pads: fc.tuple(
            fc.integer({ min: 0, max: 2 }),
            fc.integer({ min: 0, max: 2 }),
            fc.integer({ min: 0, max: 2 }),
            fc.integer({ min: 0, max: 2 }),
          ),
          ceil: fc.boolean(),
        })
        .filter(
          (g) =>
            g.h + g.pads[0] + g.pads[2] >= (g.kh - 1) * g.dh + 1 &&
            g.w + g.pads[1] + g.pads[3] >= (g.kw - 1) * g.dw + 1,
        )
        .chain((g) => fc.tuple(fc.constant(g), arbValues(g.n * g.c * g.h * g.w))),
    ],
    { numRuns: 100 },
  )("matches a naive window loop (or rejects windows entirely in the padding)", ([g, x]) => {
    tidy(() => {
      const shape: Quad = [g.n, g.c, g.h, g.w];
      const ref = refMaxPool(x, shape, [g.kh, g.kw], [g.sh, g.sw], g.pads, [g.dh, g.dw], g.ceil);
      const run = () =>
        maxPool2d(tensor(x, { shape }), {
          kernelSize: [g.kh, g.kw],
          stride: [g.sh, g.sw],
          padding: g.pads,
          dilation: [g.dh, g.dw],
          ceilMode: g.ceil,
        });
      if (ref === null) {
        expect(run).toThrow(/maxPool2d: a window lies entirely in the padding/);
        return;
      }
      const y = run();
      expect(y.shape).toEqual(ref.shape);
      expectClose(y, ref.data);
    });
  });

  it("has the right gradient (each window's maximum gets dy; overlaps add)", () => {
    tidy(() => {
      // distinct values, far apart relative to the finite-difference step
      const x = transpose(randn([2, 5, 6, 3], { seed: 11 }), [0, 3, 1, 2]);
      for (const opts of [
        { kernelSize: 2 },
        { kernelSize: 3, stride: 2, padding: 1, ceilMode: true },
        { kernelSize: [2, 3] as [number, number], stride: 1, dilation: [2, 1] as [number, number] },
      ]) {
        const r = randn(maxPool2d(x, opts).shape, { seed: 12 });
        expectGrad((xi) => maxPool2d(xi!, opts).mul(r).sum(), [x]);
      }
    });
  });

  it("rejects bad input with typed errors", () => {
    tidy(() => {
      const x = ones([1, 2, 4, 4]);
      expect(() => maxPool2d(ones([2, 4, 4]), { kernelSize: 2 })).toThrow(
        /maxPool2d: x must have rank 4/,
      );
      expect(() => maxPool2d(x.cast("int32"), { kernelSize: 2 })).toThrow(DTypeError);
      expect(() => maxPool2d(x, undefined as never)).toThrow(
        /maxPool2d: options with a kernelSize are required/,
      );
      expect(() => maxPool2d(x, {} as never)).toThrow(
        /maxPool2d: kernelSize must be an integer ≥ 1/,
      );
      expect(() => maxPool2d(x, { kernelSize: 0 })).toThrow(ArgumentError);
      expect(() => maxPool2d(x, { kernelSize: 2, stride: 0 })).toThrow(/maxPool2d: stride must be/);
      expect(() => maxPool2d(x, { kernelSize: 2, dilation: 1.5 })).toThrow(ArgumentError);
      expect(() => maxPool2d(x, { kernelSize: 2, padding: -1 })).toThrow(
        /maxPool2d: padding must be/,
      );
      expect(() => maxPool2d(x, { kernelSize: 2, ceilMode: 1 as never })).toThrow(
        /ceilMode must be a boolean/,
      );
      expect(() => maxPool2d(x, { kernelSize: 5 })).toThrow(
        /maxPool2d: kernel larger than the padded input/,
      );
      expect(() => maxPool2d(x, { kernelSize: 2, padding: 2 })).toThrow(ShapeError);
    });
  });
});
