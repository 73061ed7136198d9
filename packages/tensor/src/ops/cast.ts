import type { DType } from "../dtype.js";
import { allocTensor, backendFor, record } from "../engine.js";
import { asTensor, checkDTypeArg } from "../op-helpers.js";
import type { Tensor } from "../tensor.js";

/**
 * Converts to `dtype` (ONNX Cast): to an integer type truncates toward zero and saturates at the
 * type's range (NaN → 0); to bool is `x ≠ 0`; to float32 is exact for integers up to 2²⁴.
 * Gradient flows only float32 → float32 (an identity); other casts are not differentiable.
 * @param x - any tensor
 * @param dtype - the target dtype
 * @returns a new tensor owned by the caller (a copy even when the dtype is unchanged)
 * @throws {DTypeError} for an unknown dtype
 * @example
 * cast(tensor([-1.7, 2.5, 300]), 'int8').toArray(); // [-1, 2, 127]
 */
export function cast(x: Tensor, dtype: DType): Tensor {
  const t = asTensor("cast", x);
  const to = checkDTypeArg("cast", dtype);
  const b = backendFor("cast", "cast", t.dtype);
  const y = allocTensor("cast", t.shape, to, b);
  b.cast(t, y);
  if (t.dtype === "float32") record("cast", [t], y, (dy) => [dy]);
  return y;
}
