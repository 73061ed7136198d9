/*
 * ONNX MatMulInteger / ConvInteger (int8 and uint8, int32 outputs) and uint8 QLinear models
 * through the importer. References are naive loops written here: Σ (a − za)(b − zb) wrapped to
 * int32, ONNX's QuantizeLinear/DequantizeLinear formulas, and for the QLinear ops `@edgenn/quant`'s
 * int8 reference on the values moved by 128 plus a float check within one step.
 */
import { referenceConv2d, referenceLinear, requantMultipliers } from "@edgenn/quant";
import { ModelFormatError, OutOfMemoryError } from "@edgenn/tensor/errors";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { OutputMap } from "../src/index.js";
import { fromOnnx, onnxToGraph } from "../src/onnx.js";
import { rng } from "./helpers.js";
import { type Attr, floatTensor, model, nd, T, type TensorSpec } from "./onnx-encoder.js";

/** `n` seeded integers in [lo, hi]. */
function ints(n: number, seed: number, lo: number, hi: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => lo + Math.floor(((r() + 1) / 2) * (hi - lo + 1)));
}

const U8 = T.UINT8;
const I8 = T.INT8;
const tz = (name: string, dims: number[], values: number[], type: number): TensorSpec => ({
  name,
  dims,
  type,
  values,
});
const arr = (type: number, v: number[]) => (type === U8 ? Uint8Array.from(v) : Int8Array.from(v));
const data = (r: unknown) => Array.from((r as { data: ArrayLike<number> }).data);
const at = (z: number[] | undefined, i: number) => (z ? z[z.length === 1 ? 0 : i]! : 0);

/** y[i, j] = wrap32(Σₚ (a[i, p] − za_i)(b[p, j] − zb_j)), a [m, k], b [k, n]. */
function refMatMul(
  a: number[],
  za: number[] | undefined,
  b: number[],
  zb: number[] | undefined,
  m: number,
  k: number,
  n: number,
): number[] {
  const y: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) acc += (a[i * k + p]! - at(za, i)) * (b[p * n + j]! - at(zb, j));
      y.push(acc | 0);
    }
  }
  return y;
}

interface MM {
  m: number;
  k: number;
  n: number;
  ta: number;
  tb: number;
  a: number[];
  b: number[];
  za?: number[] | undefined;
  zb?: number[] | undefined;
  /** B a graph input (the plain loop) rather than an initializer. */
  bIn?: boolean;
  /** a 1-D A [k]. */
  vec?: boolean;
}

/** y = MatMulInteger(a, b, za?, zb?) with za, zb initializers (a 1-element one as a scalar). */
function mmModel(o: MM): Uint8Array {
  const zdims = (z: number[]) => (z.length === 1 ? [] : [z.length]);
  const aDims = o.vec ? [o.k] : [o.m, o.k];
  return model({
    inputs: [
      { name: "a", type: o.ta, dims: aDims },
      ...(o.bIn ? [{ name: "b", type: o.tb, dims: [o.k, o.n] }] : []),
    ],
    outputs: [{ name: "y", type: T.INT32, dims: o.vec ? [o.n] : [o.m, o.n] }],
    inits: [
      ...(o.bIn ? [] : [tz("b", [o.k, o.n], o.b, o.tb)]),
      ...(o.za ? [tz("za", zdims(o.za), o.za, o.ta)] : []),
      ...(o.zb ? [tz("zb", zdims(o.zb), o.zb, o.tb)] : []),
    ],
    nodes: [
      {
        ...nd("MatMulInteger", ["a", "b", o.za ? "za" : "", o.zb ? "zb" : ""], "y"),
        name: "mmi",
      },
    ],
  });
}

function runMM(o: MM): number[] {
  const s = fromOnnx(mmModel(o));
  const a = arr(o.ta, o.a);
  return data(o.bIn ? s.run({ a, b: arr(o.tb, o.b) }) : s.run(a));
}

describe("ONNX MatMulInteger", () => {
  it("hand-computed: (a − 1)·b for int8", () => {
    // a − 1 = [[0,1,2],[3,4,5]]; b = [[1,0],[0,1],[1,1]]
    // y = [[0+0+2, 0+1+2], [3+0+5, 0+4+5]] = [[2,3],[8,9]]
    const o = { m: 2, k: 3, n: 2, ta: I8, tb: I8, a: [1, 2, 3, 4, 5, 6], b: [1, 0, 0, 1, 1, 1] };
    for (const bIn of [false, true]) {
      expect(runMM({ ...o, za: [1], bIn })).toEqual([2, 3, 8, 9]);
    }
    // no zero points: a·b = [[1+3, 2+3], [4+6, 5+6]]
    expect(runMM(o)).toEqual([4, 5, 10, 11]);
  });

  it("hand-computed: uint8 with zero points at the extremes", () => {
    // a = [0, 255], za = 255 → a − za = [−255, 0]; b = [[255], [0]], zb = 0 → y = −255·255
    const o = { m: 1, k: 2, n: 1, ta: U8, tb: U8, a: [0, 255], b: [255, 0] };
    expect(runMM({ ...o, za: [255], zb: [0] })).toEqual([-65025]);
    // zb = 255: b − zb = [0, −255] → y = −255·0 + 0·(−255) = 0; za = 0: a·(b − 255) = −65025
    expect(runMM({ ...o, za: [255], zb: [255] })).toEqual([0]);
    expect(runMM({ ...o, za: [0], zb: [255] })).toEqual([-65025]);
    // no zero points: uint8 zero point 0 → 0·255 + 255·0 = 0
    expect(runMM(o)).toEqual([0]);
  });

  it("wraps the int32 accumulator like ONNX Runtime (K = 40000 products of 255·255)", () => {
    const k = 40000;
    // Σ = 40000·65025 = 2,601,000,000 > 2³¹ − 1 → 2,601,000,000 − 2³² = −1,693,967,296
    const o = { m: 1, k, n: 1, ta: U8, tb: U8, a: Array(k).fill(255), b: Array(k).fill(255) };
    expect(runMM(o)).toEqual([-1693967296]);
  });

  it("equals the reference loop over random shapes, types and zero points", () => {
    const arb = fc
      .record({
        m: fc.integer({ min: 1, max: 6 }),
        k: fc.integer({ min: 1, max: 40 }),
        n: fc.integer({ min: 1, max: 19 }),
        ta: fc.constantFrom(U8, I8),
        tb: fc.constantFrom(U8, I8),
        zaKind: fc.constantFrom("none", "tensor", "row"),
        zbKind: fc.constantFrom("none", "tensor", "column"),
        bIn: fc.boolean(),
        vec: fc.boolean(),
        seed: fc.integer({ min: 1, max: 1e6 }),
      })
      .map((r) => ({ ...r, m: r.vec ? 1 : r.m }));
    fc.assert(
      fc.property(arb, (r) => {
        const lim = (t: number) => (t === U8 ? [0, 255] : [-128, 127]) as [number, number];
        const a = ints(r.m * r.k, r.seed, ...lim(r.ta));
        // narrow weights around the zero point (the packed GEMM) or the whole range (the loop)
        const b = ints(r.k * r.n, r.seed + 1, ...lim(r.tb));
        const z = (kind: string, len: number, t: number, seed: number) =>
          kind === "none" ? undefined : ints(kind === "tensor" ? 1 : len, seed, ...lim(t));
        const za = z(r.zaKind, r.m, r.ta, r.seed + 2);
        const zb = z(r.zbKind, r.n, r.tb, r.seed + 3);
        const o = { ...r, a, b, za, zb };
        expect(runMM(o)).toEqual(refMatMul(a, za, b, zb, r.m, r.k, r.n));
        // uint8 b = 128 ± 100 with zero point 128: b − zb fits int8 (the packed GEMM)
        const bNear = b.map((v) => (r.tb === U8 ? 128 + (v % 100) : v));
        const zNear = r.tb === U8 ? [128] : undefined;
        expect(runMM({ ...o, b: bNear, zb: zNear })).toEqual(
          refMatMul(a, za, bNear, zNear, r.m, r.k, r.n),
        );
      }),
      { numRuns: 40 },
    );
  });

  it("broadcasts batch dims: A [2, 3, 4] @ B [4, 5], and A [3, 4] @ B [2, 4, 5]", () => {
    const a = ints(24, 11, 0, 255);
    const b = ints(40, 12, -128, 127);
    const run = (aDims: number[], bDims: number[], bIn: boolean) => {
      const s = fromOnnx(
        model({
          inputs: [
            { name: "a", type: U8, dims: aDims },
            ...(bIn ? [{ name: "b", type: I8, dims: bDims }] : []),
          ],
          outputs: [{ name: "y", type: T.INT32, dims: [2, 3, 5] }],
          inits: [
            tz("za", [], [7], U8),
            ...(bIn
              ? []
              : [
                  tz(
                    "b",
                    bDims,
                    b.slice(
                      0,
                      bDims.reduce((x, y) => x * y),
                    ),
                    I8,
                  ),
                ]),
          ],
          nodes: [nd("MatMulInteger", ["a", "b", "za"], "y")],
        }),
      );
      const aa = Uint8Array.from(
        a.slice(
          0,
          aDims.reduce((x, y) => x * y),
        ),
      );
      return data(bIn ? s.run({ a: aa, b: Int8Array.from(b) }) : s.run(aa));
    };
    // batch i of A [2, 3, 4] times the one B [4, 5]
    const ref1 = [0, 1].flatMap((i) => refMatMul(a.slice(12 * i), [7], b, undefined, 3, 4, 5));
    expect(run([2, 3, 4], [4, 5], false)).toEqual(ref1);
    // the one A [3, 4] times batch i of B [2, 4, 5]
    const ref2 = [0, 1].flatMap((i) => refMatMul(a, [7], b.slice(20 * i), undefined, 3, 4, 5));
    expect(run([3, 4], [2, 4, 5], true)).toEqual(ref2);
  });

  it("rejects zero points of the wrong shape or type, naming the node", () => {
    const o = { m: 2, k: 3, n: 2, ta: U8, tb: I8, a: [1, 2, 3, 4, 5, 6], b: [1, 0, 0, 1, 1, 1] };
    // zb per column needs 2 elements
    expect(() => runMM({ ...o, zb: [0, 0, 0] })).toThrow(ModelFormatError);
    expect(() => runMM({ ...o, zb: [0, 0, 0] })).toThrow(
      /"mmi".*zero point \(input 3\) "zb" must be a scalar or 1-D of 1 or 2 elements/,
    );
    // za per row needs 2 elements
    expect(() => runMM({ ...o, za: [1, 2, 3] })).toThrow(/"mmi".*input 2.*1 or 2 elements/);
    // a uint8 with an int8 zero point
    const mixed = model({
      inputs: [{ name: "a", type: U8, dims: [1, 2] }],
      outputs: [{ name: "y", type: T.INT32, dims: [1, 1] }],
      inits: [tz("b", [2, 1], [1, 1], I8), tz("za", [], [3], I8)],
      nodes: [{ ...nd("MatMulInteger", ["a", "b", "za"], "y"), name: "mmi" }],
    });
    expect(() => onnxToGraph(mixed)).toThrow(ModelFormatError);
    expect(() => onnxToGraph(mixed)).toThrow(
      /node 0 "mmi" \(MatMulInteger\): the zero point \(input 2\) is int8 but its data is uint8/,
    );
    // a float operand
    const float = model({
      inputs: [{ name: "a", dims: [1, 2] }],
      outputs: [{ name: "y", type: T.INT32, dims: [1, 1] }],
      inits: [tz("b", [2, 1], [1, 1], I8)],
      nodes: [{ ...nd("MatMulInteger", ["a", "b"], "y"), name: "mmi" }],
    });
    expect(() => onnxToGraph(float)).toThrow(/"mmi".*input 0 must be int8 or uint8, got float32/);
    // inner dimensions
    expect(() => runMM({ ...o, k: 2, a: [1, 2, 3, 4] })).toThrow(ModelFormatError);
  });
});

interface Conv {
  x: number[];
  w: number[];
  xDims: number[];
  wDims: number[];
  tx: number;
  tw: number;
  zx?: number[] | undefined;
  zw?: number[] | undefined;
  attrs?: Record<string, Attr>;
  outHW: [number, number];
  /** w a graph input (the plain loop) rather than an initializer. */
  wIn?: boolean;
}

/** y = ConvInteger(x, w, zx?, zw?), w an initializer. */
function convModel(o: Conv): Uint8Array {
  const [n] = o.xDims as [number];
  const [outC] = o.wDims as [number];
  return model({
    inputs: [
      { name: "x", type: o.tx, dims: o.xDims },
      ...(o.wIn ? [{ name: "w", type: o.tw, dims: o.wDims }] : []),
    ],
    outputs: [{ name: "y", type: T.INT32, dims: [n, outC, ...o.outHW] }],
    inits: [
      ...(o.wIn ? [] : [tz("w", o.wDims, o.w, o.tw)]),
      ...(o.zx ? [tz("zx", [], o.zx, o.tx)] : []),
      ...(o.zw ? [tz("zw", o.zw.length === 1 ? [] : [o.zw.length], o.zw, o.tw)] : []),
    ],
    nodes: [
      {
        ...nd("ConvInteger", ["x", "w", o.zx ? "zx" : "", o.zw ? "zw" : ""], "y", o.attrs),
        name: "ci",
      },
    ],
  });
}

/** The naive ConvInteger: every tap of every window, padding adding 0. */
function refConv(o: Conv, s: number[], p: number[], d: number[], g: number): number[] {
  const [n, c, h, w] = o.xDims as [number, number, number, number];
  const [m, cg, kh, kw] = o.wDims as [number, number, number, number];
  const [oh, ow] = o.outHW;
  const zx = o.zx?.[0] ?? 0;
  const y: number[] = [];
  for (let b = 0; b < n; b++)
    for (let oc = 0; oc < m; oc++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          let acc = 0;
          const group = Math.floor(oc / (m / g));
          for (let ci = 0; ci < cg; ci++)
            for (let u = 0; u < kh; u++)
              for (let v = 0; v < kw; v++) {
                const r = i * s[0]! - p[0]! + u * d[0]!;
                const q = j * s[1]! - p[1]! + v * d[1]!;
                if (r < 0 || r >= h || q < 0 || q >= w) continue;
                const xv = o.x[((b * c + group * cg + ci) * h + r) * w + q]! - zx;
                acc += xv * (o.w[((oc * cg + ci) * kh + u) * kw + v]! - at(o.zw, oc));
              }
          y.push(acc | 0);
        }
  return y;
}

function runConv(o: Conv): number[] {
  const s = fromOnnx(convModel(o));
  const x = arr(o.tx, o.x);
  return data(o.wIn ? s.run({ x, w: arr(o.tw, o.w) }) : s.run(x));
}

describe("ONNX ConvInteger", () => {
  it("hand-computed: 2×2 windows of uint8 x − 1 with w − 1 = 1", () => {
    // x − zx = [[0,1,2],[3,4,5],[6,7,8]], w − zw = all 1 → window sums
    // [[0+1+3+4, 1+2+4+5], [3+4+6+7, 4+5+7+8]] = [[8, 12], [20, 24]]
    const o: Conv = {
      x: [1, 2, 3, 4, 5, 6, 7, 8, 9],
      w: [2, 2, 2, 2],
      xDims: [1, 1, 3, 3],
      wDims: [1, 1, 2, 2],
      tx: U8,
      tw: U8,
      zx: [1],
      zw: [1],
      outHW: [2, 2],
    };
    expect(runConv(o)).toEqual([8, 12, 20, 24]);
    // pads 1 all round: the corner window sees x − zx = 0 only (padding adds 0) → [0 + 0 + 0 + 0]
    const padded = runConv({ ...o, attrs: { pads: [1, 1, 1, 1] }, outHW: [4, 4] });
    expect(padded[0]).toBe(0);
    expect(padded[5]).toBe(8);
  });

  it("equals the reference loop (pads, strides, dilations, groups, per-channel zero points)", () => {
    const pad = fc.integer({ min: 0, max: 2 });
    const arb = fc.record({
      tx: fc.constantFrom(U8, I8),
      tw: fc.constantFrom(U8, I8),
      g: fc.constantFrom(1, 2),
      cg: fc.integer({ min: 1, max: 3 }),
      mg: fc.integer({ min: 1, max: 3 }),
      h: fc.integer({ min: 3, max: 7 }),
      w: fc.integer({ min: 3, max: 7 }),
      kh: fc.integer({ min: 1, max: 3 }),
      kw: fc.integer({ min: 1, max: 3 }),
      s: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
      dil: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.constant(1)),
      p: fc.tuple(pad, pad, pad, pad),
      zKind: fc.constantFrom("none", "tensor", "channel"),
      wIn: fc.boolean(),
      seed: fc.integer({ min: 1, max: 1e6 }),
    });
    let checked = 0;
    fc.assert(
      fc.property(arb, (r) => {
        const c = r.g * r.cg;
        const m = r.g * r.mg;
        const spanH = r.dil[0] * (r.kh - 1) + 1;
        const spanW = r.kw;
        const oh = Math.floor((r.h + r.p[0] + r.p[2] - spanH) / r.s[0]) + 1;
        const ow = Math.floor((r.w + r.p[1] + r.p[3] - spanW) / r.s[1]) + 1;
        if (oh < 1 || ow < 1) return;
        const lim = (t: number) => (t === U8 ? [0, 255] : [-128, 127]) as [number, number];
        const o: Conv = {
          x: ints(2 * c * r.h * r.w, r.seed, ...lim(r.tx)),
          w: ints(m * r.cg * r.kh * r.kw, r.seed + 1, ...lim(r.tw)),
          xDims: [2, c, r.h, r.w],
          wDims: [m, r.cg, r.kh, r.kw],
          tx: r.tx,
          tw: r.tw,
          zx: r.zKind === "none" ? undefined : ints(1, r.seed + 2, ...lim(r.tx)),
          zw:
            r.zKind === "none"
              ? undefined
              : ints(r.zKind === "tensor" ? 1 : m, r.seed + 3, ...lim(r.tw)),
          attrs: { strides: r.s, dilations: r.dil, pads: r.p, group: r.g },
          outHW: [oh, ow],
          wIn: r.wIn,
        };
        const pads = [r.p[0], r.p[1]];
        expect(runConv(o)).toEqual(refConv(o, r.s, pads, r.dil, r.g));
        checked++;
      }),
      { numRuns: 40 },
    );
    expect(checked).toBeGreaterThan(20);
  });

  it("auto_pad SAME_UPPER: output 3×3 for 3×3 input and kernel 2×2", () => {
    // SAME_UPPER: total pad 1 per dim, 0 before and 1 after → pads [0, 0, 1, 1]
    const o: Conv = {
      x: ints(9, 21, -128, 127),
      w: ints(4, 22, -128, 127),
      xDims: [1, 1, 3, 3],
      wDims: [1, 1, 2, 2],
      tx: I8,
      tw: I8,
      zx: [-128],
      attrs: { auto_pad: "SAME_UPPER" },
      outHW: [3, 3],
    };
    expect(runConv(o)).toEqual(refConv(o, [1, 1], [0, 0], [1, 1], 1));
  });

  it("runs more than one patch chunk: 20×17 = 340 output positions, group 2", () => {
    const o: Conv = {
      x: ints(4 * 20 * 17, 23, 0, 255),
      w: ints(6 * 2 * 3 * 3, 24, -128, 127),
      xDims: [1, 4, 20, 17],
      wDims: [6, 2, 3, 3],
      tx: U8,
      tw: I8,
      zx: [77],
      attrs: { pads: [1, 1, 1, 1], group: 2 },
      outHW: [20, 17],
    };
    const want = refConv(o, [1, 1], [1, 1], [1, 1], 2);
    expect(runConv(o)).toEqual(want);
    expect(runConv({ ...o, wIn: true })).toEqual(want);
  });

  it("rejects a per-channel x_zero_point, a w_zero_point of the wrong length and mixed types", () => {
    const o: Conv = {
      x: [1, 2, 3, 4],
      w: [1, 1],
      xDims: [1, 1, 2, 2],
      wDims: [2, 1, 1, 1],
      tx: U8,
      tw: I8,
      outHW: [2, 2],
    };
    expect(() => runConv({ ...o, zw: [0, 0, 0] })).toThrow(ModelFormatError);
    expect(() => runConv({ ...o, zw: [0, 0, 0] })).toThrow(
      /"ci".*zero point \(input 3\) "zw" must be a scalar or 1-D of 1 or 2 elements/,
    );
    const perChannelX = model({
      inputs: [{ name: "x", type: U8, dims: [1, 2, 1, 1] }],
      outputs: [{ name: "y", type: T.INT32, dims: [1, 1, 1, 1] }],
      inits: [tz("w", [1, 2, 1, 1], [1, 1], I8), tz("zx", [2], [1, 2], U8)],
      nodes: [{ ...nd("ConvInteger", ["x", "w", "zx"], "y"), name: "ci" }],
    });
    expect(() => fromOnnx(perChannelX)).toThrow(/"ci".*input 2.*must be a scalar or 1-D of 1 el/);
    const mixed = model({
      inputs: [{ name: "x", type: U8, dims: [1, 1, 1, 1] }],
      outputs: [{ name: "y", type: T.INT32, dims: [1, 1, 1, 1] }],
      inits: [tz("w", [1, 1, 1, 1], [1], I8), tz("zw", [], [1], U8)],
      nodes: [{ ...nd("ConvInteger", ["x", "w", "", "zw"], "y"), name: "ci" }],
    });
    expect(() => onnxToGraph(mixed)).toThrow(
      /node 0 "ci" \(ConvInteger\): the zero point \(input 3\) is uint8 but its data is int8/,
    );
    // 1-D convolution is not supported: a clear error, not a crash
    const conv1d = model({
      inputs: [{ name: "x", type: I8, dims: [1, 1, 4] }],
      outputs: [{ name: "y", type: T.INT32, dims: [1, 1, 4] }],
      inits: [tz("w", [1, 1, 1], [1], I8)],
      nodes: [{ ...nd("ConvInteger", ["x", "w"], "y"), name: "ci" }],
    });
    expect(() => fromOnnx(conv1d)).toThrow(/"ci".*must be 4-D/);
  });
});

describe("uint8 QuantizeLinear / DequantizeLinear", () => {
  const s = Math.fround(0.1);
  /** x float [6] → QuantizeLinear → q uint8 → DequantizeLinear → y float. */
  const qdq = (zp: number | null) =>
    model({
      inputs: [{ name: "x", dims: [6] }],
      outputs: [
        { name: "q", type: U8, dims: [6] },
        { name: "y", dims: [6] },
      ],
      inits: [floatTensor("s", [], [s]), ...(zp === null ? [] : [tz("z", [], [zp], U8)])],
      nodes: [
        nd("QuantizeLinear", ["x", "s", zp === null ? "" : "z"], "q"),
        nd("DequantizeLinear", ["q", "s", zp === null ? "" : "z"], "y"),
      ],
    });
  // x/0.1 = [−30, −0.5, 0.25, 2.5, 3.5, 40] (float32) → round half even [−30, 0, 0, 2, 4, 40]
  const x = Float32Array.from([-3, -0.05, 0.025, 0.25, 0.35, 4]);
  const q = (zp: number) =>
    Array.from(x, (v) => {
      const r = Math.fround(v / s);
      const f = Math.floor(r);
      const even = r - f === 0.5 ? (f % 2 === 0 ? f : f + 1) : Math.round(r);
      return Math.min(Math.max(even + zp, 0), 255);
    });

  it("q = clamp(round(x/s) + zp, 0, 255) and y = s·(q − zp), zero point 0 (none), 128, 255", () => {
    for (const zp of [null, 128, 255, 0]) {
      const r = fromOnnx(qdq(zp)).run(x) as OutputMap;
      const z = zp ?? 0;
      const want = q(z);
      expect(r.q!.data).toBeInstanceOf(Uint8Array);
      expect(Array.from(r.q!.data)).toEqual(want);
      expect(Array.from(r.y!.data)).toEqual(want.map((v) => Math.fround(s * (v - z))));
    }
    // saturation both ways with zero point 0: −30 → 0, 40 → 40; zero point 255: 40 → 255
    expect(q(0)[0]).toBe(0);
    expect(q(255)[5]).toBe(255);
  });

  it("dequantizes a uint8 model input, and refuses a declared type that disagrees", () => {
    const bytes = model({
      inputs: [{ name: "q", type: U8, dims: [3] }],
      outputs: [{ name: "y", dims: [3] }],
      inits: [floatTensor("s", [], [0.5]), tz("z", [], [200], U8)],
      nodes: [nd("DequantizeLinear", ["q", "s", "z"], "y")],
    });
    // 0.5·([0, 200, 255] − 200) = [−100, 0, 27.5]
    expect(data(fromOnnx(bytes).run(Uint8Array.from([0, 200, 255])))).toEqual([-100, 0, 27.5]);
    const wrong = model({
      inputs: [{ name: "x", dims: [2] }],
      outputs: [{ name: "q", type: I8, dims: [2] }],
      inits: [floatTensor("s", [], [0.5])],
      nodes: [nd("QuantizeLinear", ["x", "s"], "q")],
    });
    expect(() => onnxToGraph(wrong)).toThrow(ModelFormatError);
    expect(() => onnxToGraph(wrong)).toThrow(
      /output 0 "q": is declared int8 but computed as uint8/,
    );
    const mixed = model({
      inputs: [{ name: "q", type: I8, dims: [2] }],
      outputs: [{ name: "y", dims: [2] }],
      inits: [floatTensor("s", [], [0.5]), tz("z", [], [1], U8)],
      nodes: [{ ...nd("DequantizeLinear", ["q", "s", "z"], "y"), name: "dq" }],
    });
    expect(() => onnxToGraph(mixed)).toThrow(/"dq" \(DequantizeLinear\): the zero point is uint8/);
  });
});

describe("uint8 QLinearMatMul / QLinearConv (onnxruntime's default quantization)", () => {
  const f = Math.fround;
  const [XS, XZ, YS, YZ] = [f(0.02), 131, f(0.3), 120];

  /** QLinearMatMul(a uint8 [n, k], b [k, m] of type tw with zero point(s) wz) → y uint8. */
  function mm(
    n: number,
    k: number,
    m: number,
    b: number[],
    tw: number,
    wz: number[],
    bs: number[],
  ) {
    return model({
      inputs: [{ name: "a", type: U8, dims: [n, k] }],
      outputs: [{ name: "y", type: U8, dims: [n, m] }],
      inits: [
        floatTensor("xs", [], [XS]),
        tz("xz", [], [XZ], U8),
        tz("b", [k, m], b, tw),
        floatTensor("bs", [bs.length], bs),
        tz("bz", wz.length === 1 ? [] : [wz.length], wz, tw),
        floatTensor("ys", [], [YS]),
        tz("yz", [], [YZ], U8),
      ],
      nodes: [
        {
          ...nd("QLinearMatMul", ["a", "xs", "xz", "b", "bs", "bz", "ys", "yz"], "y"),
          name: "qmm",
        },
      ],
    });
  }

  const [n, k, m] = [5, 29, 6];
  const a = ints(n * k, 31, 0, 255);
  const bs = ints(m, 32, 1, 9).map((v) => f(v / 1000));

  for (const [label, tw, wz, b] of [
    ["uint8 weights, zero point 128", U8, [128], ints(k * m, 33, 0, 255)],
    [
      "uint8 weights, per-column zero points",
      U8,
      [100, 128, 150, 90, 128, 200],
      ints(k * m, 34, 0, 255),
    ],
    ["int8 weights, zero point 0", I8, [0], ints(k * m, 35, -127, 127)],
  ] as const) {
    it(`equals the int8 reference moved by 128 and the float result within one step (${label})`, () => {
      // keep b − zb within int8
      const bb = b.map((v, i) =>
        Math.min(
          Math.max(v, wz[wz.length === 1 ? 0 : i % m]! - 128),
          wz[wz.length === 1 ? 0 : i % m]! + 127,
        ),
      );
      const y = data(fromOnnx(mm(n, k, m, bb, tw, [...wz], bs)).run(Uint8Array.from(a)));
      // the int8 reference: x − 128 with zero point XZ − 128, weights b − zb as [m, k], output zero
      // point YZ − 128; then + 128
      const wt = Array.from({ length: m * k }, (_, i) => {
        const [j, p] = [Math.floor(i / k), i % k];
        return bb[p * m + j]! - wz[wz.length === 1 ? 0 : j]!;
      });
      const rq = {
        ...requantMultipliers(XS, bs, YS),
        outZeroPoint: YZ - 128,
        actMin: -128,
        actMax: 127,
      };
      const ref = referenceLinear(
        a.map((v) => v - 128),
        XZ - 128,
        wt,
        null,
        n,
        m,
        k,
        rq,
      );
      expect(y).toEqual(Array.from(ref, (v) => v + 128));
      // the float result: clamp(round(xs·bs_j/ys·Σ (a − za)(b − zb)) + yz, 0, 255), within 1
      const acc = refMatMul(a, [XZ], bb, [...wz], n, k, m);
      acc.forEach((v, i) => {
        const real = Math.min(Math.max(Math.round((XS * bs[i % m]! * v) / YS) + YZ, 0), 255);
        expect(Math.abs(y[i]! - real)).toBeLessThanOrEqual(1);
      });
      expect(new Set(y).size).toBeGreaterThan(10);
    });
  }

  it("saturates to 0 and 255", () => {
    // a = 255: a − za = 124; b − zb = 255 − 128 = 127: Σ = 29·124·127 = 456,692, real
    // 0.02·0.01/0.3·456,692 ≈ 304 → 304 + 120 > 255; b − zb = 0 − 128: ≈ −306 + 120 < 0
    const big = Array(m).fill(f(0.01));
    const run = (bv: number) =>
      data(
        fromOnnx(mm(1, k, m, Array(k * m).fill(bv), U8, [128], big)).run(
          new Uint8Array(k).fill(255),
        ),
      );
    expect(run(255)).toEqual(Array(m).fill(255));
    expect(run(0)).toEqual(Array(m).fill(0));
  });

  it("QLinearConv: uint8 input, weights and output equal the int8 reference moved by 128", () => {
    const x = ints(2 * 3 * 5 * 4, 41, 0, 255);
    const wzs = [128, 100, 140, 128];
    const w = ints(4 * 3 * 2 * 2, 42, 0, 255).map((v, i) => {
      const z = wzs[Math.floor(i / 12)]!;
      return Math.min(Math.max(v, z - 128), z + 127);
    });
    const ws = [3, 5, 7, 2].map((v) => f(v / 700));
    const bias = ints(4, 43, -2000, 2000);
    const bytes = model({
      inputs: [{ name: "x", type: U8, dims: [2, 3, 5, 4] }],
      outputs: [{ name: "y", type: U8, dims: [2, 4, 3, 4] }],
      inits: [
        floatTensor("xs", [], [XS]),
        tz("xz", [], [XZ], U8),
        tz("w", [4, 3, 2, 2], w, U8),
        floatTensor("ws", [4], ws),
        tz("wz", [4], wzs, U8),
        floatTensor("ys", [], [YS]),
        tz("yz", [], [YZ], U8),
        tz("B", [4], bias, T.INT32),
      ],
      nodes: [
        {
          ...nd("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "B"], "y", {
            pads: [1, 0, 0, 1],
            strides: [2, 1],
          }),
          name: "qconv",
        },
      ],
    });
    const y = data(fromOnnx(bytes).run(Uint8Array.from(x)));
    // outH = ⌊(5 + 1 − 2)/2⌋ + 1 = 3, outW = (4 + 1 − 2)/1 + 1 = 4
    const d = {
      batch: 2,
      inC: 3,
      inH: 5,
      inW: 4,
      outC: 4,
      outH: 3,
      outW: 4,
      kernelH: 2,
      kernelW: 2,
    };
    const p = {
      strideH: 2,
      strideW: 1,
      padTop: 1,
      padLeft: 0,
      dilationH: 1,
      dilationW: 1,
      groups: 1,
    };
    const rq = {
      ...requantMultipliers(XS, ws, YS),
      outZeroPoint: YZ - 128,
      actMin: -128,
      actMax: 127,
    };
    const wc = w.map((v, i) => v - wzs[Math.floor(i / 12)]!);
    const ref = referenceConv2d(
      x.map((v) => v - 128),
      XZ - 128,
      wc,
      bias,
      d,
      p,
      rq,
    );
    expect(y).toEqual(Array.from(ref, (v) => v + 128));
    expect(new Set(y).size).toBeGreaterThan(10);
  });

  it("rejects weights whose w − zero point leaves int8, and mismatched types, naming the node", () => {
    // uint8 weight 0 with zero point 200: 0 − 200 = −200
    const b = Array(k * m).fill(200);
    b[3] = 0;
    expect(() => onnxToGraph(mm(n, k, m, b, U8, [200], bs))).toThrow(ModelFormatError);
    expect(() => onnxToGraph(mm(n, k, m, b, U8, [200], bs))).toThrow(
      /node 0 "qmm" \(QLinearMatMul\): weight 3 minus its zero point is -200, outside int8/,
    );
    // int8 input with a uint8 zero point
    const mixed = model({
      inputs: [{ name: "a", type: I8, dims: [1, 1] }],
      outputs: [{ name: "y", type: U8, dims: [1, 1] }],
      inits: [
        floatTensor("s", [], [0.1]),
        tz("z", [], [3], U8),
        tz("b", [1, 1], [1], I8),
        tz("bz", [], [0], I8),
      ],
      nodes: [
        { ...nd("QLinearMatMul", ["a", "s", "z", "b", "s", "bz", "s", "z"], "y"), name: "qmm" },
      ],
    });
    expect(() => onnxToGraph(mixed)).toThrow(
      /"qmm" \(QLinearMatMul\): the zero point for the input is uint8 but its data is int8/,
    );
    // the weight zero point of the other type than the weights
    const wmixed = model({
      inputs: [{ name: "a", type: U8, dims: [1, 1] }],
      outputs: [{ name: "y", type: U8, dims: [1, 1] }],
      inits: [
        floatTensor("s", [], [0.1]),
        tz("z", [], [3], U8),
        tz("b", [1, 1], [1], U8),
        tz("bz", [], [0], I8),
      ],
      nodes: [
        { ...nd("QLinearMatMul", ["a", "s", "z", "b", "s", "bz", "s", "z"], "y"), name: "qmm" },
      ],
    });
    expect(() => onnxToGraph(wmixed)).toThrow(
      /"qmm".*weight zero point \(input 5\) is int8 but its data is uint8/,
    );
  });

  it("chains uint8 through Reshape into DequantizeLinear (the type follows the graph)", () => {
    // QuantizeLinear (uint8, zp 10) → Reshape [2, 2] → DequantizeLinear: y = 0.5·(q − 10)
    const bytes = model({
      inputs: [{ name: "x", dims: [4] }],
      outputs: [{ name: "y", dims: [2, 2] }],
      inits: [
        floatTensor("s", [], [0.5]),
        tz("z", [], [10], U8),
        { name: "shape", dims: [2], type: T.INT64, values: [2, 2] },
      ],
      nodes: [
        nd("QuantizeLinear", ["x", "s", "z"], "q"),
        nd("Reshape", ["q", "shape"], "r"),
        nd("DequantizeLinear", ["r", "s", "z"], "y"),
      ],
    });
    // x/0.5 = [−40, −1, 2, 300] → q = clamp(· + 10, 0, 255) = [0, 9, 12, 255] → y = [−5, −0.5, 1, 122.5]
    const y = data(fromOnnx(bytes).run(Float32Array.from([-20, -0.5, 1, 150])));
    expect(y).toEqual([-5, -0.5, 1, 122.5]);
  });
});

describe("hostile input", () => {
  it("mutated integer and uint8 models load and run, or fail with ModelFormatError", () => {
    const corpus = [
      mmModel({
        m: 2,
        k: 3,
        n: 2,
        ta: U8,
        tb: U8,
        a: [],
        b: [1, 200, 3, 4, 5, 6],
        za: [9],
        zb: [128],
      }),
      mmModel({
        m: 2,
        k: 3,
        n: 2,
        ta: I8,
        tb: U8,
        a: [],
        b: [1, 2, 3, 4, 5, 6],
        za: [1, 2],
        bIn: true,
      }),
      convModel({
        x: [],
        w: [1, 2, 3, 4, 5, 6, 7, 8],
        xDims: [1, 2, 3, 3],
        wDims: [2, 1, 2, 2],
        tx: U8,
        tw: I8,
        zx: [3],
        zw: [1, 2],
        attrs: { group: 2, pads: [1, 0, 0, 1] },
        outHW: [3, 3],
      }),
    ];
    const ARRAYS = { float32: Float32Array, int32: Int32Array, int8: Int8Array, uint8: Uint8Array };
    const arb = fc.record({
      i: fc.nat(corpus.length - 1),
      edits: fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }),
    });
    let ran = 0;
    fc.assert(
      fc.property(arb, ({ i, edits }) => {
        const b = corpus[i]!.slice();
        for (const [at, v] of edits) b[at % b.length] = v;
        try {
          const s = fromOnnx(b, { maxBytes: 1 << 22 });
          const ins = Object.fromEntries(
            s.inputs.map((v) => {
              const C = ARRAYS[v.dtype as keyof typeof ARRAYS];
              return [v.name, new C(v.shape.reduce((x, y) => x * y, 1))];
            }),
          );
          s.run(ins);
          ran++;
        } catch (e) {
          if (!(e instanceof ModelFormatError || e instanceof OutOfMemoryError)) throw e;
        }
      }),
      { numRuns: 300 },
    );
    expect(ran).toBeGreaterThan(10);
  });
});
