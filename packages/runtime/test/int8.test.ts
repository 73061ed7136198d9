/*
 * The runtime's int8 ops against `@edgenn/quant`'s reference (the spec): hand-built int8 graphs
 * whose outputs must equal the reference bit for bit, quantize/dequantize round trips, the
 * loader's checks of quantization attributes, and allocation-free runs.
 */
import v8 from "node:v8";
import vm from "node:vm";
import {
  activationRange,
  dequantizeTensor,
  quantizeBias,
  quantizedAddParams,
  quantizeTensor,
  quantizeWeightsPerChannel,
  referenceAdd,
  referenceAvgPool2d,
  referenceConv2d,
  referenceLinear,
  referenceMaxPool2d,
  requantMultipliers,
} from "@edgenn/quant";
import { ModelFormatError } from "@edgenn/tensor/errors";
import { INT8_MAX_K } from "@edgenn/tensor/kernels";
import { countBufferAllocations } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AttrValue,
  createSession as createCore,
  type Graph,
  type Initializer,
  loadModel as loadCore,
  type Output,
  type OutputMap,
  type Session,
  type SessionOptions,
  saveModel,
  type ValueInfo,
} from "../src/index.js";
import { allOps } from "../src/op-sets.js";
import { f32, node, randArray, rng } from "./helpers.js";

// these ops live in the op sets of `@edgenn/runtime/ops`: every session here takes them
const withOps = (o: SessionOptions = {}): SessionOptions => ({ ...o, ops: allOps });
const createSession = (g: Graph, o?: SessionOptions) => createCore(g, withOps(o));
const loadModel = (b: Uint8Array, o?: SessionOptions) => loadCore(b, withOps(o));

const i8 = (name: string, shape: number[]): ValueInfo => ({ name, dtype: "int8", shape });
const i8init = (name: string, shape: number[], data: Int8Array): Initializer => ({
  name,
  dtype: "int8",
  shape,
  data,
});
const i32init = (name: string, data: Int32Array): Initializer => ({
  name,
  dtype: "int32",
  shape: [data.length],
  data,
});

/** `n` seeded int8 values in [−128, 127]. */
function randInt8(n: number, seed: number): Int8Array {
  const r = rng(seed);
  return Int8Array.from({ length: n }, () => Math.floor((r() + 1) * 128) - 128);
}

/** The requantization parameters the reference takes, from the same scales as the node attrs. */
function rqOf(
  xScale: number,
  wScales: ArrayLike<number>,
  yScale: number,
  yZp: number,
  act: "none" | "relu" | "relu6",
) {
  const { multipliers, shifts } = requantMultipliers(xScale, wScales, yScale);
  const { min, max } = activationRange(act, yScale, yZp);
  return { multipliers, shifts, outZeroPoint: yZp, actMin: min, actMax: max };
}

/** A quantized dense layer: float weights [m, k] quantized per channel, bias at xScale·wScale. */
function qdense(name: string, m: number, k: number, xScale: number, seed: number) {
  const { q, scales } = quantizeWeightsPerChannel(randArray(m * k, seed), m);
  const bias = quantizeBias(randArray(m, seed + 1, 0.5), xScale, scales);
  return {
    q,
    scales: Array.from(scales),
    bias,
    inits: [i8init(`${name}w`, [m, k], q), i32init(`${name}b`, bias)],
  };
}

const f = Math.fround;

describe("quantizeLinear / dequantizeLinear", () => {
  const g = (scale: number, zeroPoint: number, n: number): Graph => ({
    inputs: [f32("x", [n])],
    outputs: [i8("q", [n]), f32("y", [n])],
    nodes: [
      node("quantizeLinear", ["x"], "q", { scale, zeroPoint }),
      node("dequantizeLinear", ["q"], "y", { scale, zeroPoint }),
    ],
    initializers: [],
  });

  it("golden values", () => {
    // scale 0.5, zp −3: q = clamp(roundHalfEven(x/0.5) − 3): 0.25/0.5 = 0.5 → 0 → −3;
    // 0.75/0.5 = 1.5 → 2 → −1; −1.25/0.5 = −2.5 → −2 → −5; 100 → 200 − 3 → 127; −∞ → −128;
    // NaN → the zero point −3
    const s = createSession(g(0.5, -3, 6));
    const x = new Float32Array([0.25, 0.75, -1.25, 100, Number.NEGATIVE_INFINITY, Number.NaN]);
    const r = s.run(x) as OutputMap;
    expect(Array.from(r.q!.data)).toEqual([-3, -1, -5, 127, -128, -3]);
    // y = 0.5·(q + 3): [0, 1, −1, 65, −62.5, 0]
    expect(Array.from(r.y!.data)).toEqual([0, 1, -1, 65, -62.5, 0]);
  });

  fcTest.prop(
    [
      fc.float({ min: f(1e-3), max: 10, noNaN: true }),
      fc.integer({ min: -128, max: 127 }),
      fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: 1, maxLength: 40 }),
    ],
    { numRuns: 60 },
  )("equal the reference; |x − deq(q(x))| ≤ scale/2 inside the range", (scale, zp, u) => {
    const lo = (-128 - zp) * scale;
    const hi = (127 - zp) * scale;
    // values spread over [lo, hi], and a few beyond it
    const x = Float32Array.from(u, (v) => (v < 0 ? -v * lo : v * hi) * 1.05);
    const r = createSession(g(scale, zp, x.length)).run(x) as OutputMap;
    const q = quantizeTensor(x, scale, zp);
    expect(Array.from(r.q!.data)).toEqual(Array.from(q));
    expect(Array.from(r.y!.data)).toEqual(Array.from(dequantizeTensor(q, scale, zp)));
    x.forEach((v, i) => {
      if (v >= lo && v <= hi) {
        expect(Math.abs(v - r.y!.data[i]!)).toBeLessThanOrEqual(
          scale / 2 + 2 ** -24 * Math.abs(v) + 2 ** -24 * Math.abs(r.y!.data[i]!),
        );
      }
    });
  });
});

/** The two-layer quantized MLP: float x → q → dense(relu) → dense → int8 y and float y. */
function mlpGraph(batch: number, k: number, h: number, m: number, seed: number) {
  const xScale = f(2 / 255);
  const xZp = -1;
  const hScale = f(0.05);
  const hZp = -100; // the relu clamps at q(0) = −100
  const yScale = f(0.08);
  const yZp = 5;
  const l1 = qdense("l1", h, k, xScale, seed);
  const l2 = qdense("l2", m, h, hScale, seed + 7);
  const graph: Graph = {
    inputs: [f32("x", [batch, k])],
    outputs: [i8("yq", [batch, m]), f32("y", [batch, m])],
    nodes: [
      node("quantizeLinear", ["x"], "xq", { scale: xScale, zeroPoint: xZp }),
      node("qlinearGemm", ["xq", "l1w", "l1b"], "hq", {
        xScale,
        xZeroPoint: xZp,
        wScales: l1.scales,
        yScale: hScale,
        yZeroPoint: hZp,
        activation: "relu",
      }),
      node("qlinearGemm", ["hq", "l2w", "l2b"], "yq", {
        xScale: hScale,
        xZeroPoint: hZp,
        wScales: l2.scales,
        yScale,
        yZeroPoint: yZp,
      }),
      node("dequantizeLinear", ["yq"], "y", { scale: yScale, zeroPoint: yZp }),
    ],
    initializers: [...l1.inits, ...l2.inits],
  };
  const reference = (x: Float32Array) => {
    const xq = quantizeTensor(x, xScale, xZp);
    const hq = referenceLinear(
      xq,
      xZp,
      l1.q,
      l1.bias,
      batch,
      h,
      k,
      rqOf(xScale, l1.scales, hScale, hZp, "relu"),
    );
    const yq = referenceLinear(
      hq,
      hZp,
      l2.q,
      l2.bias,
      batch,
      m,
      h,
      rqOf(hScale, l2.scales, yScale, yZp, "none"),
    );
    return { yq, y: dequantizeTensor(yq, yScale, yZp) };
  };
  return { graph, reference };
}

describe("qlinearGemm: a 2-layer quantized MLP", () => {
  fcTest.prop(
    [
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 70 }),
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 1, max: 20 }),
      fc.integer({ min: 1, max: 1000 }),
    ],
    { numRuns: 25 },
  )("equals referenceLinear exactly", (batch, k, h, m, seed) => {
    const { graph, reference } = mlpGraph(batch, k, h, m, seed);
    const x = randArray(batch * k, seed + 3);
    const r = createSession(graph).run(x) as OutputMap;
    const ref = reference(x);
    expect(Array.from(r.yq!.data)).toEqual(Array.from(ref.yq));
    expect(Array.from(r.y!.data)).toEqual(Array.from(ref.y));
  });

  it("survives saveModel → loadModel, and without a bias", () => {
    const { graph, reference } = mlpGraph(3, 50, 30, 10, 42);
    const x = randArray(150, 43);
    const r = loadModel(saveModel(graph)).run(x) as OutputMap;
    expect(Array.from(r.yq!.data)).toEqual(Array.from(reference(x).yq));
    // not vacuous: the outputs vary
    expect(new Set(r.yq!.data).size).toBeGreaterThan(10);
    // no bias: "" for the optional input, reference with null
    const w = randInt8(4 * 6, 1);
    const g: Graph = {
      inputs: [i8("x", [2, 6])],
      outputs: [i8("y", [2, 4])],
      nodes: [
        node("qlinearGemm", ["x", "w", ""], "y", {
          xScale: 0.1,
          xZeroPoint: 3,
          wScales: [0.01, 0.02, 0.03, 0.04],
          yScale: 0.2,
          yZeroPoint: -7,
          activation: "relu6",
        }),
      ],
      initializers: [i8init("w", [4, 6], w)],
    };
    const xq = randInt8(12, 2);
    const y = (createSession(g).run(xq) as Output).data;
    const rq = rqOf(0.1, [0.01, 0.02, 0.03, 0.04], 0.2, -7, "relu6");
    expect(Array.from(y)).toEqual(Array.from(referenceLinear(xq, 3, w, null, 2, 4, 6, rq)));
    // relu6 clamps to [q(0), q(6)] = [−7, 23]
    expect(Math.max(...y)).toBeLessThanOrEqual(23);
    expect(Math.min(...y)).toBeGreaterThanOrEqual(-7);
  });
});

/** int8 x [n, c, 7, 7] → conv 3×3 pad 1 (relu6) → maxpool 2×2 s2 → flatten → gemm. */
function cnnGraph(n: number, c: number, oc: number, m: number, group: number, seed: number) {
  const xScale = f(0.04);
  const xZp = 10;
  const cScale = f(0.03);
  const cZp = -100;
  const yScale = f(0.1);
  const yZp = 2;
  const conv = quantizeWeightsPerChannel(randArray(oc * (c / group) * 9, seed), oc);
  const cBias = quantizeBias(randArray(oc, seed + 1, 0.3), xScale, conv.scales);
  const k = oc * 3 * 3;
  const fcl = qdense("fc", m, k, cScale, seed + 2);
  const convAttrs: Record<string, AttrValue> = {
    xScale,
    xZeroPoint: xZp,
    wScales: Array.from(conv.scales),
    yScale: cScale,
    yZeroPoint: cZp,
    activation: "relu6",
    pads: [1, 1, 1, 1],
    group,
  };
  const graph: Graph = {
    inputs: [i8("x", [n, c, 7, 7])],
    outputs: [i8("y", [n, m])],
    nodes: [
      node("qlinearConv", ["x", "cw", "cb"], "h", convAttrs),
      node("qmaxPool2d", ["h"], "p", { kernel_shape: [2, 2], strides: [2, 2] }),
      node("flatten", ["p"], "fl"),
      node("qlinearGemm", ["fl", "fcw", "fcb"], "y", {
        xScale: cScale,
        xZeroPoint: cZp,
        wScales: fcl.scales,
        yScale,
        yZeroPoint: yZp,
      }),
    ],
    initializers: [i8init("cw", [oc, c / group, 3, 3], conv.q), i32init("cb", cBias), ...fcl.inits],
  };
  const reference = (x: Int8Array) => {
    const d = {
      batch: n,
      inC: c,
      inH: 7,
      inW: 7,
      outC: oc,
      outH: 7,
      outW: 7,
      kernelH: 3,
      kernelW: 3,
    };
    const p = {
      strideH: 1,
      strideW: 1,
      padTop: 1,
      padLeft: 1,
      dilationH: 1,
      dilationW: 1,
      groups: group,
    };
    const h = referenceConv2d(
      x,
      xZp,
      conv.q,
      cBias,
      d,
      p,
      rqOf(xScale, conv.scales, cScale, cZp, "relu6"),
    );
    const pd = { planes: n * oc, inH: 7, inW: 7, outH: 3, outW: 3 };
    const pp = {
      kernelH: 2,
      kernelW: 2,
      strideH: 2,
      strideW: 2,
      padTop: 0,
      padLeft: 0,
      dilationH: 1,
      dilationW: 1,
      countIncludePad: false,
    };
    const pooled = referenceMaxPool2d(h, pd, pp, -128, 127);
    return referenceLinear(
      pooled,
      cZp,
      fcl.q,
      fcl.bias,
      n,
      m,
      k,
      rqOf(cScale, fcl.scales, yScale, yZp, "none"),
    );
  };
  return { graph, reference };
}

describe("qlinearConv + qmaxPool2d + flatten + qlinearGemm", () => {
  for (const [what, c, oc, group] of [
    ["dense conv (im2col)", 3, 6, 1],
    ["grouped conv", 4, 6, 2],
    ["depthwise conv", 4, 8, 4],
  ] as const) {
    it(`${what} equals the reference exactly`, () => {
      for (const [n, seed] of [
        [1, 11],
        [2, 12],
      ] as const) {
        const { graph, reference } = cnnGraph(n, c, oc, 5, group, seed);
        const x = randInt8(n * c * 49, seed + 100);
        const y = (loadModel(saveModel(graph)).run(x) as Output).data;
        expect(y).toBeInstanceOf(Int8Array);
        expect(Array.from(y)).toEqual(Array.from(reference(x)));
      }
    });
  }

  it("pointwise conv with strides/dilations, qavgPool2d with count_include_pad, reshape, identity", () => {
    const x = randInt8(2 * 4 * 6 * 6, 5);
    const w = randInt8(3 * 4, 6);
    const ws = [0.01, 0.02, 0.015];
    const rq = rqOf(0.05, ws, 0.07, -20, "none");
    const g: Graph = {
      inputs: [i8("x", [2, 4, 6, 6])],
      outputs: [i8("y", [2, 3, 3, 3]), i8("z", [2, 3, 36])],
      nodes: [
        node("qlinearConv", ["x", "w"], "h", {
          xScale: 0.05,
          xZeroPoint: -5,
          wScales: ws,
          yScale: 0.07,
          yZeroPoint: -20,
        }),
        node("identity", ["h"], "hi"),
        node("qavgPool2d", ["hi"], "y", {
          kernel_shape: [3, 3],
          strides: [2, 2],
          pads: [1, 1, 1, 1],
          count_include_pad: 1,
          zeroPoint: -20,
        }),
        node("reshape", ["h"], "z", { shape: [0, 3, -1] }),
      ],
      initializers: [i8init("w", [3, 4, 1, 1], w)],
    };
    const r = createSession(g).run(x) as OutputMap;
    const d = {
      batch: 2,
      inC: 4,
      inH: 6,
      inW: 6,
      outC: 3,
      outH: 6,
      outW: 6,
      kernelH: 1,
      kernelW: 1,
    };
    const p = {
      strideH: 1,
      strideW: 1,
      padTop: 0,
      padLeft: 0,
      dilationH: 1,
      dilationW: 1,
      groups: 1,
    };
    const h = referenceConv2d(x, -5, w, null, d, p, rq);
    expect(Array.from(r.z!.data)).toEqual(Array.from(h));
    const pd = { planes: 6, inH: 6, inW: 6, outH: 3, outW: 3 };
    const pp = {
      kernelH: 3,
      kernelW: 3,
      strideH: 2,
      strideW: 2,
      padTop: 1,
      padLeft: 1,
      dilationH: 1,
      dilationW: 1,
      countIncludePad: true,
    };
    expect(Array.from(r.y!.data)).toEqual(
      Array.from(referenceAvgPool2d(h, -20, pd, pp, -128, 127)),
    );
    // a strided, dilated conv (im2col path with holes)
    const g2: Graph = {
      ...g,
      outputs: [i8("y", [2, 3, 2, 2])],
      nodes: [
        node("qlinearConv", ["x", "w3"], "y", {
          xScale: 0.05,
          xZeroPoint: -5,
          wScales: ws,
          yScale: 0.07,
          yZeroPoint: -20,
          strides: [2, 2],
          dilations: [2, 2],
        }),
      ],
      initializers: [i8init("w3", [3, 4, 2, 2], randInt8(48, 7))],
    };
    const d2 = { ...d, outH: 2, outW: 2, kernelH: 2, kernelW: 2 };
    const p2 = { ...p, strideH: 2, strideW: 2, dilationH: 2, dilationW: 2 };
    const w3 = g2.initializers[0]!.data as Int8Array;
    expect(Array.from((createSession(g2).run(x) as Output).data)).toEqual(
      Array.from(referenceConv2d(x, -5, w3, null, d2, p2, rq)),
    );
  });
});

describe("qadd", () => {
  const addGraph = (attrs: Record<string, AttrValue>, shape = [2, 3, 5]): Graph => ({
    inputs: [i8("a", shape), i8("b", shape)],
    outputs: [i8("y", shape)],
    nodes: [node("qadd", ["a", "b"], "y", attrs)],
    initializers: [],
  });

  it("golden value", () => {
    // a = 3 at 0.5 (1.5), b = 2 at 0.25 (0.5): y = 2 at scale 1 (referenceAdd's doc example)
    const s = createSession(
      addGraph(
        { aScale: 0.5, aZeroPoint: 0, bScale: 0.25, bZeroPoint: 0, yScale: 1, yZeroPoint: 0 },
        [1],
      ),
    );
    expect(
      Array.from((s.run({ a: new Int8Array([3]), b: new Int8Array([2]) }) as Output).data),
    ).toEqual([2]);
  });

  fcTest.prop(
    [
      fc.float({ min: f(0.001), max: 1, noNaN: true }),
      fc.float({ min: f(0.001), max: 1, noNaN: true }),
      fc.float({ min: f(0.002), max: 2, noNaN: true }),
      fc.tuple(
        fc.integer({ min: -128, max: 127 }),
        fc.integer({ min: -128, max: 127 }),
        fc.integer({ min: -128, max: 127 }),
      ),
      fc.constantFrom("none", "relu", "relu6"),
      fc.integer({ min: 1, max: 1000 }),
    ],
    { numRuns: 40 },
  )("equals referenceAdd exactly", (as, bs, ys, [az, bz, yz], act, seed) => {
    const g = addGraph({
      aScale: as,
      aZeroPoint: az,
      bScale: bs,
      bZeroPoint: bz,
      yScale: ys,
      yZeroPoint: yz,
      activation: act,
    });
    const a = randInt8(30, seed);
    const b = randInt8(30, seed + 1);
    const { min, max } = activationRange(act, ys, yz);
    const ref = referenceAdd(a, b, quantizedAddParams(as, az, bs, bz, ys, yz, min, max));
    expect(Array.from((createSession(g).run({ a, b }) as Output).data)).toEqual(Array.from(ref));
  });

  it("rejects different shapes and an unrepresentable output scale", () => {
    const attrs = {
      aScale: 0.5,
      aZeroPoint: 0,
      bScale: 0.5,
      bZeroPoint: 0,
      yScale: 1,
      yZeroPoint: 0,
    };
    const g = addGraph(attrs);
    expect(() => createSession({ ...g, inputs: [i8("a", [2, 3, 5]), i8("b", [3, 5])] })).toThrow(
      /qadd.*same shape/,
    );
    // 2·max scale/(2²⁰·yScale) ≥ 1
    expect(() => createSession(addGraph({ ...attrs, yScale: 1e-7 }))).toThrow(ModelFormatError);
  });
});

describe("loader checks of quantization attributes", () => {
  const gemmGraph = (
    attrs: Record<string, AttrValue>,
    w: Initializer = i8init("w", [2, 3], new Int8Array(6)),
    b: Initializer = i32init("b", new Int32Array(2)),
  ): Graph => ({
    inputs: [i8("x", [1, 3])],
    outputs: [i8("y", [1, 2])],
    nodes: [node("qlinearGemm", ["x", "w", "b"], "y", attrs, "fc")],
    initializers: [w, b],
  });
  const ok = { xScale: 0.1, xZeroPoint: 0, wScales: [0.1, 0.2], yScale: 0.3, yZeroPoint: 0 };

  it("accepts the valid graph", () => {
    expect(createSession(gemmGraph(ok)).outputs[0]!.dtype).toBe("int8");
  });

  for (const [what, attrs, msg] of [
    ["a zero scale", { ...ok, xScale: 0 }, /"fc".*xScale/],
    ["a negative scale", { ...ok, yScale: -0.5 }, /"fc".*yScale/],
    ["a NaN scale", { ...ok, yScale: Number.NaN }, /yScale/],
    ["a missing scale", { ...ok, xScale: undefined as unknown as number }, /"fc".*xScale/],
    ["zero point 128", { ...ok, xZeroPoint: 128 }, /"fc".*xZeroPoint/],
    ["zero point −129", { ...ok, yZeroPoint: -129 }, /"fc".*yZeroPoint/],
    ["a non-integer zero point", { ...ok, yZeroPoint: 1.5 }, /"fc".*yZeroPoint/],
    ["wScales too short", { ...ok, wScales: [0.1] }, /"fc".*wScales/],
    ["a zero weight scale", { ...ok, wScales: [0.1, 0] }, /"fc".*wScales/],
    ["a bad activation", { ...ok, activation: "sigmoid" }, /"fc".*activation/],
  ] as const) {
    it(`rejects ${what}`, () => {
      const a = Object.fromEntries(Object.entries(attrs).filter(([, v]) => v !== undefined));
      expect(() => createSession(gemmGraph(a as Record<string, AttrValue>))).toThrow(
        ModelFormatError,
      );
      expect(() => createSession(gemmGraph(a as Record<string, AttrValue>))).toThrow(msg);
    });
  }

  it("rejects wrong weight and bias dtypes, and a weight that is not an initializer", () => {
    const fw: Initializer = {
      name: "w",
      dtype: "float32",
      shape: [2, 3],
      data: new Float32Array(6),
    };
    expect(() => createSession(gemmGraph(ok, fw))).toThrow(/"fc".*weights.*int8/);
    const fb: Initializer = { name: "b", dtype: "float32", shape: [2], data: new Float32Array(2) };
    expect(() => createSession(gemmGraph(ok, undefined, fb))).toThrow(/"fc".*bias.*int32/);
    expect(() => createSession(gemmGraph(ok, undefined, i32init("b", new Int32Array(3))))).toThrow(
      /"fc".*bias must be \[2\]/,
    );
    const g = gemmGraph(ok);
    const wIn: Graph = {
      ...g,
      inputs: [...g.inputs, i8("w", [2, 3])],
      initializers: [g.initializers[1]!],
    };
    expect(() => createSession(wIn)).toThrow(ModelFormatError);
    // float input to an int8 op
    expect(() => createSession({ ...g, inputs: [f32("x", [1, 3])] })).toThrow(
      /input 0 "x" must be int8/,
    );
    // quantizeLinear / dequantizeLinear scale checks
    const q: Graph = {
      inputs: [f32("x", [2])],
      outputs: [i8("q", [2])],
      nodes: [node("quantizeLinear", ["x"], "q", { scale: 0, zeroPoint: 0 }, "quant")],
      initializers: [],
    };
    expect(() => createSession(q)).toThrow(/"quant".*scale/);
    expect(() =>
      createSession({
        ...q,
        nodes: [node("quantizeLinear", ["x"], "q", { scale: 1, zeroPoint: 200 })],
      }),
    ).toThrow(/zeroPoint/);
  });

  it("checks a tensor-table quant against the attributes", () => {
    const w = (quant: NonNullable<Initializer["quant"]>): Initializer => ({
      ...i8init("w", [2, 3], new Int8Array(6)),
      quant,
    });
    const b = (scale: number[]): Initializer => ({
      ...i32init("b", new Int32Array(2)),
      quant: { scale, zeroPoint: [0, 0], axis: 0 },
    });
    // consistent: per channel with axis 0, bias at xScale·wScale (float32-rounded)
    const good = w({ scale: [0.1, 0.2], zeroPoint: [0, 0], axis: 0 });
    expect(() => createSession(gemmGraph(ok, good, b([f(0.01), f(0.02)])))).not.toThrow();
    expect(() =>
      createSession({
        ...gemmGraph(ok, good),
        inputs: [{ ...i8("x", [1, 3]), quant: { scale: [0.1], zeroPoint: [0] } }],
      }),
    ).not.toThrow();
    for (const bad of [
      gemmGraph(ok, w({ scale: [0.1, 0.25], zeroPoint: [0, 0], axis: 0 })),
      gemmGraph(ok, w({ scale: [0.1, 0.2], zeroPoint: [0, 1], axis: 0 })),
      gemmGraph(ok, w({ scale: [0.1], zeroPoint: [0] })),
      gemmGraph(ok, good, b([0.01, 0.03])),
      {
        ...gemmGraph(ok),
        inputs: [{ ...i8("x", [1, 3]), quant: { scale: [0.1], zeroPoint: [3] } }],
      },
    ]) {
      expect(() => createSession(bad)).toThrow(/"fc".*quant of .* disagrees/);
    }
  });

  it(`rejects K > INT8_MAX_K = ${INT8_MAX_K}`, () => {
    const k = INT8_MAX_K + 1;
    const g: Graph = {
      inputs: [i8("x", [1, k])],
      outputs: [i8("y", [1, 1])],
      nodes: [node("qlinearGemm", ["x", "w"], "y", { ...ok, wScales: [0.1] })],
      initializers: [i8init("w", [1, k], new Int8Array(k))],
    };
    expect(() => createSession(g)).toThrow(/INT8_MAX_K/);
    const g2 = {
      ...g,
      inputs: [i8("x", [1, k - 1])],
      initializers: [i8init("w", [1, k - 1], new Int8Array(k - 1))],
    };
    expect(createSession(g2).outputs[0]!.shape).toEqual([1, 1]);
  });

  it("rejects conv wScales that do not match the output channels", () => {
    const g: Graph = {
      inputs: [i8("x", [1, 2, 4, 4])],
      outputs: [i8("y", [1, 3, 2, 2])],
      nodes: [node("qlinearConv", ["x", "w"], "y", { ...ok, wScales: [0.1, 0.1] }, "conv")],
      initializers: [i8init("w", [3, 2, 3, 3], new Int8Array(54))],
    };
    expect(() => createSession(g)).toThrow(/"conv".*wScales must be 3/);
  });
});

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

/** Young-generation bytes `fn` allocates (no GC in between: else +∞); see alloc.test.ts. */
function heapGrowth(fn: () => void): number {
  gc();
  gc();
  const young = () =>
    v8
      .getHeapSpaceStatistics()
      .filter((sp) => sp.space_name.startsWith("new"))
      .reduce((b, sp) => b + sp.space_used_size, 0);
  const profiler = new v8.GCProfiler();
  profiler.start();
  const before = young();
  fn();
  const after = young();
  return profiler.stop()?.statistics.length ? Number.POSITIVE_INFINITY : after - before;
}

type In = Float32Array | Int8Array | Record<string, Int8Array>;

function runMany(s: Session, x: In, n: number): void {
  for (let i = 0; i < n; i++) s.run(x);
}

describe("int8 runs allocate nothing", () => {
  const cnn = cnnGraph(2, 4, 8, 5, 1, 3).graph;
  const dw = cnnGraph(1, 4, 8, 5, 4, 4).graph;
  const add: Graph = {
    inputs: [i8("a", [64]), i8("b", [64])],
    outputs: [i8("y", [1, 64])],
    nodes: [
      node("qadd", ["a", "b"], "s", {
        aScale: 0.1,
        aZeroPoint: 1,
        bScale: 0.2,
        bZeroPoint: -3,
        yScale: 0.25,
        yZeroPoint: 4,
      }),
      node("qavgPool2d", ["s4"], "p", { kernel_shape: [2, 2], zeroPoint: 4 }),
      node("reshape", ["s"], "s4", { shape: [1, 1, 8, 8] }),
      node("flatten", ["p"], "pf"),
      node("qlinearGemm", ["pf", "w"], "y", {
        xScale: 0.25,
        xZeroPoint: 4,
        wScales: Array(64).fill(0.01),
        yScale: 0.1,
        yZeroPoint: 0,
      }),
    ],
    initializers: [i8init("w", [64, 49], randInt8(64 * 49, 9))],
  };
  for (const [what, s, x] of [
    [
      "MLP (quantize, gemm, gemm, dequantize)",
      createSession(mlpGraph(4, 64, 32, 10, 1).graph),
      randArray(256, 2),
    ],
    ["conv + maxpool + flatten + gemm", createSession(cnn), randInt8(2 * 4 * 49, 3)],
    ["depthwise conv", createSession(dw), randInt8(4 * 49, 4)],
    [
      "qadd, reshape, qavgPool2d, flatten, gemm",
      createSession(add),
      { a: randInt8(64, 5), b: randInt8(64, 6) },
    ],
  ] as [string, Session, In][]) {
    it(what, { timeout: 30_000 }, () => {
      runMany(s, x, 300);
      let extra = Number.POSITIVE_INFINITY;
      for (let round = 0; round < 5 && !(extra < 1024); round++) {
        const base = heapGrowth(() => runMany(s, x, 0));
        extra = heapGrowth(() => runMany(s, x, 500)) - base;
        if (!(extra < 1024)) runMany(s, x, 500);
      }
      expect(extra).toBeLessThan(1024);
      expect(countBufferAllocations(() => runMany(s, x, 500))).toBe(0);
    });
  }

  it("negative control: a deliberate allocation per run is seen", () => {
    const s = createSession(add);
    const fresh = () => ({ a: new Int8Array(64), b: new Int8Array(64) });
    expect(countBufferAllocations(() => s.run(fresh()))).toBe(2);
  });
});
