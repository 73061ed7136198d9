import { ArgumentError } from "../errors.js";
import { asTensor, checkDType, NUMERIC, reduceKernel } from "../op-helpers.js";
import { describe } from "../shape.js";
import type { Tensor } from "../tensor.js";

/**
 * Index of the largest element along `axis`: `argmax(x)_j = argmaxᵢ x_ij`, the first one on ties
 * (ONNX ArgMax with `select_last_index = 0`; NaN counts as the largest). Not differentiable.
 * @param x - float32, integer or bool tensor of rank ≥ 1
 * @param axis - the axis to reduce (negative allowed)
 * @param keepDims - keep the reduced dim as size 1
 * @returns a new int32 tensor owned by the caller
 * @throws {ArgumentError} if `axis` is not an integer
 * @throws {ShapeError} for an axis out of range, or an empty dim
 * @throws {DTypeError} for a dtype the op does not take
 * @example
 * argmax(tensor([[1, 5, 5], [7, 2, 0]]), 1).toArray(); // [1, 0]
 */
export function argmax(x: Tensor, axis: number, keepDims = false): Tensor {
  const t = asTensor("argmax", x);
  checkDType("argmax", t, [...NUMERIC, "bool"]);
  if (typeof axis !== "number" || !Number.isInteger(axis)) {
    throw new ArgumentError(`argmax: axis must be an integer (got ${describe(axis)})`);
  }
  return reduceKernel("argmax", "argmax", t, axis, keepDims, "int32").y;
}
