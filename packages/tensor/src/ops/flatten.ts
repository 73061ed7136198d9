import { ShapeError } from "../errors.js";
import { asTensor } from "../op-helpers.js";
import { describe, fmt, sizeOf } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { reshape } from "./reshape.js";

/**
 * Flattens to a matrix (ONNX Flatten): `[prod(x.shape[:axis]), prod(x.shape[axis:])]`. A view when
 * `x` is contiguous (as `reshape`), else a copy.
 * @param x - any tensor
 * @param axis - where to split the dims, in `[-rank, rank]` (negative counts from the end)
 * @returns a 2-D tensor owned by the caller
 * @throws {ShapeError} if `axis` is not an integer in range
 * @example
 * flatten(zeros([2, 3, 4])).shape; // [2, 12]
 */
export function flatten(x: Tensor, axis = 1): Tensor {
  const t = asTensor("flatten", x);
  const r = t.rank;
  if (typeof axis !== "number" || !Number.isInteger(axis) || axis < -r || axis > r) {
    throw new ShapeError(
      `flatten: axis out of range (expected an integer in [${-r}, ${r}] for shape ${fmt(t.shape)}, got ${describe(axis)})`,
    );
  }
  const a = axis < 0 ? axis + r : axis;
  return reshape(t, [sizeOf(t.shape.slice(0, a)), sizeOf(t.shape.slice(a))]);
}
