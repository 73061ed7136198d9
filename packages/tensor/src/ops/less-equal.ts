import { ALL, binaryOp, type TensorLike } from "../op-helpers.js";
import type { Tensor } from "../tensor.js";

/**
 * Elementwise comparison `a ≤ b`, with NumPy broadcasting; yields `bool`. Not differentiable.
 * @param a - tensor or number
 * @param b - tensor or number of the same dtype, broadcastable with `a`
 * @returns a new bool tensor of the broadcast shape, owned by the caller
 * @throws {ShapeError} if the shapes do not broadcast
 * @throws {DTypeError} if the dtypes differ
 * @example
 * lessEqual(tensor([1, 2]), 1).toArray(); // [1, 0]
 */
export function lessEqual(a: TensorLike, b: TensorLike): Tensor {
  return binaryOp("lessEqual", "lessEqual", a, b, ALL, undefined, "bool");
}
