import { record } from "../engine.js";
import { asTensor, broadcastInfo, checkShape } from "../op-helpers.js";
import { broadcastShapes } from "../shape.js";
import type { Tensor } from "../tensor.js";

/**
 * Broadcasts `x` against `shape` (ONNX Expand: the result has the broadcast of both shapes).
 * A view with zero strides: no data is copied.
 * @param x - any tensor
 * @param shape - target sizes, broadcast-compatible with `x.shape`
 * @returns a view owned by the caller
 * @throws {ShapeError} if the shapes do not broadcast
 * @example
 * expand(tensor([1, 2]), [3, 2]).toArray(); // [[1, 2], [1, 2], [1, 2]]
 */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const t = asTensor("expand", x);
  checkShape("expand", shape);
  const out = broadcastShapes("expand", t.shape, shape);
  const info = broadcastInfo(t, out);
  const y = t.view(out, info.strides, t.offset);
  // the tape sums dy back to x.shape
  record("expand", [t], y, (dy) => [dy]);
  return y;
}
