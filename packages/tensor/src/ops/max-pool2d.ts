import type { Pool2dParams } from "../backend.js";
import { allocTensor, backendFor, checkAllocation, record } from "../engine.js";
import { ArgumentError, ShapeError, UnsupportedOpError } from "../errors.js";
import { asTensor, checkDType, compose, contiguous, FLOAT } from "../op-helpers.js";
import { describe, fmt } from "../shape.js";
import type { Tensor } from "../tensor.js";
import {
  checkOptions,
  checkRank4,
  type Padding,
  type Pair,
  resolvePadding,
  resolvePair,
} from "./conv2d.js";

/** Options of `maxPool2d`. */
export interface MaxPool2dOptions {
  /** Window size: n | [kh, kw] (required). */
  readonly kernelSize: Pair;
  /** Step between windows: n | [sh, sw] (default `kernelSize`). */
  readonly stride?: Pair;
  /** Padding (default 0): n | [ph, pw] | [top, left, bottom, right] | 'same' | 'valid'. */
  readonly padding?: Padding;
  /** Spacing between window taps: n | [dh, dw] (default 1). */
  readonly dilation?: Pair;
  /** Round the output size up instead of down (default false). */
  readonly ceilMode?: boolean;
}

/** @internal Window sizes shared by the pooling ops. */
export interface PoolOptions {
  readonly kernelSize: Pair;
  readonly stride?: Pair | undefined;
  readonly padding?: Padding | undefined;
  readonly dilation?: Pair | undefined;
  readonly ceilMode?: boolean | undefined;
}

/**
 * @internal Resolves pooling options against the input `[N, C, H, W]`: the kernel geometry, the
 * output shape and the explicit pads [top, left, bottom, right]. Output size per dim: `floor` (or `ceil` with ceilMode) of `(in + padBegin + padEnd
 * − ((k − 1)·dilation + 1)) / stride`, plus 1; with ceilMode, a last window that would start in
 * the end padding is dropped (the ONNX/PyTorch rule). Every window must overlap the input.
 */
export function poolGeometry(
  op: string,
  x: Tensor,
  options: PoolOptions,
  countIncludePad: boolean,
): {
  p: Pool2dParams;
  outShape: [number, number, number, number];
  pads: [number, number, number, number];
} {
  checkRank4(op, x, "x", "[N, C, H, W]");
  if (typeof options !== "object" || options === null) {
    throw new ArgumentError(
      `${op}: options with a kernelSize are required (got ${describe(options)})`,
    );
  }
  checkOptions(op, options);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const kernel = resolvePair(op, "kernelSize", options.kernelSize, 1);
  const stride = resolvePair(op, "stride", options.stride ?? options.kernelSize, 1);
  const dilation = resolvePair(op, "dilation", options.dilation ?? 1, 1);
  const ceilMode = options.ceilMode ?? false;
  if (typeof ceilMode !== "boolean") {
    throw new ArgumentError(`${op}: ceilMode must be a boolean (got ${describe(ceilMode)})`);
  }
  const eff = [(kernel[0] - 1) * dilation[0] + 1, (kernel[1] - 1) * dilation[1] + 1] as [
    number,
    number,
  ];
  const pads = resolvePadding(op, options.padding ?? 0, [h, w], eff, stride);
  const input = [h, w];
  const out = [0, 1].map((i) => {
    const begin = pads[i]!;
    const span = input[i]! + begin + pads[i + 2]! - eff[i]!;
    if (span < 0) {
      throw new ShapeError(
        `${op}: kernel larger than the padded input (expected dilated kernel ≤ padded input, got kernel ${eff[0]}×${eff[1]}, padded input ${h + pads[0] + pads[2]}×${w + pads[1] + pads[3]})`,
      );
    }
    let size = (ceilMode ? Math.ceil(span / stride[i]!) : Math.floor(span / stride[i]!)) + 1;
    // ceilMode: a window starting in the end padding (or past it) is dropped
    if (ceilMode && (size - 1) * stride[i]! >= input[i]! + begin) size--;
    return size;
  });
  // refuse an output over the size ceiling before walking its windows (huge paddings)
  checkAllocation(op, [n, c, out[0]!, out[1]!], x.dtype);
  out.forEach((size, i) => {
    const begin = pads[i]!;
    const d = dilation[i]!;
    const k = kernel[i]!;
    // every window must hold at least one input element (else max is −∞ and avg is 0/0); with
    // dilation ≤ input the taps cannot jump over the input, so the end windows decide
    const windows = d <= input[i]! ? [0, size - 1] : Array.from({ length: size }, (_, o) => o);
    for (const o of windows) {
      const start = o * stride[i]! - begin;
      // the first tap at or after 0, then whether it is before the input's end
      const t0 = start >= 0 ? 0 : Math.ceil(-start / d);
      const hit = t0 < k && start + t0 * d < input[i]!;
      if (!hit) {
        throw new ShapeError(
          `${op}: a window lies entirely in the padding (expected every window to overlap the input, got input ${fmt(x.shape)}, kernel [${kernel.join(",")}], stride [${stride.join(",")}], padding [${pads.join(",")}], dilation [${dilation.join(",")}])`,
        );
      }
    }
  });
  return {
    p: {
      kernelH: kernel[0],
      kernelW: kernel[1],
      strideH: stride[0],
      strideW: stride[1],
      padTop: pads[0],
      padLeft: pads[1],
      dilationH: dilation[0],
      dilationW: dilation[1],
      countIncludePad,
    },
    outShape: [n, c, out[0]!, out[1]!],
    pads,
  };
}

function poolBackend(op: string, kind: "max" | "avg") {
  const be = backendFor(op, `pool.${kind}`, "float32");
  if (typeof be.pool !== "function" || typeof be.poolBackward !== "function") {
    throw new UnsupportedOpError(
      `${op}: backend '${be.name}' has no pooling kernels (expected Backend.pool and Backend.poolBackward)`,
    );
  }
  return be;
}

/**
 * @internal The pooling primitive on a validated input: runs `pool.<kind>` and records its
 * gradient (`poolBackward`, which for max routes dy to each window's first maximum and for avg
 * spreads dy/count over the window).
 */
export function poolPrimitive(
  op: string,
  kind: "max" | "avg",
  x: Tensor,
  p: Pool2dParams,
  outShape: readonly number[],
): Tensor {
  const xc = contiguous(x);
  const be = poolBackend(op, kind);
  const y = allocTensor(op, outShape, "float32", be);
  be.pool!(kind, xc, y, p);
  // d pool(x) = poolBackward(x, dy): a linear map of dy (not recorded: no second derivative)
  record(op, [xc], y, (dy) => [
    compose(() => {
      const dyc = contiguous(dy);
      const dx = allocTensor(`${op}Backward`, xc.shape, "float32", be);
      be.poolBackward!(kind, xc, dyc, dx, p);
      return dx;
    }),
  ]);
  return y;
}

/**
 * 2-D max pooling, NCHW (ONNX MaxPool): `y[n, c, i, j] = max_{kh, kw} x[n, c, i·sh − top + kh·dh,
 * j·sw − left + kw·dw]` over the taps inside the input (padding never wins). NaN propagates.
 * @param x - float32 input `[N, C, H, W]`
 * @param options - `kernelSize` (required), `stride` (= kernelSize), `padding` (0), `dilation`
 *   (1), `ceilMode` (false)
 * @returns a new float32 tensor `[N, C, outH, outW]`, owned by the caller
 * @throws {ShapeError} if x is not rank 4, the kernel is larger than the padded input, or a window
 *   lies entirely in the padding
 * @throws {DTypeError} for a non-float32 input
 * @throws {ArgumentError} for a missing or non-positive kernelSize, stride or dilation, or bad padding
 * @example
 * const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], { shape: [1, 1, 4, 4] });
 * maxPool2d(x, { kernelSize: 2 }).toArray(); // [[[[6, 8], [14, 16]]]]
 */
export function maxPool2d(x: Tensor, options: MaxPool2dOptions): Tensor {
  return compose(() => {
    const op = "maxPool2d";
    const xt = asTensor(op, x, "x");
    checkDType(op, xt, FLOAT, "x");
    const { p, outShape } = poolGeometry(op, xt, options, false);
    return poolPrimitive(op, "max", xt, p, outShape);
  });
}
