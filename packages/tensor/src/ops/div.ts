import { binaryOp, NUMERIC, type TensorLike } from "../op-helpers.js";
import type { Tensor } from "../tensor.js";
import { mul } from "./mul.js";
import { neg } from "./neg.js";

/**
 * Elementwise `div(a, b) = a / b` with NumPy broadcasting. Integer division truncates toward zero
 * (ONNX Div: −7 / 2 = −3) and an integer x / 0 gives 0; float32 x / 0 gives ±∞ (NaN for 0 / 0).
 * @param a - float32 or integer tensor, or a number
 * @param b - float32 or integer tensor, or a number, broadcastable with `a`
 * @returns a new tensor of the broadcast shape, owned by the caller
 * @throws {ShapeError} if the shapes do not broadcast
 * @throws {DTypeError} if the dtypes differ or are bool
 * @example
 * div(tensor([1, 6]), 2).toArray(); // [0.5, 3]
 * div(tensor([-7, 7], { dtype: "int32" }), 2).toArray(); // [-3, 3]
 */
export function div(a: TensorLike, b: TensorLike): Tensor {
  // d(a/b) = da/b − (a/b)·db/b
  return binaryOp("div", "div", a, b, NUMERIC, (dy, _a, b, y, needs) => [
    needs[0] ? div(dy, b) : null,
    needs[1] ? neg(div(mul(dy, y), b)) : null,
  ]);
}
