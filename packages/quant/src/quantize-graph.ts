/*
 * Post-training static quantization of a runtime graph (float32 → int8, TFLite's scheme):
 *  1. calibrate: run the float graph in the runtime with every float intermediate exposed as an
 *     output, over the calibration batches, feeding one observer per value (and one for the input);
 *  2. convert, walking the nodes in topological order and tracking, for each float value, its
 *     int8 version (name, scale, zero point) and whether its float version exists:
 *     - gemm (transA = 0, α = β = 1, constant 2-D weights) → qlinearGemm, conv2d (constant
 *       weights) → qlinearConv: weights int8 symmetric per output channel, bias int32 at
 *       xScale·wScale[c], a relu / clip(0, 6) that is the only reader of the output fused as
 *       `activation` (the output range is then the activation's);
 *     - maxPool2d/avgPool2d/globalAvgPool2d on an int8 value → qmaxPool2d/qavgPool2d, and flatten,
 *       reshape, identity, dropout → the same op on the int8 value (scale and zero point shared);
 *     - add of two int8-able values of the same shape, one of them int8 already → qadd (a
 *       following relu fused);
 *     - anything else stays float: dequantizeLinear in front of it, as at the graph outputs;
 *       quantizeLinear wherever a float value feeds an int8 op (the graph input first).
 *  Activations get asymmetric per-tensor parameters (`chooseQuantParams` of the observed range).
 */
import {
  createSession,
  type Graph,
  type GraphNode,
  type Initializer,
  Output,
  type OutputMap,
} from "@edgenn/runtime";
import { allOps } from "@edgenn/runtime/ops";
import { ArgumentError, EdgeNNError } from "@edgenn/tensor/errors";
import {
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  type Observer,
  PercentileObserver,
} from "./observers.js";
import {
  chooseQuantParams,
  type QuantActivation,
  type QuantParams,
  quantizeBias,
  quantizedAddParams,
  quantizeWeightsPerChannel,
} from "./reference.js";
import { show } from "./show.js";

/** A batch of calibration inputs as a Tensor-like object. */
export interface CalibrationTensor {
  readonly shape: readonly number[];
  dataSync(): ArrayLike<number>;
}

/** How observers are made: a built-in kind, or a factory called once per observed value. */
export type ObserverChoice = "minmax" | "moving-average" | "percentile" | (() => Observer);

/** Options of `quantizeGraph`. */
export interface QuantizeGraphOptions {
  /**
   * Calibration inputs for the graph's one float32 input: samples stacked along the first dim, as a
   * Float32Array (a whole number of samples) or a Tensor-like (`shape`, `dataSync`).
   */
  readonly calibration?: Float32Array | CalibrationTensor;
  /**
   * Activation ranges by graph value name, instead of `calibration` (e.g. the ranges `convertQat`
   * learned during quantization-aware training). A value without a range stays float32.
   */
  readonly ranges?: ReadonlyMap<string, readonly [number, number]>;
  /**
   * The range observer of every activation (default "minmax"): `MinMaxObserver`,
   * `MovingAverageMinMaxObserver` ("moving-average"), `PercentileObserver` ("percentile"), or a
   * factory of your own.
   */
  readonly observer?: ObserverChoice;
  /** One weight scale per output channel (default true); false: one per tensor. */
  readonly perChannel?: boolean;
  /** Samples per calibration run when the graph's batch dim is −1 (default 32). */
  readonly batchSize?: number;
  /**
   * The quantized graph's input dtype (TFLite's `inference_input_type`): "float32" (default; the
   * graph quantizes its input first) or "int8": the input is int8 with the first quantizeLinear's
   * scale and zero point (declared in the input's `quant`), so the caller quantizes
   * (q = round(x / scale) + zeroPoint) and no float copy of the input sits in the arena.
   */
  readonly inputType?: "float32" | "int8";
}

/** An int8 value: its name in the new graph and its quantization. */
interface Q8 extends QuantParams {
  readonly name: string;
}

/** Ops whose output has its input's rank and dtype (for the calibration graph's outputs). */
const SAME_RANK = new Set(
  (
    "relu leakyRelu elu sigmoid tanh gelu clip softmax logSoftmax identity dropout batchNorm " +
    "layerNorm"
  ).split(" "),
);

const fail = (what: string): never => {
  throw new ArgumentError(`quantizeGraph: ${what}`);
};

/** The nodes in topological order (Kahn); `createSession` has checked the graph already. */
function topoSort(g: Graph): GraphNode[] {
  const producer = new Map<string, number>();
  g.nodes.forEach((n, i) => {
    for (const o of n.outputs) producer.set(o, i);
  });
  const pending = g.nodes.map((n) => n.inputs.filter((i) => producer.has(i)).length);
  const readers: number[][] = g.nodes.map(() => []);
  g.nodes.forEach((n, i) => {
    for (const name of n.inputs) {
      const p = producer.get(name);
      if (p !== undefined) readers[p]!.push(i);
    }
  });
  const ready = pending.flatMap((p, i) => (p === 0 ? [i] : [])).reverse();
  const order: GraphNode[] = [];
  while (ready.length) {
    const i = ready.pop()!;
    order.push(g.nodes[i]!);
    for (const r of readers[i]!) if (--pending[r]! === 0) ready.push(r);
  }
  return order;
}

/** The rank of each float32 value whose rank follows from its op, else absent. */
function floatRanks(g: Graph, order: readonly GraphNode[]): Map<string, number> {
  const rank = new Map<string, number>();
  const consts = new Map(g.initializers.map((t) => [t.name, t]));
  for (const v of g.inputs) if (v.dtype === "float32") rank.set(v.name, v.shape.length);
  for (const t of g.initializers) if (t.dtype === "float32") rank.set(t.name, t.shape.length);
  for (const n of order) {
    const r0 = rank.get(n.inputs[0] ?? "");
    if (r0 === undefined || n.outputs.length !== 1) continue;
    let r: number | undefined;
    if (n.op === "gemm" || n.op === "flatten") r = 2;
    else if (/^(conv2d|maxPool2d|avgPool2d|globalAvgPool2d)$/.test(n.op)) r = 4;
    else if (n.op === "gru")
      r = n.attrs.returnSequences ? 3 : 2; // [N, T, H] or [N, H]
    else if (SAME_RANK.has(n.op)) r = r0;
    else if (/^(add|sub|mul|div)$/.test(n.op)) {
      const r1 = rank.get(n.inputs[1] ?? "");
      r = r1 === undefined ? undefined : Math.max(r0, r1);
    } else if (n.op === "reshape") {
      const s = n.inputs[1] ? consts.get(n.inputs[1])?.data.length : undefined;
      const a = n.attrs.shape;
      r = s ?? (Array.isArray(a) ? a.length : undefined);
    }
    if (r !== undefined) rank.set(n.outputs[0]!, r);
  }
  return rank;
}

function makeObserver(choice: ObserverChoice): Observer {
  if (typeof choice === "function") return choice();
  if (choice === "minmax") return new MinMaxObserver();
  if (choice === "moving-average") return new MovingAverageMinMaxObserver();
  if (choice === "percentile") return new PercentileObserver();
  return fail(
    `observer must be "minmax", "moving-average", "percentile" or a factory (got ${show(choice)})`,
  );
}

/** What calibration learns: each observed value's range and its shape (at the first batch size). */
interface Calibration {
  readonly ranges: Map<string, [number, number]>;
  readonly shapes: Map<string, readonly number[]>;
}

/** The float graph with every float value of known rank exposed as an output. */
function exposeAll(g: Graph, order: readonly GraphNode[]): { graph: Graph; exposed: string[] } {
  const ranks = floatRanks(g, order);
  const isOutput = new Set(g.outputs.map((o) => o.name));
  const exposed = order.flatMap((n) => n.outputs.filter((o) => ranks.has(o) && !isOutput.has(o)));
  const outputs = [
    ...g.outputs,
    ...exposed.map((name) => ({
      name,
      dtype: "float32" as const,
      shape: new Array<number>(ranks.get(name)!).fill(-1),
    })),
  ];
  return { graph: { ...g, outputs }, exposed };
}

/** Shapes of every exposed value (batch 1), read off a session that is planned but never run. */
function shapesOf(g: Graph, order: readonly GraphNode[]): Map<string, readonly number[]> {
  const session = createSession(exposeAll(g, order).graph, { batchSize: 1, ops: allOps });
  const shapes = new Map<string, readonly number[]>([
    [g.inputs[0]!.name, session.inputs[0]!.shape],
  ]);
  for (const o of session.outputs) shapes.set(o.name, o.shape);
  return shapes;
}

/** Runs the float graph over the calibration samples, observing every exposed value. */
function calibrate(
  g: Graph,
  order: readonly GraphNode[],
  options: QuantizeGraphOptions,
): Calibration {
  const { calibration, observer = "minmax", batchSize = 32 } = options;
  if (g.inputs.length !== 1 || g.inputs[0]!.dtype !== "float32") {
    fail(`expected a graph with one float32 input (got ${g.inputs.map((v) => v.dtype)})`);
  }
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
    fail(`batchSize must be an integer ≥ 1 (got ${show(batchSize)})`);
  }
  const input = g.inputs[0]!;
  const per = input.shape.slice(1).reduce((a, b) => a * b, 1);
  let data: Float32Array;
  if (calibration instanceof Float32Array) data = calibration;
  else if (
    calibration !== null &&
    typeof calibration === "object" &&
    typeof calibration.dataSync === "function" &&
    Array.isArray(calibration.shape)
  ) {
    const s = calibration.shape;
    if (`${s.slice(1)}` !== `${input.shape.slice(1)}`) {
      fail(
        `calibration must be [n, ${input.shape.slice(1)}] for input "${input.name}" (got [${s}])`,
      );
    }
    const d = calibration.dataSync();
    data = d instanceof Float32Array ? d : Float32Array.from(d);
  } else {
    return fail("calibration must be a Float32Array or a Tensor-like with shape and dataSync");
  }
  const samples = data.length / per;
  const fixed = Math.max(input.shape[0]!, 0);
  if (!(Number.isInteger(samples) && samples >= 1 && (!fixed || samples % fixed === 0))) {
    fail(
      `calibration must hold a whole number of ${fixed ? `batches of ${fixed}` : "samples"} of ${per} values for input "${input.name}" (got ${data.length} values)`,
    );
  }
  const { graph, exposed } = exposeAll(g, order);
  const watched = [
    ...g.outputs.filter((o) => o.dtype === "float32").map((o) => o.name),
    ...exposed,
  ];
  const observers = new Map(watched.map((name) => [name, makeObserver(observer)]));
  const inObserver = makeObserver(observer);
  const shapes = new Map<string, readonly number[]>();
  const batch = fixed || Math.min(batchSize, samples);
  let session = createSession(graph, { batchSize: batch, ops: allOps });
  shapes.set(input.name, session.inputs[0]!.shape);
  for (const o of session.outputs) shapes.set(o.name, o.shape);
  for (let start = 0; start < samples; start += batch) {
    const n = Math.min(batch, samples - start);
    if (n !== batch) session = createSession(graph, { batchSize: n, ops: allOps }); // the remainder
    const x = data.subarray(start * per, (start + n) * per);
    inObserver.observe(x);
    const result = session.run<Output | OutputMap>(x);
    const byName: OutputMap = result instanceof Output ? { [result.name]: result } : result;
    for (const [name, obs] of observers) obs.observe(byName[name]!.data);
  }
  const ranges = new Map([...observers].map(([name, obs]) => [name, obs.range()]));
  ranges.set(input.name, inObserver.range());
  return { ranges, shapes };
}

/**
 * A static int8 version of a float graph (as `toGraph` emits): calibrates every activation's range
 * on `calibration` by running the float graph in the runtime, then replaces gemm/conv2d by
 * qlinearGemm/qlinearConv (weights int8 symmetric per output channel, w ≈ wScale[c]·q; bias int32
 * at xScale·wScale[c]; a following relu/relu6 fused), pools by qmaxPool2d/qavgPool2d, add by
 * qadd, keeps flatten/reshape on int8 values, and puts quantizeLinear/dequantizeLinear where
 * int8 and float ops meet and at the graph's inputs and outputs (real = scale·(q − zeroPoint)).
 * Ops with no int8 form (softmax, …) run in float32.
 * @param graph - a float graph with one float32 input; it is not modified
 * @param options - `calibration` samples (required), `observer` ("minmax"), `perChannel` (true),
 *   `batchSize` (32, for a −1 batch dim), `inputType` ("float32"; "int8" for an int8 input)
 * @returns a new graph with the same inputs and outputs; the caller owns its new initializers
 *   (unchanged float initializers are shared with `graph`)
 * @throws ArgumentError for bad options or calibration data, ModelFormatError for an invalid graph
 * @example
 * const g = { inputs: [{ name: "x", dtype: "float32", shape: [-1, 2] }], outputs: [{ name: "y", dtype: "float32", shape: [-1, 1] }], nodes: [{ op: "gemm", inputs: ["x", "w"], outputs: ["y"], attrs: { transB: 1 } }], initializers: [{ name: "w", dtype: "float32", shape: [1, 2], data: new Float32Array([1, -1]) }] };
 * const q = quantizeGraph(g, { calibration: new Float32Array([0, 1, 1, 0, 0.5, 0.5]) });
 * q.nodes.map((n) => n.op); // ["quantizeLinear", "qlinearGemm", "dequantizeLinear"]
 */
export function quantizeGraph(graph: Graph, options: QuantizeGraphOptions): Graph {
  if (
    options === null ||
    typeof options !== "object" ||
    (options.calibration === undefined) === (options.ranges === undefined)
  ) {
    fail("options need exactly one of calibration data or ranges");
  }
  const { perChannel = true, inputType = "float32" } = options;
  if (typeof perChannel !== "boolean")
    fail(`perChannel must be a boolean (got ${typeof perChannel})`);
  if (inputType !== "float32" && inputType !== "int8") {
    fail(`inputType must be "float32" or "int8" (got ${show(inputType)})`);
  }
  const typed = (q: Graph): Graph => (inputType === "int8" ? int8Input(q) : q);
  if (typeof graph !== "object" || graph === null || Array.isArray(graph)) {
    fail(`graph must be a Graph object (got ${graph === null ? "null" : typeof graph})`);
  }
  try {
    createSession(graph, { ops: allOps }); // checks the graph (ModelFormatError) before anything else
  } catch (e) {
    // the runtime names its own step (createSession); prefix the function called
    if (e instanceof EdgeNNError && !e.message.startsWith("quantizeGraph:")) {
      e.message = `quantizeGraph: ${e.message}`;
    }
    throw e;
  }
  const order = topoSort(graph);
  if (options.ranges !== undefined) {
    const ranges = new Map<string, [number, number]>();
    for (const [name, r] of options.ranges) {
      if (
        !(
          Array.isArray(r) &&
          r.length === 2 &&
          Number.isFinite(r[0]) &&
          Number.isFinite(r[1]) &&
          r[0] <= r[1]
        )
      ) {
        fail(`ranges: "${name}" must be [min, max] with finite min ≤ max (got ${show(r)})`);
      }
      ranges.set(name, [r[0], r[1]]);
    }
    return typed(convert(graph, order, ranges, shapesOf(graph, order), perChannel));
  }
  const { ranges, shapes } = calibrate(graph, order, options);
  return typed(convert(graph, order, ranges, shapes, perChannel));
}

/**
 * The graph with an int8 input: the quantizeLinear of the float input is removed and its readers
 * read the input, now int8 with that node's scale and zero point.
 */
function int8Input(g: Graph): Graph {
  const input = g.inputs[0]!;
  const quant = g.nodes.find((n) => n.op === "quantizeLinear" && n.inputs[0] === input.name);
  const readers = g.nodes.filter((n) => n !== quant && n.inputs.includes(input.name));
  if (!quant || readers.length > 0) {
    return fail(
      `inputType "int8" needs the input to feed int8 ops only (${quant ? `${readers[0]!.op} reads it as float` : "its first op has no int8 form"})`,
    );
  }
  const q = quant.outputs[0]!;
  const scale = quant.attrs.scale as number;
  const zeroPoint = quant.attrs.zeroPoint as number;
  return {
    ...g,
    inputs: [{ ...input, dtype: "int8", quant: { scale: [scale], zeroPoint: [zeroPoint] } }],
    nodes: g.nodes
      .filter((n) => n !== quant)
      .map((n) => ({ ...n, inputs: n.inputs.map((i) => (i === q ? input.name : i)) })),
  };
}

/** The fused activation of a relu or clip node, or null when it is neither relu nor relu6. */
function activationOf(n: GraphNode, consts: Map<string, Initializer>): QuantActivation | null {
  if ((n.op !== "relu" && n.op !== "clip") || n.outputs.length !== 1) return null;
  if (n.op === "relu") return n.inputs.length === 1 ? "relu" : null;
  const bound = (i: number, name: string, def: number): number | undefined => {
    const input = n.inputs[i];
    if (!input) {
      const a = n.attrs[name];
      return a === undefined ? def : typeof a === "number" ? a : undefined;
    }
    const t = consts.get(input);
    return t && t.data.length === 1 && t.dtype === "float32" ? t.data[0] : undefined;
  };
  const lo = bound(1, "min", Number.NEGATIVE_INFINITY);
  const hi = bound(2, "max", Number.POSITIVE_INFINITY);
  if (lo !== 0) return null;
  return hi === 6 ? "relu6" : hi === Number.POSITIVE_INFINITY ? "relu" : null;
}

function num(n: GraphNode, name: string, def: number): number {
  const v = n.attrs[name];
  return typeof v === "number" ? v : typeof v === "boolean" ? +v : def;
}

function convert(
  g: Graph,
  order: readonly GraphNode[],
  ranges: Map<string, [number, number]>,
  shapes: Map<string, readonly number[]>,
  perChannel: boolean,
): Graph {
  const consts = new Map(g.initializers.map((t) => [t.name, t]));
  const readers = new Map<string, GraphNode[]>();
  for (const n of order) for (const i of n.inputs) readers.set(i, [...(readers.get(i) ?? []), n]);
  const isOutput = new Set(g.outputs.map((o) => o.name));
  const used = new Set<string>([
    ...g.inputs.map((v) => v.name),
    ...g.initializers.map((t) => t.name),
    ...g.nodes.flatMap((n) => n.outputs),
  ]);
  const fresh = (base: string): string => {
    let name = base;
    for (let k = 2; used.has(name); k++) name = `${base}:${k}`;
    used.add(name);
    return name;
  };
  const nodes: GraphNode[] = [];
  const inits: Initializer[] = [];
  const q8 = new Map<string, Q8>();
  // float values that exist in the new graph: inputs, constants, float nodes' outputs
  const floats = new Set<string>([...g.inputs.map((v) => v.name), ...consts.keys()]);
  const skipped = new Set<GraphNode>();

  /** The float version of `v`, dequantizing its int8 version (under `v`'s own name) once. */
  const asFloat = (v: string): string => {
    const q = q8.get(v);
    if (v === "" || floats.has(v) || !q) return v;
    nodes.push({
      op: "dequantizeLinear",
      name: `${v}/dequantize`,
      inputs: [q.name],
      outputs: [v],
      attrs: { scale: q.scale, zeroPoint: q.zeroPoint },
    });
    floats.add(v);
    return v;
  };
  /** The int8 version of `v`, quantizing its float version once (when its range is known). */
  const asInt8 = (v: string): Q8 | undefined => {
    const have = q8.get(v);
    const range = ranges.get(v);
    if (have || !range || !floats.has(v) || consts.has(v)) return have;
    const q = { name: fresh(`${v}:q`), ...chooseQuantParams(range[0], range[1]) };
    nodes.push({
      op: "quantizeLinear",
      name: `${v}/quantize`,
      inputs: [v],
      outputs: [q.name],
      attrs: { scale: q.scale, zeroPoint: q.zeroPoint },
    });
    q8.set(v, q);
    return q;
  };
  /** The activation that fuses into `n` (its output's only reader) and the value it produces. */
  const fusedAfter = (n: GraphNode): [QuantActivation, string, GraphNode | null] => {
    const y = n.outputs[0]!;
    const rs = readers.get(y) ?? [];
    const act = rs.length === 1 && !isOutput.has(y) ? activationOf(rs[0]!, consts) : null;
    return act ? [act, rs[0]!.outputs[0]!, rs[0]!] : ["none", y, null];
  };
  /** A new int8 output value for float value `v` with `params`. */
  const output = (v: string, params: QuantParams): Q8 => {
    const q = { name: fresh(`${v}:q`), scale: params.scale, zeroPoint: params.zeroPoint };
    q8.set(v, q);
    return q;
  };
  const weights = (w: Float32Array, channels: number, name: string, shape: readonly number[]) => {
    const { q, scales } = quantizeWeightsPerChannel(w, perChannel ? channels : 1);
    const wScales = perChannel ? Array.from(scales) : new Array<number>(channels).fill(scales[0]!);
    const qName = fresh(`${name}:q`);
    inits.push({
      name: qName,
      dtype: "int8",
      shape: shape.slice(),
      data: q,
      quant: { scale: wScales, zeroPoint: new Array<number>(channels).fill(0), axis: 0 },
    });
    return { qName, wScales };
  };
  const bias = (b: string | undefined, x: Q8, wScales: number[], channels: number): string => {
    const t = b ? consts.get(b) : undefined;
    if (!t) return "";
    const qName = fresh(`${b}:q`);
    const data = quantizeBias(t.data, x.scale, wScales);
    inits.push({ name: qName, dtype: "int32", shape: [channels], data });
    return qName;
  };
  const constF32 = (name: string | undefined, rank: number): Initializer | undefined => {
    const t = name ? consts.get(name) : undefined;
    return t && t.dtype === "float32" && t.shape.length === rank ? t : undefined;
  };

  /** Tries the int8 form of `n`; false when it has none here (then it runs in float). */
  const int8 = (n: GraphNode): boolean => {
    const [x, ...rest] = n.inputs;
    const y = n.outputs[0]!;
    if (n.outputs.length !== 1 || !x) return false;
    if (n.op === "gemm") {
      const [b, c] = rest;
      const w = constF32(b, 2);
      const transB = num(n, "transB", 0);
      if (!w || num(n, "transA", 0) !== 0 || num(n, "alpha", 1) !== 1) return false;
      const [m, k] = transB ? [w.shape[0]!, w.shape[1]!] : [w.shape[1]!, w.shape[0]!];
      const cT = c ? consts.get(c) : undefined;
      if (c && !(cT && cT.dtype === "float32" && cT.data.length === m && num(n, "beta", 1) === 1)) {
        return false;
      }
      const [act, out, fused] = fusedAfter(n);
      const range = ranges.get(out);
      if (shapes.get(x)?.length !== 2 || !range) return false;
      const xq = asInt8(x);
      if (!xq) return false;
      let data = w.data as Float32Array;
      if (!transB) {
        // [K, M] → [M, K]
        data = new Float32Array(m * k);
        for (let i = 0; i < k; i++)
          for (let j = 0; j < m; j++) data[j * k + i] = w.data[i * m + j]!;
      }
      const { qName, wScales } = weights(data, m, b!, [m, k]);
      const yq = output(out, chooseQuantParams(range[0], range[1]));
      nodes.push({
        op: "qlinearGemm",
        ...(n.name !== undefined && { name: n.name }),
        inputs: [xq.name, qName, bias(c, xq, wScales, m)],
        outputs: [yq.name],
        attrs: {
          xScale: xq.scale,
          xZeroPoint: xq.zeroPoint,
          wScales,
          yScale: yq.scale,
          yZeroPoint: yq.zeroPoint,
          activation: act,
        },
      });
      if (fused) skipped.add(fused);
      return true;
    }
    if (n.op === "conv2d") {
      const [b, c] = rest;
      const w = constF32(b, 4);
      const outC = w?.shape[0] ?? 0;
      const cT = c ? consts.get(c) : undefined;
      if (!w || (c && !(cT && cT.dtype === "float32" && cT.data.length === outC))) return false;
      const [act, out, fused] = fusedAfter(n);
      const range = ranges.get(out);
      if (shapes.get(x)?.length !== 4 || !range) return false;
      const xq = asInt8(x);
      if (!xq) return false;
      const { qName, wScales } = weights(w.data as Float32Array, outC, b!, w.shape);
      const yq = output(out, chooseQuantParams(range[0], range[1]));
      nodes.push({
        op: "qlinearConv",
        ...(n.name !== undefined && { name: n.name }),
        inputs: [xq.name, qName, bias(c, xq, wScales, outC)],
        outputs: [yq.name],
        attrs: {
          ...n.attrs,
          xScale: xq.scale,
          xZeroPoint: xq.zeroPoint,
          wScales,
          yScale: yq.scale,
          yZeroPoint: yq.zeroPoint,
          activation: act,
        },
      });
      if (fused) skipped.add(fused);
      return true;
    }
    // the ops below keep their input's scale and zero point, and only run on an int8 input
    const xq = q8.get(x);
    if (
      /^(maxPool2d|avgPool2d|globalAvgPool2d|flatten|reshape|identity|dropout)$/.test(n.op) &&
      xq
    ) {
      let op = n.op;
      let attrs = n.attrs;
      let inputs = [xq.name, ...rest];
      if (n.op === "maxPool2d") op = "qmaxPool2d";
      else if (n.op === "avgPool2d") {
        op = "qavgPool2d";
        attrs = { ...n.attrs, zeroPoint: xq.zeroPoint };
      } else if (n.op === "globalAvgPool2d") {
        const s = shapes.get(x);
        if (s?.length !== 4) return false;
        op = "qavgPool2d";
        attrs = {
          kernel_shape: [s[2]!, s[3]!],
          strides: [1, 1],
          pads: [0, 0, 0, 0],
          ceil_mode: 0,
          count_include_pad: 0,
          zeroPoint: xq.zeroPoint,
        };
      } else if (n.op === "dropout") {
        op = "identity";
        attrs = {};
        inputs = [xq.name];
      }
      const yq = output(y, xq);
      nodes.push({
        op,
        ...(n.name !== undefined && { name: n.name }),
        inputs,
        outputs: [yq.name],
        attrs,
      });
      return true;
    }
    if (n.op === "add") {
      const other = rest[0];
      const [act, out, fused] = fusedAfter(n);
      const range = ranges.get(out);
      // qadd needs equal shapes, one input int8 already, and a range for the other
      const params = (v: string): QuantParams | undefined => {
        const r = ranges.get(v);
        return q8.get(v) ?? (r && !consts.has(v) ? chooseQuantParams(r[0], r[1]) : undefined);
      };
      const aR = params(x);
      const bR = other ? params(other) : undefined;
      if (
        !other ||
        !range ||
        !aR ||
        !bR ||
        !(q8.has(x) || q8.has(other)) ||
        !shapes.has(x) ||
        `${shapes.get(x)}` !== `${shapes.get(other)}`
      ) {
        return false;
      }
      const yp = chooseQuantParams(range[0], range[1]);
      try {
        quantizedAddParams(
          aR.scale,
          aR.zeroPoint,
          bR.scale,
          bR.zeroPoint,
          yp.scale,
          yp.zeroPoint,
          -128,
          127,
        );
      } catch {
        return false; // scales too far apart for TFLite's add
      }
      const aq = asInt8(x);
      const bq = asInt8(other);
      if (!aq || !bq) return false;
      const yq = output(out, yp);
      nodes.push({
        op: "qadd",
        ...(n.name !== undefined && { name: n.name }),
        inputs: [aq.name, bq.name],
        outputs: [yq.name],
        attrs: {
          aScale: aq.scale,
          aZeroPoint: aq.zeroPoint,
          bScale: bq.scale,
          bZeroPoint: bq.zeroPoint,
          yScale: yq.scale,
          yZeroPoint: yq.zeroPoint,
          activation: act,
        },
      });
      if (fused) skipped.add(fused);
      return true;
    }
    return false;
  };

  for (const n of order) {
    if (skipped.has(n) || int8(n)) continue;
    nodes.push({ ...n, inputs: n.inputs.map(asFloat) });
    for (const o of n.outputs) floats.add(o);
  }
  for (const o of g.outputs) asFloat(o.name);
  const read = new Set(nodes.flatMap((n) => n.inputs));
  return {
    inputs: g.inputs,
    outputs: g.outputs,
    nodes,
    initializers: [...g.initializers.filter((t) => read.has(t.name)), ...inits],
    meta: { ...g.meta, quantization: `int8 static, ${perChannel ? "per-channel" : "per-tensor"}` },
  };
}
