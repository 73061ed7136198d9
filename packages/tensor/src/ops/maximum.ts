import { binaryOp, NUMERIC, type TensorLike } from "../op-helpers.js";
import type { Tensor } from "../tensor.js";
import { greaterEqual } from "./greater-equal.js";
import { where } from "./where.js";

/**
 * Elementwise `maximum(a, b) = max(a, b)` with NumPy broadcasting; a NaN operand gives NaN
 * (NumPy `maximum`). The gradient goes to the larger operand, to `a` on ties.
 * @param a - float32 or integer tensor, or a number
 * @param b - float32 or integer tensor, or a number, broadcastable with `a`
 * @returns a new tensor of the broadcast shape, owned by the caller
 * @throws {ShapeError} if the shapes do not broadcast
 * @throws {DTypeError} if the dtypes differ or are bool
 * @example
 * maximum(tensor([1, 5]), tensor([3, 2])).toArray(); // [3, 5]
 */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  // the gradient goes to the larger operand; on ties, to a
  return binaryOp("maximum", "maximum", a, b, NUMERIC, (dy, a, b) => [
    where(greaterEqual(a, b), dy, 0),
    where(greaterEqual(a, b), 0, dy),
  ]);
}
