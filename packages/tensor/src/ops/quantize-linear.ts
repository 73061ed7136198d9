import { type DType, dtypeRange } from "../dtype.js";
import { noGrad } from "../engine.js";
import { ArgumentError, DTypeError, ShapeError } from "../errors.js";
import {
  asTensor,
  checkDType,
  checkDTypeArg,
  checkNumber,
  compose,
  FLOAT,
  normalizeAxis,
  unaryOp,
} from "../op-helpers.js";
import { describe, fmt } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { add } from "./add.js";
import { cast } from "./cast.js";
import { div } from "./div.js";
import { reshape } from "./reshape.js";

/** Options of `quantizeLinear`. */
export interface QuantizeLinearOptions {
  /** The axis a 1-D scale/zero point runs along (default 1; negative counts from the end). */
  axis?: number | undefined;
  /** The quantized type (default `'int8'`). */
  dtype?: "int8" | "uint8" | undefined;
}

/** Scale and zero point checked and shaped to broadcast against the quantized tensor. */
export interface QuantParams {
  /** float32: a scalar, or `[C, 1, …, 1]` so that C runs along the axis. */
  readonly scale: Tensor;
  /** The zero point as float32, shaped like `scale`; null when absent (zero). */
  readonly zeroPoint: Tensor | null;
}

/**
 * @internal Checks the ONNX quantization parameters of `x` (shared by `quantizeLinear` and
 * `dequantizeLinear`): `scale` float32, a scalar (per tensor) or 1-D of length `x.shape[axis]`
 * (per axis); `zeroPoint` of dtype `zpDType` with `scale`'s shape, or an integer number in that
 * dtype's range. Call inside `compose`: the tensors it makes are intermediates.
 */
export function quantParams(
  op: string,
  x: Tensor,
  scaleIn: unknown,
  zeroPointIn: unknown,
  axisIn: unknown,
  zpDType: DType,
): QuantParams {
  if (typeof axisIn !== "number" || !Number.isInteger(axisIn)) {
    throw new ShapeError(`${op}: axis must be an integer (got ${describe(axisIn)})`);
  }
  const scale = asTensor(op, scaleIn, "scale");
  checkDType(op, scale, FLOAT, "scale");
  if (scale.rank > 1) {
    throw new ShapeError(
      `${op}: scale must be a scalar or 1-D (expected rank 0 or 1, got ${fmt(scale.shape)})`,
    );
  }
  // per axis: [C] → [C, 1, …, 1] broadcasts along `axis` of x
  let paramShape: number[] | null = null;
  if (scale.rank === 1) {
    const axis = normalizeAxis(op, axisIn, x.rank);
    const c = x.shape[axis]!;
    if (scale.shape[0] !== c) {
      throw new ShapeError(
        `${op}: a 1-D scale needs one value per slice along axis ${axisIn} (expected [${c}], got ${fmt(scale.shape)} for x ${fmt(x.shape)})`,
      );
    }
    paramShape = [c, ...new Array<number>(x.rank - axis - 1).fill(1)];
  }
  let zeroPoint: Tensor | null = null;
  if (typeof zeroPointIn === "number") {
    const [lo, hi] = dtypeRange(zpDType);
    const v = checkNumber(op, "zeroPoint", zeroPointIn, { integer: true });
    if (v < lo || v > hi) {
      throw new ArgumentError(
        `${op}: zeroPoint does not fit ${zpDType} (expected an integer in [${lo}, ${hi}], got ${v})`,
      );
    }
    zeroPoint = asTensor(op, v, "zeroPoint");
  } else if (zeroPointIn !== undefined && zeroPointIn !== null) {
    const zp = asTensor(op, zeroPointIn, "zeroPoint");
    if (zp.dtype !== zpDType) {
      throw new DTypeError(
        `${op}: zeroPoint has dtype ${zp.dtype} (expected ${zpDType}, shape ${fmt(zp.shape)})`,
      );
    }
    if (zp.rank !== scale.rank || zp.size !== scale.size) {
      throw new ShapeError(
        `${op}: zeroPoint must have scale's shape (expected ${fmt(scale.shape)}, got ${fmt(zp.shape)})`,
      );
    }
    zeroPoint = cast(zp, "float32");
  }
  if (paramShape === null) return { scale, zeroPoint };
  return {
    scale: reshape(scale, paramShape),
    zeroPoint: zeroPoint && zeroPoint.rank === 1 ? reshape(zeroPoint, paramShape) : zeroPoint,
  };
}

/**
 * Linear quantization (ONNX QuantizeLinear): `y = saturate(round(x / scale) + zeroPoint)`, rounding
 * half to even and saturating to the range of `dtype` (int8 [−128, 127], uint8 [0, 255]); NaN gives
 * 0. Per tensor (scalar scale) or per axis (1-D scale along `axis`). Not differentiable: the result
 * is an integer tensor and nothing is recorded (quantization-aware training uses a straight-through
 * estimator instead).
 * @param x - float32 tensor
 * @param scale - positive finite float32 scalar (tensor or number) or 1-D tensor of length `x.shape[axis]`
 * @param zeroPoint - of dtype `dtype`, with `scale`'s shape, or an integer number; 0 when omitted
 * @param options - `axis` (used for a 1-D scale), `dtype` (`'int8'` or `'uint8'`)
 * @returns a new int8/uint8 tensor of `x`'s shape, owned by the caller
 * @throws {DTypeError} if `x`/`scale` is not float32, `dtype` is not int8/uint8, or `zeroPoint`'s
 *   dtype differs from `dtype`
 * @throws {ShapeError} for a scale of rank > 1 or of the wrong length, an axis out of range or not an
 *   integer, or a zero point whose shape differs from the scale's
 * @throws {ArgumentError} for a scale that is not positive and finite, or a number zero point
 *   outside the dtype's range
 * @example
 * quantizeLinear(tensor([-1.2, 0.25, 0.75, 300]), 0.5).toArray(); // [-2, 0, 2, 127]
 */
export function quantizeLinear(
  x: Tensor,
  scale: Tensor | number,
  zeroPoint?: Tensor | number,
  options: QuantizeLinearOptions = {},
): Tensor {
  const op = "quantizeLinear";
  const t = asTensor(op, x);
  checkDType(op, t, FLOAT);
  if (typeof options !== "object" || options === null) {
    throw new ArgumentError(`${op}: options must be an object (got ${describe(options)})`);
  }
  const dtype = checkDTypeArg(op, options.dtype ?? "int8");
  if (dtype !== "int8" && dtype !== "uint8") {
    throw new DTypeError(`${op}: dtype must be int8 or uint8 (got ${describe(dtype)})`);
  }
  return noGrad(() =>
    compose(() => {
      const p = quantParams(op, t, scale, zeroPoint, options.axis ?? 1, dtype);
      const s = p.scale.dataSync();
      for (let i = 0; i < s.length; i++) {
        const v = s[i]!;
        if (!(v > 0 && v < Number.POSITIVE_INFINITY)) {
          throw new ArgumentError(
            `${op}: scale must be positive and finite (got ${v} at index ${i} of ${fmt(p.scale.shape)})`,
          );
        }
      }
      // round half to even (ONNX Round); the cast saturates to dtype's range
      const r = unaryOp(op, "round", div(t, p.scale), FLOAT);
      return cast(p.zeroPoint ? add(r, p.zeroPoint) : r, dtype);
    }),
  );
}
