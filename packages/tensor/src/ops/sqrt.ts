import { FLOAT, type TensorLike, unaryOp } from "../op-helpers.js";
import type { Tensor } from "../tensor.js";
import { div } from "./div.js";
import { mul } from "./mul.js";

/**
 * Elementwise `sqrt(x) = √x` (NaN for x < 0).
 * @param x - float32 tensor or number
 * @returns a new tensor of the same shape and dtype, owned by the caller
 * @throws {DTypeError} if `x` is not float32
 * @example
 * sqrt(tensor([4, 9])).toArray(); // [2, 3]
 */
export function sqrt(x: TensorLike): Tensor {
  // d√x = dx / (2√x)
  return unaryOp("sqrt", "sqrt", x, FLOAT, (dy, _x, y) => div(dy, mul(y, 2)));
}
