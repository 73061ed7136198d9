import {
  ArgumentError,
  avgPool2d,
  globalAvgPool2d,
  maxPool2d,
  type Padding,
  type Pair,
  type Tensor,
} from "@edgenn/tensor";
import { checkImage, layerPadding, layerPair } from "./conv2d.js";
import { Module } from "./module.js";
import { show } from "./show.js";

/** Options of `MaxPool2d`. */
export interface MaxPool2dLayerOptions {
  /** Step between windows: n | [sh, sw] (default `kernelSize`). */
  stride?: Pair | undefined;
  /** n | [ph, pw] | [top, left, bottom, right] | "same" | "valid" (default 0). */
  padding?: Padding | undefined;
  /** Spacing between window taps: n | [dh, dw] (default 1). */
  dilation?: Pair | undefined;
  /** Round the output size up instead of down (default false). */
  ceilMode?: boolean | undefined;
}

/** Options of `AvgPool2d`. */
export interface AvgPool2dLayerOptions {
  /** Step between windows: n | [sh, sw] (default `kernelSize`). */
  stride?: Pair | undefined;
  /** n | [ph, pw] | [top, left, bottom, right] | "same" | "valid" (default 0). */
  padding?: Padding | undefined;
  /** Round the output size up instead of down (default false). */
  ceilMode?: boolean | undefined;
  /** Divide by the whole window, padding included (default false). */
  countIncludePad?: boolean | undefined;
}

function checkOptions(layer: string, options: unknown): void {
  if (typeof options !== "object" || options === null) {
    throw new ArgumentError(`${layer}: options must be an object (got ${show(options)})`);
  }
}

function checkFlag(layer: string, name: string, v: unknown): boolean {
  if (typeof v !== "boolean") {
    throw new ArgumentError(`${layer}: ${name} must be a boolean (got ${show(v)})`);
  }
  return v;
}

/**
 * 2-D max pooling, NCHW: `y[n, c, i, j] = max` over each window (see the `maxPool2d` op).
 * @example
 * const pool = new MaxPool2d(2);
 * pool.forward(tensor([1, 5, 3, 2], { shape: [1, 1, 2, 2] })).toArray(); // [[[[5]]]]
 */
export class MaxPool2d extends Module {
  /** [kH, kW]. */
  readonly kernelSize: [number, number];
  /** [sH, sW]. */
  readonly stride: [number, number];
  readonly padding: Padding;
  /** [dH, dW]. */
  readonly dilation: [number, number];
  readonly ceilMode: boolean;

  /**
   * @param kernelSize - window size: n | [kH, kW]
   * @param options - `stride` (= kernelSize), `padding` (0), `dilation` (1), `ceilMode` (false)
   * @throws {ArgumentError} for sizes that are not integers ≥ 1, bad padding or a non-boolean flag
   */
  constructor(kernelSize: Pair, options: MaxPool2dLayerOptions = {}) {
    super();
    const layer = "MaxPool2d";
    checkOptions(layer, options);
    this.kernelSize = layerPair(layer, "kernelSize", kernelSize, 1);
    this.stride = layerPair(layer, "stride", options.stride ?? kernelSize, 1);
    this.padding = layerPadding(layer, options.padding ?? 0);
    this.dilation = layerPair(layer, "dilation", options.dilation ?? 1, 1);
    this.ceilMode = checkFlag(layer, "ceilMode", options.ceilMode ?? false);
  }

  /**
   * @param x - float32 `[N, C, H, W]`
   * @returns a new float32 tensor `[N, C, outH, outW]`, owned by the caller
   * @throws {ShapeError} if `x` is not rank 4 or smaller than the window
   * @throws {DTypeError} if `x` is not float32
   */
  forward(x: Tensor): Tensor {
    checkImage("MaxPool2d", x, null);
    return maxPool2d(x, {
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      ceilMode: this.ceilMode,
    });
  }
}

/**
 * 2-D average pooling, NCHW: `y[n, c, i, j]` = the mean of each window (see the `avgPool2d` op).
 * @example
 * const pool = new AvgPool2d(2);
 * pool.forward(tensor([1, 5, 3, 2], { shape: [1, 1, 2, 2] })).toArray(); // [[[[2.75]]]]
 */
export class AvgPool2d extends Module {
  /** [kH, kW]. */
  readonly kernelSize: [number, number];
  /** [sH, sW]. */
  readonly stride: [number, number];
  readonly padding: Padding;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;

  /**
   * @param kernelSize - window size: n | [kH, kW]
   * @param options - `stride` (= kernelSize), `padding` (0), `ceilMode` (false), `countIncludePad` (false)
   * @throws {ArgumentError} for sizes that are not integers ≥ 1, bad padding or a non-boolean flag
   */
  constructor(kernelSize: Pair, options: AvgPool2dLayerOptions = {}) {
    super();
    const layer = "AvgPool2d";
    checkOptions(layer, options);
    this.kernelSize = layerPair(layer, "kernelSize", kernelSize, 1);
    this.stride = layerPair(layer, "stride", options.stride ?? kernelSize, 1);
    this.padding = layerPadding(layer, options.padding ?? 0);
    this.ceilMode = checkFlag(layer, "ceilMode", options.ceilMode ?? false);
    this.countIncludePad = checkFlag(layer, "countIncludePad", options.countIncludePad ?? false);
  }

  /**
   * @param x - float32 `[N, C, H, W]`
   * @returns a new float32 tensor `[N, C, outH, outW]`, owned by the caller
   * @throws {ShapeError} if `x` is not rank 4 or smaller than the window
   * @throws {DTypeError} if `x` is not float32
   */
  forward(x: Tensor): Tensor {
    checkImage("AvgPool2d", x, null);
    return avgPool2d(x, {
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
    });
  }
}

/**
 * Global average pooling, NCHW: `y[n, c, 0, 0] = mean over (i, j) of x[n, c, i, j]`; the output
 * keeps the spatial dims as size 1 (`[N, C, 1, 1]`, as ONNX GlobalAveragePool), so follow it
 * with `Flatten` for a `[N, C]` matrix.
 * @example
 * const gap = new GlobalAvgPool2d();
 * gap.forward(tensor([1, 2, 3, 6], { shape: [1, 1, 2, 2] })).toArray(); // [[[[3]]]]
 */
export class GlobalAvgPool2d extends Module {
  /**
   * @param x - float32 `[N, C, H, W]` with H·W > 0
   * @returns a new float32 tensor `[N, C, 1, 1]`, owned by the caller
   * @throws {ShapeError} if `x` is not rank 4 or has an empty plane
   * @throws {DTypeError} if `x` is not float32
   */
  forward(x: Tensor): Tensor {
    checkImage("GlobalAvgPool2d", x, null);
    return globalAvgPool2d(x);
  }
}
