import { binaryOp, NUMERIC, type TensorLike } from "../op-helpers.js";
import type { Tensor } from "../tensor.js";
import { lessEqual } from "./less-equal.js";
import { where } from "./where.js";

/**
 * Elementwise `minimum(a, b) = min(a, b)` with NumPy broadcasting; a NaN operand gives NaN
 * (NumPy `minimum`). The gradient goes to the smaller operand, to `a` on ties.
 * @param a - float32 or integer tensor, or a number
 * @param b - float32 or integer tensor, or a number, broadcastable with `a`
 * @returns a new tensor of the broadcast shape, owned by the caller
 * @throws {ShapeError} if the shapes do not broadcast
 * @throws {DTypeError} if the dtypes differ or are bool
 * @example
 * minimum(tensor([1, 5]), tensor([3, 2])).toArray(); // [1, 2]
 */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  // the gradient goes to the smaller operand; on ties, to a
  return binaryOp("minimum", "minimum", a, b, NUMERIC, (dy, a, b) => [
    where(lessEqual(a, b), dy, 0),
    where(lessEqual(a, b), 0, dy),
  ]);
}
