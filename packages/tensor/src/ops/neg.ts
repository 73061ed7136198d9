import { NUMERIC, type TensorLike, unaryOp } from "../op-helpers.js";
import type { Tensor } from "../tensor.js";

/**
 * Elementwise `neg(x) = −x`.
 * @param x - float32 or integer tensor, or a number
 * @returns a new tensor of the same shape and dtype, owned by the caller
 * @throws {DTypeError} if `x` is bool
 * @example
 * neg(tensor([1, -2])).toArray(); // [-1, 2]
 */
export function neg(x: TensorLike): Tensor {
  // d(−x) = −dx
  return unaryOp("neg", "neg", x, NUMERIC, (dy) => neg(dy));
}
