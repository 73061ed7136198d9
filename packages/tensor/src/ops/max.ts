import { record } from "../engine.js";
import { asTensor, checkDType, NUMERIC, reduceKernel } from "../op-helpers.js";
import type { Tensor } from "../tensor.js";
import { extremeGrad } from "./min.js";

/**
 * Largest element over `axes` (all by default): `max(x)_j = maxᵢ x_ij` (ONNX ReduceMax; NaN wins).
 * The gradient is shared evenly among the elements equal to the maximum.
 * @param x - float32 or integer tensor
 * @param axes - one axis or several (negative allowed); undefined reduces all
 * @param keepDims - keep reduced dims as size 1
 * @returns a new tensor of `x`'s dtype, owned by the caller
 * @throws {DTypeError} for a bool input
 * @throws {ShapeError} for an axis out of range or repeated, or a reduction over an empty dim
 * @example
 * max(tensor([[1, 5], [4, 2]]), 1).toArray(); // [5, 4]
 */
export function max(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const t = asTensor("max", x);
  checkDType("max", t, NUMERIC);
  const { y, axes: reduced, keptShape } = reduceKernel("max", "max", t, axes, keepDims, t.dtype);
  // d max(x) = dy · [x = max] / #{x = max}: ties split the gradient evenly
  record("max", [t], y, (dy) => [extremeGrad(t, y, dy, reduced, keptShape)]);
  return y;
}
