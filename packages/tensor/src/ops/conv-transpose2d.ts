import type { Conv2dParams } from "../backend.js";
import { ShapeError } from "../errors.js";
import { compose } from "../op-helpers.js";
import { fmt } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { add } from "./add.js";
import {
  checkBias,
  conv2dBackpropInputPrimitive,
  convOperands,
  type Padding,
  type Pair,
  resolvePadding,
  resolvePair,
} from "./conv2d.js";
import { reshape } from "./reshape.js";

/** Options of `convTranspose2d`. */
export interface ConvTranspose2dOptions {
  /** Step between input positions in the output: n | [sh, sw] (default 1). */
  readonly stride?: Pair;
  /** Rows/columns cropped from the full output (default 0); `'same'` gives output = input·stride. */
  readonly padding?: Padding;
  /** Extra rows/columns added at the bottom/right of the output: n | [oh, ow] (default 0). */
  readonly outputPadding?: Pair;
  /** Spacing between kernel taps: n | [dh, dw] (default 1). */
  readonly dilation?: Pair;
  /** Channel groups (default 1). */
  readonly groups?: number;
}

/**
 * Transposed 2-D convolution, NCHW (ONNX ConvTranspose, PyTorch conv_transpose2d): the gradient of
 * `conv2d` with respect to its input, so each input position scatters `x[n, c, i, j]·w[c, o, kh,
 * kw]` to output position `(i·sh − top + kh·dh, j·sw − left + kw·dw)`.
 * Output size per dim: `(in − 1)·stride − padBegin − padEnd + (k − 1)·dilation + 1 + outputPadding`.
 * @param x - float32 input `[N, C, H, W]`
 * @param w - float32 weights `[C, O / groups, kH, kW]` (input channels first, as ONNX/PyTorch)
 * @param bias - optional float32 `[O]`
 * @param options - `stride` (1), `padding` (0: n | [ph, pw] | [top, left, bottom, right] | 'same' |
 *   'valid'), `outputPadding` (0), `dilation` (1), `groups` (1)
 * @returns a new float32 tensor `[N, O, outH, outW]`, owned by the caller
 * @throws {ShapeError} if a rank is not 4, channels do not match or divide by `groups`, the bias
 *   shape is wrong, or the output would be empty
 * @throws {DTypeError} for non-float32 operands
 * @throws {ArgumentError} for a non-positive or non-integer stride, dilation or groups, or bad padding
 * @example
 * // each input value stamps the 2×2 kernel of ones, stride 2: no overlap
 * const y = convTranspose2d(tensor([1, 2], { shape: [1, 1, 1, 2] }), ones([1, 1, 2, 2]), null, { stride: 2 });
 * y.toArray(); // [[[[1, 1, 2, 2], [1, 1, 2, 2]]]]
 */
export function convTranspose2d(
  x: Tensor,
  w: Tensor,
  bias?: Tensor | null,
  options: ConvTranspose2dOptions = {},
): Tensor {
  return compose(() => convTranspose2dImpl(x, w, bias, options));
}

function convTranspose2dImpl(
  x: Tensor,
  w: Tensor,
  bias: Tensor | null | undefined,
  options: ConvTranspose2dOptions,
): Tensor {
  const op = "convTranspose2d";
  const { xt, wt, groups } = convOperands(op, x, w, options, "[inC, outC/groups, kH, kW]");
  const [n, c, h, wd] = xt.shape as [number, number, number, number];
  const [wc, og, kh, kw] = wt.shape as [number, number, number, number];
  if (wc !== c) {
    throw new ShapeError(
      `${op}: weight channels do not match the input (expected w[0] == inC = ${c}, got x ${fmt(xt.shape)}, w ${fmt(wt.shape)})`,
    );
  }
  if (c % groups !== 0) {
    throw new ShapeError(
      `${op}: input channels must divide by groups (expected a multiple of ${groups}, got x ${fmt(xt.shape)})`,
    );
  }
  const o = og * groups;
  const b = checkBias(op, bias, o);
  const stride = resolvePair(op, "stride", options.stride ?? 1, 1);
  const dilation = resolvePair(op, "dilation", options.dilation ?? 1, 1);
  const outPad = resolvePair(op, "outputPadding", options.outputPadding ?? 0, 0);
  const eff: [number, number] = [(kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1];
  // the size before cropping: (in − 1)·s + k_eff + outputPadding
  const full = [0, 1].map((i) => ([h, wd][i]! - 1) * stride[i]! + eff[i]! + outPad[i]!) as [
    number,
    number,
  ];
  let pads: [number, number, number, number];
  if (options.padding === "same") {
    // ONNX SAME_UPPER: output = in·stride, the odd cropped row/column at the end
    const total = [full[0] - h * stride[0], full[1] - wd * stride[1]];
    if (total[0]! < 0 || total[1]! < 0) {
      throw new ShapeError(
        `${op}: padding 'same' needs a kernel that covers the stride (expected (k − 1)·dilation + 1 + outputPadding ≥ stride, got kernel ${eff[0]}×${eff[1]}, stride [${stride.join(",")}])`,
      );
    }
    const top = Math.floor(total[0]! / 2);
    const left = Math.floor(total[1]! / 2);
    pads = [top, left, total[0]! - top, total[1]! - left];
  } else {
    pads = resolvePadding(op, options.padding ?? 0, [h, wd], eff, stride);
  }
  const [top, left, bottom, right] = pads;
  const outH = full[0] - top - bottom;
  const outW = full[1] - left - right;
  if (outH < 1 || outW < 1) {
    throw new ShapeError(
      `${op}: padding crops the whole output (expected an output of at least 1×1, got ${outH}×${outW} from x ${fmt(xt.shape)}, w ${fmt(wt.shape)})`,
    );
  }
  // the conv2d whose input gradient this is: input [N, O, outH, outW], weights [C, O/g, kH, kW]
  const p: Conv2dParams = {
    strideH: stride[0],
    strideW: stride[1],
    padTop: top,
    padLeft: left,
    dilationH: dilation[0],
    dilationW: dilation[1],
    groups,
  };
  const y = conv2dBackpropInputPrimitive(xt, wt, [n, o, outH, outW], p);
  return b ? add(y, reshape(b, [1, o, 1, 1])) : y;
}
