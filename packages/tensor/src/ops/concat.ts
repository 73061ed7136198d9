import { allocTensor, backendFor, record } from "../engine.js";
import { ArgumentError, DTypeError, ShapeError } from "../errors.js";
import { normalizeAxis } from "../op-helpers.js";
import { describe, fmt } from "../shape.js";
import { Tensor } from "../tensor.js";
import { slice } from "./slice.js";

/**
 * Joins tensors along an existing `axis` (ONNX Concat): every dim but `axis` must agree.
 * @param xs - one or more tensors of the same dtype and rank ≥ 1
 * @param axis - the axis to join along (negative allowed)
 * @returns a new tensor owned by the caller (a copy, even for one input)
 * @throws {ArgumentError} if `xs` is not a non-empty array
 * @throws {ShapeError} for an axis out of range, or shapes that differ off `axis`
 * @throws {DTypeError} if the dtypes differ
 * @example
 * concat([tensor([[1, 2]]), tensor([[3, 4]])], 0).toArray(); // [[1, 2], [3, 4]]
 */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (!Array.isArray(xs) || xs.length === 0) {
    throw new ArgumentError(
      `concat: xs must be a non-empty array of tensors (got ${describe(xs)})`,
    );
  }
  const ts = xs.map((x, i) => {
    if (!(x instanceof Tensor)) {
      throw new ArgumentError(`concat: xs[${i}] must be a Tensor (got ${describe(x)})`);
    }
    x.assertAlive("concat");
    return x;
  });
  const first = ts[0]!;
  if (first.rank === 0) {
    throw new ShapeError(`concat: inputs must have rank ≥ 1 (got shape ${fmt(first.shape)})`);
  }
  const a = normalizeAxis("concat", axis, first.rank);
  let total = 0;
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i]!;
    if (t.dtype !== first.dtype) {
      throw new DTypeError(
        `concat: inputs have different dtypes (expected ${first.dtype}, got ${t.dtype} for xs[${i}])`,
      );
    }
    if (t.rank !== first.rank || t.shape.some((d, j) => j !== a && d !== first.shape[j])) {
      throw new ShapeError(
        `concat: shapes differ off axis ${a} (expected ${fmt(first.shape.map((d, j) => (j === a ? -1 : d)))} with any size at ${a}, got ${fmt(t.shape)} for xs[${i}])`,
      );
    }
    total += t.shape[a]!;
  }
  const shape = first.shape.slice();
  shape[a] = total;
  const b = backendFor("concat", "copy", first.dtype);
  const y = allocTensor("concat", shape, first.dtype, b);
  const starts: number[] = [];
  let start = 0;
  for (const t of ts) {
    starts.push(start);
    if (t.size > 0) {
      // each input lands in the window [start, start + n) of axis a
      b.copy(t, {
        dataId: y.dataId,
        dtype: y.dtype,
        shape: t.shape,
        strides: y.strides,
        offset: start * y.strides[a]!,
      });
    }
    start += t.shape[a]!;
  }
  // d concat(xs) = the slices of dy that each input filled
  record("concat", ts, y, (dy) =>
    ts.map((t, i) => slice(dy, [starts[i]!], [starts[i]! + t.shape[a]!], [a])),
  );
  return y;
}
