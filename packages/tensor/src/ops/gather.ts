import { newArray } from "../dtype.js";
import { allocTensor, backendFor, record } from "../engine.js";
import { ArgumentError, ShapeError } from "../errors.js";
import { checkDType, normalizeAxis } from "../op-helpers.js";
import { describe, fmt, type Shape } from "../shape.js";
import { Tensor } from "../tensor.js";

/** Nested arrays of numbers, as index lists are written by hand. */
export type IndexData = number | readonly IndexData[];

/** `t`, or a contiguous copy of it (not recorded: the caller records the op it runs). */
function dense(t: Tensor): Tensor {
  if (t.isContiguous) return t;
  const out = allocTensor("gather", t.shape, t.dtype, t.backend);
  t.backend.copy(t, out);
  return out;
}

/** The values and shape of a number or nested array of numbers. */
function flatIndices(v: IndexData): { values: number[]; shape: number[] } {
  const shape: number[] = [];
  for (let cur: IndexData = v; Array.isArray(cur); cur = cur[0] as IndexData) {
    shape.push(cur.length);
    if (cur.length === 0) break;
  }
  const values: number[] = [];
  const walk = (e: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (typeof e !== "number") {
        throw new ArgumentError(`gather: indices must be numbers (got ${describe(e)})`);
      }
      values.push(e);
    } else if (!Array.isArray(e) || e.length !== shape[depth]) {
      throw new ShapeError(
        `gather: ragged indices (expected length ${shape[depth]} at depth ${depth} for shape ${fmt(shape)}, got ${describe(e)})`,
      );
    } else for (const c of e) walk(c, depth + 1);
  };
  walk(v, 0);
  return { values, shape };
}

/**
 * `x.take(idx, axis)` with `idx` already int32, contiguous and in `[0, x.shape[axis])`; records
 * its gradient (a scatter-add into zeros).
 */
function gatherChecked(x: Tensor, idx: Tensor, axis: number): Tensor {
  const b = backendFor("gather", "gather", x.dtype);
  const shape = [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)];
  const y = allocTensor("gather", shape, x.dtype, b);
  const xc = dense(x);
  if (y.size > 0) b.gather(xc, idx, axis, y);
  if (xc !== x) xc.dispose();
  // d gather(x, idx) = zeros(x.shape) with dy added at the gathered positions (repeats add up)
  record("gather", [x, idx], y, (dy) => [scatterAdd(dy, idx, axis, x.shape), null]);
  return y;
}

/** Zeros of `shape` with `dy[.., i, ..]` added at `[.., idx[i], ..]`: the transpose of gather. */
function scatterAdd(dy: Tensor, idx: Tensor, axis: number, shape: Shape): Tensor {
  const b = backendFor("gather", "scatterAdd", dy.dtype);
  const out = allocTensor("gather", shape, dy.dtype, b);
  b.write(out.dataId, newArray(dy.dtype, out.size));
  const dc = dense(dy);
  if (dc.size > 0) b.scatterAdd(dc, idx, axis, out);
  if (dc !== dy) dc.dispose();
  // the transpose of a scatter-add is the gather it mirrors
  record("gather", [dy, idx], out, (g) => [gatherChecked(g, idx, axis), null]);
  return out;
}

/**
 * Takes the slices of `x` at `indices` along `axis` (ONNX Gather):
 * `y[p…, i…, q…] = x[p…, indices[i…], q…]`, with `y.shape = x.shape[:axis] ++ indices.shape ++
 * x.shape[axis+1:]`. Negative indices count from the end.
 * @param x - tensor of any dtype, rank ≥ 1
 * @param indices - integer tensor (int32, int8 or uint8), or a number or nested array of numbers
 * @param axis - the axis to index (negative allowed)
 * @returns a new tensor of `x`'s dtype, owned by the caller
 * @throws {ShapeError} for an index outside `[-n, n)` (naming it), or an axis out of range
 * @throws {ArgumentError} for a non-integer index
 * @throws {DTypeError} for a float or bool `indices` tensor
 * @example
 * gather(tensor([[1, 2], [3, 4], [5, 6]]), [2, -3]).toArray(); // [[5, 6], [1, 2]]
 */
export function gather(x: Tensor, indices: Tensor | IndexData, axis = 0): Tensor {
  if (!(x instanceof Tensor)) {
    throw new ArgumentError(`gather: x must be a Tensor (got ${describe(x)})`);
  }
  x.assertAlive("gather");
  const a = normalizeAxis("gather", axis, x.rank);
  const n = x.shape[a]!;
  let values: ArrayLike<number>;
  let shape: Shape;
  if (indices instanceof Tensor) {
    indices.assertAlive("gather");
    checkDType("gather", indices, ["int32", "int8", "uint8"], "indices");
    values = indices.dataSync();
    shape = indices.shape;
  } else if (typeof indices === "number" || Array.isArray(indices)) {
    ({ values, shape } = flatIndices(indices));
  } else {
    throw new ArgumentError(
      `gather: indices must be an integer tensor or an array of numbers (got ${describe(indices)})`,
    );
  }
  const wrapped = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v)) {
      throw new ArgumentError(
        `gather: indices must be integers (got ${describe(v)} at position ${i})`,
      );
    }
    if (v < -n || v >= n) {
      throw new ShapeError(
        `gather: index ${v} at position ${i} is out of range (expected in [${-n}, ${n - 1}] for axis ${a} of shape ${fmt(x.shape)})`,
      );
    }
    wrapped[i] = v < 0 ? v + n : v;
  }
  const idx = allocTensor("gather", shape, "int32", x.backend);
  idx.backend.write(idx.dataId, wrapped);
  const y = gatherChecked(x, idx, a);
  idx.dispose(); // the tape holds it while a gradient may need it
  return y;
}
