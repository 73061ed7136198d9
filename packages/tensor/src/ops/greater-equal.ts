import { ALL, binaryOp, type TensorLike } from "../op-helpers.js";
import type { Tensor } from "../tensor.js";

/**
 * Elementwise comparison `a ≥ b`, with NumPy broadcasting; yields `bool`. Not differentiable.
 * @param a - tensor or number
 * @param b - tensor or number of the same dtype, broadcastable with `a`
 * @returns a new bool tensor of the broadcast shape, owned by the caller
 * @throws {ShapeError} if the shapes do not broadcast
 * @throws {DTypeError} if the dtypes differ
 * @example
 * greaterEqual(tensor([1, 2]), 2).toArray(); // [0, 1]
 */
export function greaterEqual(a: TensorLike, b: TensorLike): Tensor {
  return binaryOp("greaterEqual", "greaterEqual", a, b, ALL, undefined, "bool");
}
