import { record } from "../engine.js";
import { ArgumentError } from "../errors.js";
import { asTensor, normalizeAxes } from "../op-helpers.js";
import { describe } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { reshape } from "./reshape.js";

/**
 * Inserts size-1 dims (ONNX Unsqueeze): `axes` index the output, whose rank is
 * `x.rank + axes.length`. A view: no data moves.
 * @param x - any tensor
 * @param axes - one axis or several of the output (negative counts from the output's end)
 * @returns a view owned by the caller
 * @throws {ShapeError} for an axis out of range of the output rank, or repeated
 * @throws {ArgumentError} if `axes` is missing
 * @example
 * unsqueeze(zeros([2, 3]), [0, -1]).shape; // [1, 2, 3, 1]
 */
export function unsqueeze(x: Tensor, axes: number | readonly number[]): Tensor {
  const t = asTensor("unsqueeze", x);
  if (axes === undefined || axes === null) {
    throw new ArgumentError(`unsqueeze: axes are required (got ${describe(axes)})`);
  }
  const count = typeof axes === "number" ? 1 : Array.isArray(axes) ? axes.length : 0;
  const outRank = t.rank + count;
  const inserted = normalizeAxes("unsqueeze", axes, outRank);
  const shape = new Array<number>(outRank);
  const strides = new Array<number>(outRank);
  let src = t.rank - 1;
  // right to left, so an inserted dim can take the stride that keeps a contiguous layout plain
  for (let i = outRank - 1; i >= 0; i--) {
    if (inserted.includes(i)) {
      shape[i] = 1;
      strides[i] = i === outRank - 1 ? 1 : strides[i + 1]! * shape[i + 1]!;
    } else {
      shape[i] = t.shape[src]!;
      strides[i] = t.strides[src]!;
      src--;
    }
  }
  const y = t.view(shape, strides, t.offset);
  // d unsqueeze(x) = reshape(dy, x.shape)
  record("unsqueeze", [t], y, (dy) => [reshape(dy, t.shape)]);
  return y;
}
