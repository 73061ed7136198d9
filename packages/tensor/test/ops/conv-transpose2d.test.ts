import {
  ArgumentError,
  conv2d,
  convTranspose2d,
  DTypeError,
  ones,
  randn,
  ShapeError,
  tensor,
  tidy,
} from "@edgenn/tensor";
import { arbValues, expectClose, expectGrad } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

type Quad = [number, number, number, number];

/**
 * Transposed convolution by its definition: every input element scatters x·w into the full output,
 * then `top`/`left` rows/columns are cropped at the start and `bottom`/`right` at the end.
 * y[n, g·Og + o, i·sh − top + kh·dh, j·sw − left + kw·dw] += x[n, g·Cg + c, i, j]·w[g·Cg + c, o, kh, kw]
 */
function refConvTranspose2d(
  x: readonly number[],
  [n, c, h, wd]: Quad,
  w: readonly number[],
  [, og, kh, kw]: Quad,
  bias: readonly number[] | null,
  [sh, sw]: [number, number],
  [top, left, bottom, right]: Quad,
  [oph, opw]: [number, number],
  [dh, dw]: [number, number],
  groups: number,
): { data: number[]; shape: Quad } {
  const outH = (h - 1) * sh - top - bottom + (kh - 1) * dh + 1 + oph;
  const outW = (wd - 1) * sw - left - right + (kw - 1) * dw + 1 + opw;
  const o = og * groups;
  const cg = c / groups;
  const data = new Array<number>(n * o * outH * outW).fill(0);
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < o; oc++) {
      const plane = (b * o + oc) * outH * outW;
      for (let k = 0; k < outH * outW; k++) data[plane + k] = bias ? bias[oc]! : 0;
    }
    for (let ci = 0; ci < c; ci++) {
      const g = Math.floor(ci / cg);
      for (let i = 0; i < h; i++) {
        for (let j = 0; j < wd; j++) {
          const xv = x[((b * c + ci) * h + i) * wd + j]!;
          for (let oo = 0; oo < og; oo++) {
            for (let a = 0; a < kh; a++) {
              for (let e = 0; e < kw; e++) {
                const y = i * sh - top + a * dh;
                const z = j * sw - left + e * dw;
                if (y < 0 || y >= outH || z < 0 || z >= outW) continue;
                const oc = g * og + oo;
                data[((b * o + oc) * outH + y) * outW + z]! +=
                  xv * w[((ci * og + oo) * kh + a) * kw + e]!;
              }
            }
          }
        }
      }
    }
  }
  return { data, shape: [n, o, outH, outW] };
}

const arbConvT = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }),
    groups: fc.integer({ min: 1, max: 3 }),
    cg: fc.integer({ min: 1, max: 3 }),
    og: fc.integer({ min: 1, max: 3 }),
    h: fc.integer({ min: 1, max: 5 }),
    w: fc.integer({ min: 1, max: 5 }),
    kh: fc.integer({ min: 1, max: 3 }),
    kw: fc.integer({ min: 1, max: 3 }),
    sh: fc.integer({ min: 1, max: 3 }),
    sw: fc.integer({ min: 1, max: 3 }),
    dh: fc.integer({ min: 1, max: 2 }),
    dw: fc.integer({ min: 1, max: 2 }),
    pads: fc.tuple(
      fc.integer({ min: 0, max: 1 }),
      fc.integer({ min: 0, max: 1 }),
      fc.integer({ min: 0, max: 1 }),
      fc.integer({ min: 0, max: 1 }),
    ),
    outPad: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
    hasBias: fc.boolean(),
  })
  .filter(
    (g) =>
      (g.h - 1) * g.sh - g.pads[0] - g.pads[2] + (g.kh - 1) * g.dh + 1 + g.outPad[0] >= 1 &&
      (g.w - 1) * g.sw - g.pads[1] - g.pads[3] + (g.kw - 1) * g.dw + 1 + g.outPad[1] >= 1,
  )
  .chain((g) => {
    const xShape: Quad = [g.n, g.cg * g.groups, g.h, g.w];
    const wShape: Quad = [g.cg * g.groups, g.og, g.kh, g.kw];
    return fc.record({
      g: fc.constant(g),
      xShape: fc.constant(xShape),
      wShape: fc.constant(wShape),
      x: arbValues(xShape.reduce((a, b) => a * b, 1)),
      w: arbValues(wShape.reduce((a, b) => a * b, 1)),
      bias: arbValues(g.og * g.groups),
    });
  });

describe("convTranspose2d", () => {
  it("stamps the kernel at each input position (golden)", () => {
    // x = [[1,2],[3,4]], w = 2×2 ones, stride 1: each x value adds itself to a 2×2 block of a 3×3
    // output: y = [[1, 1+2, 2], [1+3, 1+2+3+4, 2+4], [3, 3+4, 4]] = [[1,3,2],[4,10,6],[3,7,4]]
    const x = tensor([1, 2, 3, 4], { shape: [1, 1, 2, 2] });
    expect(convTranspose2d(x, ones([1, 1, 2, 2])).toArray()).toEqual([
      [
        [
          [1, 3, 2],
          [4, 10, 6],
          [3, 7, 4],
        ],
      ],
    ]);
    // stride 2, padding 1 crops one row/column at each side of the 4×4 stamp image
    // [[1,1,2,2],[1,1,2,2],[3,3,4,4],[3,3,4,4]] → [[1,2],[3,4]]; bias 10 added
    expect(
      convTranspose2d(x, ones([1, 1, 2, 2]), tensor([10]), { stride: 2, padding: 1 }).toArray(),
    ).toEqual([
      [
        [
          [11, 12],
          [13, 14],
        ],
      ],
    ]);
    // outputPadding 1 adds a last row and column that no input reaches: zero (+ bias)
    const y = convTranspose2d(x, ones([1, 1, 2, 2]), null, { stride: 2, outputPadding: 1 });
    expect(y.shape).toEqual([1, 1, 5, 5]);
    expect(y.toArray()).toEqual([
      [
        [
          [1, 1, 2, 2, 0],
          [1, 1, 2, 2, 0],
          [3, 3, 4, 4, 0],
          [3, 3, 4, 4, 0],
          [0, 0, 0, 0, 0],
        ],
      ],
    ]);
    // 'same': output = input·stride = 4×4, here with no cropping needed
    expect(
      convTranspose2d(x, ones([1, 1, 2, 2]), null, { stride: 2, padding: "same" }).shape,
    ).toEqual([1, 1, 4, 4]);
  });

  fcTest.prop([arbConvT], { numRuns: 80 })(
    "matches a naive scatter loop (strides, pads, output padding, dilation, groups)",
    ({ g, xShape, wShape, x, w, bias }) => {
      tidy(() => {
        const expected = refConvTranspose2d(
          x,
          xShape,
          w,
          wShape,
          g.hasBias ? bias : null,
          [g.sh, g.sw],
          g.pads,
          g.outPad,
          [g.dh, g.dw],
          g.groups,
        );
        const y = convTranspose2d(
          tensor(x, { shape: xShape }),
          tensor(w, { shape: wShape }),
          g.hasBias ? tensor(bias) : null,
          {
            stride: [g.sh, g.sw],
            padding: g.pads,
            outputPadding: g.outPad,
            dilation: [g.dh, g.dw],
            groups: g.groups,
          },
        );
        expect(y.shape).toEqual(expected.shape);
        expectClose(y, expected.data, { rtol: 1e-4, atol: 1e-4 });
      });
    },
  );

  it("is the adjoint of conv2d: ⟨conv2d(a, w), b⟩ = ⟨a, convTranspose2d(b, w)⟩", () => {
    tidy(() => {
      const opts = {
        stride: 2,
        padding: [1, 0, 0, 1] as [number, number, number, number],
        groups: 2,
      };
      const a = randn([2, 4, 7, 6], { seed: 1 });
      const w = randn([6, 2, 3, 2], { seed: 2 });
      const y = conv2d(a, w, null, opts);
      const b = randn(y.shape, { seed: 3 });
      // conv2d weights [O, C/g, kH, kW] are convTranspose2d weights [inC = O, outC/g = C/g, …]
      // the conv drops a last row and column (7 → 3 → 6, 6 → 3 → 5): outputPadding restores them
      const back = convTranspose2d(b, w, null, { ...opts, outputPadding: 1 });
      expect(back.shape).toEqual(a.shape);
      expectClose(y.mul(b).sum(), a.mul(back).sum().item(), { rtol: 1e-4, atol: 1e-4 });
    });
  });

  it("has the right gradients with respect to x, w and bias", () => {
    const configs: { xs: Quad; ws: Quad; opts: Record<string, unknown> }[] = [
      {
        xs: [2, 2, 3, 3],
        ws: [2, 3, 3, 2],
        opts: { stride: [2, 1], padding: [1, 0, 0, 1], outputPadding: [1, 0] },
      },
      { xs: [1, 4, 3, 2], ws: [4, 1, 2, 2], opts: { groups: 2, dilation: 2 } },
      { xs: [1, 3, 3, 3], ws: [3, 1, 3, 3], opts: { groups: 3, stride: 2, padding: "same" } },
    ];
    let seed = 30;
    for (const c of configs) {
      tidy(() => {
        const x = randn(c.xs, { seed: seed++ });
        const w = randn(c.ws, { seed: seed++ });
        const o = c.ws[1] * ((c.opts.groups as number | undefined) ?? 1);
        const b = randn([o], { seed: seed++ });
        const r = randn(convTranspose2d(x, w, b, c.opts).shape, { seed: seed++ });
        expectGrad((xi, wi, bi) => convTranspose2d(xi!, wi!, bi!, c.opts).mul(r).sum(), [x, w, b]);
      });
    }
  });

  it("rejects bad ranks, dtypes, channels and options with typed errors", () => {
    tidy(() => {
      const x = ones([1, 4, 3, 3]);
      const w = ones([4, 2, 2, 2]);
      expect(() => convTranspose2d(ones([4, 3, 3]), w)).toThrow(
        /convTranspose2d: x must have rank 4/,
      );
      expect(() => convTranspose2d(x, ones([4, 2, 2]))).toThrow(ShapeError);
      expect(() => convTranspose2d(x.cast("int32"), w)).toThrow(DTypeError);
      expect(() => convTranspose2d(x, ones([3, 2, 2, 2]))).toThrow(
        /convTranspose2d: weight channels do not match/,
      );
      expect(() => convTranspose2d(x, w, null, { groups: 3 })).toThrow(/must divide by groups/);
      expect(() => convTranspose2d(x, w, ones([3]))).toThrow(/bias must have shape \[2\]/);
      expect(() => convTranspose2d(x, w, null, { stride: 0 })).toThrow(ArgumentError);
      expect(() => convTranspose2d(x, w, null, { outputPadding: -1 })).toThrow(
        /convTranspose2d: outputPadding must be an integer ≥ 0/,
      );
      // full size (3 − 1)·1 + 2 = 4; cropping 2 + 2 leaves nothing
      expect(() => convTranspose2d(x, w, null, { padding: 2 })).toThrow(
        /convTranspose2d: padding crops the whole output/,
      );
      // 'same' needs k_eff + outputPadding ≥ stride: 2 < 3
      expect(() => convTranspose2d(x, w, null, { stride: 3, padding: "same" })).toThrow(ShapeError);
    });
  });
});
