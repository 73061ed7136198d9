import { FLOAT, type TensorLike, unaryOp } from "../op-helpers.js";
import type { Tensor } from "../tensor.js";
import { mul } from "./mul.js";
import { sub } from "./sub.js";

/**
 * Elementwise logistic `sigmoid(x) = 1 / (1 + e⁻ˣ)`, computed without overflow for large |x|.
 * @param x - float32 tensor or number
 * @returns a new tensor of the same shape and dtype, owned by the caller
 * @throws {DTypeError} if `x` is not float32
 * @example
 * sigmoid(tensor([0])).toArray(); // [0.5]
 */
export function sigmoid(x: TensorLike): Tensor {
  // dσ = σ(1 − σ)·dx
  return unaryOp("sigmoid", "sigmoid", x, FLOAT, (dy, _x, y) => mul(dy, mul(y, sub(1, y))));
}
