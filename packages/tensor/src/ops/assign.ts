import { ArgumentError, DTypeError, ShapeError } from "../errors.js";
import { asTensor, broadcastInfo, type TensorLike } from "../op-helpers.js";
import { broadcastShapes, fmt, shapesEqual } from "../shape.js";
import type { Tensor } from "../tensor.js";

/**
 * Writes `value` into `target`'s buffer in place: `target ← value`, with `value` broadcast to
 * `target.shape`. Views sharing the buffer see the change. Not recorded by autograd: this is how
 * optimizers update parameters.
 * @param target - the tensor to overwrite (not a broadcast view: it must not have zero strides)
 * @param value - a tensor or number of `target`'s dtype, broadcastable to `target.shape`
 * @returns `target`
 * @throws {ShapeError} if `value` does not broadcast to `target.shape`
 * @throws {DTypeError} if the dtypes differ
 * @throws {ArgumentError} if `target` is a broadcast view (several elements share one address)
 * @example
 * const w = tensor([1, 2, 3]);
 * assign(w, tensor([4, 5, 6])).toArray(); // [4, 5, 6]
 */
export function assign(target: Tensor, value: TensorLike): Tensor {
  const t = asTensor("assign", target, "target");
  const v = asTensor("assign", value, "value", t.dtype);
  if (v.dtype !== t.dtype) {
    throw new DTypeError(`assign: dtypes differ (expected ${t.dtype}, got ${v.dtype})`);
  }
  if (t.strides.some((s, i) => s === 0 && t.shape[i]! > 1)) {
    throw new ArgumentError(
      `assign: target is a broadcast view (strides [${t.strides.join(",")}]); clone it first`,
    );
  }
  const shape = broadcastShapes("assign", v.shape, t.shape);
  if (!shapesEqual(shape, t.shape)) {
    throw new ShapeError(
      `assign: value must broadcast to the target's shape (expected ${fmt(t.shape)}, got ${fmt(v.shape)})`,
    );
  }
  if (v.backend !== t.backend) {
    throw new ArgumentError(
      `assign: value lives on backend '${v.backend.name}', target on '${t.backend.name}'`,
    );
  }
  t.backend.copy(broadcastInfo(v, t.shape), t);
  return t;
}
