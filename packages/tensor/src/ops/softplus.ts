import { FLOAT, type TensorLike, unaryOp } from "../op-helpers.js";
import type { Tensor } from "../tensor.js";
import { mul } from "./mul.js";
import { sigmoid } from "./sigmoid.js";

/**
 * Elementwise `softplus(x) = ln(1 + eˣ)`, computed as `max(x, 0) + log1p(e^−|x|)` so it never
 * overflows.
 * @param x - float32 tensor or number
 * @returns a new tensor of the same shape and dtype, owned by the caller
 * @throws {DTypeError} if `x` is not float32
 * @example
 * softplus(tensor([0])).toArray(); // [0.6931472]
 */
export function softplus(x: TensorLike): Tensor {
  // d softplus = σ(x)·dx
  return unaryOp("softplus", "softplus", x, FLOAT, (dy, x) => mul(dy, sigmoid(x)));
}
