import { ArgumentError } from "../errors.js";
import { asTensor, checkDType, compose } from "../op-helpers.js";
import { describe } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { cast } from "./cast.js";
import { mul } from "./mul.js";
import { quantParams } from "./quantize-linear.js";
import { sub } from "./sub.js";

/** Options of `dequantizeLinear`. */
export interface DequantizeLinearOptions {
  /** The axis a 1-D scale/zero point runs along (default 1; negative counts from the end). */
  axis?: number | undefined;
}

/**
 * Linear dequantization (ONNX DequantizeLinear): `y = (q − zeroPoint) · scale` in float32, per
 * tensor (scalar scale) or per axis (1-D scale along `axis`). `q` and `zeroPoint` are converted to
 * float32 first (exact for int8/uint8, and for int32 up to 2²⁴). Differentiable w.r.t. `scale` only.
 * @param q - int8, uint8 or int32 tensor
 * @param scale - float32 scalar (tensor or number) or 1-D tensor of length `q.shape[axis]`
 * @param zeroPoint - of `q`'s dtype, with `scale`'s shape, or an integer number; 0 when omitted
 * @param options - `axis` (used for a 1-D scale)
 * @returns a new float32 tensor of `q`'s shape, owned by the caller
 * @throws {DTypeError} if `q` is not int8/uint8/int32, `scale` is not float32, or `zeroPoint`'s
 *   dtype differs from `q`'s
 * @throws {ShapeError} for a scale of rank > 1 or of the wrong length, an axis out of range or not an
 *   integer, or a zero point whose shape differs from the scale's
 * @throws {ArgumentError} for a number zero point that is not an integer in `q`'s dtype range
 * @example
 * dequantizeLinear(tensor([-2, 0, 2, 127], { dtype: 'int8' }), 0.5, 1).toArray(); // [-1.5, -0.5, 0.5, 63]
 */
export function dequantizeLinear(
  q: Tensor,
  scale: Tensor | number,
  zeroPoint?: Tensor | number,
  options: DequantizeLinearOptions = {},
): Tensor {
  const op = "dequantizeLinear";
  const t = asTensor(op, q, "q");
  checkDType(op, t, ["int8", "uint8", "int32"], "q");
  if (typeof options !== "object" || options === null) {
    throw new ArgumentError(`${op}: options must be an object (got ${describe(options)})`);
  }
  return compose(() => {
    const p = quantParams(op, t, scale, zeroPoint, options.axis ?? 1, t.dtype);
    const f = cast(t, "float32");
    // d((q − zp)·scale) = (q − zp)·dscale; q and zp are integers (no gradient)
    return mul(p.zeroPoint ? sub(f, p.zeroPoint) : f, p.scale);
  });
}
