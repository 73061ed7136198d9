import { FLOAT, type TensorLike, unaryOp } from "../op-helpers.js";
import type { Tensor } from "../tensor.js";
import { div } from "./div.js";

/**
 * Elementwise natural logarithm `log(x) = ln x` (NaN for x < 0, −∞ at 0).
 * @param x - float32 tensor or number
 * @returns a new tensor of the same shape and dtype, owned by the caller
 * @throws {DTypeError} if `x` is not float32
 * @example
 * log(tensor([1, Math.E])).toArray(); // [0, 1]
 */
export function log(x: TensorLike): Tensor {
  // d ln x = dx / x
  return unaryOp("log", "log", x, FLOAT, (dy, x) => div(dy, x));
}
