import {
  asTensor,
  checkDType,
  checkNumber,
  compose,
  FLOAT,
  type TensorLike,
} from "../op-helpers.js";
import type { Tensor } from "../tensor.js";
import { less } from "./less.js";
import { mul } from "./mul.js";
import { where } from "./where.js";

/**
 * Elementwise `leakyRelu(x) = x` for `x ≥ 0`, `α·x` for `x < 0` (ONNX LeakyRelu). NaN passes
 * through. The gradient is 1 for `x ≥ 0` and `α` for `x < 0`.
 * @param x - float32 tensor or number
 * @param alpha - the slope for negative inputs (default 0.01)
 * @returns a new tensor of `x`'s shape, owned by the caller
 * @throws {DTypeError} if `x` is not float32
 * @throws {ArgumentError} if `alpha` is not a finite number
 * @example
 * leakyRelu(tensor([-2, 3]), 0.1).toArray(); // [-0.2, 3] (as float32)
 */
export function leakyRelu(x: TensorLike, alpha = 0.01): Tensor {
  const t = asTensor("leakyRelu", x);
  checkDType("leakyRelu", t, FLOAT);
  checkNumber("leakyRelu", "alpha", alpha);
  // d leakyRelu = α·dx where x < 0, else dx (where and mul record their rules)
  return compose(() => where(less(t, 0), mul(t, alpha), t));
}
