import { record } from "../engine.js";
import { ShapeError } from "../errors.js";
import { asTensor, normalizeAxes } from "../op-helpers.js";
import { fmt } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { reshape } from "./reshape.js";

/**
 * Removes size-1 dims (ONNX Squeeze): the named `axes`, or every size-1 dim when `axes` is omitted.
 * A view: no data moves.
 * @param x - any tensor
 * @param axes - one axis or several (negative allowed), each of size 1
 * @returns a view owned by the caller
 * @throws {ShapeError} for an axis out of range or repeated, or a named axis whose size is not 1
 * @example
 * squeeze(zeros([1, 3, 1]), 0).shape; // [3, 1]
 */
export function squeeze(x: Tensor, axes?: number | readonly number[]): Tensor {
  const t = asTensor("squeeze", x);
  const drop =
    axes === undefined
      ? t.shape.flatMap((d, i) => (d === 1 ? [i] : []))
      : normalizeAxes("squeeze", axes, t.rank);
  for (const a of drop) {
    if (t.shape[a] !== 1) {
      throw new ShapeError(
        `squeeze: axis ${a} has size ${t.shape[a]} (expected 1, got shape ${fmt(t.shape)})`,
      );
    }
  }
  const keep = (_: number, i: number) => !drop.includes(i);
  const y = t.view(t.shape.filter(keep), t.strides.filter(keep), t.offset);
  // d squeeze(x) = reshape(dy, x.shape)
  record("squeeze", [t], y, (dy) => [reshape(dy, t.shape)]);
  return y;
}
