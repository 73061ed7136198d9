import { ArgumentError, DTypeError, ShapeError } from "../errors.js";
import { compose, normalizeAxis } from "../op-helpers.js";
import { describe, fmt, shapesEqual } from "../shape.js";
import { Tensor } from "../tensor.js";
import { concat } from "./concat.js";
import { unsqueeze } from "./unsqueeze.js";

/**
 * Joins tensors of one shape along a new `axis`: `stack(xs, axis) = concat(xs.map(x =>
 * unsqueeze(x, axis)), axis)`; the result has rank `x.rank + 1`.
 * @param xs - one or more tensors of the same shape and dtype
 * @param axis - where the new dim goes, in `[-(rank+1), rank]`
 * @returns a new tensor owned by the caller
 * @throws {ArgumentError} if `xs` is not a non-empty array
 * @throws {ShapeError} for an axis out of range or shapes that differ
 * @throws {DTypeError} if the dtypes differ
 * @example
 * stack([tensor([1, 2]), tensor([3, 4])], 1).toArray(); // [[1, 3], [2, 4]]
 */
export function stack(xs: readonly Tensor[], axis: number): Tensor {
  if (!Array.isArray(xs) || xs.length === 0) {
    throw new ArgumentError(`stack: xs must be a non-empty array of tensors (got ${describe(xs)})`);
  }
  const ts = xs.map((x, i) => {
    if (!(x instanceof Tensor)) {
      throw new ArgumentError(`stack: xs[${i}] must be a Tensor (got ${describe(x)})`);
    }
    x.assertAlive("stack");
    return x;
  });
  const first = ts[0]!;
  ts.forEach((t, i) => {
    if (t.dtype !== first.dtype) {
      throw new DTypeError(
        `stack: inputs have different dtypes (expected ${first.dtype}, got ${t.dtype} for xs[${i}])`,
      );
    }
    if (!shapesEqual(t.shape, first.shape)) {
      throw new ShapeError(
        `stack: shapes differ (expected ${fmt(first.shape)}, got ${fmt(t.shape)} for xs[${i}])`,
      );
    }
  });
  const a = normalizeAxis("stack", axis, first.rank + 1);
  return compose(() =>
    concat(
      ts.map((t) => unsqueeze(t, a)),
      a,
    ),
  );
}
