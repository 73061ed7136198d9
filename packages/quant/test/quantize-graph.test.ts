import {
  chooseQuantParams,
  MinMaxObserver,
  PercentileObserver,
  quantizeBias,
  quantizeGraph,
  quantizeWeightsPerChannel,
} from "@edgenn/quant";
import {
  type Graph,
  type GraphNode,
  type Initializer,
  type Output,
  type OutputMap,
  saveModel,
} from "@edgenn/runtime";
import { ArgumentError } from "@edgenn/tensor";
import { describe, expect, it } from "vitest";
import { createSession, loadModel } from "./sessions.js";

/** mulberry32: a seeded uniform [0, 1) generator. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n values ≈ N(0, σ²) (sum of 4 uniforms, rescaled). */
function normal(n: number, sigma: number, seed: number): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (r() + r() + r() + r() - 2) * Math.sqrt(3) * sigma;
  return out;
}

const f32 = (name: string, shape: number[], data: Float32Array): Initializer => ({
  name,
  dtype: "float32",
  shape,
  data,
});
const node = (op: string, inputs: string[], output: string, attrs = {}): GraphNode => ({
  op,
  name: output,
  inputs,
  outputs: [output],
  attrs,
});

/** x [N, 8] → gemm(16) → relu → gemm(4) [→ softmax]: a small MLP as toGraph emits it. */
function mlp(withSoftmax: boolean): Graph {
  const nodes = [
    node("gemm", ["x", "w1", "b1"], "h", { transB: 1 }),
    node("relu", ["h"], "a"),
    node("gemm", ["a", "w2", "b2"], withSoftmax ? "logits" : "y", { transB: 1 }),
  ];
  if (withSoftmax) nodes.push(node("softmax", ["logits"], "y", { axis: 1 }));
  return {
    inputs: [{ name: "x", dtype: "float32", shape: [-1, 8] }],
    outputs: [{ name: "y", dtype: "float32", shape: [-1, 4] }],
    // nodes in reverse: quantizeGraph must sort them
    nodes: nodes.reverse(),
    initializers: [
      f32("w1", [16, 8], normal(128, 0.5, 1)),
      f32("b1", [16], normal(16, 0.2, 2)),
      f32("w2", [4, 16], normal(64, 0.5, 3)),
      f32("b2", [4], normal(4, 0.2, 4)),
    ],
  };
}

/** x [N, 1, 8, 8] → conv 3×3 (4, pad 1) → relu → maxPool 2 → conv 3×3 (6) → clip(0, 6) → avgPool 3 → flatten → gemm(3). */
function cnn(): Graph {
  const win = { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1] };
  return {
    inputs: [{ name: "x", dtype: "float32", shape: [-1, 1, 8, 8] }],
    outputs: [{ name: "y", dtype: "float32", shape: [-1, 3] }],
    nodes: [
      node("conv2d", ["x", "k1", "c1"], "h1", { ...win, group: 1 }),
      node("relu", ["h1"], "a1"),
      node("maxPool2d", ["a1"], "p1", {
        kernel_shape: [2, 2],
        strides: [2, 2],
        pads: [0, 0, 0, 0],
        dilations: [1, 1],
        ceil_mode: 0,
      }),
      node("conv2d", ["p1", "k2", "c2"], "h2", { ...win, pads: [0, 0, 0, 0], group: 1 }),
      node("clip", ["h2"], "a2", { min: 0, max: 6 }),
      node("avgPool2d", ["a2"], "p2", {
        kernel_shape: [2, 2],
        strides: [1, 1],
        pads: [0, 0, 0, 0],
        ceil_mode: 0,
        count_include_pad: 0,
      }),
      node("flatten", ["p2"], "f", { axis: 1 }),
      node("gemm", ["f", "w", "b"], "y", { transB: 1 }),
    ],
    initializers: [
      f32("k1", [4, 1, 3, 3], normal(36, 0.5, 11)),
      f32("c1", [4], normal(4, 0.1, 12)),
      f32("k2", [6, 4, 3, 3], normal(216, 0.3, 13)),
      f32("c2", [6], normal(6, 0.1, 14)),
      f32("w", [3, 6], normal(18, 0.5, 15)),
      f32("b", [3], normal(3, 0.1, 16)),
    ],
  };
}

const init = (g: Graph, name: string): Initializer => {
  const t = g.initializers.find((i) => i.name === name);
  if (!t) throw new Error(`no initializer ${name}`);
  return t;
};
const ops = (g: Graph): string[] => g.nodes.map((n) => n.op);

/** Runs `g` on `x` (`n` samples) and returns output "y" (copied). */
function run(g: Graph, x: Float32Array, n: number): Float32Array {
  const out = createSession(g, { batchSize: n }).run(x);
  return Float32Array.from(out.data);
}

function maxError(a: Float32Array, b: Float32Array): number {
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i]! - b[i]!));
  return e;
}

function argmaxRows(y: Float32Array, cols: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < y.length / cols; i++) {
    let best = 0;
    for (let j = 1; j < cols; j++) if (y[i * cols + j]! > y[i * cols + best]!) best = j;
    out.push(best);
  }
  return out;
}

/** [min, max] of relu(x·W1ᵀ + b1) over the rows of x, in float64 (the test's own forward). */
function hiddenRange(g: Graph, x: Float32Array): [number, number] {
  const w1 = init(g, "w1").data;
  const b1 = init(g, "b1").data;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < x.length / 8; i++) {
    for (let j = 0; j < 16; j++) {
      let s = b1[j]!;
      for (let p = 0; p < 8; p++) s += x[i * 8 + p]! * w1[j * 8 + p]!;
      const a = Math.max(s, 0);
      lo = Math.min(lo, a);
      hi = Math.max(hi, a);
    }
  }
  return [lo, hi];
}

describe("quantizeGraph: inputType int8", () => {
  const g = mlp(true);
  const calib = normal(256 * 8, 1, 100);
  const q = quantizeGraph(g, { calibration: calib });
  const qi = quantizeGraph(g, { calibration: calib, inputType: "int8" });

  it("drops the input's quantizeLinear and declares its scale and zero point on the input", () => {
    expect(ops(qi)).toEqual(["qlinearGemm", "qlinearGemm", "dequantizeLinear", "softmax"]);
    const p = chooseQuantParams(Math.min(...calib), Math.max(...calib));
    expect(qi.inputs).toEqual([
      { ...g.inputs[0], dtype: "int8", quant: { scale: [p.scale], zeroPoint: [p.zeroPoint] } },
    ]);
  });

  it("gives exactly the float-input model's outputs on input the caller quantized", () => {
    const x = normal(4 * 8, 1, 7);
    const p = chooseQuantParams(Math.min(...calib), Math.max(...calib));
    // q = clamp(roundHalfToEven(x / scale) + zeroPoint), written out here
    const xq = Int8Array.from(x, (v) => {
      const r = v / p.scale;
      const f = Math.floor(r);
      const even = r - f === 0.5 ? (f % 2 === 0 ? f : f + 1) : Math.round(r);
      return Math.min(127, Math.max(-128, even + p.zeroPoint));
    });
    const a = createSession(q, { batchSize: 4 }).run(x) as Output;
    const b = createSession(qi, { batchSize: 4 }).run(xq) as Output;
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
    // and the float input no longer sits in the arena
    expect(createSession(qi, { batchSize: 1 }).arenaBytes).toBeLessThan(
      createSession(q, { batchSize: 1 }).arenaBytes,
    );
  });

  it("refuses a graph whose input feeds a float op, and a bad inputType", () => {
    const sig: Graph = {
      ...g,
      nodes: [
        node("sigmoid", ["x"], "s"),
        ...g.nodes.map((n) => ({ ...n, inputs: n.inputs.map((i) => (i === "x" ? "s" : i)) })),
      ],
    };
    expect(() => quantizeGraph(sig, { calibration: calib, inputType: "int8" })).toThrow(
      /inputType "int8" needs the input to feed int8 ops only \(its first op has no int8 form\)/,
    );
    expect(() => quantizeGraph(g, { calibration: calib, inputType: "uint8" as never })).toThrow(
      ArgumentError,
    );
  });
});

describe("quantizeGraph: MLP", () => {
  const g = mlp(true);
  const calib = normal(256 * 8, 1, 100);
  const q = quantizeGraph(g, { calibration: calib });

  it("emits quantize → qlinearGemm (relu fused) → qlinearGemm → dequantize → softmax", () => {
    expect(ops(q)).toEqual([
      "quantizeLinear",
      "qlinearGemm",
      "qlinearGemm",
      "dequantizeLinear",
      "softmax",
    ]);
    expect(q.nodes[1]!.attrs.activation).toBe("relu");
    expect(q.nodes[2]!.attrs.activation).toBe("none");
    expect(q.inputs).toEqual(g.inputs);
    expect(q.outputs).toEqual(g.outputs);
    // the float weights are gone: only int8 weights and int32 biases remain
    expect(q.initializers.map((t) => t.dtype).sort()).toEqual(["int32", "int32", "int8", "int8"]);
  });

  it("quantizes the input with the calibration range", () => {
    // MinMax over the calibration batch, then TFLite's asymmetric parameters
    const p = chooseQuantParams(Math.min(...calib), Math.max(...calib));
    expect(q.nodes[0]!.attrs).toEqual({ scale: p.scale, zeroPoint: p.zeroPoint });
    expect(q.nodes[1]!.attrs.xScale).toBe(p.scale);
    expect(q.nodes[1]!.attrs.xZeroPoint).toBe(p.zeroPoint);
  });

  it("stores weights and bias as the reference quantizers make them", () => {
    const gemm1 = q.nodes[1]!;
    const xScale = gemm1.attrs.xScale as number;
    const ref = quantizeWeightsPerChannel(init(g, "w1").data, 16);
    const w = init(q, gemm1.inputs[1]!);
    expect(w.dtype).toBe("int8");
    expect(w.shape).toEqual([16, 8]);
    expect(Array.from(w.data)).toEqual(Array.from(ref.q));
    expect(gemm1.attrs.wScales).toEqual(Array.from(ref.scales));
    expect(w.quant).toEqual({
      scale: Array.from(ref.scales),
      zeroPoint: Array(16).fill(0),
      axis: 0,
    });
    const b = init(q, gemm1.inputs[2]!);
    expect(b.dtype).toBe("int32");
    expect(Array.from(b.data)).toEqual(
      Array.from(quantizeBias(init(g, "b1").data, xScale, ref.scales)),
    );
    // the second gemm's input is the first one's (relu) output: same scale and zero point
    const gemm2 = q.nodes[2]!;
    expect(gemm2.inputs[0]).toBe(gemm1.outputs[0]);
    expect(gemm2.attrs.xScale).toBe(gemm1.attrs.yScale);
    expect(gemm2.attrs.xZeroPoint).toBe(gemm1.attrs.yZeroPoint);
    const ref2 = quantizeWeightsPerChannel(init(g, "w2").data, 4);
    expect(Array.from(init(q, gemm2.inputs[1]!).data)).toEqual(Array.from(ref2.q));
    expect(Array.from(init(q, gemm2.inputs[2]!).data)).toEqual(
      Array.from(quantizeBias(init(g, "b2").data, gemm2.attrs.xScale as number, ref2.scales)),
    );
  });

  it("gives the fused relu output the relu's calibrated range", () => {
    // relu range [0, max]: zero point −128, scale = max/255 (float32 forward vs float64 here)
    const [lo, hi] = hiddenRange(g, calib);
    const p = chooseQuantParams(lo, hi);
    expect(q.nodes[1]!.attrs.yZeroPoint).toBe(p.zeroPoint);
    expect(p.zeroPoint).toBe(-128);
    expect(q.nodes[1]!.attrs.yScale as number).toBeCloseTo(p.scale, 6);
  });

  it("runs in the runtime close to the float graph", () => {
    // inside the calibrated ranges (the calibration data itself) the error is a few output
    // scales; on new data values beyond the ranges clip, so only the argmax is compared there
    const logits = mlp(false);
    const ql = quantizeGraph(logits, { calibration: calib });
    const outScale = ql.nodes.at(-1)!.attrs.scale as number;
    expect(maxError(run(logits, calib, 256), run(ql, calib, 256))).toBeLessThan(3 * outScale);
    const n = 500;
    const x = normal(n * 8, 1, 7);
    const af = argmaxRows(run(logits, x, n), 4);
    const aq = argmaxRows(run(ql, x, n), 4);
    expect(af.filter((v, i) => v === aq[i]).length / n).toBeGreaterThanOrEqual(0.95);
    // with softmax: probabilities close
    expect(maxError(run(g, x, n), run(q, x, n))).toBeLessThan(0.1);
  });

  it("saves into the model format and loads back", () => {
    const bytes = saveModel(q);
    // int8 weights and int32 biases: (128 + 64)·1 + (16 + 4)·4 bytes vs (192 + 20)·4
    const weightBytes = (t: Graph) => t.initializers.reduce((a, i) => a + i.data.byteLength, 0);
    expect(weightBytes(q)).toBe(192 + 80);
    expect(weightBytes(g)).toBe(212 * 4);
    const s = loadModel(bytes, { batchSize: 3 });
    const x = normal(24, 1, 9);
    expect(Array.from(s.run(x).data)).toEqual(Array.from(run(q, x, 3)));
  });

  it("per tensor: one weight scale repeated for every channel", () => {
    const qt = quantizeGraph(g, { calibration: calib, perChannel: false });
    const gemm1 = qt.nodes[1]!;
    const ref = quantizeWeightsPerChannel(init(g, "w1").data, 1);
    expect(gemm1.attrs.wScales).toEqual(Array(16).fill(ref.scales[0]));
    expect(Array.from(init(qt, gemm1.inputs[1]!).data)).toEqual(Array.from(ref.q));
    expect(qt.meta?.quantization).toMatch(/per-tensor/);
  });

  it("does not modify the float graph", () => {
    expect(ops(g)).toEqual(["softmax", "gemm", "relu", "gemm"]);
    expect(g.initializers.every((t) => t.dtype === "float32")).toBe(true);
  });
});

describe("quantizeGraph: observers and calibration", () => {
  it("percentile clips an outlier that min/max keeps", () => {
    const g = mlp(false);
    const calib = normal(2048 * 8, 1, 100);
    calib[calib.length - 1] = 100; // one outlier in the input, in the last batch
    const mm = quantizeGraph(g, { calibration: calib });
    const pc = quantizeGraph(g, { calibration: calib, observer: "percentile" });
    const ma = quantizeGraph(g, { calibration: calib, observer: "moving-average", batchSize: 64 });
    const s = (q: Graph) => q.nodes[0]!.attrs.scale as number;
    expect(s(mm)).toBe(chooseQuantParams(Math.min(...calib), 100).scale);
    expect(s(pc)).toBeLessThan(s(mm) / 10);
    // 99.99 % of 16384 values leaves out 1.6 at each end: the outlier
    // moving average over batches of 64: the last (outlier) batch moves the max by 1 % of the jump
    expect(s(ma)).toBeLessThan(s(mm) / 10);
  });

  it("calls an observer factory once per observed value, batch by batch", () => {
    const g = mlp(true);
    const sizes: number[][] = [];
    const factory = () => {
      const o = new MinMaxObserver();
      const seen: number[] = [];
      sizes.push(seen);
      const observe = o.observe.bind(o);
      o.observe = (d) => {
        seen.push(d.length);
        observe(d);
      };
      return o;
    };
    quantizeGraph(g, { calibration: normal(10 * 8, 1, 1), observer: factory, batchSize: 4 });
    // x, h, a, logits, y: 5 values, each in batches of 4, 4 and 2 samples
    expect(sizes.map((b) => b.length)).toEqual([3, 3, 3, 3, 3]);
    expect(sizes.map((b) => b[2]! / b[0]!)).toEqual([0.5, 0.5, 0.5, 0.5, 0.5]);
    // the input: 8 values per sample; h and a: 16; logits and y: 4
    expect(sizes.map((b) => b[0]).sort((a, b) => a! - b!)).toEqual([16, 16, 32, 64, 64]);
  });

  it("takes a Tensor-like calibration batch", () => {
    const g = mlp(false);
    const data = normal(16 * 8, 1, 3);
    const a = quantizeGraph(g, { calibration: data });
    const b = quantizeGraph(g, {
      calibration: { shape: [16, 8], dataSync: () => Array.from(data) },
    });
    expect(b.nodes.map((n) => n.attrs)).toEqual(a.nodes.map((n) => n.attrs));
  });

  it("rejects bad options and calibration data", () => {
    const g = mlp(false);
    expect(() => quantizeGraph(g, {} as never)).toThrow(ArgumentError);
    expect(() => quantizeGraph(g, { mode: "dynamic" } as never)).toThrow(/calibration/);
    expect(() => quantizeGraph(g, { calibration: new Float32Array(12) })).toThrow(
      /whole number of samples of 8 values/,
    );
    expect(() =>
      quantizeGraph(g, { calibration: { shape: [2, 4], dataSync: () => new Float32Array(8) } }),
    ).toThrow(/calibration must be \[n, 8\]/);
    expect(() =>
      quantizeGraph(g, { calibration: new Float32Array(8), observer: "median" as never }),
    ).toThrow(/observer/);
    expect(() => quantizeGraph(g, { calibration: new Float32Array(8), batchSize: 0 })).toThrow(
      ArgumentError,
    );
    expect(() =>
      quantizeGraph(g, { calibration: new Float32Array(8), perChannel: 1 as never }),
    ).toThrow(/perChannel/);
    const two: Graph = { ...g, inputs: [...g.inputs, { name: "z", dtype: "float32", shape: [1] }] };
    expect(() => quantizeGraph(two, { calibration: new Float32Array(8) })).toThrow(
      /one float32 input/,
    );
    const fixed: Graph = { ...g, inputs: [{ name: "x", dtype: "float32", shape: [4, 8] }] };
    expect(() => quantizeGraph(fixed, { calibration: new Float32Array(6 * 8) })).toThrow(
      /batches of 4/,
    );
  });
});

describe("quantizeGraph: CNN", () => {
  const g = cnn();
  const calib = normal(128 * 64, 1, 200);
  const q = quantizeGraph(g, { calibration: calib, batchSize: 16 });

  it("emits qlinearConv (relu, relu6 fused), int8 pools and flatten", () => {
    expect(ops(q)).toEqual([
      "quantizeLinear",
      "qlinearConv",
      "qmaxPool2d",
      "qlinearConv",
      "qavgPool2d",
      "flatten",
      "qlinearGemm",
      "dequantizeLinear",
    ]);
    const [conv1, pool1, conv2, pool2] = q.nodes.slice(1, 5) as [
      GraphNode,
      GraphNode,
      GraphNode,
      GraphNode,
    ];
    expect(conv1.attrs.activation).toBe("relu");
    expect(conv2.attrs.activation).toBe("relu6");
    expect(conv1.attrs.pads).toEqual([1, 1, 1, 1]);
    expect(conv2.attrs.xScale).toBe(conv1.attrs.yScale); // max pool keeps scale and zero point
    expect(pool2.attrs.zeroPoint).toBe(conv2.attrs.yZeroPoint);
    expect(pool1.inputs[0]).toBe(conv1.outputs[0]);
    // weights: per output channel over [outC, inC, kH, kW]
    const ref = quantizeWeightsPerChannel(init(g, "k2").data, 6);
    const w = init(q, conv2.inputs[1]!);
    expect(w.shape).toEqual([6, 4, 3, 3]);
    expect(Array.from(w.data)).toEqual(Array.from(ref.q));
    expect(conv2.attrs.wScales).toEqual(Array.from(ref.scales));
    expect(Array.from(init(q, conv2.inputs[2]!).data)).toEqual(
      Array.from(quantizeBias(init(g, "c2").data, conv2.attrs.xScale as number, ref.scales)),
    );
    // relu6's range is at most [0, 6]
    expect((conv2.attrs.yScale as number) * 255).toBeLessThanOrEqual(6.001);
  });

  it("runs in the runtime close to the float graph", () => {
    const outScale = q.nodes.at(-1)!.attrs.scale as number;
    expect(maxError(run(g, calib, 128), run(q, calib, 128))).toBeLessThan(3 * outScale);
    const n = 300;
    const x = normal(n * 64, 1, 8);
    const af = argmaxRows(run(g, x, n), 3);
    const aq = argmaxRows(run(q, x, n), 3);
    expect(af.filter((v, i) => v === aq[i]).length / n).toBeGreaterThanOrEqual(0.95);
  });
});

describe("quantizeGraph: mixed graphs", () => {
  it("dequantizes before an op with no int8 form and quantizes after it", () => {
    // x → gemm → sigmoid → gemm: sigmoid runs in float
    const g: Graph = {
      inputs: [{ name: "x", dtype: "float32", shape: [-1, 8] }],
      outputs: [{ name: "y", dtype: "float32", shape: [-1, 4] }],
      nodes: [
        node("gemm", ["x", "w1", "b1"], "h", { transB: 1 }),
        node("sigmoid", ["h"], "s"),
        node("gemm", ["s", "w2", "b2"], "y", { transB: 1 }),
      ],
      initializers: mlp(false).initializers,
    };
    const calib = normal(64 * 8, 1, 5);
    const q = quantizeGraph(g, { calibration: calib });
    expect(ops(q)).toEqual([
      "quantizeLinear",
      "qlinearGemm",
      "dequantizeLinear",
      "sigmoid",
      "quantizeLinear",
      "qlinearGemm",
      "dequantizeLinear",
    ]);
    // the sigmoid's output lies in (0, 1): its quantization covers at most [0, 1]
    const qs = q.nodes[4]!;
    expect(qs.attrs.zeroPoint).toBe(-128);
    expect(qs.attrs.scale as number).toBeLessThanOrEqual(1 / 255 + 1e-7);
    const outScale = q.nodes.at(-1)!.attrs.scale as number;
    expect(maxError(run(g, calib, 64), run(q, calib, 64))).toBeLessThan(3 * outScale);
  });

  it("keeps a gemm with transB = 0 (weights transposed) and a residual add as qadd", () => {
    // x → gemm(W [8, 8], transB 0) → relu = a; add(a, x) → relu → gemm(4)
    const w = normal(64, 0.4, 21);
    const wT = new Float32Array(64);
    for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) wT[j * 8 + i] = w[i * 8 + j]!;
    const g: Graph = {
      inputs: [{ name: "x", dtype: "float32", shape: [-1, 8] }],
      outputs: [{ name: "y", dtype: "float32", shape: [-1, 4] }],
      nodes: [
        node("gemm", ["x", "w"], "h"),
        node("relu", ["h"], "a"),
        node("add", ["a", "x"], "r"),
        node("relu", ["r"], "ra"),
        node("gemm", ["ra", "w2", "b2"], "y", { transB: 1 }),
      ],
      initializers: [
        f32("w", [8, 8], w),
        f32("w2", [4, 8], normal(32, 0.5, 22)),
        f32("b2", [4], normal(4, 0.1, 23)),
      ],
    };
    const calib = normal(128 * 8, 1, 24);
    const q = quantizeGraph(g, { calibration: calib });
    expect(ops(q)).toEqual([
      "quantizeLinear",
      "qlinearGemm",
      "qadd",
      "qlinearGemm",
      "dequantizeLinear",
    ]);
    const gemm = q.nodes[1]!;
    // transB = 0: the [K, M] weights are stored as [M, K] = Wᵀ, quantized per row of Wᵀ
    expect(gemm.inputs[2]).toBe("");
    expect(Array.from(init(q, gemm.inputs[1]!).data)).toEqual(
      Array.from(quantizeWeightsPerChannel(wT, 8).q),
    );
    const add = q.nodes[2]!;
    expect(add.inputs).toEqual([gemm.outputs[0], q.nodes[0]!.outputs[0]]);
    expect(add.attrs.activation).toBe("relu");
    expect(add.attrs.bScale).toBe(q.nodes[0]!.attrs.scale);
    const outScale = q.nodes.at(-1)!.attrs.scale as number;
    expect(maxError(run(g, calib, 128), run(q, calib, 128))).toBeLessThan(3 * outScale);
  });

  it("turns globalAvgPool2d into a whole-plane qavgPool2d and dropout into identity", () => {
    const g: Graph = {
      inputs: [{ name: "x", dtype: "float32", shape: [-1, 1, 5, 5] }],
      outputs: [{ name: "y", dtype: "float32", shape: [-1, 2] }],
      nodes: [
        node("conv2d", ["x", "k"], "h", { kernel_shape: [3, 3], pads: [0, 0, 0, 0], group: 1 }),
        node("relu", ["h"], "a"),
        node("dropout", ["a"], "d"),
        node("globalAvgPool2d", ["d"], "p"),
        node("flatten", ["p"], "f", { axis: 1 }),
        node("gemm", ["f", "w"], "y", { transB: 1 }),
      ],
      initializers: [
        f32("k", [3, 1, 3, 3], normal(27, 0.5, 31)),
        f32("w", [2, 3], normal(6, 0.5, 32)),
      ],
    };
    const calib = normal(64 * 25, 1, 33);
    const q = quantizeGraph(g, { calibration: calib });
    expect(ops(q)).toEqual([
      "quantizeLinear",
      "qlinearConv",
      "identity",
      "qavgPool2d",
      "flatten",
      "qlinearGemm",
      "dequantizeLinear",
    ]);
    // the conv output is [N, 3, 3, 3]: one 3×3 window per plane
    expect(q.nodes[3]!.attrs).toEqual({
      kernel_shape: [3, 3],
      strides: [1, 1],
      pads: [0, 0, 0, 0],
      ceil_mode: 0,
      count_include_pad: 0,
      zeroPoint: q.nodes[1]!.attrs.yZeroPoint,
    });
    const outScale = q.nodes.at(-1)!.attrs.scale as number;
    expect(maxError(run(g, calib, 64), run(q, calib, 64))).toBeLessThan(3 * outScale);
  });

  it("keeps float what has no int8 form here: α ≠ 1, a broadcast add of a constant", () => {
    const g: Graph = {
      inputs: [{ name: "x", dtype: "float32", shape: [-1, 8] }],
      outputs: [{ name: "y", dtype: "float32", shape: [-1, 4] }],
      nodes: [
        node("gemm", ["x", "w1", "b1"], "h", { transB: 1, alpha: 2 }),
        node("gemm", ["h", "w2"], "z", { transB: 1 }),
        node("add", ["z", "c"], "y"),
      ],
      initializers: [
        ...mlp(false).initializers.filter((t) => t.name !== "b2"),
        f32("c", [4], normal(4, 1, 41)),
      ],
    };
    const calib = normal(64 * 8, 1, 42);
    const q = quantizeGraph(g, { calibration: calib });
    expect(ops(q)).toEqual(["gemm", "quantizeLinear", "qlinearGemm", "dequantizeLinear", "add"]);
    expect(q.nodes[0]).toEqual(g.nodes[0]);
    expect(q.initializers.map((t) => t.name).sort()).toEqual(["b1", "c", "w1", "w2:q"]);
    const outScale = q.nodes[3]!.attrs.scale as number;
    expect(maxError(run(g, calib, 64), run(q, calib, 64))).toBeLessThan(3 * outScale);
  });

  it("dequantizes an int8 value that is also a graph output", () => {
    // outputs "a" (relu of gemm, fused) and "y"
    const g = mlp(false);
    const two: Graph = {
      ...g,
      outputs: [...g.outputs, { name: "a", dtype: "float32", shape: [-1, 16] }],
    };
    const q = quantizeGraph(two, { calibration: normal(32 * 8, 1, 2) });
    expect(ops(q).filter((o) => o === "dequantizeLinear").length).toBe(2);
    const x = normal(4 * 8, 0.5, 3);
    const s = createSession(q, { batchSize: 4 }).run<OutputMap>(x);
    const f = createSession(two, { batchSize: 4 }).run<OutputMap>(x);
    expect(s.a!.shape).toEqual([4, 16]);
    for (let i = 0; i < 64; i++) expect(Math.abs(s.a!.data[i]! - f.a!.data[i]!)).toBeLessThan(0.1);
  });
});

describe("PercentileObserver in quantizeGraph", () => {
  it("is the observer 'percentile' names", () => {
    const seen: string[] = [];
    const factory = () => {
      const o = new PercentileObserver();
      seen.push(o.constructor.name);
      return o;
    };
    quantizeGraph(mlp(false), { calibration: normal(8, 1, 1), observer: factory });
    expect(seen.every((s) => s === "PercentileObserver")).toBe(true);
  });
});
