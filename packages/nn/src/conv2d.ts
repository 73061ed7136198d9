import {
  ArgumentError,
  conv2d,
  DTypeError,
  type Padding,
  type Pair,
  ShapeError,
  type Tensor,
  Tensor as TensorClass,
  zeros,
} from "@edgenn/tensor";
import { type Initializer, type InitName, initWeight } from "./init.js";
import { Module } from "./module.js";
import { show, showJson } from "./show.js";

/** Options of `Conv2d`. */
export interface Conv2dLayerOptions {
  /** Step between windows: n | [sh, sw] (default 1). */
  stride?: Pair | undefined;
  /** n | [ph, pw] | [top, left, bottom, right] | "same" | "valid" (default 0). */
  padding?: Padding | undefined;
  /** Spacing between kernel taps: n | [dh, dw] (default 1). */
  dilation?: Pair | undefined;
  /** Channel groups; `groups = inChannels` is a depthwise conv (default 1). */
  groups?: number | undefined;
  /** Add a learned per-channel bias (default true). */
  bias?: boolean | undefined;
  /** Weight initializer, by name or as a function (default `"glorotUniform"`). Biases start at zero. */
  init?: InitName | Initializer | undefined;
  /** Seed of the weight initializer; without it the global generator is used. */
  seed?: number | undefined;
}

/** @internal `v` as [h, w] of integers ≥ `min`, else an ArgumentError naming `layer` and `name`. */
export function layerPair(layer: string, name: string, v: unknown, min: number): [number, number] {
  const ok = (e: unknown): e is number => typeof e === "number" && Number.isInteger(e) && e >= min;
  if (ok(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1])) return [v[0], v[1]];
  throw new ArgumentError(
    `${layer}: ${name} must be an integer ≥ ${min} or a pair of them (got ${showJson(v)})`,
  );
}

/** @internal Checks a padding option's form (the op resolves it against the input). */
export function layerPadding(layer: string, v: unknown): Padding {
  const ok = (e: unknown): boolean => typeof e === "number" && Number.isInteger(e) && e >= 0;
  if (
    v === "same" ||
    v === "valid" ||
    ok(v) ||
    (Array.isArray(v) && (v.length === 2 || v.length === 4) && v.every(ok))
  ) {
    return v as Padding;
  }
  throw new ArgumentError(
    `${layer}: padding must be an integer ≥ 0, [ph, pw], [top, left, bottom, right], "same" or "valid" (got ${showJson(v)})`,
  );
}

/** @internal Checks that `x` is a float32 `[N, C, H, W]` tensor with `channels` channels. */
export function checkImage(layer: string, x: unknown, channels: number | null): Tensor {
  if (!(x instanceof TensorClass)) {
    throw new ArgumentError(`${layer}: input must be a Tensor (got ${show(x)})`);
  }
  if (x.dtype !== "float32") {
    throw new DTypeError(`${layer}: input must be float32 (got ${x.dtype})`);
  }
  if (x.rank !== 4) {
    throw new ShapeError(
      `${layer}: input must have rank 4 (expected [N, C, H, W], got shape [${x.shape.join(",")}])`,
    );
  }
  if (channels !== null && x.shape[1] !== channels) {
    throw new ShapeError(
      `${layer}: input has ${x.shape[1]} channels (expected ${channels}, got shape [${x.shape.join(",")}])`,
    );
  }
  return x;
}

/**
 * A 2-D convolution layer, NCHW: `y = conv2d(x, W) + b` with `weight`
 * `[outChannels, inChannels/groups, kH, kW]` and `bias` `[outChannels]` (see the `conv2d` op for the
 * geometry). `groups = inChannels = outChannels` is a depthwise convolution.
 * @example
 * const conv = new Conv2d(1, 8, 3, { padding: 1, seed: 1 });
 * conv.forward(zeros([2, 1, 28, 28])).shape; // [2, 8, 28, 28]
 * conv.weight.shape; // [8, 1, 3, 3]
 */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  /** [kH, kW]. */
  readonly kernelSize: [number, number];
  /** [sH, sW]. */
  readonly stride: [number, number];
  /** As given (the op resolves "same" against each input). */
  readonly padding: Padding;
  /** [dH, dW]. */
  readonly dilation: [number, number];
  readonly groups: number;
  /** `[outChannels, inChannels/groups, kH, kW]`. */
  readonly weight: Tensor;
  /** `[outChannels]`, or null without a bias. */
  readonly bias: Tensor | null;

  /**
   * @param inChannels - channels of the input
   * @param outChannels - channels of the output (filters)
   * @param kernelSize - n | [kH, kW]
   * @param options - `stride` (1), `padding` (0), `dilation` (1), `groups` (1), `bias` (true),
   *   `init` ("glorotUniform"), `seed`
   * @throws {ArgumentError} for sizes that are not integers ≥ 1, channels not divisible by
   *   `groups`, bad padding, an unknown init or a bad seed
   */
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: Pair,
    options: Conv2dLayerOptions = {},
  ) {
    super();
    const layer = "Conv2d";
    for (const [name, v] of [
      ["inChannels", inChannels],
      ["outChannels", outChannels],
    ] as const) {
      if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1) {
        throw new ArgumentError(`${layer}: ${name} must be an integer ≥ 1 (got ${show(v)})`);
      }
    }
    if (typeof options !== "object" || options === null) {
      throw new ArgumentError(`${layer}: options must be an object (got ${show(options)})`);
    }
    const groups = options.groups ?? 1;
    if (typeof groups !== "number" || !Number.isInteger(groups) || groups < 1) {
      throw new ArgumentError(`${layer}: groups must be an integer ≥ 1 (got ${show(groups)})`);
    }
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new ArgumentError(
        `${layer}: channels must be divisible by groups (expected inChannels % groups == 0 and outChannels % groups == 0, got ${inChannels}, ${outChannels}, groups ${groups})`,
      );
    }
    const hasBias = options.bias ?? true;
    if (typeof hasBias !== "boolean") {
      throw new ArgumentError(`${layer}: bias must be a boolean (got ${show(hasBias)})`);
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = layerPair(layer, "kernelSize", kernelSize, 1);
    this.stride = layerPair(layer, "stride", options.stride ?? 1, 1);
    this.dilation = layerPair(layer, "dilation", options.dilation ?? 1, 1);
    this.padding = layerPadding(layer, options.padding ?? 0);
    this.groups = groups;
    const w = initWeight(
      layer,
      options.init ?? "glorotUniform",
      [outChannels, inChannels / groups, ...this.kernelSize],
      options.seed,
    );
    this.weight = this.addParameter("weight", w);
    this.bias = hasBias ? this.addParameter("bias", zeros([outChannels])) : null;
  }

  /**
   * `y = conv2d(x, W) + b`.
   * @param x - float32 `[N, inChannels, H, W]`
   * @returns a new float32 tensor `[N, outChannels, outH, outW]`, owned by the caller
   * @throws {ShapeError} if `x` is not rank 4 with `inChannels` channels, or is smaller than the kernel
   * @throws {DTypeError} if `x` is not float32
   */
  forward(x: Tensor): Tensor {
    checkImage("Conv2d", x, this.inChannels);
    const p = this.padding;
    // explicit pads [top, left, bottom, right]; "same" always fits
    const pads =
      p === "same"
        ? null
        : p === "valid"
          ? [0, 0, 0, 0]
          : typeof p === "number"
            ? [p, p, p, p]
            : p.length === 2
              ? [p[0], p[1], p[0], p[1]]
              : p;
    for (let i = 0; pads && i < 2; i++) {
      const eff = (this.kernelSize[i]! - 1) * this.dilation[i]! + 1;
      if (x.shape[2 + i]! + pads[i]! + pads[i + 2]! < eff) {
        throw new ShapeError(
          `Conv2d: input is smaller than the kernel (expected padded ${i === 0 ? "height" : "width"} ≥ ${eff}, got shape [${x.shape.join(",")}] with padding ${showJson(p)})`,
        );
      }
    }
    return conv2d(x, this.weight, this.bias ?? undefined, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }
}
