import { dtypeRange } from "../dtype.js";
import { ArgumentError, DTypeError, ShapeError } from "../errors.js";
import { asTensor, checkDType, compose, NUMERIC, type TensorLike } from "../op-helpers.js";
import { describe, fmt } from "../shape.js";
import { Tensor } from "../tensor.js";
import { clone } from "./clone.js";
import { maximum } from "./maximum.js";
import { minimum } from "./minimum.js";
import { reshape } from "./reshape.js";

/** A bound as `maximum`/`minimum` take it: a checked number, or a one-element tensor as a scalar. */
function bound(x: Tensor, v: unknown, name: "min" | "max"): Tensor | number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "number") {
    if (Number.isNaN(v)) throw new ArgumentError(`clip: ${name} must be a number (got NaN)`);
    if (x.dtype === "float32") return v;
    if (!Number.isInteger(v) && Number.isFinite(v)) {
      throw new ArgumentError(`clip: ${name} must be an integer for a ${x.dtype} input (got ${v})`);
    }
    // every element of x lies in the dtype's range, so saturating the bound to it is exact
    const [lo, hi] = dtypeRange(x.dtype);
    return Math.min(Math.max(v, lo), hi);
  }
  if (!(v instanceof Tensor)) {
    throw new ArgumentError(
      `clip: ${name} must be a number, a scalar Tensor or undefined (got ${describe(v)})`,
    );
  }
  v.assertAlive("clip");
  if (v.size !== 1) {
    throw new ShapeError(
      `clip: ${name} must be a scalar (expected 1 element, got shape ${fmt(v.shape)})`,
    );
  }
  if (v.dtype !== x.dtype) {
    throw new DTypeError(
      `clip: ${name} has dtype ${v.dtype} (expected x's dtype ${x.dtype}, x shape ${fmt(x.shape)})`,
    );
  }
  return v.rank === 0 ? v : reshape(v, []);
}

/**
 * Elementwise `clip(x, min, max) = min(max(x, min), max)` (ONNX Clip): each element is limited to
 * `[min, max]`; a missing bound is unbounded. When `min > max` every element becomes `max`, as the
 * ONNX spec defines. NaN elements stay NaN. The gradient passes to `x` where `min ≤ x ≤ max`
 * (to `min`/`max` where they are the result, when they are tensors).
 * @param x - float32 or integer tensor, or a number
 * @param min - lower bound: a number or a one-element tensor of `x`'s dtype; undefined = −∞. For an
 *   integer `x` a number bound must be an integer (±Infinity allowed)
 * @param max - upper bound, the same kinds as `min`; undefined = +∞
 * @returns a new tensor of `x`'s shape and dtype, owned by the caller (a copy when both bounds are
 *   missing)
 * @throws {DTypeError} if `x` is bool or a tensor bound's dtype differs from `x`'s
 * @throws {ShapeError} if a tensor bound has more than one element
 * @throws {ArgumentError} if a bound is NaN, of the wrong kind, or non-integer for an integer `x`
 * @example
 * clip(tensor([-2, 0.5, 3]), 0, 1).toArray(); // [0, 0.5, 1]
 * clip(tensor([-2, 0.5, 3]), 2, 1).toArray(); // [1, 1, 1] (min > max: every element is max)
 */
export function clip(x: TensorLike, min?: TensorLike, max?: TensorLike): Tensor {
  const t = asTensor("clip", x);
  checkDType("clip", t, NUMERIC);
  return compose(() => {
    const lo = bound(t, min, "min");
    const hi = bound(t, max, "max");
    // maximum and minimum send the gradient to their first operand on ties: it passes at x = min, max
    let y = t;
    if (lo !== undefined) y = maximum(y, lo);
    if (hi !== undefined) y = minimum(y, hi);
    return y === t ? clone(t) : y;
  });
}
