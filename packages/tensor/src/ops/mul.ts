import { binaryOp, NUMERIC, type TensorLike } from "../op-helpers.js";
import type { Tensor } from "../tensor.js";

/**
 * Elementwise product with NumPy broadcasting: `mul(a, b) = a · b`.
 * @param a - tensor or number
 * @param b - tensor or number, broadcastable with `a`
 * @returns a new tensor of the broadcast shape, owned by the caller
 * @throws {ShapeError} if the shapes do not broadcast
 * @throws {DTypeError} if the dtypes differ or are `bool`
 * @example
 * mul(tensor([1, 2]), tensor([3, 4])).toArray(); // [3, 8]
 */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  // d(a·b) = b·da + a·db
  return binaryOp("mul", "mul", a, b, NUMERIC, (dy, x, w, _y, needs) => [
    needs[0] ? mul(dy, w) : null,
    needs[1] ? mul(dy, x) : null,
  ]);
}
