import { FLOAT, type TensorLike, unaryOp } from "../op-helpers.js";
import type { Tensor } from "../tensor.js";
import { mul } from "./mul.js";
import { sub } from "./sub.js";

/**
 * Elementwise hyperbolic tangent `tanh(x)`.
 * @param x - float32 tensor or number
 * @returns a new tensor of the same shape and dtype, owned by the caller
 * @throws {DTypeError} if `x` is not float32
 * @example
 * tanh(tensor([0])).toArray(); // [0]
 */
export function tanh(x: TensorLike): Tensor {
  // d tanh = (1 − tanh²)·dx
  return unaryOp("tanh", "tanh", x, FLOAT, (dy, _x, y) => mul(dy, sub(1, mul(y, y))));
}
