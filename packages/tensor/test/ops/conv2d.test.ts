import {
  ArgumentError,
  arange,
  conv2d,
  DTypeError,
  ones,
  randn,
  reshape,
  ShapeError,
  tensor,
  tidy,
  transpose,
} from "@edgenn/tensor";
import { arbValues, expectClose, expectGrad, expectNoLeaks } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

type Quad = [number, number, number, number];

/**
 * Convolution by its definition, seven nested loops over (n, o, oh, ow, c, kh, kw), in float64:
 * y[n,o,oh,ow] = bias[o] + Σ x[n, g·Cg + c, oh·sh − top + kh·dh, ow·sw − left + kw·dw]·w[o,c,kh,kw].
 */
function refConv2d(
  x: readonly number[],
  [n, cIn, h, wd]: Quad,
  w: readonly number[],
  [o, cg, kh, kw]: Quad,
  bias: readonly number[] | null,
  [sh, sw]: [number, number],
  [top, left, bottom, right]: Quad,
  [dh, dw]: [number, number],
  groups: number,
): { data: number[]; shape: Quad } {
  const outH = Math.floor((h + top + bottom - (dh * (kh - 1) + 1)) / sh) + 1;
  const outW = Math.floor((wd + left + right - (dw * (kw - 1) + 1)) / sw) + 1;
  const og = o / groups;
  const data: number[] = [];
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < o; oc++) {
      const g = Math.floor(oc / og);
      for (let i = 0; i < outH; i++) {
        for (let j = 0; j < outW; j++) {
          let s = bias ? bias[oc]! : 0;
          for (let c = 0; c < cg; c++) {
            for (let a = 0; a < kh; a++) {
              for (let e = 0; e < kw; e++) {
                const ih = i * sh - top + a * dh;
                const iw = j * sw - left + e * dw;
                if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                const xv = x[((b * cIn + g * cg + c) * h + ih) * wd + iw]!;
                s += xv * w[((oc * cg + c) * kh + a) * kw + e]!;
              }
            }
          }
          data.push(s);
        }
      }
    }
  }
  return { data, shape: [n, o, outH, outW] };
}

/** Random conv geometry, with an input just large enough for the padded, dilated kernel or more. */
const arbConv = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }),
    groups: fc.integer({ min: 1, max: 3 }),
    cg: fc.integer({ min: 1, max: 3 }),
    og: fc.integer({ min: 1, max: 3 }),
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
    extraH: fc.integer({ min: 0, max: 6 }),
    extraW: fc.integer({ min: 0, max: 6 }),
    hasBias: fc.boolean(),
  })
  .chain((g) => {
    const h = Math.max(1, (g.kh - 1) * g.dh + 1 - g.pads[0] - g.pads[2] + g.extraH);
    const w = Math.max(1, (g.kw - 1) * g.dw + 1 - g.pads[1] - g.pads[3] + g.extraW);
    const xShape: Quad = [g.n, g.cg * g.groups, h, w];
    const wShape: Quad = [g.og * g.groups, g.cg, g.kh, g.kw];
    return fc.record({
      g: fc.constant(g),
      xShape: fc.constant(xShape),
      wShape: fc.constant(wShape),
      x: arbValues(xShape.reduce((a, b) => a * b, 1)),
      w: arbValues(wShape.reduce((a, b) => a * b, 1)),
      bias: arbValues(wShape[0]),
    });
  });

describe("conv2d", () => {
  it("computes a hand-derived 3×3 convolution with padding 1 and a bias", () => {
    // x = [[1,2,3],[4,5,6],[7,8,9]], w = Sobel-x [[1,0,-1],[2,0,-2],[1,0,-1]] (cross-correlation),
    // zero padding 1: y = (left column − right column of each window), rows weighted 1,2,1.
    // y[0,0] = 0 − (1·0 + 2·2 + 1·5) = −9;  y[0,1] = (2·1 + 4) − (2·3 + 6) = −6;  y[0,2] = 2·2 + 5 = 9
    // y[1,0] = −(2 + 2·5 + 8) = −20;       y[1,1] = (1 + 8 + 7) − (3 + 12 + 9) = −8;  y[1,2] = 20
    // y[2,0] = −(5 + 2·8) = −21;           y[2,1] = (4 + 14) − (6 + 18) = −6;        y[2,2] = 21
    // plus bias 0.5 everywhere
    const x = reshape(arange(1, 10), [1, 1, 3, 3]);
    const w = tensor([1, 0, -1, 2, 0, -2, 1, 0, -1], { shape: [1, 1, 3, 3] });
    const y = conv2d(x, w, tensor([0.5]), { padding: 1 });
    expect(y.shape).toEqual([1, 1, 3, 3]);
    expectClose(y, [-8.5, -5.5, 9.5, -19.5, -7.5, 20.5, -20.5, -5.5, 21.5]);
  });

  it("computes strided, 'valid' and 'same' examples", () => {
    // x = 1..16 as 4×4, 2×2 window of ones, stride 2: sums of the four 2×2 blocks
    // [1+2+5+6, 3+4+7+8, 9+10+13+14, 11+12+15+16] = [14, 22, 46, 54]
    const x = reshape(arange(1, 17), [1, 1, 4, 4]);
    expectClose(
      conv2d(x, ones([1, 1, 2, 2]), null, { stride: 2, padding: "valid" }),
      [14, 22, 46, 54],
    );
    // 'same' with stride 2 on 4 columns and a 2-wide kernel: out = ceil(4/2) = 2, total pad
    // (2−1)·2 + 2 − 4 = 0: the same blocks
    expect(conv2d(x, ones([1, 1, 2, 2]), null, { stride: 2, padding: "same" }).shape).toEqual([
      1, 1, 2, 2,
    ]);
    // 'same', stride 1, 2×2 kernel on 4×4: total pad 1, all of it at the end (SAME_UPPER):
    // the last row/column sums only the in-range values: y[3,3] = x[3,3] = 16, y[0,3] = 4 + 8 = 12
    const s = conv2d(x, ones([1, 1, 2, 2]), null, { padding: "same" });
    expect(s.shape).toEqual([1, 1, 4, 4]);
    expect(s.toArray()).toEqual([
      [
        [
          [14, 18, 22, 12],
          [30, 34, 38, 20],
          [46, 50, 54, 28],
          [27, 29, 31, 16],
        ],
      ],
    ]);
  });

  fcTest.prop([arbConv], { numRuns: 80 })(
    "matches a naive 7-loop convolution (strides, asymmetric pads, dilation, groups)",
    ({ g, xShape, wShape, x, w, bias }) => {
      tidy(() => {
        const expected = refConv2d(
          x,
          xShape,
          w,
          wShape,
          g.hasBias ? bias : null,
          [g.sh, g.sw],
          g.pads,
          [g.dh, g.dw],
          g.groups,
        );
        const y = conv2d(
          tensor(x, { shape: xShape }),
          tensor(w, { shape: wShape }),
          g.hasBias ? tensor(bias) : undefined,
          { stride: [g.sh, g.sw], padding: g.pads, dilation: [g.dh, g.dw], groups: g.groups },
        );
        expect(y.shape).toEqual(expected.shape);
        expectClose(y, expected.data, { rtol: 1e-4, atol: 1e-4 });
      });
    },
  );

  it("runs the depthwise, pointwise and grouped paths like the reference", () => {
    tidy(() => {
      const cases: { xs: Quad; ws: Quad; groups: number; opts: object; pads: Quad; s: number }[] = [
        // depthwise (groups = inC = outC), stride 2, asymmetric padding
        {
          xs: [2, 4, 7, 6],
          ws: [4, 1, 3, 3],
          groups: 4,
          opts: { stride: 2 },
          pads: [1, 0, 2, 1],
          s: 2,
        },
        // pointwise 1×1, stride 1, no padding: the GEMM reads x directly
        { xs: [2, 6, 5, 3], ws: [5, 6, 1, 1], groups: 1, opts: {}, pads: [0, 0, 0, 0], s: 1 },
        // grouped pointwise
        { xs: [1, 6, 4, 4], ws: [4, 3, 1, 1], groups: 2, opts: {}, pads: [0, 0, 0, 0], s: 1 },
      ];
      let seed = 1;
      for (const c of cases) {
        const x = randn(c.xs, { seed: seed++ });
        const w = randn(c.ws, { seed: seed++ });
        const b = randn([c.ws[0]], { seed: seed++ });
        const y = conv2d(x, w, b, { ...c.opts, padding: c.pads, groups: c.groups });
        const ref = refConv2d(
          Array.from(x.dataSync()),
          c.xs,
          Array.from(w.dataSync()),
          c.ws,
          Array.from(b.dataSync()),
          [c.s, c.s],
          c.pads,
          [1, 1],
          c.groups,
        );
        expect(y.shape).toEqual(ref.shape);
        expectClose(y, ref.data, { rtol: 1e-4, atol: 1e-4 });
      }
    });
  });

  it("reads strided (non-contiguous) inputs", () => {
    tidy(() => {
      // x given as the transpose of an NHWC tensor: materialised before the kernel
      const nhwc = randn([2, 5, 4, 3], { seed: 7 });
      const x = transpose(nhwc, [0, 3, 1, 2]);
      const w = randn([2, 3, 2, 2], { seed: 8 });
      const ref = refConv2d(
        Array.from(x.dataSync()),
        [2, 3, 5, 4],
        Array.from(w.dataSync()),
        [2, 3, 2, 2],
        null,
        [1, 1],
        [0, 1, 1, 0],
        [1, 1],
        1,
      );
      expectClose(conv2d(x, w, null, { padding: [0, 1, 1, 0] }), ref.data, {
        rtol: 1e-4,
        atol: 1e-4,
      });
    });
  });

  it("has the right gradients with respect to x, w and bias", () => {
    const configs: { xs: Quad; ws: Quad; opts: Record<string, unknown> }[] = [
      { xs: [2, 2, 5, 4], ws: [3, 2, 3, 2], opts: { stride: [2, 1], padding: [1, 0, 0, 1] } },
      { xs: [1, 4, 5, 5], ws: [2, 2, 2, 2], opts: { groups: 2, dilation: 2, padding: 1 } },
      { xs: [2, 3, 4, 4], ws: [3, 1, 3, 3], opts: { groups: 3, stride: 2, padding: "same" } },
      { xs: [2, 3, 3, 2], ws: [2, 3, 1, 1], opts: {} },
    ];
    let seed = 20;
    for (const c of configs) {
      tidy(() => {
        const x = randn(c.xs, { seed: seed++ });
        const w = randn(c.ws, { seed: seed++ });
        const b = randn([c.ws[0]], { seed: seed++ });
        const y0 = conv2d(x, w, b, c.opts);
        const r = randn(y0.shape, { seed: seed++ });
        // L = Σ r ⊙ conv2d(x, w, b): dL/dy = r, so every output position carries a distinct weight
        expectGrad((xi, wi, bi) => conv2d(xi!, wi!, bi!, c.opts).mul(r).sum(), [x, w, b]);
      });
    }
  });

  it("rejects bad ranks, dtypes, channels, groups, sizes and options with typed errors", () => {
    tidy(() => {
      const x = ones([1, 4, 5, 5]);
      const w = ones([2, 4, 3, 3]);
      expect(() => conv2d(ones([4, 5, 5]), w)).toThrow(ShapeError);
      expect(() => conv2d(ones([4, 5, 5]), w)).toThrow(/conv2d: x must have rank 4/);
      expect(() => conv2d(x, ones([2, 4, 3]))).toThrow(/conv2d: w must have rank 4/);
      expect(() => conv2d(x.cast("int32"), w)).toThrow(DTypeError);
      expect(() => conv2d(x, ones([2, 3, 3, 3]))).toThrow(/conv2d: weight channels do not match/);
      expect(() => conv2d(x, ones([3, 2, 3, 3]), null, { groups: 2 })).toThrow(
        /conv2d: channels must divide by groups/,
      );
      expect(() => conv2d(x, ones([2, 1, 3, 3]), null, { groups: 3 })).toThrow(ShapeError);
      expect(() => conv2d(x, w, ones([3]))).toThrow(/conv2d: bias must have shape \[2\]/);
      expect(() => conv2d(x, w, ones([2]).cast("int32"))).toThrow(DTypeError);
      expect(() => conv2d(x, ones([2, 4, 6, 3]))).toThrow(
        /conv2d: kernel larger than the padded input/,
      );
      expect(() => conv2d(x, w, null, { dilation: 3 })).toThrow(ShapeError);
      expect(conv2d(x, ones([2, 4, 6, 3]), null, { padding: 1 }).shape).toEqual([1, 2, 2, 5]);
      for (const bad of [{ stride: 0 }, { stride: -1 }, { stride: 1.5 }, { stride: [1] }]) {
        expect(() => conv2d(x, w, null, bad as never)).toThrow(
          /conv2d: stride must be an integer ≥ 1/,
        );
      }
      expect(() => conv2d(x, w, null, { dilation: 0 })).toThrow(ArgumentError);
      expect(() => conv2d(x, w, null, { groups: 0 })).toThrow(
        /conv2d: groups must be an integer ≥ 1/,
      );
      expect(() => conv2d(x, w, null, { groups: 1.5 })).toThrow(ArgumentError);
      for (const bad of [-1, 0.5, [1, 2, 3], "full", Number.NaN]) {
        expect(() => conv2d(x, w, null, { padding: bad as never })).toThrow(
          /conv2d: padding must be/,
        );
      }
      expect(() => conv2d(x, w, 3 as never)).toThrow(/conv2d: bias must be a Tensor/);
      expect(() => conv2d(x, w, null, 5 as never)).toThrow(/conv2d: options must be an object/);
    });
  });

  it("releases its intermediates (a strided input's copy, scratch tensors)", () => {
    const x = transpose(randn([1, 4, 4, 2], { seed: 3 }), [0, 3, 1, 2]);
    const w = randn([3, 2, 2, 2], { seed: 4 });
    expectNoLeaks(() => conv2d(x, w, null, { padding: 1 }).dispose(), { steps: 20 });
    x.dispose();
    w.dispose();
  });
});
