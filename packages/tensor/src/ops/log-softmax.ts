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
import { exp } from "./exp.js";
import { log } from "./log.js";
import { mul } from "./mul.js";
import { sub } from "./sub.js";
import { sum } from "./sum.js";

/**
 * Log-softmax along `axis`: `logSoftmax(x)ᵢ = (xᵢ − m) − ln Σⱼ e^(xⱼ − m)` with `m = max(x)` along
 * the axis (ONNX LogSoftmax-13). Computed in this form, never as `log(softmax(x))`, so it stays
 * finite and exact where softmax underflows to 0 (e.g. `[0, −1e4]` → `[0, −1e4]`).
 * @param x - float32 tensor of rank ≥ 1
 * @param axis - the axis to normalise over (negative counts from the end; default −1)
 * @returns a new tensor of `x`'s shape, owned by the caller
 * @throws {DTypeError} if `x` is not float32
 * @throws {ShapeError} if `x` is a scalar or `axis` is not an integer in [−rank, rank)
 * @example
 * logSoftmax(tensor([1, 2, 3])).toArray(); // [-2.4076059, -1.4076059, -0.40760595]
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const t = asTensor("logSoftmax", x);
  checkDType("logSoftmax", t, FLOAT);
  if (t.rank === 0) {
    throw new ShapeError(`logSoftmax: x must have rank ≥ 1 (got shape ${fmt(t.shape)})`);
  }
  const ax = normalizeAxis("logSoftmax", axis, t.rank);
  const y = compose(() =>
    noGrad(() => {
      // the max is a constant shift: no gradient flows through it (the result is shift-invariant)
      const m = t.size === 0 ? 0 : reduceKernel("logSoftmax", "max", t, ax, true, "float32").y;
      const z = sub(t, m);
      return sub(z, log(sum(exp(z), ax, true)));
    }),
  );
  // dx = dy − softmax(x)·Σ_axis dy, with softmax(x) = e^y
  record("logSoftmax", [t], y, (dy) => [sub(dy, mul(exp(y), sum(dy, ax, true)))]);
  return y;
}
