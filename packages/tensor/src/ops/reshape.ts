import { record } from "../engine.js";
import { ArgumentError, ShapeError } from "../errors.js";
import { asTensor, contiguous, describeList } from "../op-helpers.js";
import { contiguousStrides, describe, fmt, type Shape, sizeOf } from "../shape.js";
import type { Tensor } from "../tensor.js";

/** Resolves a target shape with at most one `-1` against `size` elements. */
export function resolveShape(op: string, shape: unknown, size: number, from: Shape): number[] {
  if (!Array.isArray(shape))
    throw new ArgumentError(`${op}: shape must be an array (got ${describe(shape)})`);
  let infer = -1;
  let known = 1;
  const out = shape.map((d, i) => {
    if (d === -1 && infer < 0) {
      infer = i;
      return -1;
    }
    if (typeof d !== "number" || !Number.isSafeInteger(d) || d < 0) {
      throw new ShapeError(
        `${op}: sizes must be non-negative integers with at most one -1 (got ${describeList(shape)})`,
      );
    }
    known *= d;
    return d;
  });
  if (infer >= 0) {
    if (known === 0 || size % known !== 0) {
      throw new ShapeError(
        `${op}: cannot infer -1 (expected a size dividing ${size}, got shape ${fmt(from)} → [${shape.join(",")}])`,
      );
    }
    out[infer] = size / known;
  }
  if (sizeOf(out) !== size) {
    throw new ShapeError(
      `${op}: sizes differ (expected ${size} elements, got ${fmt(from)} → [${shape.join(",")}])`,
    );
  }
  return out;
}

/**
 * The same elements in a new shape (row-major order kept); one size may be `-1`. A view when `x` is
 * contiguous, else a copy.
 * @param x - any tensor
 * @param shape - the new sizes; their product equals `x.size`
 * @returns a tensor owned by the caller
 * @throws {ShapeError} if the sizes do not match or are invalid
 * @example
 * reshape(arange(6), [2, -1]).shape; // [2, 3]
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const t = asTensor("reshape", x);
  const target = resolveShape("reshape", shape, t.size, t.shape);
  const src = contiguous(t);
  const y = src.view(target, contiguousStrides(target), src.offset);
  if (src !== t) src.dispose();
  // d reshape(x) = reshape(dy, x.shape)
  record("reshape", [t], y, (dy) => [reshape(dy, t.shape)]);
  return y;
}
