import { binaryOp, NUMERIC, type TensorLike } from "../op-helpers.js";
import type { Tensor } from "../tensor.js";
import { neg } from "./neg.js";

/**
 * Elementwise `sub(a, b) = a − b`, with NumPy broadcasting.
 * @param a - float32 or integer tensor, or a number
 * @param b - float32 or integer tensor, or a number, broadcastable with `a`
 * @returns a new tensor of the broadcast shape, owned by the caller
 * @throws {ShapeError} if the shapes do not broadcast
 * @throws {DTypeError} if the dtypes differ or are bool
 * @example
 * sub(tensor([5, 7]), 2).toArray(); // [3, 5]
 */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  // d(a − b) = da − db
  return binaryOp("sub", "sub", a, b, NUMERIC, (dy, _a, _b, _y, needs) => [
    dy,
    needs[1] ? neg(dy) : null,
  ]);
}
