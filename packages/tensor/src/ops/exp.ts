import { FLOAT, type TensorLike, unaryOp } from "../op-helpers.js";
import type { Tensor } from "../tensor.js";
import { mul } from "./mul.js";

/**
 * Elementwise exponential: `exp(x) = eˣ`.
 * @param x - float32 tensor or number
 * @returns a new tensor, owned by the caller
 * @throws {DTypeError} for non-float32 input
 * @example
 * exp(tensor([0, 1])).toArray(); // [1, 2.7182817]
 */
export function exp(x: TensorLike): Tensor {
  // d(eˣ) = eˣ·dx: the rule reuses the saved output y
  return unaryOp("exp", "exp", x, FLOAT, (dy, _x, y) => mul(dy, y));
}
