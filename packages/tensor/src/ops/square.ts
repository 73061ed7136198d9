import { NUMERIC, type TensorLike, unaryOp } from "../op-helpers.js";
import type { Tensor } from "../tensor.js";
import { mul } from "./mul.js";

/**
 * Elementwise `square(x) = x²`.
 * @param x - float32 or integer tensor, or a number
 * @returns a new tensor of the same shape and dtype, owned by the caller
 * @throws {DTypeError} if `x` is bool
 * @example
 * square(tensor([-3, 2])).toArray(); // [9, 4]
 */
export function square(x: TensorLike): Tensor {
  // d(x²) = 2x·dx
  return unaryOp("square", "square", x, NUMERIC, (dy, x) => mul(dy, mul(x, 2)));
}
