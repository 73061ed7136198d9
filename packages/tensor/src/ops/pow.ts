import { binaryOp, FLOAT, type TensorLike } from "../op-helpers.js";
import type { Tensor } from "../tensor.js";
import { greater } from "./greater.js";
import { log } from "./log.js";
import { mul } from "./mul.js";
import { sub } from "./sub.js";
import { where } from "./where.js";

/**
 * Elementwise `pow(a, b) = aᵇ`, with NumPy broadcasting.
 * @param a - float32 tensor or number
 * @param b - float32 tensor or number, broadcastable with `a`
 * @returns a new tensor of the broadcast shape, owned by the caller
 * @throws {ShapeError} if the shapes do not broadcast
 * @throws {DTypeError} if the dtypes differ or the op does not take them
 * @example
 * pow(tensor([2, 3]), 2).toArray(); // [4, 9]
 */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  // d(aᵇ) = b·aᵇ⁻¹·da + aᵇ·ln a·db (the db term is taken as 0 where a ≤ 0)
  return binaryOp("pow", "pow", a, b, FLOAT, (dy, a, b, y) => [
    mul(dy, mul(b, pow(a, sub(b, 1)))),
    mul(dy, mul(y, where(greater(a, 0), log(a), 0))),
  ]);
}
