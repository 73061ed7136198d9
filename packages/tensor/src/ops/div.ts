import { binaryOp, NUMERIC, type TensorLike } from "../op-helpers.js";
import type { Tensor } from "../tensor.js";
import { mul } from "./mul.js";
import { neg } from "./neg.js";

/**
 * Elementwise `div(a, b) = a / b`; integer division truncates toward zero (ONNX Div), and x / 0 is 0 for integers, ±∞ or NaN for floats, with NumPy broadcasting.
 * @param a - float32 or integer tensor, or a number
 * @param b - float32 or integer tensor, or a number, broadcastable with `a`
 * @returns a new tensor of the broadcast shape, owned by the caller
 * @throws {ShapeError} if the shapes do not broadcast
 * @throws {DTypeError} if the dtypes differ or the op does not take them
 * @example
 * div(tensor([1, 6]), 2).toArray(); // [0.5, 3]
 */
export function div(a: TensorLike, b: TensorLike): Tensor {
  // d(a/b) = da/b − (a/b)·db/b
  return binaryOp("div", "div", a, b, NUMERIC, (dy, a, b, y) => [
    div(dy, b),
    neg(div(mul(dy, y), b)),
  ]);
}
