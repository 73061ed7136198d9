import { Conv2d } from "@edgenn/nn";
import {
  ArgumentError,
  assign,
  DTypeError,
  randn,
  ShapeError,
  tensor,
  tidy,
  zeros,
} from "@edgenn/tensor";
import { expectClose, expectModuleGrad } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/** Naive NCHW convolution with symmetric zero padding, stride, dilation and groups. */
function refConv(
  x: ArrayLike<number>,
  [n, c, h, w]: number[],
  wt: ArrayLike<number>,
  [oc, icg, kh, kw]: number[],
  b: ArrayLike<number>,
  { stride, pad, dil, groups }: { stride: number; pad: number; dil: number; groups: number },
): { data: number[]; shape: number[] } {
  const oh = Math.floor((h! + 2 * pad - dil * (kh! - 1) - 1) / stride) + 1;
  const ow = Math.floor((w! + 2 * pad - dil * (kw! - 1) - 1) / stride) + 1;
  const ocg = oc! / groups;
  const data: number[] = [];
  for (let ni = 0; ni < n!; ni++)
    for (let o = 0; o < oc!; o++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          let acc = b[o]!;
          const g = Math.floor(o / ocg);
          for (let ci = 0; ci < icg!; ci++)
            for (let p = 0; p < kh!; p++)
              for (let q = 0; q < kw!; q++) {
                const hi = i * stride - pad + p * dil;
                const wi = j * stride - pad + q * dil;
                if (hi < 0 || hi >= h! || wi < 0 || wi >= w!) continue;
                const cin = g * icg! + ci;
                acc +=
                  x[((ni * c! + cin) * h! + hi) * w! + wi]! *
                  wt[((o * icg! + ci) * kh! + p) * kw! + q]!;
              }
          data.push(acc);
        }
  return { data, shape: [n!, oc!, oh, ow] };
}

describe("Conv2d", () => {
  it("computes y = conv(x, W) + b (golden), and depthwise with groups", () => {
    tidy(() => {
      const conv = new Conv2d(1, 1, 2);
      assign(conv.weight, tensor([1, 2, 3, 4], { shape: [1, 1, 2, 2] }));
      assign(conv.bias!, tensor([1]));
      // x = 1…9 as 3×3; y[0,0] = 1·1 + 2·2 + 4·3 + 5·4 = 37, y[0,1] = 47, y[1,0] = 67, y[1,1] = 77; + 1
      const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], { shape: [1, 1, 3, 3] });
      expect(conv.forward(x).toArray()).toEqual([
        [
          [
            [38, 48],
            [68, 78],
          ],
        ],
      ]);
      // depthwise (groups = 2): weight [2, 1, 1, 1] = [2, −1] scales channel 0 by 2, channel 1 by −1
      const dw = new Conv2d(2, 2, 1, { groups: 2, bias: false });
      expect(dw.weight.shape).toEqual([2, 1, 1, 1]);
      assign(dw.weight, tensor([2, -1], { shape: [2, 1, 1, 1] }));
      expect(dw.forward(tensor([1, 2, 3, 4], { shape: [1, 2, 1, 2] })).toArray()).toEqual([
        [[[2, 4]], [[-3, -4]]],
      ]);
      // padding "same" keeps 5×5 at stride 1; stride 2 gives ceil(5/2) = 3
      const same = new Conv2d(1, 4, 3, { padding: "same", seed: 1 });
      expect(same.forward(zeros([2, 1, 5, 5])).shape).toEqual([2, 4, 5, 5]);
      const s2 = new Conv2d(1, 4, 3, { padding: "same", stride: 2, seed: 1 });
      expect(s2.forward(zeros([2, 1, 5, 5])).shape).toEqual([2, 4, 3, 3]);
      for (const m of [conv, dw, same, s2]) m.dispose();
    });
  });

  it("registers weight [outC, inC/groups, kH, kW] then bias [outC], biases at zero", () => {
    tidy(() => {
      const conv = new Conv2d(4, 6, [3, 2], { groups: 2, seed: 1 });
      expect(conv.namedParameters().map(([n, t]) => [n, t.shape])).toEqual([
        ["weight", [6, 2, 3, 2]],
        ["bias", [6]],
      ]);
      expect(conv.bias!.toArray()).toEqual([0, 0, 0, 0, 0, 0]);
      expect(conv.kernelSize).toEqual([3, 2]);
      expect(conv.stride).toEqual([1, 1]);
      expect(conv.dilation).toEqual([1, 1]);
      expect(new Conv2d(1, 1, 1, { bias: false }).parameters().length).toBe(1);
      conv.dispose();
    });
  });

  fcTest.prop(
    [
      fc.record({
        n: fc.integer({ min: 1, max: 2 }),
        groups: fc.integer({ min: 1, max: 2 }),
        icg: fc.integer({ min: 1, max: 2 }),
        ocg: fc.integer({ min: 1, max: 2 }),
        k: fc.integer({ min: 1, max: 3 }),
        h: fc.integer({ min: 3, max: 6 }),
        w: fc.integer({ min: 3, max: 6 }),
        stride: fc.integer({ min: 1, max: 2 }),
        pad: fc.integer({ min: 0, max: 1 }),
        dil: fc.integer({ min: 1, max: 2 }),
        seed: fc.integer({ min: 0, max: 1000 }),
      }),
    ],
    { numRuns: 30 },
  )(
    "matches a naive convolution loop",
    ({ n, groups, icg, ocg, k, h, w, stride, pad, dil, seed }) => {
      fc.pre((k - 1) * dil + 1 <= Math.min(h, w) + 2 * pad);
      tidy(() => {
        const c = icg * groups;
        const oc = ocg * groups;
        const conv = new Conv2d(c, oc, k, { stride, padding: pad, dilation: dil, groups, seed });
        assign(conv.bias!, randn([oc], { seed: seed + 1 }));
        const x = randn([n, c, h, w], { seed: seed + 2 });
        const expected = refConv(
          x.dataSync(),
          [n, c, h, w],
          conv.weight.dataSync(),
          [oc, icg, k, k],
          conv.bias!.dataSync(),
          { stride, pad, dil, groups },
        );
        const y = conv.forward(x);
        expect(y.shape).toEqual(expected.shape);
        expectClose(y, expected.data, { rtol: 1e-4, atol: 1e-5 });
        conv.dispose();
      });
    },
  );

  it("has the right gradient w.r.t. input, weight and bias (plain, strided+padded, grouped)", () => {
    tidy(() => {
      const plain = new Conv2d(2, 3, 3, { seed: 1 });
      assign(plain.bias!, tensor([0.1, -0.2, 0.3]));
      expectModuleGrad(plain, randn([2, 2, 5, 5], { seed: 2 }));
      const strided = new Conv2d(2, 2, 3, { stride: 2, padding: 1, dilation: 1, seed: 3 });
      expectModuleGrad(strided, randn([1, 2, 5, 4], { seed: 4 }));
      const grouped = new Conv2d(4, 2, 2, { groups: 2, dilation: 2, seed: 5 });
      expectModuleGrad(grouped, randn([1, 4, 5, 5], { seed: 6 }));
      for (const m of [plain, strided, grouped]) m.dispose();
    });
  });

  it("validates its arguments and the input shape with typed errors naming the layer", () => {
    tidy(() => {
      const conv = new Conv2d(1, 8, 3, { seed: 1 });
      expect(() => conv.forward(zeros([2, 3, 28, 28]))).toThrow(ShapeError);
      expect(() => conv.forward(zeros([2, 3, 28, 28]))).toThrow(
        "Conv2d: input has 3 channels (expected 1, got shape [2,3,28,28])",
      );
      expect(() => conv.forward(zeros([2, 784]))).toThrow(
        /Conv2d: input must have rank 4 \(expected \[N, C, H, W\], got shape \[2,784\]\)/,
      );
      expect(() => conv.forward(zeros([1, 1, 2, 2]))).toThrow(ShapeError);
      expect(() => conv.forward(zeros([1, 1, 5, 2]))).toThrow(
        "Conv2d: input is smaller than the kernel (expected padded width ≥ 3, got shape [1,1,5,2] with padding 0)",
      );
      // kernel 2 at dilation 3 spans 4; padding [1, 0] adds 2 rows: height 1 + 2 < 4, 2 + 2 fits
      const dil = new Conv2d(1, 1, 2, { dilation: 3, padding: [1, 0] });
      expect(() => dil.forward(zeros([1, 1, 1, 4]))).toThrow(/expected padded height ≥ 4/);
      expect(dil.forward(zeros([1, 1, 2, 4])).shape).toEqual([1, 1, 1, 1]);
      dil.dispose();
      expect(() => conv.forward(zeros([1, 1, 5, 5], "int32"))).toThrow(DTypeError);
      conv.dispose();
    });
    expect(() => new Conv2d(0, 8, 3)).toThrow(/Conv2d: inChannels must be an integer ≥ 1/);
    expect(() => new Conv2d(3, 8, 3, { groups: 2 })).toThrow(
      /Conv2d: channels must be divisible by groups/,
    );
    expect(() => new Conv2d(1, 8, 0)).toThrow(/Conv2d: kernelSize must be an integer ≥ 1/);
    expect(() => new Conv2d(1, 8, 3, { stride: [1, 0] })).toThrow(/Conv2d: stride/);
    expect(() => new Conv2d(1, 8, 3, { padding: "full" as "same" })).toThrow(
      /Conv2d: padding must be/,
    );
    expect(() => new Conv2d(1, 8, 3, { padding: [1, 1, 1] as unknown as 1 })).toThrow(
      ArgumentError,
    );
    expect(() => new Conv2d(1, 8, 3, { dilation: 1.5 })).toThrow(/Conv2d: dilation/);
  });
});
