/*
 * ONNX QLinearMatMul / QLinearConv (int8) through the importer: constant scales and zero points
 * become qlinearGemm / qlinearConv attributes, QLinearMatMul's b [K, N] is transposed to [N, K];
 * outputs equal `@edgenn/quant`'s referenceLinear / referenceConv2d exactly.
 */
import { referenceConv2d, referenceLinear, requantMultipliers } from "@edgenn/quant";
import { ModelFormatError } from "@edgenn/tensor/errors";
import { describe, expect, it } from "vitest";
import { fromOnnx, onnxToGraph } from "../src/onnx.js";
import { rng } from "./helpers.js";
import { type Attr, floatTensor, model, nd, T, type TensorSpec } from "./onnx-encoder.js";

/** `n` seeded integers in [lo, hi]. */
function ints(n: number, seed: number, lo: number, hi: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => lo + Math.floor(((r() + 1) / 2) * (hi - lo + 1)));
}

const i8 = (name: string, dims: number[], values: number[], type: number = T.INT8): TensorSpec => ({
  name,
  dims,
  type,
  values,
});
const f = Math.fround;
const rqOf = (xs: number, ws: number[], ys: number, yz: number) => ({
  ...requantMultipliers(xs, ws, ys),
  outZeroPoint: yz,
  actMin: -128,
  actMax: 127,
});

const [XS, XZ, YS, YZ] = [f(0.05), 3, f(0.4), -5];

/** y = QLinearMatMul(a int8 [n, k], b int8 [k, m]) with per-column (or one) b_scale. */
function matmulModel(n: number, k: number, m: number, b: number[], bs: number[], extra = {}) {
  const o = {
    x: i8("xz", [], [XZ]),
    w: i8("b", [k, m], b),
    wz: i8("bz", [], [0]) as TensorSpec | null,
    ...extra,
  };
  return model({
    inputs: [{ name: "a", type: T.INT8, dims: [n, k] }],
    outputs: [{ name: "y", type: T.INT8, dims: [n, m] }],
    inits: [
      floatTensor("xs", [], [XS]),
      o.x,
      o.w,
      floatTensor("bs", bs.length === 1 ? [] : [bs.length], bs),
      ...(o.wz ? [o.wz] : []),
      floatTensor("ys", [], [YS]),
      i8("yz", [], [YZ]),
    ],
    nodes: [
      {
        ...nd("QLinearMatMul", ["a", "xs", "xz", "b", "bs", o.wz ? "bz" : "", "ys", "yz"], "y"),
        name: "qmm",
      },
    ],
  });
}

const out = (r: unknown) => Array.from((r as { data: Int8Array }).data);

describe("ONNX QLinearMatMul", () => {
  const [n, k, m] = [3, 37, 5];
  const b = ints(k * m, 1, -127, 127);
  const bs = ints(m, 2, 1, 9).map((v) => f(v / 1000));
  // the runtime's weights [m, k]: wt[j, p] = b[p, j]
  const wt = Array.from({ length: m * k }, (_, i) => b[(i % k) * m + Math.floor(i / k)]!);

  it("imports as qlinearGemm with the transposed weights and the quantization attributes", () => {
    const g = onnxToGraph(matmulModel(n, k, m, b, bs));
    expect(g.nodes.map((x) => [x.op, x.inputs, x.attrs])).toEqual([
      [
        "qlinearGemm",
        ["a", "b_transposed"],
        { xScale: XS, xZeroPoint: XZ, wScales: bs, yScale: YS, yZeroPoint: YZ, activation: "none" },
      ],
    ]);
    expect(g.initializers.map((t) => [t.name, t.dtype, t.shape])).toEqual([
      ["b_transposed", "int8", [m, k]],
    ]);
    expect(Array.from(g.initializers[0]!.data)).toEqual(wt);
  });

  it("runs equal to referenceLinear (per-column and per-tensor b_scale, no b_zero_point)", () => {
    const x = ints(n * k, 3, -128, 127);
    for (const [scales, wz] of [
      [bs, undefined],
      [[bs[0]!], null],
    ] as const) {
      const y = fromOnnx(matmulModel(n, k, m, b, [...scales], wz === null ? { wz: null } : {})).run(
        Int8Array.from(x),
      );
      const ws = Array.from({ length: m }, (_, j) => scales[scales.length === 1 ? 0 : j]!);
      const ref = referenceLinear(x, XZ, wt, null, n, m, k, rqOf(XS, ws, YS, YZ));
      expect(out(y)).toEqual(Array.from(ref));
      // not vacuous: the outputs vary
      expect(new Set(out(y)).size).toBeGreaterThan(5);
    }
  });

  it("rejects mismatched zero-point types, b − b_zero_point outside int8 and non-constant weights, naming the node", () => {
    const u8 = (extra: object) => () => onnxToGraph(matmulModel(n, k, m, b, bs, extra));
    expect(u8({ x: i8("xz", [], [3], T.UINT8) })).toThrow(ModelFormatError);
    expect(u8({ x: i8("xz", [], [3], T.UINT8) })).toThrow(
      /node 0 "qmm" \(QLinearMatMul\): the zero point for the input is uint8 but its data is int8/,
    );
    expect(u8({ w: i8("b", [k, m], b.map(Math.abs), T.UINT8) })).toThrow(
      /"qmm" \(QLinearMatMul\): the weight zero point \(input 5\) is int8 but its data is uint8/,
    );
    // b − 127 leaves int8 for every b < −1
    expect(u8({ wz: i8("bz", [m], [0, 0, 127, 0, 0]) })).toThrow(
      /"qmm".*weight \d+ minus its zero point is -\d+, outside int8/,
    );
    expect(() => onnxToGraph(matmulModel(n, k, m, b, [0.1, 0.2]))).toThrow(
      /weight scale \(input 4\) of 1 or 5 elements/,
    );
    const dynamic = model({
      inputs: [
        { name: "a", type: T.INT8, dims: [1, 2] },
        { name: "b", type: T.INT8, dims: [2, 2] },
      ],
      outputs: [{ name: "y", type: T.INT8, dims: [1, 2] }],
      inits: [floatTensor("s", [], [0.1]), i8("z", [], [0])],
      nodes: [nd("QLinearMatMul", ["a", "s", "z", "b", "s", "z", "s", "z"], "y")],
    });
    expect(() => onnxToGraph(dynamic)).toThrow(/QLinearMatMul\): needs constant int8 2-D weights/);
  });
});

/** QLinearConv of x int8 [2, 4, 7, 6] with w int8 [6, 4/g, 3, 2], bias, per-channel w_scale. */
function convModel(
  attrs: Readonly<Record<string, number | readonly number[] | string>>,
  wz = 0,
  withBias = true,
) {
  const g = typeof attrs.group === "number" ? attrs.group : 1;
  const w = ints(6 * (4 / g) * 6, 5, -127, 127);
  const ws = ints(6, 6, 1, 9).map((v) => f(v / 500));
  const bias = ints(6, 7, -3000, 3000);
  const bytes = model({
    inputs: [{ name: "x", type: T.INT8, dims: [2, 4, 7, 6] }],
    outputs: [{ name: "y", type: T.INT8, dims: [2, 6, null, null] }],
    inits: [
      floatTensor("xs", [], [XS]),
      i8("xz", [], [XZ]),
      i8("w", [6, 4 / g, 3, 2], w),
      floatTensor("ws", [6], ws),
      i8("wz", [], [wz]),
      floatTensor("ys", [], [YS]),
      i8("yz", [], [YZ]),
      i8("B", [6], bias, T.INT32),
    ],
    nodes: [
      {
        ...nd(
          "QLinearConv",
          ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", ...(withBias ? ["B"] : [])],
          "y",
          attrs as Record<string, Attr>,
        ),
        name: "qconv",
      },
    ],
  });
  return { bytes, w, ws, bias: withBias ? bias : null };
}

describe("ONNX QLinearConv", () => {
  const x = ints(2 * 4 * 7 * 6, 8, -128, 127);

  for (const [label, attrs, geo] of [
    [
      "pads, strides, dilations, bias",
      { pads: [1, 0, 2, 1], strides: [2, 1], dilations: [1, 2] },
      // outH = ⌊(7 + 1 + 2 − 3)/2⌋ + 1 = 4, outW = (6 + 0 + 1 − (2·1 + 1))/1 + 1 = 5
      {
        outH: 4,
        outW: 5,
        padTop: 1,
        padLeft: 0,
        strideH: 2,
        strideW: 1,
        dilationH: 1,
        dilationW: 2,
        groups: 1,
      },
    ],
    [
      "group 2, auto_pad SAME_UPPER",
      { group: 2, auto_pad: "SAME_UPPER" },
      // SAME: total pad H 2 → 1+1, W 1 → 0+1
      {
        outH: 7,
        outW: 6,
        padTop: 1,
        padLeft: 0,
        strideH: 1,
        strideW: 1,
        dilationH: 1,
        dilationW: 1,
        groups: 2,
      },
    ],
  ] as const) {
    it(`runs equal to referenceConv2d (${label})`, () => {
      for (const withBias of [true, false]) {
        const { bytes, w, ws, bias } = convModel({ ...attrs }, 0, withBias);
        const y = fromOnnx(bytes).run(Int8Array.from(x));
        const { outH, outW, ...p } = geo;
        const d = { batch: 2, inC: 4, inH: 7, inW: 6, outC: 6, outH, outW, kernelH: 3, kernelW: 2 };
        const ref = referenceConv2d(x, XZ, w, bias, d, p, rqOf(XS, ws, YS, YZ));
        expect((y as unknown as { shape: number[] }).shape).toEqual([2, 6, outH, outW]);
        expect(out(y)).toEqual(Array.from(ref));
        expect(new Set(out(y)).size).toBeGreaterThan(10);
      }
    });
  }

  it("imports as qlinearConv: the ONNX attributes plus the quantization attributes", () => {
    const { ws } = convModel({});
    const g = onnxToGraph(convModel({ group: 2, pads: [1, 1, 1, 1] }).bytes);
    expect(g.nodes.map((n) => [n.op, n.inputs, n.attrs])).toEqual([
      [
        "qlinearConv",
        ["x", "w", "B"],
        {
          group: 2,
          pads: [1, 1, 1, 1],
          xScale: XS,
          xZeroPoint: XZ,
          wScales: ws,
          yScale: YS,
          yZeroPoint: YZ,
          activation: "none",
        },
      ],
    ]);
  });

  it("rejects w − w_zero_point outside int8 and a non-int32 bias, naming the node; runs uint8", () => {
    // w − 127 leaves int8 for every w < −1
    expect(() => onnxToGraph(convModel({}, 127).bytes)).toThrow(ModelFormatError);
    expect(() => onnxToGraph(convModel({}, 127).bytes)).toThrow(
      /node 0 "qconv" \(QLinearConv\): weight \d+ minus its zero point is -\d+, outside int8/,
    );
    const u8 = model({
      inputs: [{ name: "x", type: T.UINT8, dims: [1, 1, 2, 2] }],
      outputs: [{ name: "y", type: T.UINT8, dims: [1, 1, 2, 2] }],
      inits: [
        floatTensor("s", [], [0.1]),
        i8("z", [], [128], T.UINT8),
        i8("w", [1, 1, 1, 1], [3], T.UINT8),
      ],
      nodes: [nd("QLinearConv", ["x", "s", "z", "w", "s", "z", "s", "z"], "y")],
    });
    // uint8 runs as int8 between two shift128 nodes (onnx-integer.test.ts checks the values)
    expect(onnxToGraph(u8).nodes.map((n) => n.op)).toEqual(["qlinearConv", "shift128", "shift128"]);
    const fBias = model({
      inputs: [{ name: "x", type: T.INT8, dims: [1, 1, 2, 2] }],
      outputs: [{ name: "y", type: T.INT8, dims: [1, 1, 2, 2] }],
      inits: [
        floatTensor("s", [], [0.1]),
        i8("z", [], [0]),
        i8("w", [1, 1, 1, 1], [3]),
        floatTensor("B", [1], [1]),
      ],
      nodes: [nd("QLinearConv", ["x", "s", "z", "w", "s", "z", "s", "z", "B"], "y")],
    });
    expect(() => onnxToGraph(fBias)).toThrow(/bias \(input 8\) "B" must be a constant int32/);
  });
});
