import { NUMERIC, type TensorLike, unaryOp } from "../op-helpers.js";
import type { Tensor } from "../tensor.js";
import { mul } from "./mul.js";
import { sign } from "./sign.js";

/**
 * Elementwise `abs(x) = |x|`.
 * @param x - float32 or integer tensor, or a number
 * @returns a new tensor of the same shape and dtype, owned by the caller
 * @throws {DTypeError} if `x` is bool
 * @example
 * abs(tensor([-1.5, 2])).toArray(); // [1.5, 2]
 */
export function abs(x: TensorLike): Tensor {
  // d|x| = sign(x)·dx (0 at x = 0)
  return unaryOp("abs", "abs", x, NUMERIC, (dy, x) => mul(dy, sign(x)));
}
