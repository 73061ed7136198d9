import { noGrad, record } from "../engine.js";
import { ShapeError } from "../errors.js";
import {
  asTensor,
  checkDType,
  compose,
  FLOAT,
  normalizeAxis,
  reduceKernel,
} from "../op-helpers.js";
import { fmt } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { div } from "./div.js";
import { exp } from "./exp.js";
import { mul } from "./mul.js";
import { sub } from "./sub.js";
import { sum } from "./sum.js";

/**
 * Softmax along `axis`: `softmax(x)ᵢ = e^(xᵢ − m) / Σⱼ e^(xⱼ − m)` with `m = max(x)` along the axis
 * (ONNX Softmax-13). Subtracting the max changes nothing mathematically and keeps every `e^…` in
 * (0, 1], so the result is finite and accurate for any finite input. A row holding +∞ gives NaN.
 * @param x - float32 tensor of rank ≥ 1
 * @param axis - the axis to normalise over (negative counts from the end; default −1)
 * @returns a new tensor of `x`'s shape whose slices along `axis` sum to 1, owned by the caller
 * @throws {DTypeError} if `x` is not float32
 * @throws {ShapeError} if `x` is a scalar or `axis` is not an integer in [−rank, rank)
 * @example
 * softmax(tensor([1, 2, 3])).toArray(); // [0.09003057, 0.24472848, 0.66524094]
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  const t = asTensor("softmax", x);
  checkDType("softmax", t, FLOAT);
  if (t.rank === 0) {
    throw new ShapeError(`softmax: x must have rank ≥ 1 (got shape ${fmt(t.shape)})`);
  }
  const ax = normalizeAxis("softmax", axis, t.rank);
  const y = compose(() =>
    noGrad(() => {
      // the max is a constant shift: no gradient flows through it (softmax is shift-invariant)
      const m = t.size === 0 ? 0 : reduceKernel("softmax", "max", t, ax, true, "float32").y;
      const e = exp(sub(t, m));
      return div(e, sum(e, ax, true));
    }),
  );
  // dx = y·(dy − Σ_axis dy·y)
  record("softmax", [t], y, (dy) => [mul(y, sub(dy, sum(mul(dy, y), ax, true)))]);
  return y;
}
