import type { Conv2dParams } from "../backend.js";
import { allocTensor, backendFor, record } from "../engine.js";
import { ArgumentError, ShapeError, UnsupportedOpError } from "../errors.js";
import { asTensor, checkDType, compose, contiguous, FLOAT } from "../op-helpers.js";
import { describe, fmt, type Shape } from "../shape.js";
import { Tensor } from "../tensor.js";
import { sum } from "./sum.js";

/** A size given once for both spatial dims, or as `[height, width]`. */
export type Pair = number | readonly [number, number];

/**
 * Spatial padding: `n` on every side, `[ph, pw]` (top = bottom = ph, left = right = pw),
 * `[top, left, bottom, right]`, `'same'` (output = ceil(input / stride); an odd total puts the
 * extra row/column at the end, as ONNX SAME_UPPER) or `'valid'` (none).
 */
export type Padding =
  | number
  | readonly [number, number]
  | readonly [number, number, number, number]
  | "same"
  | "valid";

/** Options of `conv2d`. */
export interface Conv2dOptions {
  /** Step between windows: n | [sh, sw] (default 1). */
  readonly stride?: Pair;
  /** Padding (default 0). */
  readonly padding?: Padding;
  /** Spacing between kernel taps: n | [dh, dw] (default 1). */
  readonly dilation?: Pair;
  /** Channel groups: input and output channels split into `groups` independent convs (default 1). */
  readonly groups?: number;
}

function show(v: unknown): string {
  return Array.isArray(v) ? `[${v.map((e) => describe(e)).join(",")}]` : describe(v);
}

/** @internal `v` as [h, w] of integers ≥ `min`, else an `ArgumentError` naming `op` and `name`. */
export function resolvePair(op: string, name: string, v: unknown, min: number): [number, number] {
  const ok = (e: unknown): e is number => typeof e === "number" && Number.isInteger(e) && e >= min;
  if (ok(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1])) return [v[0], v[1]];
  throw new ArgumentError(
    `${op}: ${name} must be an integer ≥ ${min} or a pair of them (got ${show(v)})`,
  );
}

/**
 * @internal Explicit pads [top, left, bottom, right] for `padding` given the input size, the
 * effective kernel size ((k − 1)·dilation + 1) and the stride of each spatial dim.
 */
export function resolvePadding(
  op: string,
  padding: unknown,
  input: readonly [number, number],
  effKernel: readonly [number, number],
  stride: readonly [number, number],
): [number, number, number, number] {
  if (padding === "valid") return [0, 0, 0, 0];
  if (padding === "same") {
    // SAME_UPPER: out = ceil(in / s), total = (out − 1)·s + k_eff − in, the odd one at the end
    const total = [0, 1].map((i) =>
      Math.max(0, (Math.ceil(input[i]! / stride[i]!) - 1) * stride[i]! + effKernel[i]! - input[i]!),
    ) as [number, number];
    const top = Math.floor(total[0] / 2);
    const left = Math.floor(total[1] / 2);
    return [top, left, total[0] - top, total[1] - left];
  }
  const ok = (e: unknown): e is number => typeof e === "number" && Number.isInteger(e) && e >= 0;
  if (ok(padding)) return [padding, padding, padding, padding];
  if (Array.isArray(padding) && padding.every(ok)) {
    const [a, b, c, d] = padding as number[];
    if (padding.length === 2) return [a!, b!, a!, b!];
    if (padding.length === 4) return [a!, b!, c!, d!];
  }
  throw new ArgumentError(
    `${op}: padding must be an integer ≥ 0, [ph, pw], [top, left, bottom, right], 'same' or 'valid' (got ${show(padding)})`,
  );
}

/** @internal Checks `t` is rank 4 (`what` names its layout in the message). */
export function checkRank4(op: string, t: Tensor, name: string, what: string): void {
  if (t.rank !== 4) {
    throw new ShapeError(`${op}: ${name} must have rank 4 ${what} (got shape ${fmt(t.shape)})`);
  }
}

/** @internal Checks an options argument is absent or a plain object. */
export function checkOptions(op: string, options: unknown): void {
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new ArgumentError(`${op}: options must be an object (got ${describe(options)})`);
  }
}

/** @internal Validates an optional bias `[channels]` and returns it (or null). */
export function checkBias(op: string, bias: unknown, channels: number): Tensor | null {
  if (bias === undefined || bias === null) return null;
  if (!(bias instanceof Tensor)) {
    throw new ArgumentError(
      `${op}: bias must be a Tensor, null or undefined (got ${describe(bias)})`,
    );
  }
  const b = asTensor(op, bias, "bias");
  checkDType(op, b, FLOAT, "bias");
  if (b.rank !== 1 || b.shape[0] !== channels) {
    throw new ShapeError(
      `${op}: bias must have shape [${channels}] (one per output channel, got ${fmt(b.shape)})`,
    );
  }
  return b;
}

function convBackend(
  op: string,
  kernel: "conv2d" | "conv2dBackpropInput" | "conv2dBackpropFilter",
) {
  const be = backendFor(op, kernel, "float32");
  if (typeof be[kernel] !== "function") {
    throw new UnsupportedOpError(
      `${op}: backend '${be.name}' has no ${kernel} kernel (expected Backend.${kernel})`,
    );
  }
  return be;
}

/**
 * @internal The conv2d primitive on validated operands: y = conv(x, w) + bias, shaped `outShape`.
 * Records its gradient with respect to x, w and bias.
 */
export function conv2dPrimitive(
  x: Tensor,
  w: Tensor,
  bias: Tensor | null,
  p: Conv2dParams,
  outShape: Shape,
): Tensor {
  return compose(() => {
    const xc = contiguous(x);
    const wc = contiguous(w);
    const bc = bias && contiguous(bias);
    const be = convBackend("conv2d", "conv2d");
    const y = allocTensor("conv2d", outShape, "float32", be);
    be.conv2d!(xc, wc, bc, y, p, "none");
    // dx = conv2dBackpropInput(dy, w) (the transposed conv), dw = conv2dBackpropFilter(x, dy),
    // dbias = Σ dy over N, H, W
    record("conv2d", bc ? [xc, wc, bc] : [xc, wc], y, (dy, needs) => [
      needs[0] ? conv2dBackpropInputPrimitive(dy, wc, xc.shape, p) : null,
      needs[1] ? conv2dBackpropFilterPrimitive(xc, dy, wc.shape, p) : null,
      ...(bc ? [needs[2] ? sum(dy, [0, 2, 3]) : null] : []),
    ]);
    return y;
  });
}

/**
 * @internal dx = the gradient of conv2d w.r.t. an input of `xShape`, given dy and w (also the
 * forward of convTranspose2d). Linear in both: records d(dy) = conv2d(dz, w), d(w) =
 * conv2dBackpropFilter(dz, dy).
 */
export function conv2dBackpropInputPrimitive(
  dy: Tensor,
  w: Tensor,
  xShape: Shape,
  p: Conv2dParams,
): Tensor {
  return compose(() => {
    const dyc = contiguous(dy);
    const wc = contiguous(w);
    const be = convBackend("conv2dBackpropInput", "conv2dBackpropInput");
    const dx = allocTensor("conv2dBackpropInput", xShape, "float32", be);
    be.conv2dBackpropInput!(dyc, wc, dx, p);
    // z = Bᵢ(dy, w) is bilinear: dz/d(dy) is conv2d(·, w), dz/dw is conv2dBackpropFilter(·, dy)
    record("conv2dBackpropInput", [dyc, wc], dx, (dz, needs) => [
      needs[0] ? conv2dPrimitive(dz, wc, null, p, dyc.shape) : null,
      needs[1] ? conv2dBackpropFilterPrimitive(dz, dyc, wc.shape, p) : null,
    ]);
    return dx;
  });
}

/**
 * @internal dw = the gradient of conv2d w.r.t. weights of `wShape`, given x and dy. Bilinear:
 * records d(x) = conv2dBackpropInput(dy, dz), d(dy) = conv2d(x, dz).
 */
export function conv2dBackpropFilterPrimitive(
  x: Tensor,
  dy: Tensor,
  wShape: Shape,
  p: Conv2dParams,
): Tensor {
  return compose(() => {
    const xc = contiguous(x);
    const dyc = contiguous(dy);
    const be = convBackend("conv2dBackpropFilter", "conv2dBackpropFilter");
    const dw = allocTensor("conv2dBackpropFilter", wShape, "float32", be);
    be.conv2dBackpropFilter!(xc, dyc, dw, p);
    record("conv2dBackpropFilter", [xc, dyc], dw, (dz, needs) => [
      needs[0] ? conv2dBackpropInputPrimitive(dyc, dz, xc.shape, p) : null,
      needs[1] ? conv2dPrimitive(xc, dz, null, p, dyc.shape) : null,
    ]);
    return dw;
  });
}

/**
 * 2-D convolution, NCHW (ONNX Conv; PyTorch's cross-correlation):
 * `y[n, o, i, j] = bias[o] + Σ_{c, kh, kw} x[n, g·C/G + c, i·sh − top + kh·dh, j·sw − left + kw·dw]·w[o, c, kh, kw]`
 * with g = the group of output channel o; positions in the padding read zero.
 * Output size per dim: `floor((in + padBegin + padEnd − ((k − 1)·dilation + 1)) / stride) + 1`.
 * @param x - float32 input `[N, C, H, W]`
 * @param w - float32 weights `[O, C / groups, kH, kW]`
 * @param bias - optional float32 `[O]`, added to every output position of its channel
 * @param options - `stride` (1), `padding` (0: n | [ph, pw] | [top, left, bottom, right] | 'same' |
 *   'valid'), `dilation` (1), `groups` (1)
 * @returns a new float32 tensor `[N, O, outH, outW]`, owned by the caller
 * @throws {ShapeError} if a rank is not 4, channels do not match or divide by `groups`, the bias
 *   shape is wrong, or the (dilated) kernel is larger than the padded input
 * @throws {DTypeError} for non-float32 operands
 * @throws {ArgumentError} for a non-positive or non-integer stride, dilation or groups, or bad padding
 * @example
 * const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], { shape: [1, 1, 3, 3] });
 * conv2d(x, ones([1, 1, 2, 2])).toArray(); // [[[[12, 16], [24, 28]]]]
 */
export function conv2d(
  x: Tensor,
  w: Tensor,
  bias?: Tensor | null,
  options: Conv2dOptions = {},
): Tensor {
  return compose(() => conv2dImpl(x, w, bias, options));
}

/**
 * @internal The checks conv2d and convTranspose2d share: float32 rank-4 `x` and `w` (`wLayout` names
 * the weight layout in messages), valid options, and `groups` an integer ≥ 1.
 */
export function convOperands(
  op: string,
  x: Tensor,
  w: Tensor,
  options: { readonly groups?: number },
  wLayout: string,
): { xt: Tensor; wt: Tensor; groups: number } {
  const xt = asTensor(op, x, "x");
  const wt = asTensor(op, w, "w");
  checkDType(op, xt, FLOAT, "x");
  checkDType(op, wt, FLOAT, "w");
  checkRank4(op, xt, "x", "[N, C, H, W]");
  checkRank4(op, wt, "w", wLayout);
  checkOptions(op, options);
  const groups = options.groups ?? 1;
  if (typeof groups !== "number" || !Number.isInteger(groups) || groups < 1) {
    throw new ArgumentError(`${op}: groups must be an integer ≥ 1 (got ${describe(groups)})`);
  }
  return { xt, wt, groups };
}

function conv2dImpl(
  x: Tensor,
  w: Tensor,
  bias: Tensor | null | undefined,
  options: Conv2dOptions,
): Tensor {
  const op = "conv2d";
  const { xt, wt, groups } = convOperands(op, x, w, options, "[outC, inC/groups, kH, kW]");
  const [n, c, h, wd] = xt.shape as [number, number, number, number];
  const [o, cg, kh, kw] = wt.shape as [number, number, number, number];
  if (c % groups !== 0 || o % groups !== 0) {
    throw new ShapeError(
      `${op}: channels must divide by groups (expected inC and outC multiples of ${groups}, got x ${fmt(xt.shape)}, w ${fmt(wt.shape)})`,
    );
  }
  if (cg !== c / groups) {
    throw new ShapeError(
      `${op}: weight channels do not match the input (expected w[1] == inC/groups = ${c / groups}, got x ${fmt(xt.shape)}, w ${fmt(wt.shape)}, groups ${groups})`,
    );
  }
  const b = checkBias(op, bias, o);
  const stride = resolvePair(op, "stride", options.stride ?? 1, 1);
  const dilation = resolvePair(op, "dilation", options.dilation ?? 1, 1);
  const eff: [number, number] = [(kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1];
  const [top, left, bottom, right] = resolvePadding(op, options.padding ?? 0, [h, wd], eff, stride);
  if (h + top + bottom < eff[0] || wd + left + right < eff[1]) {
    throw new ShapeError(
      `${op}: kernel larger than the padded input (expected dilated kernel ≤ padded input, got kernel ${eff[0]}×${eff[1]}, padded input ${h + top + bottom}×${wd + left + right})`,
    );
  }
  const outH = Math.floor((h + top + bottom - eff[0]) / stride[0]) + 1;
  const outW = Math.floor((wd + left + right - eff[1]) / stride[1]) + 1;
  const p: Conv2dParams = {
    strideH: stride[0],
    strideW: stride[1],
    padTop: top,
    padLeft: left,
    dilationH: dilation[0],
    dilationW: dilation[1],
    groups,
  };
  return conv2dPrimitive(xt, wt, b, p, [n, o, outH, outW]);
}
