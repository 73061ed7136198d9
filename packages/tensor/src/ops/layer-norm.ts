import { ArgumentError, ShapeError } from "../errors.js";
import { asTensor, checkDType, checkNumber, compose, FLOAT, normalizeAxis } from "../op-helpers.js";
import { describe, fmt } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { add } from "./add.js";
import { clone } from "./clone.js";
import { div } from "./div.js";
import { mul } from "./mul.js";
import { sqrt } from "./sqrt.js";
import { square } from "./square.js";
import { sub } from "./sub.js";
import { sum } from "./sum.js";

/** Options of `layerNorm`. */
export interface LayerNormOptions {
  /** First normalised dim; dims `axis … rank−1` are normalised together (default −1). */
  axis?: number | undefined;
  /** γ, broadcastable to `x.shape.slice(axis)` (or a number); 1 when omitted. */
  scale?: Tensor | number | undefined;
  /** β, broadcastable to `x.shape.slice(axis)` (or a number); 0 when omitted. */
  bias?: Tensor | number | undefined;
  /** Added to the variance before the square root (default 1e-5, must be ≥ 0). */
  epsilon?: number | undefined;
}

/**
 * Layer normalization (ONNX LayerNormalization): over the dims `axis … rank−1`,
 * `y = (x − μ) / √(σ² + ε) · scale + bias` with `μ = mean(x)` and the biased `σ² = mean((x − μ)²)`.
 * Each slice is first shifted by its own first element (μ and σ² do not change), so a constant
 * slice gives exactly `x − μ = 0` and `y = bias`, and large offsets (|x| ~ 1e4) lose no precision.
 * Composed from primitives, so it is differentiable w.r.t. `x`, `scale` and `bias`.
 * With `epsilon = 0` a constant slice gives NaN (0/0), as the formula says.
 * @param x - float32 tensor of rank ≥ 1
 * @param options - `axis` (negative counts from the end), `scale`, `bias`: float32 tensors
 *   broadcastable to `x.shape.slice(axis)` or numbers; `epsilon`
 * @returns a new tensor of `x`'s shape, owned by the caller
 * @throws {ShapeError} for an axis out of range or not an integer, or a scale/bias shape that does not
 *   broadcast to the normalised dims
 * @throws {DTypeError} if `x`, `scale` or `bias` is not float32
 * @throws {ArgumentError} for an `epsilon` that is negative or not finite
 * @example
 * layerNorm(tensor([[1, 3], [2, 2]]), { bias: 5 }).toArray(); // [[4, 6], [5, 5]]
 */
export function layerNorm(x: Tensor, options: LayerNormOptions = {}): Tensor {
  const op = "layerNorm";
  const t = asTensor(op, x);
  checkDType(op, t, FLOAT);
  if (typeof options !== "object" || options === null) {
    throw new ArgumentError(`${op}: options must be an object (got ${describe(options)})`);
  }
  if (t.rank < 1) {
    throw new ShapeError(`${op}: x must have rank ≥ 1 (got ${fmt(t.shape)})`);
  }
  const axisIn = options.axis ?? -1;
  if (typeof axisIn !== "number") {
    throw new ShapeError(`${op}: axis must be an integer (got ${describe(axisIn)})`);
  }
  const axis = normalizeAxis(op, axisIn, t.rank);
  const eps = checkNumber(op, "epsilon", options.epsilon ?? 1e-5, { min: 0 });
  const normShape = t.shape.slice(axis);
  const axes = normShape.map((_, i) => axis + i);
  const n = normShape.reduce((a, b) => a * b, 1);
  const param = (name: string, v: unknown): Tensor | null => {
    if (v === undefined) return null;
    const p = asTensor(op, v, name);
    checkDType(op, p, FLOAT, name);
    const off = normShape.length - p.rank;
    if (off < 0 || p.shape.some((d, i) => d !== 1 && d !== normShape[off + i])) {
      throw new ShapeError(
        `${op}: ${name} must broadcast to the normalised dims (expected a shape broadcastable to ${fmt(normShape)}, got ${fmt(p.shape)} for x ${fmt(t.shape)}, axis ${axisIn})`,
      );
    }
    return p;
  };
  return compose(() => {
    const scale = param("scale", options.scale);
    const bias = param("bias", options.bias);
    if (t.size === 0) return clone(t);
    // x0: the first element of each normalised slice, a view (no copy) that is not recorded: y is
    // invariant to the shift, so holding it constant leaves the gradient exact
    const x0 = t.view(
      t.shape.map((d, i) => (i < axis ? d : 1)),
      t.strides,
      t.offset,
    );
    const s = sub(t, x0);
    // μ = Σs / n; σ² = Σ(s − μ)² / n (two passes: never E[x²] − E[x]²)
    const d = sub(s, div(sum(s, axes, true), n));
    const variance = div(sum(square(d), axes, true), n);
    let y = mul(d, div(1, sqrt(add(variance, eps))));
    if (scale) y = mul(y, scale);
    return bias ? add(y, bias) : y;
  });
}
