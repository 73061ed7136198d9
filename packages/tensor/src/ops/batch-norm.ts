import { ArgumentError, ShapeError } from "../errors.js";
import { asTensor, checkDType, checkNumber, compose, FLOAT } from "../op-helpers.js";
import { describe, fmt } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { add } from "./add.js";
import { div } from "./div.js";
import { mul } from "./mul.js";
import { reshape } from "./reshape.js";
import { sqrt } from "./sqrt.js";
import { sub } from "./sub.js";

/** Options of `batchNorm`: per-channel statistics and affine parameters. */
export interface BatchNormOptions {
  /** Running mean, 1-D `[C]` (or a number for every channel). */
  mean: Tensor | number;
  /** Running (biased) variance, 1-D `[C]` (or a number for every channel). */
  variance: Tensor | number;
  /** γ, 1-D `[C]` (or a number); 1 when omitted. */
  scale?: Tensor | number | undefined;
  /** β, 1-D `[C]` (or a number); 0 when omitted. */
  bias?: Tensor | number | undefined;
  /** Added to the variance before the square root (default 1e-5, must be ≥ 0). */
  epsilon?: number | undefined;
}

/**
 * Batch normalization, inference form (ONNX BatchNormalization):
 * `y = (x − mean) / √(variance + ε) · scale + bias`, with per-channel parameters along axis 1.
 * Composed from primitives, so it is differentiable w.r.t. `x` and every parameter tensor.
 * With `epsilon = 0` a zero variance gives ±∞/NaN, as the formula says.
 * @param x - float32 tensor of rank ≥ 2, layout `[N, C, …]`
 * @param options - `mean`, `variance` (required), `scale`, `bias`: float32 1-D tensors of length C
 *   (a plain number stands for the same value in every channel); `epsilon`
 * @returns a new tensor of `x`'s shape, owned by the caller
 * @throws {ShapeError} if `x` has rank < 2 or a parameter is not 1-D of length C
 * @throws {DTypeError} if `x` or a parameter is not float32
 * @throws {ArgumentError} if `mean`/`variance` is missing or `epsilon` is negative or not finite
 * @example
 * const x = tensor([[1, 2], [3, 4]]); // [N, C] = [2, 2]
 * batchNorm(x, { mean: tensor([1, 2]), variance: tensor([4, 1]), epsilon: 0 }).toArray(); // [[0, 0], [1, 2]]
 */
export function batchNorm(x: Tensor, options: BatchNormOptions): Tensor {
  const op = "batchNorm";
  const t = asTensor(op, x);
  checkDType(op, t, FLOAT);
  if (t.rank < 2) {
    throw new ShapeError(`${op}: x must have rank ≥ 2 (expected [N, C, …], got ${fmt(t.shape)})`);
  }
  if (typeof options !== "object" || options === null) {
    throw new ArgumentError(
      `${op}: options must be an object with mean and variance (got ${describe(options)})`,
    );
  }
  const eps = checkNumber(op, "epsilon", options.epsilon ?? 1e-5, { min: 0 });
  const c = t.shape[1]!;
  // a [C] parameter reshaped to [C, 1, …, 1] broadcasts along axis 1 of x
  const paramShape = [c, ...new Array<number>(t.rank - 2).fill(1)];
  const param = (name: string, v: unknown, required: boolean): Tensor | null => {
    if (v === undefined) {
      if (required) throw new ArgumentError(`${op}: options.${name} is required (got undefined)`);
      return null;
    }
    const p = asTensor(op, v, name);
    checkDType(op, p, FLOAT, name);
    if (typeof v === "number") return p;
    if (p.rank !== 1 || p.shape[0] !== c) {
      throw new ShapeError(
        `${op}: ${name} must be 1-D with one value per channel (expected [${c}], got ${fmt(p.shape)} for x ${fmt(t.shape)})`,
      );
    }
    return p;
  };
  const perChannel = (p: Tensor): Tensor => (p.rank === 1 ? reshape(p, paramShape) : p);
  return compose(() => {
    const mean = param("mean", options.mean, true)!;
    const variance = param("variance", options.variance, true)!;
    const scale = param("scale", options.scale, false);
    const bias = param("bias", options.bias, false);
    // k = scale / √(variance + ε), computed on the C parameters before touching x
    const inv = div(1, sqrt(add(variance, eps)));
    const k = scale ? mul(inv, scale) : inv;
    const y = mul(sub(t, perChannel(mean)), perChannel(k));
    return bias ? add(y, perChannel(bias)) : y;
  });
}
