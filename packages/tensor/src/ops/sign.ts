import { NUMERIC, type TensorLike, unaryOp } from "../op-helpers.js";
import type { Tensor } from "../tensor.js";

/**
 * Elementwise `sign(x)` ∈ {−1, 0, 1} (NaN stays NaN). Piecewise constant: its gradient is zero,
 * so nothing is recorded.
 * @param x - float32 or integer tensor, or a number
 * @returns a new tensor of the same shape and dtype, owned by the caller
 * @throws {DTypeError} if `x` is bool
 * @example
 * sign(tensor([-2, 0, 3])).toArray(); // [-1, 0, 1]
 */
export function sign(x: TensorLike): Tensor {
  return unaryOp("sign", "sign", x, NUMERIC);
}
