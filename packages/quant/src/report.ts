/*
 * Quantization report: sizes and accuracy of a float model and its int8 version, and the
 * signal-to-quantization-noise ratio of every int8 value that has a float counterpart. An int8
 * value of the quantized graph is `<float name>:q` (as quantizeGraph names them); its quantization
 * comes from the node that produced it (quantizeLinear / qlinear* / qadd: its output scale; pools,
 * flatten, reshape, identity: their input's). Both graphs get those values as extra outputs, run on
 * the same samples, and the int8 ones are dequantized: SQNR = 10·log10(Σ f² / Σ (f − q̂)²).
 */
import type { Module } from "@edgenn/nn";
import { createSession, encodeModel, type Graph, type GraphNode } from "@edgenn/runtime";
import { allOps } from "@edgenn/runtime/ops";
import { ArgumentError, ShapeError, type Tensor } from "@edgenn/tensor";
import {
  floatGraph,
  type QuantizedModel,
  runChunks,
  type SampleTensor,
  samplesOf,
} from "./quantize.js";
import { show } from "./show.js";

/** Options of `quantizationReport`. */
export interface QuantizationReportOptions {
  /** Evaluation samples `[n, …]` (a Tensor or a Float32Array of whole samples). */
  readonly x: Tensor | Float32Array | SampleTensor;
  /** Labels: int32 class indices `[n]`, or one-hot/probabilities `[n, C]` (a Tensor or an array). */
  readonly y: Tensor | SampleTensor | Int32Array | readonly number[];
  /** The float model's input shape (as for `quantize`). */
  readonly inputShape?: readonly number[];
  /** The batch size of the arena figures (default 1). */
  readonly batchSize?: number;
}

/** File size, arena size and accuracy of one model. */
export interface ModelFigures {
  readonly fileBytes: number;
  readonly arenaBytes: number;
  /** Fraction of samples whose arg-max output is the label. */
  readonly accuracy: number;
}

/** The SQNR of one int8 value against its float counterpart (named as in the float graph). */
export interface LayerSqnr {
  readonly name: string;
  /** The op that produced the int8 value. */
  readonly op: string;
  /** 10·log10(Σ signal² / Σ noise²), +Infinity without noise. */
  readonly sqnrDb: number;
}

/** What `quantizationReport` returns. */
export interface QuantizationReport {
  readonly float: ModelFigures;
  readonly int8: ModelFigures;
  readonly layers: readonly LayerSqnr[];
}

const KEEP = new Set(["qmaxPool2d", "qavgPool2d", "flatten", "reshape", "identity", "dropout"]);
const SAME_RANK =
  /^(relu|leakyRelu|elu|sigmoid|tanh|gelu|clip|softmax|logSoftmax|identity|dropout|batchNorm|layerNorm|quantizeLinear|dequantizeLinear|qadd|add|sub|mul|div|transpose)$/;

/** The rank of each value whose rank follows from its op (for declaring it as an output). */
function ranks(g: Graph): Map<string, number> {
  const rank = new Map<string, number>();
  const consts = new Map(g.initializers.map((t) => [t.name, t]));
  for (const v of g.inputs) rank.set(v.name, v.shape.length);
  for (const t of g.initializers) rank.set(t.name, t.shape.length);
  let pending = g.nodes.slice();
  for (let changed = true; changed && pending.length; ) {
    changed = false;
    const rest: GraphNode[] = [];
    for (const n of pending) {
      const r0 = rank.get(n.inputs[0] ?? "");
      if (r0 === undefined) {
        rest.push(n);
        continue;
      }
      let r: number | undefined;
      if (/^(gemm|qlinearGemm|flatten)$/.test(n.op)) r = 2;
      else if (
        /^(conv2d|qlinearConv|maxPool2d|avgPool2d|qmaxPool2d|qavgPool2d|globalAvgPool2d)$/.test(
          n.op,
        )
      )
        r = 4;
      else if (n.op === "gru") r = n.attrs.returnSequences ? 3 : 2;
      else if (SAME_RANK.test(n.op)) r = Math.max(r0, rank.get(n.inputs[1] ?? "") ?? 0);
      else if (n.op === "reshape") {
        const s = n.inputs[1] ? consts.get(n.inputs[1])?.data.length : undefined;
        const a = n.attrs.shape;
        r = s ?? (Array.isArray(a) ? a.length : undefined);
      }
      if (r !== undefined && n.outputs.length === 1) rank.set(n.outputs[0]!, r);
      changed = true;
    }
    pending = rest;
  }
  return rank;
}

/** The int8 values of a quantized graph with their quantization and producing op. */
function int8Values(g: Graph): Map<string, { scale: number; zeroPoint: number; op: string }> {
  const out = new Map<string, { scale: number; zeroPoint: number; op: string }>();
  let pending = g.nodes.slice();
  for (let changed = true; changed && pending.length; ) {
    changed = false;
    const rest: GraphNode[] = [];
    for (const n of pending) {
      const a = n.attrs;
      const y = n.outputs[0];
      if (!y) continue;
      if (n.op === "quantizeLinear") {
        out.set(y, { scale: a.scale as number, zeroPoint: a.zeroPoint as number, op: n.op });
      } else if (/^(qlinearGemm|qlinearConv|qadd)$/.test(n.op)) {
        out.set(y, { scale: a.yScale as number, zeroPoint: a.yZeroPoint as number, op: n.op });
      } else if (KEEP.has(n.op)) {
        const x = out.get(n.inputs[0] ?? "");
        if (!x) {
          rest.push(n);
          continue;
        }
        out.set(y, { ...x, op: n.op });
      } else continue;
      changed = true;
    }
    pending = rest;
  }
  return out;
}

/** 10·log10(Σ f² / Σ (f − g)²). */
function sqnr(f: ArrayLike<number>, g: ArrayLike<number>): number {
  let s = 0;
  let e = 0;
  for (let i = 0; i < f.length; i++) {
    s += f[i]! * f[i]!;
    e += (f[i]! - g[i]!) ** 2;
  }
  return e === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10(s / e);
}

/** The labels as class indices (argmax of a one-hot/probability row). */
function labelsOf(y: unknown, n: number): Int32Array {
  let data: ArrayLike<number>;
  let shape: readonly number[];
  if (Array.isArray(y) || y instanceof Int32Array) {
    data = y as ArrayLike<number>;
    shape = [data.length];
  } else if (
    y !== null &&
    typeof y === "object" &&
    typeof (y as SampleTensor).dataSync === "function" &&
    Array.isArray((y as SampleTensor).shape)
  ) {
    data = (y as SampleTensor).dataSync();
    shape = (y as SampleTensor).shape;
  } else {
    throw new ArgumentError(
      `quantizationReport: y must be labels (a Tensor, an Int32Array or a number array) (got ${y === null ? "null" : typeof y})`,
    );
  }
  if (shape[0] !== n || shape.length > 2) {
    throw new ShapeError(
      `quantizationReport: y must be [${n}] labels or [${n}, C] one-hot rows for ${n} samples (got [${shape}])`,
    );
  }
  if (shape.length === 1) return Int32Array.from(data);
  return argmaxRows(data, n, shape[1]!);
}

function argmaxRows(d: ArrayLike<number>, n: number, c: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (d[i * c + j]! > d[i * c + best]!) best = j;
    out[i] = best;
  }
  return out;
}

function accuracyOf(out: ArrayLike<number>, labels: Int32Array): number {
  const n = labels.length;
  const pred = argmaxRows(out, n, out.length / n);
  let ok = 0;
  for (let i = 0; i < n; i++) ok += +(pred[i] === labels[i]);
  return ok / n;
}

/**
 * Compares a float model with its int8 version on samples `x` with labels `y`: model file bytes,
 * arena bytes (at `batchSize`) and accuracy (arg-max = label) of both, run in the runtime, and per
 * int8 value the SQNR against the float value it stands for, 10·log10(Σ f² / Σ (f − q̂)²) with
 * q̂ = scale·(q − zeroPoint) (for a dynamic model: its float values of the same name).
 * @param floatModel - the float `nn.Module` (or Graph) that `qModel` was made from
 * @param qModel - its `QuantizedModel`
 * @param options - `x`, `y` (required), `inputShape` (as for `quantize`), `batchSize` (1)
 * @returns a new report `{ float, int8, layers }` (layers in graph order)
 * @throws ArgumentError for bad options, ShapeError when x or y do not fit the models
 * @example
 * const g = { inputs: [{ name: "x", dtype: "float32", shape: [-1, 2] }], outputs: [{ name: "y", dtype: "float32", shape: [-1, 2] }], nodes: [{ op: "gemm", inputs: ["x", "w"], outputs: ["y"], attrs: { transB: 1 } }], initializers: [{ name: "w", dtype: "float32", shape: [2, 2], data: new Float32Array([1, 0, 0, 1]) }] };
 * const x = new Float32Array([1, 0, 0, 1, 0.9, 0.1]);
 * const r = quantizationReport(g, quantize(g, { calibration: x }), { x, y: [0, 1, 0] });
 * r.int8.accuracy; // 1
 * r.layers.map((l) => l.name); // ["x", "y"]
 */
export function quantizationReport(
  floatModel: Module | Graph,
  qModel: QuantizedModel,
  options: QuantizationReportOptions,
): QuantizationReport {
  const who = "quantizationReport";
  if (options === null || typeof options !== "object") {
    throw new ArgumentError(`${who}: options { x, y } are required (got ${show(options)})`);
  }
  const maybe = (qModel as { graph?: { nodes?: unknown } } | null)?.graph;
  if (!maybe || !Array.isArray(maybe.nodes)) {
    throw new ArgumentError(`${who}: qModel must be a QuantizedModel (from quantize)`);
  }
  const qg: Graph = qModel.graph;
  const { x, y, inputShape, batchSize = 1 } = options;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
    throw new ArgumentError(`${who}: batchSize must be an integer ≥ 1 (got ${show(batchSize)})`);
  }
  const fg = floatGraph(who, floatModel, inputShape);
  const { data, n } = samplesOf(who, fg, x);
  samplesOf(who, qg, data); // the same samples fit the int8 model
  const labels = labelsOf(y, n);

  // values to compare: int8 `<name>:q` values, else same-named float node outputs
  const fNodes = new Set(fg.nodes.flatMap((nd) => nd.outputs));
  const fRank = ranks(fg);
  const qRank = ranks(qg);
  const q8 = int8Values(qg);
  const pairs = new Map<string, { q: string; op: string; scale?: number; zeroPoint?: number }>();
  for (const [name, p] of q8) {
    const base = name.replace(/:q(:\d+)?$/, "");
    if (base !== name && (fNodes.has(base) || fg.inputs.some((v) => v.name === base))) {
      if (fRank.has(base) && qRank.has(name)) pairs.set(base, { q: name, ...p });
    }
  }
  const qProducers = new Map(qg.nodes.flatMap((nd) => nd.outputs.map((o) => [o, nd.op])));
  for (const name of fNodes) {
    const op = qProducers.get(name);
    if (pairs.has(name) || !op || op === "dequantizeLinear" || !fRank.has(name)) continue;
    if (qRank.has(name)) pairs.set(name, { q: name, op });
  }
  const expose = (g: Graph, names: string[], rank: Map<string, number>): Graph => {
    const have = new Set(g.outputs.map((o) => o.name));
    const extra = [...new Set(names)].filter(
      (v) => !have.has(v) && !g.inputs.some((i) => i.name === v),
    );
    return {
      ...g,
      outputs: [
        ...g.outputs,
        ...extra.map((name) => ({
          name,
          dtype: (q8.has(name) && g === qg ? "int8" : "float32") as "int8" | "float32",
          shape: new Array<number>(rank.get(name)!).fill(-1),
        })),
      ],
    };
  };
  const evalBatch = 256;
  const fOut = runChunks(expose(fg, [...pairs.keys()], fRank), data, n, evalBatch);
  const qOut = runChunks(
    expose(
      qg,
      [...pairs.values()].map((p) => p.q),
      qRank,
    ),
    data,
    n,
    evalBatch,
  );
  const inputOf = (name: string): Float32Array | undefined =>
    fg.inputs.some((v) => v.name === name) ? data : undefined;
  // layers in the float graph's order: its input first, then node outputs as listed
  const order = [...fg.inputs.map((v) => v.name), ...fg.nodes.flatMap((nd) => nd.outputs)];
  const layers: LayerSqnr[] = [];
  for (const name of order) {
    const p = pairs.get(name);
    if (!p) continue;
    const f = inputOf(name) ?? fOut.get(name)?.data;
    const qv = qOut.get(p.q)?.data;
    if (!f || !qv || f.length !== qv.length) continue;
    let g: ArrayLike<number> = qv;
    if (p.scale !== undefined) {
      const d = new Float32Array(qv.length);
      for (let i = 0; i < d.length; i++) d[i] = p.scale * (qv[i]! - p.zeroPoint!);
      g = d;
    }
    layers.push({ name, op: p.op, sqnrDb: sqnr(f, g) });
  }
  const outName = (g: Graph): string => g.outputs[0]!.name;
  const figures = (g: Graph, out: ArrayLike<number>): ModelFigures => ({
    fileBytes: encodeModel(g).byteLength,
    arenaBytes: createSession(g, { batchSize, ops: allOps }).arenaBytes,
    accuracy: accuracyOf(out, labels),
  });
  return {
    float: figures(fg, fOut.get(outName(fg))!.data),
    int8: figures(qg, qOut.get(outName(qg))!.data),
    layers,
  };
}
