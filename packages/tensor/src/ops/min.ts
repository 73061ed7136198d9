import { record } from "../engine.js";
import { asTensor, checkDType, NUMERIC, reduceKernel } from "../op-helpers.js";
import type { Tensor } from "../tensor.js";
import { cast } from "./cast.js";
import { div } from "./div.js";
import { equal } from "./equal.js";
import { mul } from "./mul.js";
import { reshape } from "./reshape.js";
import { sum } from "./sum.js";

/**
 * @internal The gradient of `max`/`min`: `dy · [x = y] / #{x = y}` with `y`, `dy` broadcast back
 * over the reduced `axes` (`keptShape` is `x.shape` with them set to 1).
 */
export function extremeGrad(
  x: Tensor,
  y: Tensor,
  dy: Tensor,
  axes: readonly number[],
  keptShape: readonly number[],
): Tensor {
  const mask = cast(equal(x, reshape(y, keptShape)), "float32");
  return mul(reshape(dy, keptShape), div(mask, sum(mask, axes, true)));
}

/**
 * Smallest element over `axes` (all by default): `min(x)_j = minᵢ x_ij` (ONNX ReduceMin; NaN wins).
 * The gradient is shared evenly among the elements equal to the minimum.
 * @param x - float32 or integer tensor
 * @param axes - one axis or several (negative allowed); undefined reduces all
 * @param keepDims - keep reduced dims as size 1
 * @returns a new tensor of `x`'s dtype, owned by the caller
 * @throws {DTypeError} for a bool input
 * @throws {ShapeError} for an axis out of range or repeated, or a reduction over an empty dim
 * @example
 * min(tensor([[1, 5], [4, 2]]), 1).toArray(); // [1, 2]
 */
export function min(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const t = asTensor("min", x);
  checkDType("min", t, NUMERIC);
  const { y, axes: reduced, keptShape } = reduceKernel("min", "min", t, axes, keepDims, t.dtype);
  // d min(x) = dy · [x = min] / #{x = min}: ties split the gradient evenly
  record("min", [t], y, (dy) => [extremeGrad(t, y, dy, reduced, keptShape)]);
  return y;
}
