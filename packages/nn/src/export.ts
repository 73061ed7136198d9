/*
 * Export: a trained model → the runtime's graph, the inference form of the model (what a model
 * file holds; the runtime never imports nn). Steps:
 *  1. flatten the model into its layers in execution order (nested Sequentials inline); every
 *     layer must be one whose forward the runtime reproduces, else one ArgumentError names them all;
 *  2. walk the layers tracking the value's static shape (the batch dim may be −1), emitting the
 *     nodes of each: a BatchNorm directly after a Conv2d (or a Linear with a 2-D output) is folded
 *     into that layer's weights, w' = w·γ/√(var + ε), b' = (b − mean)·γ/√(var + ε) + β; Dropout
 *     emits nothing (inference is the identity); a Linear on a rank other than 2 is a gemm between
 *     two reshapes;
 *  3. every weight is copied out (`dataSync` returns a new array), so the graph stays valid after
 *     the model is trained further or disposed.
 */
import {
  type AttrValue,
  encodeModel,
  type Graph,
  type GraphNode,
  type Initializer,
} from "@edgenn/runtime";
import { ArgumentError, EdgeNNError, type Padding, ShapeError, type Tensor } from "@edgenn/tensor";
import { GELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh } from "./activations.js";
import { BatchNorm1d, BatchNorm2d, type BatchNormBase } from "./batch-norm.js";
import { Conv2d } from "./conv2d.js";
import { Dropout } from "./dropout.js";
import { Flatten } from "./flatten.js";
import { GRU } from "./gru.js";
import { LayerNorm } from "./layer-norm.js";
import { Linear } from "./linear.js";
import type { Module } from "./module.js";
import { AvgPool2d, GlobalAvgPool2d, MaxPool2d } from "./pooling.js";
import { Sequential } from "./sequential.js";
import { show, showJson } from "./show.js";

/** Options of `toGraph` and `exportModel`. */
export interface ToGraphOptions {
  /**
   * The model input's shape, batch first (e.g. `[1, 1, 28, 28]`); the batch dim may be −1: the
   * session fixes it at load (`loadModel(bytes, { batchSize })`).
   */
  readonly inputShape: readonly number[];
  /** The graph input's name (default `"input"`). */
  readonly inputName?: string | undefined;
  /** The graph output's name (default `"output"`). */
  readonly outputName?: string | undefined;
}

/** The layers the export reproduces (a subclass counts when it keeps the layer's forward). */
const LAYERS = [
  Linear,
  Conv2d,
  BatchNorm1d,
  BatchNorm2d,
  LayerNorm,
  MaxPool2d,
  AvgPool2d,
  GlobalAvgPool2d,
  ReLU,
  LeakyReLU,
  GELU,
  Sigmoid,
  Tanh,
  Softmax,
  Dropout,
  Flatten,
  GRU,
] as const;

const fmt = (shape: readonly number[]): string => `[${shape.join(",")}]`;

/** A layer class (its constructor arguments do not matter here). */
type LayerClass = abstract new (...args: never[]) => Module;

/** True when `m` runs `C`'s own forward (an instance that does not override it). */
function runs(m: Module, C: LayerClass): boolean {
  return m instanceof C && m.forward === (C.prototype as Module).forward;
}

/** The layers of `m` in execution order, with their dotted paths; unsupported ones go in `bad`. */
function flatten(m: Module, path: string, out: [string, Module][], bad: string[]): void {
  if (runs(m, Sequential)) {
    for (const [name, child] of m.children()) {
      flatten(child, path ? `${path}.${name}` : name, out, bad);
    }
  } else if (LAYERS.some((C) => runs(m, C))) out.push([path, m]);
  else bad.push(path ? `${m.constructor.name} at "${path}"` : m.constructor.name);
}

/** The graph under construction and the current value: its name and static shape. */
class Builder {
  readonly nodes: GraphNode[] = [];
  readonly inits: Initializer[] = [];
  readonly #names = new Set<string>();
  value: string;
  shape: number[];
  /** The layer being exported: its path and class, for names and messages. */
  path = "";
  layer = "";

  constructor(input: string, shape: readonly number[]) {
    this.value = input;
    this.shape = shape.slice();
  }

  /** A name not used yet: `base`, else `base:2`, `base:3`, …. */
  fresh(base: string): string {
    let name = base;
    for (let k = 2; this.#names.has(name); k++) name = `${base}:${k}`;
    this.#names.add(name);
    return name;
  }

  /** Adds a float32 constant named after the layer's state (`"0.weight"`); returns its name. */
  weight(what: string, shape: readonly number[], data: Float32Array): string {
    const name = this.fresh(this.path ? `${this.path}.${what}` : what);
    this.inits.push({ name, dtype: "float32", shape: shape.slice(), data });
    return name;
  }

  /** Appends `op(value, ...extra)` producing `shape`; it becomes the current value. */
  emit(
    op: string,
    extra: readonly string[],
    attrs: Record<string, AttrValue>,
    shape: number[],
  ): void {
    const name = this.fresh(`${this.path || this.layer}/${op}`);
    this.nodes.push({ op, name, inputs: [this.value, ...extra], outputs: [name], attrs });
    this.value = name;
    this.shape = shape;
  }

  /** A ShapeError `toGraph: layer "path" (Class): what (got shape […])`. */
  fail(what: string): never {
    const at = this.path ? `layer "${this.path}" (${this.layer})` : this.layer;
    throw new ShapeError(`toGraph: ${at}: ${what} (got shape ${fmt(this.shape)})`);
  }
}

/** A parameter's elements, copied (float32). */
function data(t: Tensor): Float32Array {
  return t.dataSync() as Float32Array;
}

/**
 * Folds a BatchNorm into the weights `w` (`[C, …]`, one row block per output channel) and bias
 * of the layer before it: w' = w·k, b' = (b − mean)·k + β with k = γ/√(var + ε), in float64.
 */
function fold(
  w: Float32Array,
  b: Float32Array | null,
  bn: BatchNormBase,
): [Float32Array, Float32Array] {
  const c = bn.numFeatures;
  const per = w.length / c;
  const mean = data(bn.runningMean);
  const variance = data(bn.runningVar);
  const gamma = bn.weight ? data(bn.weight) : null;
  const beta = bn.bias ? data(bn.bias) : null;
  const w2 = new Float32Array(w.length);
  const b2 = new Float32Array(c);
  for (let o = 0; o < c; o++) {
    const k = (gamma ? gamma[o]! : 1) / Math.sqrt(variance[o]! + bn.epsilon);
    for (let j = o * per; j < (o + 1) * per; j++) w2[j] = w[j]! * k;
    b2[o] = ((b ? b[o]! : 0) - mean[o]!) * k + (beta ? beta[o]! : 0);
  }
  return [w2, b2];
}

/**
 * The 2-D window attributes of a conv or pool over the current [N, C, H, W] value: explicit pads
 * [top, left, bottom, right] ("same" as ONNX SAME_UPPER: out = ⌈in/stride⌉, the odd pad at the
 * end) and the output size ⌊(in + pads − span)/stride⌋ + 1 (⌈⌉ with ceilMode, dropping a window
 * that starts in the end padding).
 */
function window2d(
  b: Builder,
  kernel: readonly [number, number],
  stride: readonly [number, number],
  dilation: readonly [number, number],
  padding: Padding,
  isCeil = false,
): { pads: number[]; out: [number, number] } {
  const input = [b.shape[2]!, b.shape[3]!];
  const span = [0, 1].map((i) => (kernel[i]! - 1) * dilation[i]! + 1);
  let pads: number[];
  if (padding === "same") {
    const total = [0, 1].map((i) =>
      Math.max(0, (Math.ceil(input[i]! / stride[i]!) - 1) * stride[i]! + span[i]! - input[i]!),
    );
    pads = [
      total[0]! >> 1,
      total[1]! >> 1,
      total[0]! - (total[0]! >> 1),
      total[1]! - (total[1]! >> 1),
    ];
  } else if (padding === "valid") pads = [0, 0, 0, 0];
  else if (typeof padding === "number") pads = [padding, padding, padding, padding];
  else if (padding.length === 2) pads = [padding[0], padding[1], padding[0], padding[1]];
  else pads = padding.slice();
  const out = [0, 1].map((i) => {
    const room = input[i]! + pads[i]! + pads[i + 2]! - span[i]!;
    if (room < 0) {
      b.fail(
        `the dilated window (${span[i]}) is larger than the padded input (${room + span[i]!})`,
      );
    }
    let o = (isCeil ? Math.ceil(room / stride[i]!) : Math.floor(room / stride[i]!)) + 1;
    if (isCeil && (o - 1) * stride[i]! >= input[i]! + pads[i]!) o--;
    return o;
  }) as [number, number];
  return { pads, out };
}

function checkImage(b: Builder, channels?: number): void {
  if (b.shape.length !== 4) b.fail("expected rank 4 [N, C, H, W]");
  if (channels !== undefined && b.shape[1] !== channels) {
    b.fail(`expected ${channels} channels`);
  }
}

/** Linear → gemm(x, W, b, transB = 1), between reshapes when x is not 2-D. */
function linear(b: Builder, m: Linear, bn: BatchNormBase | null): void {
  const s = b.shape;
  if (s[s.length - 1] !== m.inFeatures) b.fail(`expected ${m.inFeatures} input features`);
  let w = data(m.weight);
  let bias = m.bias ? data(m.bias) : null;
  if (bn) [w, bias] = fold(w, bias, bn);
  const ins = [b.weight("weight", [m.outFeatures, m.inFeatures], w)];
  if (bias) ins.push(b.weight("bias", [m.outFeatures], bias));
  const lead = s.slice(0, -1);
  if (s.length === 2) {
    b.emit("gemm", ins, { transB: 1 }, [s[0]!, m.outFeatures]);
    return;
  }
  // [..., in] → [rows, in] → gemm → [..., out]; a −1 batch stays −1
  const rows = lead.includes(-1) ? -1 : lead.reduce((p, q) => p * q, 1);
  b.emit("reshape", [], { shape: [-1, m.inFeatures] }, [rows, m.inFeatures]);
  b.emit("gemm", ins, { transB: 1 }, [rows, m.outFeatures]);
  const out = [...lead, m.outFeatures];
  b.emit("reshape", [], { shape: out }, out);
}

/** Conv2d → conv2d(x, W, b) with ONNX attributes. */
function conv(b: Builder, m: Conv2d, bn: BatchNormBase | null): void {
  checkImage(b, m.inChannels);
  const { pads, out } = window2d(b, m.kernelSize, m.stride, m.dilation, m.padding);
  let w = data(m.weight);
  let bias = m.bias ? data(m.bias) : null;
  if (bn) [w, bias] = fold(w, bias, bn);
  const ins = [b.weight("weight", m.weight.shape, w)];
  if (bias) ins.push(b.weight("bias", [m.outChannels], bias));
  b.emit(
    "conv2d",
    ins,
    {
      kernel_shape: m.kernelSize,
      strides: m.stride,
      pads,
      dilations: m.dilation,
      group: m.groups,
    },
    [b.shape[0]!, m.outChannels, ...out],
  );
}

/** BatchNorm (not folded) → batchNorm(x, γ, β, mean, var); γ = 1, β = 0 when not affine. */
function batchNorm(b: Builder, m: BatchNormBase, ranks: readonly number[]): void {
  const c = m.numFeatures;
  if (!ranks.includes(b.shape.length)) b.fail(`expected rank ${ranks.join(" or ")}`);
  if (b.shape[1] !== c) b.fail(`expected ${c} channels`);
  const ins = [
    b.weight("weight", [c], m.weight ? data(m.weight) : new Float32Array(c).fill(1)),
    b.weight("bias", [c], m.bias ? data(m.bias) : new Float32Array(c)),
    b.weight("runningMean", [c], data(m.runningMean)),
    b.weight("runningVar", [c], data(m.runningVar)),
  ];
  b.emit("batchNorm", ins, { epsilon: m.epsilon }, b.shape);
}

/** A dim index in [−rank, rank) as [0, rank), or a ShapeError. */
function dim(b: Builder, d: number, what: string): number {
  const r = b.shape.length;
  if (d < -r || d >= r) b.fail(`${what} ${d} is out of range for rank ${r}`);
  return d < 0 ? d + r : d;
}

/** Emits the nodes of one layer; a BatchNorm in `bn` is folded into it (Conv2d, Linear). */
function layer(b: Builder, m: Module, bn: BatchNormBase | null): void {
  const s = b.shape;
  if (m instanceof Linear) linear(b, m, bn);
  else if (m instanceof Conv2d) conv(b, m, bn);
  else if (m instanceof BatchNorm1d) batchNorm(b, m, [2, 3]);
  else if (m instanceof BatchNorm2d) batchNorm(b, m, [4]);
  else if (m instanceof LayerNorm) {
    const k = m.normalizedShape.length;
    if (s.length < k || fmt(s.slice(s.length - k)) !== fmt(m.normalizedShape)) {
      b.fail(`expected the last dims to be ${fmt(m.normalizedShape)}`);
    }
    const ins: string[] = [];
    if (m.weight) ins.push(b.weight("weight", m.normalizedShape, data(m.weight)));
    if (m.bias) ins.push(b.weight("bias", m.normalizedShape, data(m.bias)));
    b.emit("layerNorm", ins, { axis: s.length - k, epsilon: m.epsilon }, s);
  } else if (m instanceof MaxPool2d || m instanceof AvgPool2d) {
    checkImage(b);
    const isMax = m instanceof MaxPool2d;
    const dilation = isMax ? m.dilation : ([1, 1] as const);
    const { pads, out } = window2d(b, m.kernelSize, m.stride, dilation, m.padding, m.ceilMode);
    const attrs: Record<string, AttrValue> = {
      kernel_shape: m.kernelSize,
      strides: m.stride,
      pads,
      ceil_mode: m.ceilMode ? 1 : 0,
    };
    if (isMax) attrs.dilations = dilation;
    else attrs.count_include_pad = m.countIncludePad ? 1 : 0;
    b.emit(isMax ? "maxPool2d" : "avgPool2d", [], attrs, [s[0]!, s[1]!, ...out]);
  } else if (m instanceof GlobalAvgPool2d) {
    checkImage(b);
    b.emit("globalAvgPool2d", [], {}, [s[0]!, s[1]!, 1, 1]);
  } else if (m instanceof ReLU) b.emit("relu", [], {}, s);
  else if (m instanceof LeakyReLU) b.emit("leakyRelu", [], { alpha: m.alpha }, s);
  else if (m instanceof GELU) b.emit("gelu", [], { approximate: m.approximate }, s);
  else if (m instanceof Sigmoid) b.emit("sigmoid", [], {}, s);
  else if (m instanceof Tanh) b.emit("tanh", [], {}, s);
  else if (m instanceof Softmax) b.emit("softmax", [], { axis: dim(b, m.axis, "axis") }, s);
  else if (m instanceof Flatten) {
    const from = dim(b, m.startDim, "startDim");
    const to = dim(b, m.endDim, "endDim");
    if (from > to) b.fail(`startDim ${m.startDim} comes after endDim ${m.endDim}`);
    const merged = s.slice(from, to + 1);
    const out = [
      ...s.slice(0, from),
      merged.includes(-1) ? -1 : merged.reduce((p, q) => p * q, 1),
      ...s.slice(to + 1),
    ];
    if (from === 1 && to === s.length - 1) b.emit("flatten", [], { axis: 1 }, out);
    else {
      // 0 copies a leading dim (the batch may be −1 until load), −1 is the merged one
      const target = out.map((d, i) => (i < from ? 0 : i === from ? -1 : d));
      b.emit("reshape", [], { shape: target }, out);
    }
  } else if (m instanceof GRU) {
    if (s.length !== 3 || s[2] !== m.inputSize) {
      b.fail(`expected [N, T, F] with F = ${m.inputSize}`);
    }
    const h = m.hiddenSize;
    const ins = [
      b.weight("weightIh", [3 * h, m.inputSize], data(m.weightIh)),
      b.weight("weightHh", [3 * h, h], data(m.weightHh)),
      b.weight("biasIh", [3 * h], data(m.biasIh)),
      b.weight("biasHh", [3 * h], data(m.biasHh)),
    ];
    const attrs = { hiddenSize: h, returnSequences: m.returnSequences ? 1 : 0 };
    b.emit("gru", ins, attrs, m.returnSequences ? [s[0]!, s[1]!, h] : [s[0]!, h]);
  }
  // Dropout: the identity at inference, no node
}

/** The BatchNorm after `m` that folds into it: BatchNorm2d after Conv2d, BatchNorm1d after a 2-D Linear. */
function foldable(b: Builder, m: Module, next: Module | undefined): BatchNormBase | null {
  if (m instanceof Conv2d && next instanceof BatchNorm2d) {
    return next.numFeatures === m.outChannels ? next : null;
  }
  if (m instanceof Linear && next instanceof BatchNorm1d && b.shape.length === 2) {
    return next.numFeatures === m.outFeatures ? next : null;
  }
  return null;
}

function checkName(what: string, v: unknown): string {
  if (typeof v !== "string" || v === "") {
    throw new ArgumentError(`toGraph: ${what} must be a non-empty string (got ${show(v)})`);
  }
  return v;
}

/**
 * Exports a model to the runtime's graph, in its inference form (whatever the model's mode):
 * `Sequential` (nested too) and single layers. Linear → gemm (transB), Conv2d → conv2d,
 * BatchNorm1d/2d folded into a directly preceding Conv2d/Linear (w' = w·γ/√(var + ε),
 * b' = (b − mean)·γ/√(var + ε) + β), else batchNorm; pools, GlobalAvgPool2d, ReLU, LeakyReLU,
 * GELU, Sigmoid, Tanh, Softmax, Flatten, LayerNorm → layerNorm, GRU → gru (h₀ = 0); Dropout is
 * left out (the identity at inference). A layer subclass that overrides `forward` is unsupported.
 * @param model - the model; its weights are copied, so the graph outlives it
 * @param options - `inputShape` (batch first; the batch dim may be −1), `inputName` ("input"),
 *   `outputName` ("output")
 * @returns a new graph (the caller owns its weight arrays): `encodeModel` / `saveModel` it, or
 *   `createSession` it directly
 * @throws {ArgumentError} for a module with no inference form in the runtime (the message names
 *   every such module's class and path), a bad `inputShape`, or names that clash
 * @throws {ShapeError} when `inputShape` does not fit a layer (the message names the layer)
 * @throws {DisposedTensorError} when the model's parameters were disposed
 * @example
 * const model = new Sequential(new Linear(4, 3, { seed: 1 }), new BatchNorm1d(3), new ReLU(), new Dropout(0.2));
 * const g = toGraph(model, { inputShape: [-1, 4] });
 * g.nodes.map((n) => n.op); // ["gemm", "relu"]
 * g.outputs[0].shape; // [-1, 3]
 * g.initializers.map((t) => t.name); // ["0.weight", "0.bias"]
 */
export function toGraph(model: Module, options: ToGraphOptions): Graph {
  if (typeof options !== "object" || options === null) {
    throw new ArgumentError(
      `toGraph: options with an inputShape are required (got ${show(options)})`,
    );
  }
  const { inputShape } = options;
  const inputName = checkName("inputName", options.inputName ?? "input");
  const outputName = checkName("outputName", options.outputName ?? "output");
  if (
    !Array.isArray(inputShape) ||
    inputShape.length < 1 ||
    inputShape.length > 8 ||
    inputShape.some((d, i) => !(Number.isInteger(d) && (d >= 1 || (d === -1 && i === 0))))
  ) {
    throw new ArgumentError(
      `toGraph: inputShape must be 1 to 8 integers ≥ 1, the first may be −1 (got ${showJson(inputShape)})`,
    );
  }
  const layers: [string, Module][] = [];
  const bad: string[] = [];
  flatten(model, "", layers, bad);
  if (bad.length) {
    throw new ArgumentError(
      `toGraph: no inference form for ${bad.join(", ")} (supported: Sequential, ${LAYERS.map((C) => C.name).join(", ")}; a subclass must not override forward)`,
    );
  }
  const b = new Builder(inputName, inputShape);
  b.fresh(inputName);
  for (let i = 0; i < layers.length; i++) {
    const [path, m] = layers[i]!;
    b.path = path;
    b.layer = m.constructor.name;
    const bn = foldable(b, m, layers[i + 1]?.[1]);
    layer(b, m, bn);
    if (bn) i++;
  }
  // the output must be some node's: a model of Dropouts only is one identity node
  if (b.value === inputName) {
    b.path = "";
    b.layer = model.constructor.name;
    b.emit("identity", [], {}, b.shape);
  }
  const last = b.nodes.length - 1;
  const final = b.nodes[last]!;
  if (b.fresh(outputName) !== outputName) {
    throw new ArgumentError(
      `toGraph: outputName "${outputName}" is already a name in the graph (pick another)`,
    );
  }
  b.nodes[last] = { ...final, outputs: [outputName] };
  return {
    inputs: [{ name: inputName, dtype: "float32", shape: inputShape.slice() }],
    outputs: [{ name: outputName, dtype: "float32", shape: b.shape }],
    nodes: b.nodes,
    initializers: b.inits,
  };
}

/**
 * The model file of a model: `encodeModel(toGraph(model, options))`. (Named `exportModel`, not
 * `saveModel`: the runtime's `saveModel(graph)` takes a graph, and one name for two signatures
 * would be ambiguous wherever both are imported.)
 * @param model - the model (weights copied; the model may be disposed afterwards)
 * @param options - as `toGraph`: `inputShape`, `inputName`, `outputName`
 * @returns the file's bytes, owned by the caller; `loadModel(bytes)` runs them
 * @throws as `toGraph`
 * @example
 * const bytes = exportModel(new Sequential(new Linear(2, 1, { seed: 1 }), new Sigmoid()), { inputShape: [1, 2] });
 * String.fromCharCode(...bytes.subarray(0, 4)); // "ENN1"
 */
export function exportModel(model: Module, options: ToGraphOptions): Uint8Array {
  try {
    return encodeModel(toGraph(model, options));
  } catch (e) {
    // the error names the step that refused (toGraph, encodeModel); prefix the function called
    if (e instanceof EdgeNNError && !e.message.startsWith("exportModel:")) {
      e.message = `exportModel: ${e.message}`;
    }
    throw e;
  }
}
