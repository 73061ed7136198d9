/*
 * Model-level quantization: an `nn` model (or a runtime graph) → a `QuantizedModel` that runs in the
 * runtime, saves as a model file and reports its sizes.
 *  - static (default): `toGraph` (inputShape inferred as [−1, in] for a leading Linear), then
 *    `quantizeGraph` with the calibration samples (int8 activations and weights);
 *  - dynamic: weights only, no calibration: every constant gemm/conv2d weight is stored int8
 *    (symmetric, ±127) and dequantized at run time — per channel as
 *    dequantizeLinear(q, scale 1) · scales (a `mul` by a [M, 1] / [outC, 1, 1, 1] float32
 *    constant, since the runtime's dequantizeLinear is per-tensor), per tensor as
 *    dequantizeLinear(q, scale). Activations stay float32.
 */
import { Linear, type Module, Module as ModuleClass, Sequential, toGraph } from "@edgenn/nn";
import {
  createSession,
  encodeModel,
  type Graph,
  type GraphNode,
  type Initializer,
  Output,
  type OutputMap,
  type Session,
  type ValueInfo,
} from "@edgenn/runtime";
import { allOps } from "@edgenn/runtime/ops";
import { ArgumentError, DTypeError, ShapeError, type Tensor, tensor } from "@edgenn/tensor";
import { type ObserverChoice, quantizeGraph } from "./quantize-graph.js";
import { quantizeTensor, quantizeWeightsPerChannel } from "./reference.js";
import { show } from "./show.js";

/** A batch of samples as a Tensor-like object (`shape`, `dataSync`). */
export interface SampleTensor {
  readonly shape: readonly number[];
  dataSync(): ArrayLike<number>;
}

/** Options of `quantize`. */
export interface QuantizeOptions {
  /**
   * Calibration samples (static mode, required): stacked along the first dim, a Tensor-like or a
   * Float32Array holding a whole number of samples.
   */
  readonly calibration?: Float32Array | SampleTensor;
  /**
   * The model input's shape, batch first (batch −1: any). Optional for a model that starts with a
   * `Linear` (then `[-1, inFeatures]`) and for a Graph.
   */
  readonly inputShape?: readonly number[];
  /** The activation range observer of static mode (default "minmax"). */
  readonly observer?: ObserverChoice;
  /** One weight scale per output channel (default true), else one per tensor. */
  readonly perChannel?: boolean;
  /** "static" (default): int8 weights and activations; "dynamic": int8 weights only. */
  readonly mode?: "static" | "dynamic";
  /**
   * Static mode: the model's input dtype, "float32" (default) or "int8" (TFLite's integer-only
   * input: the caller quantizes with the input's `quant` scale and zero point; `predict` still takes
   * float32 and quantizes it).
   */
  readonly inputType?: "float32" | "int8";
}

/** Options of `QuantizedModel.predict`. */
export interface QuantizedPredictOptions {
  /** Samples per session run (default 256; a fixed batch dim in the graph wins). */
  readonly batchSize?: number;
}

const fmt = (s: readonly number[]): string => `[${s.join(",")}]`;

/** The first layer of a (nested) Sequential. */
function firstLayer(m: Module): Module {
  let cur = m;
  while (cur instanceof Sequential && cur.length > 0) cur = cur.at(0)!;
  return cur;
}

function checkInputShape(who: string, s: unknown): readonly number[] {
  if (
    !Array.isArray(s) ||
    s.length < 1 ||
    !s.every((d, i) => Number.isInteger(d) && (d >= 1 || (i === 0 && d === -1)))
  ) {
    throw new ArgumentError(
      `${who}: inputShape must be a list of integers ≥ 1, the first may be -1 (got ${JSON.stringify(s)})`,
    );
  }
  return s;
}

/**
 * The float graph of a model: a Graph as is, a Module through `toGraph` (inputShape inferred as
 * [−1, inFeatures] for a leading Linear).
 * @internal
 */
export function floatGraph(
  who: string,
  model: Module | Graph,
  inputShape: readonly number[] | undefined,
): Graph {
  if (model instanceof ModuleClass) {
    let shape = inputShape;
    if (shape === undefined) {
      const first = firstLayer(model);
      if (!(first instanceof Linear)) {
        throw new ArgumentError(
          `${who}: pass { inputShape } (the model starts with a ${first.constructor.name}, whose input size cannot be inferred)`,
        );
      }
      shape = [-1, first.inFeatures];
    }
    return toGraph(model, { inputShape: checkInputShape(who, shape) });
  }
  if (
    model !== null &&
    typeof model === "object" &&
    Array.isArray((model as Graph).nodes) &&
    Array.isArray((model as Graph).inputs)
  ) {
    if (inputShape !== undefined) {
      throw new ArgumentError(`${who}: inputShape is taken from the graph (do not pass it)`);
    }
    return model as Graph;
  }
  throw new ArgumentError(
    `${who}: model must be an nn Module or a runtime Graph (got ${model === null ? "null" : typeof model})`,
  );
}

/**
 * The float32 samples of `x` for the graph's one input: `[n, …]` matching the input's per-sample
 * shape (a Float32Array: any whole number of samples).
 * @internal
 */
export function samplesOf(
  who: string,
  graph: Graph,
  x: unknown,
  name = "x",
): { data: Float32Array; n: number } {
  const input = graph.inputs[0];
  if (graph.inputs.length !== 1 || (input?.dtype !== "float32" && input?.dtype !== "int8")) {
    throw new ArgumentError(`${who}: expected a model with one float32 (or int8) input`);
  }
  const sample = input.shape.slice(1);
  const per = sample.reduce((a, b) => a * b, 1);
  let data: Float32Array;
  if (x instanceof Float32Array) data = x;
  else if (
    x !== null &&
    typeof x === "object" &&
    typeof (x as SampleTensor).dataSync === "function" &&
    Array.isArray((x as SampleTensor).shape)
  ) {
    const s = (x as SampleTensor).shape;
    const dtype = (x as { dtype?: unknown }).dtype;
    if (dtype !== undefined && dtype !== "float32") {
      throw new DTypeError(`${who}: ${name} must be float32 (got ${show(dtype)})`);
    }
    if (`${s.slice(1)}` !== `${sample}` || s.length !== input.shape.length) {
      throw new ShapeError(`${who}: ${name} must be [n, ${sample}] (got ${fmt(s)})`);
    }
    const d = (x as SampleTensor).dataSync();
    data = d instanceof Float32Array ? d : Float32Array.from(d);
  } else {
    throw new ArgumentError(
      `${who}: ${name} must be a Float32Array or a Tensor (got ${x === null ? "null" : typeof x})`,
    );
  }
  const n = data.length / per;
  const fixed = input.shape[0]!;
  if (!(Number.isInteger(n) && n >= 1) || (fixed > 0 && n % fixed !== 0)) {
    throw new ShapeError(
      `${who}: ${name} must hold a whole number of ${fixed > 0 ? `batches of ${fixed}` : "samples"} of ${per} values (got ${data.length} values)`,
    );
  }
  return { data, n };
}

/** The [scale, zeroPoint] of an int8 input (per tensor). */
function inputQuant(input: ValueInfo): [number, number] {
  return [input.quant!.scale[0]!, input.quant!.zeroPoint[0]!];
}

/**
 * Runs `graph` over `n` samples in chunks (the graph's fixed batch, else `batch`), returning each
 * listed output's values for all samples, concatenated, and its per-sample shape.
 * @internal
 */
export function runChunks(
  graph: Graph,
  data: Float32Array,
  n: number,
  batch: number,
  sessions: Map<number, Session> = new Map(),
): Map<string, { data: Float32Array | Int8Array | Int32Array | Uint8Array; shape: number[] }> {
  const input = graph.inputs[0]!;
  const fixed = input.shape[0]!;
  const chunk = fixed > 0 ? fixed : Math.min(batch, n);
  const per = data.length / n;
  // an int8 input (inputType "int8") takes the samples quantized with its scale and zero point
  const x = input.dtype === "int8" ? quantizeTensor(data, ...inputQuant(input)) : data;
  const session = (b: number): Session => {
    let s = sessions.get(b);
    if (!s) {
      s = createSession(graph, { batchSize: b, ops: allOps });
      sessions.set(b, s);
    }
    return s;
  };
  const first = session(chunk);
  const result = new Map(
    first.outputs.map((o) => {
      const size = o.shape.slice(1).reduce((a, b) => a * b, 1);
      const Arr = {
        float32: Float32Array,
        int8: Int8Array,
        int32: Int32Array,
        uint8: Uint8Array,
      }[o.dtype as "float32"];
      return [o.name, { data: new Arr(size * n), shape: o.shape.slice(1), size }];
    }),
  );
  for (let start = 0; start < n; start += chunk) {
    const b = Math.min(chunk, n - start);
    const out = session(b).run<Output | OutputMap>(x.subarray(start * per, (start + b) * per));
    const byName: OutputMap = out instanceof Output ? { [out.name]: out } : out;
    for (const [name, r] of result) r.data.set(byName[name]!.data, start * r.size);
  }
  return new Map([...result].map(([k, { data, shape }]) => [k, { data, shape }]));
}

/**
 * An int8 model: its runtime graph, with a runtime session behind `predict`.
 */
export class QuantizedModel {
  /** The quantized runtime graph (`saveModel` / `encodeModel` it, or `createSession` it). */
  readonly graph: Graph;
  /** "static" (int8 weights and activations) or "dynamic" (int8 weights only). */
  readonly mode: "static" | "dynamic";
  readonly #sessions = new Map<number, Session>();
  #bytes: Uint8Array | undefined;

  /**
   * @param graph - the quantized graph (one float32 input)
   * @param mode - how it was quantized
   */
  constructor(graph: Graph, mode: "static" | "dynamic") {
    this.graph = graph;
    this.mode = mode;
  }

  /**
   * The model's outputs for every sample of `x`, run in the runtime in batches.
   * @param x - float32 samples `[n, …]` (a Tensor, or a Float32Array of whole samples)
   * @param options - `batchSize` (default 256)
   * @returns a new float32 Tensor `[n, …output]` owned by the caller
   * @throws ShapeError when `x` does not fit the input, DTypeError for a non-float32 Tensor,
   *   ArgumentError for a bad batch size
   * @example
   * const g = { inputs: [{ name: "x", dtype: "float32", shape: [-1, 2] }], outputs: [{ name: "y", dtype: "float32", shape: [-1, 1] }], nodes: [{ op: "gemm", inputs: ["x", "w"], outputs: ["y"], attrs: { transB: 1 } }], initializers: [{ name: "w", dtype: "float32", shape: [1, 2], data: new Float32Array([1, -1]) }] };
   * const q = quantize(g, { mode: "dynamic" });
   * q.predict(new Float32Array([3, 1, 0, 2])).shape; // [2, 1]
   */
  predict(x: Tensor | Float32Array, options: QuantizedPredictOptions = {}): Tensor {
    const batchSize = options?.batchSize ?? 256;
    if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
      throw new ArgumentError(
        `QuantizedModel.predict: batchSize must be an integer ≥ 1 (got ${show(batchSize)})`,
      );
    }
    const { data, n } = samplesOf("QuantizedModel.predict", this.graph, x);
    const name = this.graph.outputs[0]!.name;
    const out = runChunks(this.graph, data, n, batchSize, this.#sessions).get(name)!;
    const values = out.data instanceof Float32Array ? out.data : Float32Array.from(out.data);
    return tensor(values, { shape: [n, ...out.shape] });
  }

  /**
   * The model file (`encodeModel` of the graph: int8 weights, per-channel scales).
   * @returns a new Uint8Array owned by the caller
   * @example
   * const g = { inputs: [{ name: "x", dtype: "float32", shape: [-1, 2] }], outputs: [{ name: "y", dtype: "float32", shape: [-1, 1] }], nodes: [{ op: "gemm", inputs: ["x", "w"], outputs: ["y"], attrs: { transB: 1 } }], initializers: [{ name: "w", dtype: "float32", shape: [1, 2], data: new Float32Array([1, -1]) }] };
   * const bytes = quantize(g, { mode: "dynamic" }).toBytes();
   * loadModel(bytes, { ops: [int8Ops] }).run(new Float32Array([3, 1])).data[0]; // 2
   */
  toBytes(): Uint8Array {
    return encodeModel(this.graph);
  }

  /** The size of the model file in bytes. */
  get fileBytes(): number {
    this.#bytes ??= this.toBytes();
    return this.#bytes.byteLength;
  }

  /**
   * The runtime arena (inputs, intermediates, outputs) at a batch size.
   * @param batchSize - the batch (default 1)
   * @returns bytes
   */
  arenaBytes(batchSize = 1): number {
    if (!(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= 2 ** 24)) {
      throw new ArgumentError(
        `QuantizedModel.arenaBytes: batchSize must be an integer in [1, 2^24] (got ${show(batchSize)})`,
      );
    }
    return createSession(this.graph, { batchSize, ops: allOps }).arenaBytes;
  }
}

/** Weights-only int8: constant gemm/conv2d weights stored int8, dequantized at run time. */
function quantizeWeightsOnly(g: Graph, perChannel: boolean): Graph {
  createSession(g, { ops: allOps }); // checks the graph first (ModelFormatError)
  const consts = new Map(g.initializers.map((t) => [t.name, t]));
  const done = new Map<string, string>(); // weight name (+ layout) → its dequantized value
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
  // one dequantize chain per weight, in the order of first use
  const chains: GraphNode[][] = [];
  const inits: Initializer[] = [];
  /** The dequantized version of weight `w` laid out [channels, rest] in `data`. */
  const dequant = (w: Initializer, data: Float32Array, shape: number[], key: string): string => {
    const have = done.get(key);
    if (have) return have;
    const channels = shape[0]!;
    const { q, scales } = quantizeWeightsPerChannel(data, perChannel ? channels : 1);
    const qName = fresh(`${w.name}:q`);
    const out = fresh(`${w.name}:dq`);
    inits.push({
      name: qName,
      dtype: "int8",
      shape,
      data: q,
      quant: perChannel
        ? { scale: Array.from(scales), zeroPoint: new Array<number>(channels).fill(0), axis: 0 }
        : { scale: [scales[0]!], zeroPoint: [0] },
    });
    const chain: GraphNode[] = [];
    if (perChannel) {
      const ints = fresh(`${w.name}:int`);
      const sName = fresh(`${w.name}:scale`);
      inits.push({
        name: sName,
        dtype: "float32",
        shape: [channels, ...shape.slice(1).map(() => 1)],
        data: scales,
      });
      chain.push({
        op: "dequantizeLinear",
        name: `${w.name}/dequantize`,
        inputs: [qName],
        outputs: [ints],
        attrs: { scale: 1, zeroPoint: 0 },
      });
      chain.push({
        op: "mul",
        name: `${w.name}/scale`,
        inputs: [ints, sName],
        outputs: [out],
        attrs: {},
      });
    } else {
      chain.push({
        op: "dequantizeLinear",
        name: `${w.name}/dequantize`,
        inputs: [qName],
        outputs: [out],
        attrs: { scale: scales[0]!, zeroPoint: 0 },
      });
    }
    chains.push(chain);
    done.set(key, out);
    return out;
  };
  const nodes = g.nodes.map((n): GraphNode => {
    const w = consts.get(n.inputs[1] ?? "");
    if (w?.dtype !== "float32") return n;
    if (n.op === "gemm" && w.shape.length === 2) {
      const data = w.data as Float32Array;
      if (n.attrs.transB === 1 || n.attrs.transB === true) {
        const out = dequant(w, data, w.shape.slice(), `${w.name}|T`);
        return { ...n, inputs: [n.inputs[0]!, out, ...n.inputs.slice(2)] };
      }
      // [K, M] → [M, K], then transB = 1
      const [k, m] = w.shape as [number, number];
      const t = new Float32Array(m * k);
      for (let i = 0; i < k; i++) for (let j = 0; j < m; j++) t[j * k + i] = data[i * m + j]!;
      const out = dequant(w, t, [m, k], `${w.name}|N`);
      return {
        ...n,
        inputs: [n.inputs[0]!, out, ...n.inputs.slice(2)],
        attrs: { ...n.attrs, transB: 1 },
      };
    }
    if (n.op === "conv2d" && w.shape.length === 4) {
      const out = dequant(w, w.data as Float32Array, w.shape.slice(), `${w.name}|T`);
      return { ...n, inputs: [n.inputs[0]!, out, ...n.inputs.slice(2)] };
    }
    return n;
  });
  const read = new Set(nodes.flatMap((n) => n.inputs));
  return {
    inputs: g.inputs,
    outputs: g.outputs,
    // the chains first, last-used first: the runtime's scheduler (a stack over the ready nodes)
    // then dequantizes each weight just before its layer runs, so that only one dequantized
    // weight at a time occupies the arena (the order does not change any result)
    nodes: [...chains.reverse().flat(), ...nodes],
    initializers: [...g.initializers.filter((t) => read.has(t.name)), ...inits],
    meta: {
      ...g.meta,
      quantization: `int8 dynamic (weights only), ${perChannel ? "per-channel" : "per-tensor"}`,
    },
  };
}

/**
 * An int8 version of a trained model. Static (default): the model's inference graph (`toGraph`)
 * is calibrated on `calibration` and converted by `quantizeGraph` — weights int8 symmetric per
 * output channel (w ≈ scale_c·q), activations int8 asymmetric per tensor (x ≈ scale·(q − zp)).
 * Dynamic: weights only, no calibration — each gemm/conv2d weight is stored int8 and dequantized
 * at run time (per channel: dequantizeLinear then a multiply by the channel scales); activations
 * stay float32, so the file shrinks but the arena does not.
 * @param model - an `nn.Module` (its weights are copied) or a float runtime `Graph`
 * @param options - `calibration` (static: required), `inputShape` (required unless the model
 *   starts with a `Linear` or is a Graph), `observer` ("minmax"), `perChannel` (true), `mode`
 *   ("static")
 * @returns a new QuantizedModel
 * @throws ArgumentError for missing calibration (static), calibration or observer in dynamic mode,
 *   or a bad option; ShapeError when `inputShape` does not fit the model; ModelFormatError for an
 *   invalid graph
 * @example
 * const g = { inputs: [{ name: "x", dtype: "float32", shape: [-1, 2] }], outputs: [{ name: "y", dtype: "float32", shape: [-1, 1] }], nodes: [{ op: "gemm", inputs: ["x", "w"], outputs: ["y"], attrs: { transB: 1 } }], initializers: [{ name: "w", dtype: "float32", shape: [1, 2], data: new Float32Array([1, -1]) }] };
 * const q = quantize(g, { calibration: new Float32Array([0, 1, 1, 0, 0.5, 0.5]) });
 * q.graph.nodes.map((n) => n.op); // ["quantizeLinear", "qlinearGemm", "dequantizeLinear"]
 * quantize(g, { mode: "dynamic" }).graph.nodes.map((n) => n.op); // ["dequantizeLinear", "mul", "gemm"]
 */
export function quantize(model: Module | Graph, options: QuantizeOptions = {}): QuantizedModel {
  const who = "quantize";
  if (options === null || typeof options !== "object") {
    throw new ArgumentError(`${who}: options must be an object (got ${show(options)})`);
  }
  const {
    calibration,
    inputShape,
    observer,
    perChannel = true,
    mode = "static",
    inputType,
  } = options;
  if (mode !== "static" && mode !== "dynamic") {
    throw new ArgumentError(`${who}: mode must be "static" or "dynamic" (got ${show(mode)})`);
  }
  if (typeof perChannel !== "boolean") {
    throw new ArgumentError(`${who}: perChannel must be a boolean (got ${show(perChannel)})`);
  }
  if (mode === "static" && calibration === undefined) {
    throw new ArgumentError(
      `${who}: static quantization needs { calibration } samples (or pass { mode: "dynamic" } for weights-only int8)`,
    );
  }
  if (
    mode === "dynamic" &&
    (calibration !== undefined || observer !== undefined || inputType !== undefined)
  ) {
    throw new ArgumentError(
      `${who}: dynamic mode takes no calibration, observer or inputType (it quantizes weights only)`,
    );
  }
  if (inputShape !== undefined) checkInputShape(who, inputShape);
  const g = floatGraph(who, model, inputShape);
  if (mode === "dynamic") return new QuantizedModel(quantizeWeightsOnly(g, perChannel), mode);
  const calib = samplesOf(who, g, calibration, "calibration").data;
  return new QuantizedModel(
    quantizeGraph(g, {
      calibration: calib,
      perChannel,
      ...(observer !== undefined && { observer }),
      ...(inputType !== undefined && { inputType }),
    }),
    mode,
  );
}
