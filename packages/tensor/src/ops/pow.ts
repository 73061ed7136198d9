import { binaryOp, FLOAT, type TensorLike } from "../op-helpers.js";
import type { Tensor } from "../tensor.js";
import { equal } from "./equal.js";
import { greater } from "./greater.js";
import { log } from "./log.js";
import { mul } from "./mul.js";
import { sub } from "./sub.js";
import { where } from "./where.js";

/**
 * Elementwise `pow(a, b) = aᵇ`, with NumPy broadcasting (ONNX Pow): `0⁰ = 1`, and a negative base
 * with a non-integer exponent gives NaN.
 * @param a - float32 tensor or number
 * @param b - float32 tensor or number, broadcastable with `a`
 * @returns a new tensor of the broadcast shape, owned by the caller
 * @throws {ShapeError} if the shapes do not broadcast
 * @throws {DTypeError} if the dtypes differ or are not float32
 * @example
 * pow(tensor([2, 3]), 2).toArray(); // [4, 9]
 */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  // d(aᵇ) = b·aᵇ⁻¹·da + aᵇ·ln a·db; the da term is 0 where b = 0 (a⁰ = 1, also at a = 0) and
  // the db term is taken as 0 where a ≤ 0 (ln a undefined)
  return binaryOp("pow", "pow", a, b, FLOAT, (dy, a, b, y, needs) => [
    needs[0] ? mul(dy, where(equal(b, 0), 0, mul(b, pow(a, sub(b, 1))))) : null,
    needs[1] ? mul(dy, where(greater(a, 0), mul(y, log(a)), 0)) : null,
  ]);
}
