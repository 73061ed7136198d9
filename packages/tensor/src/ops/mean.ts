import { ArgumentError, ShapeError } from "../errors.js";
import { asTensor, checkDType, compose, FLOAT, normalizeAxes } from "../op-helpers.js";
import { describe, fmt } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { div } from "./div.js";
import { sum } from "./sum.js";

/**
 * Arithmetic mean over `axes` (all by default): `mean(x) = sum(x, axes) / n`, with `n` the number
 * of elements reduced (ONNX ReduceMean). Its gradient is `dy / n` broadcast back over the reduced dims.
 * @param x - float32 tensor
 * @param axes - one axis or several (negative allowed); undefined reduces all
 * @param keepDims - keep reduced dims as size 1
 * @returns a new float32 tensor owned by the caller
 * @throws {DTypeError} for a non-float32 input
 * @throws {ShapeError} for an axis out of range or repeated, or a reduction over an empty dim
 * @example
 * mean(tensor([[1, 2], [3, 5]]), 1).toArray(); // [1.5, 4]
 */
export function mean(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const t = asTensor("mean", x);
  checkDType("mean", t, FLOAT);
  if (typeof keepDims !== "boolean")
    throw new ArgumentError(`mean: keepDims must be a boolean (got ${describe(keepDims)})`);
  const reduced = normalizeAxes("mean", axes, t.rank);
  let n = 1;
  for (const a of reduced) n *= t.shape[a]!;
  if (n === 0) {
    throw new ShapeError(
      `mean: cannot average an empty dim (got shape ${fmt(t.shape)}, axes [${reduced.join(",")}])`,
    );
  }
  return compose(() => div(sum(t, reduced, keepDims), n));
}
