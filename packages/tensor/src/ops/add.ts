import { binaryOp, NUMERIC, type TensorLike } from "../op-helpers.js";
import type { Tensor } from "../tensor.js";

/**
 * Elementwise sum with NumPy broadcasting: `add(a, b) = a + b`.
 * @param a - tensor or number (a number takes the other operand's dtype)
 * @param b - tensor or number, broadcastable with `a`
 * @returns a new tensor of the broadcast shape, owned by the caller (or the enclosing `tidy`)
 * @throws {ShapeError} if the shapes do not broadcast
 * @throws {DTypeError} if the dtypes differ or are `bool`
 * @example
 * add(tensor([1, 2]), 10).toArray(); // [11, 12]
 */
export function add(a: TensorLike, b: TensorLike): Tensor {
  // d(a + b) = da + db
  return binaryOp("add", "add", a, b, NUMERIC, (dy) => [dy, dy]);
}
