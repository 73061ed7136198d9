import type { Pool2dParams } from "../backend.js";
import { ArgumentError } from "../errors.js";
import { asTensor, checkDType, compose, FLOAT } from "../op-helpers.js";
import { describe } from "../shape.js";
import type { Tensor } from "../tensor.js";
import type { Padding, Pair } from "./conv2d.js";
import { poolGeometry, poolPrimitive } from "./max-pool2d.js";
import { pad } from "./pad.js";

/** Options of `avgPool2d`. */
export interface AvgPool2dOptions {
  /** Window size: n | [kh, kw] (required). */
  readonly kernelSize: Pair;
  /** Step between windows: n | [sh, sw] (default `kernelSize`). */
  readonly stride?: Pair;
  /** Padding (default 0): n | [ph, pw] | [top, left, bottom, right] | 'same' | 'valid'. */
  readonly padding?: Padding;
  /** Round the output size up instead of down (default false). */
  readonly ceilMode?: boolean;
  /** Divide by the whole window, padding included (default false: by the input taps only). */
  readonly countIncludePad?: boolean;
}

/**
 * 2-D average pooling, NCHW (ONNX AveragePool): `y[n, c, i, j] = Σ x[n, c, i·sh − top + kh,
 * j·sw − left + kw] / count` over the window's taps inside the input; `count` is the number of
 * those taps, or with `countIncludePad` the number of taps inside the padded input (kH·kW except
 * where a ceilMode window runs past the end padding, as PyTorch and ONNX Runtime).
 * @param x - float32 input `[N, C, H, W]`
 * @param options - `kernelSize` (required), `stride` (= kernelSize), `padding` (0), `ceilMode`
 *   (false), `countIncludePad` (false)
 * @returns a new float32 tensor `[N, C, outH, outW]`, owned by the caller
 * @throws {ShapeError} if x is not rank 4, the kernel is larger than the padded input, or a window
 *   lies entirely in the padding
 * @throws {DTypeError} for a non-float32 input
 * @throws {ArgumentError} for a missing or non-positive kernelSize or stride, bad padding, or a
 *   non-boolean flag
 * @example
 * const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], { shape: [1, 1, 4, 4] });
 * avgPool2d(x, { kernelSize: 2 }).toArray(); // [[[[3.5, 5.5], [11.5, 13.5]]]]
 */
export function avgPool2d(x: Tensor, options: AvgPool2dOptions): Tensor {
  return compose(() => {
    const op = "avgPool2d";
    const xt = asTensor(op, x, "x");
    checkDType(op, xt, FLOAT, "x");
    const countIncludePad = options?.countIncludePad ?? false;
    if (typeof countIncludePad !== "boolean") {
      throw new ArgumentError(
        `${op}: countIncludePad must be a boolean (got ${describe(countIncludePad)})`,
      );
    }
    const { p, outShape, pads } = poolGeometry(
      op,
      xt,
      { ...options, dilation: 1 },
      countIncludePad,
    );
    const [h, w] = [xt.shape[2]!, xt.shape[3]!];
    const overhang =
      (outShape[2] - 1) * p.strideH + p.kernelH > h + pads[0] + pads[2] ||
      (outShape[3] - 1) * p.strideW + p.kernelW > w + pads[1] + pads[3];
    if (!countIncludePad || !overhang) return poolPrimitive(op, "avg", xt, p, outShape);
    // a ceilMode window runs past the padded input: count the padding but not the overhang (as
    // PyTorch) by padding with zeros explicitly and averaging over the valid taps of that
    const padded = pad(xt, [0, 0, pads[0], pads[1], 0, 0, pads[2], pads[3]]);
    const q: Pool2dParams = { ...p, padTop: 0, padLeft: 0, countIncludePad: false };
    return poolPrimitive(op, "avg", padded, q, outShape);
  });
}
