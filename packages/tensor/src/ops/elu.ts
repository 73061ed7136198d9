import {
  asTensor,
  checkDType,
  checkNumber,
  compose,
  FLOAT,
  type TensorLike,
  unaryOp,
} from "../op-helpers.js";
import type { Tensor } from "../tensor.js";
import { add } from "./add.js";
import { less } from "./less.js";
import { minimum } from "./minimum.js";
import { mul } from "./mul.js";
import { where } from "./where.js";

/** `eˣ − 1`, accurate near 0 (the backend's `expm1` kernel). */
function expm1(x: Tensor): Tensor {
  // d(eˣ − 1) = eˣ·dx = (y + 1)·dx
  return unaryOp("elu", "expm1", x, FLOAT, (dy, _x, y) => mul(dy, add(y, 1)));
}

/**
 * Elementwise `elu(x) = x` for `x ≥ 0`, `α·(eˣ − 1)` for `x < 0` (ONNX Elu), with `eˣ − 1` computed
 * by `expm1` so small negative inputs keep full precision. NaN passes through.
 * @param x - float32 tensor or number
 * @param alpha - the scale of the negative part (default 1)
 * @returns a new tensor of `x`'s shape, owned by the caller
 * @throws {DTypeError} if `x` is not float32
 * @throws {ArgumentError} if `alpha` is not a finite number
 * @example
 * elu(tensor([-1, 2])).toArray(); // [-0.63212055, 2]
 */
export function elu(x: TensorLike, alpha = 1): Tensor {
  const t = asTensor("elu", x);
  checkDType("elu", t, FLOAT);
  checkNumber("elu", "alpha", alpha);
  // d elu = α·eˣ·dx where x < 0, else dx. expm1 sees min(x, 0), so the unused branch never
  // overflows to ∞ (whose gradient, 0·∞, would be NaN)
  return compose(() => where(less(t, 0), mul(expm1(minimum(t, 0)), alpha), t));
}
