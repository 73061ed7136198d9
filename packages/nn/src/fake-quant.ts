/*
 * Quantization-aware training (QAT): fake quantization simulates int8 rounding and saturation in
 * float32 during training, so the weights adapt to the int8 grid before conversion.
 *  - `fakeQuantize` is q(x) = (clamp(round(x/s) + zp, qmin, qmax) − zp)·s with a straight-through
 *    estimator: the forward value is q(x), the gradient is 1 where round(x/s) + zp lies in
 *    [qmin, qmax] and 0 where it was clamped. Built from ops as y = x·m + stopGrad(q(x) − x·m)
 *    with the mask m computed without gradient, so autograd yields dy·m.
 *  - `FakeQuantize` observes an activation's range (moving average of batch min/max) and
 *    fake-quantizes it per tensor with TFLite's asymmetric int8 parameters.
 *  - `prepareQat` wraps a Sequential's Linear/Conv2d layers (sharing their parameters) so weights
 *    are fake-quantized per output channel (symmetric ±127) and outputs per tensor; `convertQat`
 *    returns the float model and the learned activation ranges by graph value name.
 */
import {
  ArgumentError,
  add,
  assign,
  cast,
  conv2d,
  DTypeError,
  div,
  greaterEqual,
  lessEqual,
  matmul,
  max,
  maximum,
  min,
  minimum,
  mul,
  noGrad,
  reshape,
  ShapeError,
  sub,
  type Tensor,
  Tensor as TensorClass,
  tensor,
  tidy,
  transpose,
} from "@edgenn/tensor";
import { symmetricWeightScale } from "@edgenn/tensor/kernels";
import { ReLU } from "./activations.js";
import { BatchNorm1d, BatchNorm2d } from "./batch-norm.js";
import { Conv2d } from "./conv2d.js";
import { type ToGraphOptions, toGraph } from "./export.js";
import { Linear } from "./linear.js";
import { Module } from "./module.js";
import { Sequential } from "./sequential.js";
import { show } from "./show.js";

/** Options of `fakeQuantize`. */
export interface FakeQuantizeOptions {
  /** The smallest quantized value (default −128). */
  qmin?: number | undefined;
  /** The largest quantized value (default 127). */
  qmax?: number | undefined;
  /** The axis a 1-D scale/zero point runs along (default 0; negative counts from the end). */
  axis?: number | undefined;
}

/** 1.5·2²³: adding and subtracting it rounds a float32 |v| < 2²² to an integer, half to even. */
const ROUNDER = 12582912;

/** A scale or zero point as a float32 tensor broadcasting along `axis` of `x` (1-D) or a scalar. */
function param(what: string, p: unknown, x: Tensor, axis: number, integer: boolean): Tensor {
  let t: Tensor;
  if (typeof p === "number") t = tensor(p);
  else if (p instanceof TensorClass) {
    p.assertAlive("fakeQuantize");
    t = p.dtype === "float32" ? p : cast(p, "float32");
  } else
    throw new ArgumentError(`fakeQuantize: ${what} must be a number or a Tensor (got ${typeof p})`);
  if (t.rank > 1) {
    throw new ShapeError(
      `fakeQuantize: ${what} must be a scalar or 1-D (expected rank 0 or 1, got shape [${t.shape.join(",")}])`,
    );
  }
  const v = t.dataSync();
  for (let i = 0; i < v.length; i++) {
    const e = v[i]!;
    const ok = integer ? Number.isInteger(e) : e > 0 && e < Number.POSITIVE_INFINITY;
    if (!ok) {
      throw new ArgumentError(
        `fakeQuantize: ${what} must be ${integer ? "integers" : "positive and finite"} (got ${e} at index ${i})`,
      );
    }
  }
  if (t.rank === 0 || t.size === 1) return t.rank === 0 ? t : reshape(t, []);
  const c = x.shape[axis];
  if (t.size !== c) {
    throw new ShapeError(
      `fakeQuantize: a 1-D ${what} needs one value per slice along axis ${axis} (expected [${c}], got [${t.shape.join(",")}] for x [${x.shape.join(",")}])`,
    );
  }
  return reshape(t, [c, ...new Array<number>(x.rank - axis - 1).fill(1)]);
}

/**
 * Fake quantization with a straight-through estimator: y = (clamp(round(x/s) + zp, qmin, qmax) − zp)·s
 * (round half to even, as QuantizeLinear), ∂y/∂x = 1 where round(x/s) + zp ∈ [qmin, qmax], else 0.
 * Per tensor (scalar scale) or per channel (1-D scale and zero point along `axis`). No gradient
 * flows to `scale` or `zeroPoint`.
 * @param x - float32 tensor
 * @param scale - positive finite number, or float32 scalar / 1-D tensor of length `x.shape[axis]`
 * @param zeroPoint - integer number, or a tensor of integers shaped like `scale`
 * @param options - `qmin` (−128), `qmax` (127), `axis` (0, used for a 1-D scale)
 * @returns a new float32 tensor of `x`'s shape, owned by the caller
 * @throws {DTypeError} if `x` is not float32
 * @throws {ShapeError} for a scale/zero point of rank > 1 or the wrong length, or a bad axis
 * @throws {ArgumentError} for a scale that is not positive and finite, a zero point that is not an
 *   integer, or qmin/qmax that are not integers with qmin < qmax and |q| < 2²¹
 * @example
 * fakeQuantize(tensor([-1.2, 0.3, 0.75, 300]), 0.5, 0).toArray(); // [-1, 0.5, 1, 63.5]
 */
export function fakeQuantize(
  x: Tensor,
  scale: Tensor | number,
  zeroPoint: Tensor | number = 0,
  options: FakeQuantizeOptions = {},
): Tensor {
  if (!(x instanceof TensorClass)) {
    throw new ArgumentError(`fakeQuantize: x must be a Tensor (got ${show(x)})`);
  }
  x.assertAlive("fakeQuantize");
  if (x.dtype !== "float32")
    throw new DTypeError(`fakeQuantize: x must be float32 (got ${x.dtype})`);
  if (typeof options !== "object" || options === null) {
    throw new ArgumentError(`fakeQuantize: options must be an object (got ${show(options)})`);
  }
  const { qmin = -128, qmax = 127, axis: axisIn = 0 } = options;
  const lim = 2 ** 21;
  if (
    !Number.isInteger(qmin) ||
    !Number.isInteger(qmax) ||
    qmin >= qmax ||
    Math.abs(qmin) >= lim ||
    Math.abs(qmax) >= lim
  ) {
    throw new ArgumentError(
      `fakeQuantize: qmin and qmax must be integers with qmin < qmax and |q| < 2^21 (got ${show(qmin)}, ${show(qmax)})`,
    );
  }
  if (!Number.isInteger(axisIn) || axisIn < -x.rank || axisIn >= Math.max(x.rank, 1)) {
    throw new ShapeError(
      `fakeQuantize: axis must be an integer in [${-x.rank}, ${x.rank}) (got ${show(axisIn)} for x [${x.shape.join(",")}])`,
    );
  }
  const axis = axisIn < 0 ? axisIn + x.rank : axisIn;
  return tidy(() => {
    const [mask, fq] = noGrad(() => {
      const s = param("scale", scale, x, axis, false);
      const zp = param("zeroPoint", zeroPoint, x, axis, true);
      // clamping x/s to [qmin − zp − 1, qmax − zp + 1] first keeps it in the rounder's range and
      // keeps out-of-range values out of range
      const v = div(x, s);
      const vc = minimum(maximum(v, sub(qmin - 1, zp)), sub(qmax + 1, zp));
      const q = add(sub(add(vc, ROUNDER), ROUNDER), zp);
      const m = mul(cast(greaterEqual(q, qmin), "float32"), cast(lessEqual(q, qmax), "float32"));
      const qc = minimum(maximum(q, qmin), qmax);
      return [m, mul(sub(qc, zp), s)] as const;
    });
    // forward: x·m + (q(x) − x·m) = q(x); backward: dy·m (the second term is a constant)
    const xm = mul(x, mask);
    const rest = noGrad(() => sub(fq, xm));
    return add(xm, rest);
  });
}

/**
 * TFLite's asymmetric parameters for [min, max] widened to contain 0: scale = (hi − lo)/(qmax − qmin)
 * in float32, the zero point nudged to the nearer end's integer (as `@edgenn/quant`'s
 * `chooseQuantParams`, so training and conversion use the same grid).
 */
function quantParams(
  lo0: number,
  hi0: number,
  qmin: number,
  qmax: number,
): { scale: number; zeroPoint: number } {
  const lo = Math.min(lo0, 0);
  const hi = Math.max(hi0, 0);
  if (lo === hi) return { scale: 1, zeroPoint: 0 };
  let scale = Math.fround((hi - lo) / (qmax - qmin));
  if (scale === 0) scale = 2 ** -149;
  const fromMin = qmin - lo / scale;
  const fromMax = qmax - hi / scale;
  const errMin = Math.abs(qmin) + Math.abs(lo / scale);
  const errMax = Math.abs(qmax) + Math.abs(hi / scale);
  const zp = errMin < errMax ? fromMin : fromMax;
  const z = zp < qmin ? qmin : zp > qmax ? qmax : Math.sign(zp) * Math.floor(Math.abs(zp) + 0.5);
  return { scale, zeroPoint: z + 0 };
}

/** Options of `FakeQuantize`. */
export interface FakeQuantizeLayerOptions {
  /** Weight of each new batch's extremes in the moving average, in (0, 1] (default 0.01). */
  momentum?: number | undefined;
  /** The quantized range (default −128 … 127). */
  qmin?: number | undefined;
  qmax?: number | undefined;
}

/**
 * An activation fake quantizer (per tensor, asymmetric int8). In training mode it observes each
 * batch: the first sets [min, max], later ones move them by min += momentum·(batchMin − min), max
 * likewise; the scale and zero point (buffers `scale`, `zeroPoint`; the range in buffer `range`)
 * follow as TFLite chooses them. Forward is `fakeQuantize(x, scale, zeroPoint)`, or x unchanged
 * before any batch was observed or while `fakeQuantEnabled` is false.
 * @example
 * const fq = new FakeQuantize();
 * fq.forward(tensor([0, 1, 2])).shape; // [3]
 * fq.range; // [0, 2]
 */
export class FakeQuantize extends Module {
  readonly momentum: number;
  readonly qmin: number;
  readonly qmax: number;
  /** Observe ranges in training mode (default true). */
  observerEnabled = true;
  /** Apply fake quantization (default true). */
  fakeQuantEnabled = true;
  /** `[2]`: [min, max] observed; min > max (±∞) before any observation. */
  readonly rangeBuffer: Tensor;
  /** `[1]`: the current scale. */
  readonly scale: Tensor;
  /** `[1]`: the current zero point (an integer, as float32). */
  readonly zeroPoint: Tensor;

  /**
   * @param options - `momentum` (0.01), `qmin` (−128), `qmax` (127)
   * @throws {ArgumentError} for a momentum outside (0, 1] or a bad qmin/qmax
   */
  constructor(options: FakeQuantizeLayerOptions = {}) {
    super();
    if (typeof options !== "object" || options === null) {
      throw new ArgumentError(`FakeQuantize: options must be an object (got ${show(options)})`);
    }
    const { momentum = 0.01, qmin = -128, qmax = 127 } = options;
    if (typeof momentum !== "number" || !(momentum > 0 && momentum <= 1)) {
      throw new ArgumentError(`FakeQuantize: momentum must be in (0, 1] (got ${show(momentum)})`);
    }
    if (
      !Number.isInteger(qmin) ||
      !Number.isInteger(qmax) ||
      qmin >= qmax ||
      qmin > 0 ||
      qmax < 0
    ) {
      throw new ArgumentError(
        `FakeQuantize: qmin and qmax must be integers with qmin ≤ 0 ≤ qmax, qmin < qmax (got ${show(qmin)}, ${show(qmax)})`,
      );
    }
    this.momentum = momentum;
    this.qmin = qmin;
    this.qmax = qmax;
    this.rangeBuffer = this.addBuffer(
      "range",
      tensor([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]),
    );
    this.scale = this.addBuffer("scale", tensor([1]));
    this.zeroPoint = this.addBuffer("zeroPoint", tensor([0]));
  }

  /** The observed [min, max], or null before any observation. */
  get range(): [number, number] | null {
    const r = this.rangeBuffer.dataSync();
    return r[0]! <= r[1]! ? [r[0]!, r[1]!] : null;
  }

  /**
   * Observes `x` (training mode) and fake-quantizes it.
   * @param x - float32 tensor
   * @returns a new float32 tensor owned by the caller, or `x` itself before any observation
   * @throws {DTypeError} if `x` is not float32
   */
  forward(x: Tensor): Tensor {
    if (!(x instanceof TensorClass) || x.dtype !== "float32") {
      throw new DTypeError(
        `FakeQuantize: input must be a float32 Tensor (got ${x instanceof TensorClass ? x.dtype : show(x)})`,
      );
    }
    x.assertAlive("FakeQuantize");
    if (this.isTraining && this.observerEnabled && x.size > 0) this.#observe(x);
    const r = this.range;
    if (!r || !this.fakeQuantEnabled) return x;
    return fakeQuantize(x, this.scale.dataSync()[0]!, this.zeroPoint.dataSync()[0]!, {
      qmin: this.qmin,
      qmax: this.qmax,
    });
  }

  #observe(x: Tensor): void {
    const [bLo, bHi] = noGrad(() => tidy(() => [min(x).item(), max(x).item()]));
    if (!(bLo <= bHi) || !Number.isFinite(bLo) || !Number.isFinite(bHi)) return; // NaN/∞ batches
    const r = this.range;
    const lo = r ? r[0] + this.momentum * (bLo - r[0]) : bLo;
    const hi = r ? r[1] + this.momentum * (bHi - r[1]) : bHi;
    const { scale, zeroPoint } = quantParams(lo, hi, this.qmin, this.qmax);
    tidy(() => {
      assign(this.rangeBuffer, tensor([lo, hi]));
      assign(this.scale, tensor([scale]));
      assign(this.zeroPoint, tensor([zeroPoint]));
    });
  }
}

/**
 * Per-output-channel symmetric fake quantization of a weight (axis 0, range ±127, zero point 0,
 * scale_c = `symmetricWeightScale(max|w_c|)`), as `quantizeWeightsPerChannel`.
 * @param w - float32 weight, output channels first
 * @returns a new float32 tensor owned by the caller; gradient 1 everywhere (nothing saturates)
 * @example
 * fakeQuantizeWeight(tensor([[1, -0.5, 0.25]])).toArray(); // [[1, -0.50393701…, 0.25196850…]]
 */
export function fakeQuantizeWeight(w: Tensor): Tensor {
  if (!(w instanceof TensorClass)) {
    throw new ArgumentError(`fakeQuantizeWeight: w must be a Tensor (got ${kind(w)})`);
  }
  w.assertAlive("fakeQuantizeWeight");
  if (w.dtype !== "float32") {
    throw new DTypeError(
      `fakeQuantizeWeight: w has dtype ${w.dtype} (expected float32, shape [${w.shape.join(",")}])`,
    );
  }
  const scales = noGrad(() => {
    const d = w.dataSync();
    const c = w.shape[0] ?? 1;
    const per = d.length / c;
    const s = new Float32Array(c);
    for (let o = 0; o < c; o++) {
      let m = 0;
      for (let i = o * per; i < (o + 1) * per; i++) m = Math.max(m, Math.abs(d[i]!));
      if (!Number.isFinite(m)) {
        throw new ArgumentError(
          `fakeQuantizeWeight: w has a non-finite value in channel ${o} (shape [${w.shape.join(",")}])`,
        );
      }
      s[o] = symmetricWeightScale(m);
    }
    return s;
  });
  return tidy(() => {
    const st = tensor(scales);
    return w.rank === 0
      ? fakeQuantize(w, scales[0]!, 0, { qmin: -127, qmax: 127 })
      : fakeQuantize(w, st, 0, { qmin: -127, qmax: 127, axis: 0 });
  });
}

/** A short description of an unexpected argument: its class, or its value. */
function kind(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return `array(${v.length})`;
  if (typeof v === "object") return (v as object).constructor?.name ?? "object";
  return typeof v === "string" ? JSON.stringify(v.slice(0, 20)) : show(v);
}

/** Checks the constructor arguments of a QAT wrapper: the float layer and its output quantizer. */
function checkWrapped(
  op: string,
  layer: unknown,
  cls: abstract new (...a: never[]) => Module,
  outputQuant: unknown,
): void {
  if (!(layer instanceof cls)) {
    throw new ArgumentError(`${op}: layer must be a ${cls.name} (got ${kind(layer)})`);
  }
  if (outputQuant !== null && outputQuant !== undefined && !(outputQuant instanceof FakeQuantize)) {
    throw new ArgumentError(
      `${op}: outputQuant must be a FakeQuantize or null (got ${kind(outputQuant)})`,
    );
  }
}

/**
 * A Linear with fake-quantized weights (per output channel) and optionally a fake-quantized
 * output. It registers the wrapped layer's `weight` and `bias` under the same names: the very
 * same tensors, so optimizers built on either model stay valid. `prepareQat` makes these.
 * @example
 * const fc = new Linear(3, 2, { seed: 1 });
 * const q = new QatLinear(fc, new FakeQuantize());
 * q.forward(tensor([[1, 2, 3]])).shape; // [1, 2]
 * q.weight === fc.weight; // true
 */
export class QatLinear extends Module {
  readonly layer: Linear;
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  /** The output's quantizer, or null when a later layer (BatchNorm, ReLU) carries it. */
  readonly outputQuant: FakeQuantize | null;

  constructor(layer: Linear, outputQuant: FakeQuantize | null) {
    checkWrapped("QatLinear", layer, Linear, outputQuant);
    super();
    this.layer = layer;
    this.weight = this.addParameter("weight", layer.weight);
    this.bias = layer.bias ? this.addParameter("bias", layer.bias) : null;
    this.outputQuant = outputQuant ? this.addModule("outputQuant", outputQuant) : null;
  }

  /** `y = fq(x·fq(W)ᵀ + b)`; shapes and errors as `Linear.forward`. */
  forward(x: Tensor): Tensor {
    const f = this.layer.inFeatures;
    if (!(x instanceof TensorClass) || x.rank === 0 || x.shape[x.rank - 1] !== f) {
      throw new ShapeError(
        `QatLinear: input must be [..., ${f}] (got ${x instanceof TensorClass ? `[${x.shape.join(",")}]` : show(x)})`,
      );
    }
    return tidy(() => {
      const w = fakeQuantizeWeight(this.weight);
      const x2 = x.rank === 2 ? x : reshape(x, [-1, f]);
      const y = matmul(x2, transpose(w));
      const yb = this.bias ? add(y, this.bias) : y;
      const out =
        x.rank === 2 ? yb : reshape(yb, [...x.shape.slice(0, -1), this.layer.outFeatures]);
      return this.outputQuant ? this.outputQuant.forward(out) : out;
    });
  }
}

/**
 * A Conv2d with fake-quantized weights (per output channel) and optionally a fake-quantized
 * output, sharing the layer's parameters (as `QatLinear`). `prepareQat` makes these.
 * @example
 * const conv = new Conv2d(1, 2, 3, { padding: 1, seed: 1 });
 * new QatConv2d(conv, null).forward(zeros([1, 1, 4, 4])).shape; // [1, 2, 4, 4]
 */
export class QatConv2d extends Module {
  readonly layer: Conv2d;
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly outputQuant: FakeQuantize | null;

  constructor(layer: Conv2d, outputQuant: FakeQuantize | null) {
    checkWrapped("QatConv2d", layer, Conv2d, outputQuant);
    super();
    this.layer = layer;
    this.weight = this.addParameter("weight", layer.weight);
    this.bias = layer.bias ? this.addParameter("bias", layer.bias) : null;
    this.outputQuant = outputQuant ? this.addModule("outputQuant", outputQuant) : null;
  }

  /** `y = fq(conv2d(x, fq(W)) + b)`; shapes and errors as `Conv2d.forward`. */
  forward(x: Tensor): Tensor {
    const m = this.layer;
    return tidy(() => {
      const w = fakeQuantizeWeight(this.weight);
      const y = conv2d(x, w, this.bias ?? undefined, {
        stride: m.stride,
        padding: m.padding,
        dilation: m.dilation,
        groups: m.groups,
      });
      return this.outputQuant ? this.outputQuant.forward(y) : y;
    });
  }
}

/**
 * A layer followed by an output quantizer (the end of a Linear/Conv2d [BatchNorm] [ReLU] run).
 * @example
 * const r = new QatOutput(new ReLU(), new FakeQuantize());
 * r.forward(tensor([-1, 2])).toArray(); // [0, 2]
 */
export class QatOutput extends Module {
  readonly layer: Module;
  readonly outputQuant: FakeQuantize;

  constructor(layer: Module, outputQuant: FakeQuantize) {
    super();
    this.layer = this.addModule("layer", layer);
    this.outputQuant = this.addModule("outputQuant", outputQuant);
  }

  forward(x: Tensor): Tensor {
    return tidy(() => this.outputQuant.forward(this.layer.forward(x)));
  }
}

/** Options of `prepareQat`. */
export interface PrepareQatOptions {
  /** Fake-quantize the model input too (default true): its range becomes the graph input's. */
  quantizeInput?: boolean | undefined;
  /** Momentum of the activation observers (default 0.01). */
  momentum?: number | undefined;
}

/**
 * A QAT model: the layers of a Sequential with fake quantization, plus an input quantizer
 * (`inputQuant`). The parameters are the float model's own tensors (same names, same order).
 * Made by `prepareQat`.
 * @example
 * const qat = prepareQat(new Sequential(new Linear(2, 2, { seed: 1 }), new ReLU()));
 * [...qat.quantizers.keys()]; // ["1"]
 */
export class QatSequential extends Sequential {
  /** The float model this was prepared from (it shares the parameters, so it is trained too). */
  readonly floatModel: Module;
  readonly inputQuant: FakeQuantize | null;
  /** The output quantizer of each quantized run, by the float layer path whose output it covers. */
  readonly quantizers: ReadonlyMap<string, FakeQuantize>;

  constructor(
    floatModel: Module,
    layers: Module[],
    inputQuant: FakeQuantize | null,
    quantizers: Map<string, FakeQuantize>,
  ) {
    if (!(floatModel instanceof Module)) {
      throw new ArgumentError(
        `QatSequential: floatModel must be a Module (got ${kind(floatModel)})`,
      );
    }
    if (!Array.isArray(layers) || !layers.every((m) => m instanceof Module)) {
      throw new ArgumentError(
        `QatSequential: layers must be an array of Modules (got ${kind(layers)}); use prepareQat`,
      );
    }
    if (inputQuant !== null && inputQuant !== undefined && !(inputQuant instanceof FakeQuantize)) {
      throw new ArgumentError(
        `QatSequential: inputQuant must be a FakeQuantize or null (got ${kind(inputQuant)})`,
      );
    }
    if (!(quantizers instanceof Map)) {
      throw new ArgumentError(`QatSequential: quantizers must be a Map (got ${kind(quantizers)})`);
    }
    super(...layers);
    this.floatModel = floatModel;
    this.inputQuant = inputQuant ? this.addModule("inputQuant", inputQuant) : null;
    this.quantizers = quantizers;
  }

  override forward(...inputs: Tensor[]): Tensor {
    if (!this.inputQuant || inputs.length === 0) return super.forward(...inputs);
    const x = inputs[0]!;
    const xq = this.inputQuant.forward(x);
    const y = super.forward(xq, ...inputs.slice(1));
    if (xq !== x && y !== xq) xq.dispose();
    return y;
  }
}

const isRelu = (m: Module | undefined): m is ReLU =>
  m instanceof ReLU && m.forward === ReLU.prototype.forward;

/**
 * Prepares a float `Sequential` for quantization-aware training: each Linear/Conv2d gets
 * per-output-channel fake-quantized weights (symmetric ±127), and the output of each
 * Linear/Conv2d [BatchNorm] [ReLU] run gets an activation `FakeQuantize` (after the ReLU when one
 * follows); the input gets one too. The result shares the float model's parameters (same tensors,
 * same names and order), so an optimizer on either stays valid and training it trains the float
 * model. Other layers (pools, Flatten, Dropout, …) are used as they are; nested Sequentials are
 * treated as opaque layers.
 * @param model - a Sequential (or one Linear/Conv2d)
 * @param options - `quantizeInput` (true), `momentum` (0.01)
 * @returns a new QatSequential (dispose only one of it and `model`: they share parameters)
 * @throws {ArgumentError} if `model` is not a Sequential, Linear or Conv2d
 * @example
 * const model = new Sequential(new Linear(4, 8, { seed: 1 }), new ReLU(), new Linear(8, 2, { seed: 2 }));
 * const qat = prepareQat(model);
 * qat.parameters()[0] === model.parameters()[0]; // true
 */
export function prepareQat(model: Module, options: PrepareQatOptions = {}): QatSequential {
  if (typeof options !== "object" || options === null) {
    throw new ArgumentError(`prepareQat: options must be an object (got ${show(options)})`);
  }
  const { quantizeInput = true, momentum = 0.01 } = options;
  let layers: [string, Module][];
  if (model instanceof Sequential && model.forward === Sequential.prototype.forward) {
    layers = model.children();
  } else if (model instanceof Linear || model instanceof Conv2d) layers = [["", model]];
  else {
    throw new ArgumentError(
      `prepareQat: expected a Sequential, Linear or Conv2d (got ${model?.constructor?.name ?? show(model)})`,
    );
  }
  const out: Module[] = [];
  const quantizers = new Map<string, FakeQuantize>();
  for (let i = 0; i < layers.length; i++) {
    const m = layers[i]![1];
    if (!(m instanceof Linear || m instanceof Conv2d)) {
      out.push(m);
      continue;
    }
    // the run m [BatchNorm] [ReLU]: its last layer carries the output quantizer
    let end = i;
    const next = layers[end + 1]?.[1];
    if (
      (m instanceof Linear && next instanceof BatchNorm1d) ||
      (m instanceof Conv2d && next instanceof BatchNorm2d)
    ) {
      end++;
    }
    if (isRelu(layers[end + 1]?.[1])) end++;
    const fq = new FakeQuantize({ momentum });
    quantizers.set(layers[end]![0], fq);
    const wrap = (l: Linear | Conv2d, q: FakeQuantize | null): Module =>
      l instanceof Linear ? new QatLinear(l, q) : new QatConv2d(l, q);
    out.push(wrap(m, end === i ? fq : null));
    for (let j = i + 1; j <= end; j++) {
      const l = layers[j]![1];
      out.push(j === end ? new QatOutput(l, fq) : l);
    }
    i = end;
  }
  const input = quantizeInput ? new FakeQuantize({ momentum }) : null;
  return new QatSequential(model, out, input, quantizers);
}

/** What `convertQat` returns. */
export interface ConvertQatResult {
  /** The float model (trained in place by QAT), ready for `toGraph`. */
  readonly model: Module;
  /** Learned ranges by value name of `toGraph(model, options)`'s graph ([min, max]). */
  readonly ranges: Map<string, [number, number]>;
}

/** Ops whose output range is their input's (or inside it). */
const PASS = /^(maxPool2d|avgPool2d|globalAvgPool2d|flatten|reshape|identity|dropout)$/;

/**
 * Ends quantization-aware training: returns the float model and the activation ranges learned by
 * the QAT model's quantizers, keyed by the value names of `toGraph(model, options)` (the graph
 * input, each quantized run's output, and values that pass a range through: pools, flatten,
 * reshape; a ReLU maps [lo, hi] to [max(lo, 0), max(hi, 0)]).
 * @param qat - a model from `prepareQat`
 * @param options - as `toGraph`: `inputShape`, `inputName`, `outputName`
 * @returns `{ model, ranges }`
 * @throws {ArgumentError} if `qat` is not a QatSequential; as `toGraph`
 * @example
 * const { model, ranges } = convertQat(prepareQat(new Sequential(new Linear(2, 2, { seed: 1 }))), { inputShape: [-1, 2] });
 * ranges.size; // 0 before any training batch
 */
export function convertQat(qat: QatSequential, options: ToGraphOptions): ConvertQatResult {
  if (!(qat instanceof QatSequential)) {
    throw new ArgumentError(`convertQat: expected a model from prepareQat (got ${show(qat)})`);
  }
  const model = qat.floatModel;
  const g = toGraph(model, options);
  const ranges = new Map<string, [number, number]>();
  const inRange = qat.inputQuant?.range;
  if (inRange) ranges.set(g.inputs[0]!.name, inRange);
  // the layer path of each node (toGraph names nodes "path/op" or "path/op:k")
  const pathOf = (n: { name?: string | undefined }): string => {
    if (!(model instanceof Sequential)) return ""; // a single layer's nodes are all its own
    const s = n.name ?? "";
    return s.slice(0, Math.max(0, s.lastIndexOf("/")));
  };
  // a run's quantizer covers the output of the last node emitted for any of its layers
  const runOf = new Map<string, string>(); // layer path → path of the run's last layer
  const kids = model instanceof Sequential ? model.children().map(([n]) => n) : [""];
  for (const [end] of qat.quantizers) {
    const e = kids.indexOf(end);
    for (let j = e; j >= 0; j--) {
      const l = model instanceof Sequential ? model.at(j) : model;
      runOf.set(kids[j]!, end);
      if (l instanceof Linear || l instanceof Conv2d) break;
    }
  }
  const lastNode = new Map<string, number>(); // run end → index of its last node
  g.nodes.forEach((n, i) => {
    const run = runOf.get(pathOf(n));
    if (run !== undefined) lastNode.set(run, i);
  });
  g.nodes.forEach((n, i) => {
    const y = n.outputs[0];
    if (y === undefined) return;
    const run = runOf.get(pathOf(n));
    const r = run !== undefined && lastNode.get(run) === i ? qat.quantizers.get(run)!.range : null;
    if (r) {
      ranges.set(y, r);
      return;
    }
    const x = ranges.get(n.inputs[0] ?? "");
    if (!x) return;
    if (PASS.test(n.op)) ranges.set(y, [x[0], x[1]]);
    else if (n.op === "relu") ranges.set(y, [Math.max(x[0], 0), Math.max(x[1], 0)]);
  });
  return { model, ranges };
}
