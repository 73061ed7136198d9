import { NUMERIC, type TensorLike, unaryOp } from "../op-helpers.js";
import type { Tensor } from "../tensor.js";
import { greater } from "./greater.js";
import { where } from "./where.js";

/**
 * Elementwise `relu(x) = max(x, 0)` (NaN passes through).
 * @param x - float32 or integer tensor, or a number
 * @returns a new tensor of the same shape and dtype, owned by the caller
 * @throws {DTypeError} if `x` is bool
 * @example
 * relu(tensor([-1, 2])).toArray(); // [0, 2]
 */
export function relu(x: TensorLike): Tensor {
  // d relu(x) = dx where x > 0, else 0
  return unaryOp("relu", "relu", x, NUMERIC, (dy, x) => where(greater(x, 0), dy, 0));
}
