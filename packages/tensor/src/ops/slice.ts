import type { Backend } from "../backend.js";
import { newArray } from "../dtype.js";
import { allocTensor, record } from "../engine.js";
import { ArgumentError, ShapeError } from "../errors.js";
import { asTensor, describeList, normalizeAxes } from "../op-helpers.js";
import { contiguousStrides, describe, type Shape } from "../shape.js";
import type { Tensor } from "../tensor.js";

/** Where a slice starts, how it steps and how many elements it takes, for every dim. */
interface Geometry {
  readonly starts: readonly number[];
  readonly steps: readonly number[];
  readonly counts: readonly number[];
}

function checkList(name: string, v: unknown, n: number | null, allowInf: boolean): number[] {
  if (!Array.isArray(v)) {
    throw new ArgumentError(`slice: ${name} must be an array of integers (got ${describe(v)})`);
  }
  if (n !== null && v.length !== n) {
    throw new ArgumentError(
      `slice: ${name} must have one entry per sliced axis (expected ${n}, got ${v.length})`,
    );
  }
  for (const e of v) {
    const ok =
      typeof e === "number" && (Number.isSafeInteger(e) || (allowInf && Math.abs(e) === Infinity));
    if (!ok) {
      throw new ArgumentError(
        `slice: ${name} must be integers${allowInf ? " or ±Infinity" : ""} (got ${describeList(v)})`,
      );
    }
  }
  return v as number[];
}

/** Resolves ONNX Slice arguments against `shape`: negative indices, clamping, negative steps. */
function resolve(
  shape: Shape,
  startsIn: unknown,
  endsIn: unknown,
  axesIn: unknown,
  stepsIn: unknown,
): Geometry {
  const startList = checkList("starts", startsIn, null, true);
  const n = startList.length;
  const endList = checkList("ends", endsIn, n, true);
  let axes: number[];
  if (axesIn === undefined) {
    if (n > shape.length) {
      throw new ShapeError(
        `slice: more starts than dims (expected at most ${shape.length}, got ${n})`,
      );
    }
    axes = Array.from({ length: n }, (_, i) => i);
  } else {
    const list = checkList("axes", axesIn, n, false);
    normalizeAxes("slice", list, shape.length); // range and repeats
    axes = list.map((a) => (a < 0 ? a + shape.length : a));
  }
  const stepList =
    stepsIn === undefined ? new Array<number>(n).fill(1) : checkList("steps", stepsIn, n, false);
  const starts = shape.map(() => 0);
  const steps = shape.map(() => 1);
  const counts = shape.slice();
  for (let i = 0; i < n; i++) {
    const a = axes[i]!;
    const d = shape[a]!;
    const step = stepList[i]!;
    if (step === 0) throw new ArgumentError(`slice: steps must not be 0 (got axis ${a} step 0)`);
    let s = startList[i]!;
    let e = endList[i]!;
    if (s < 0) s += d;
    if (e < 0) e += d;
    // ONNX clamps start to [0, d] and end to [0, d] stepping forward, [0, d−1] and [−1, d−1] backward
    if (step > 0) {
      s = Math.min(Math.max(s, 0), d);
      e = Math.min(Math.max(e, 0), d);
    } else {
      s = Math.min(Math.max(s, 0), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
    }
    const count = Math.max(0, Math.ceil((e - s) / step));
    starts[a] = count > 0 ? s : 0;
    steps[a] = step;
    counts[a] = count;
  }
  return { starts, steps, counts };
}

/** The strided view `x[starts :: steps]` with `counts` elements per dim, recording its gradient. */
function sliceView(x: Tensor, g: Geometry): Tensor {
  let offset = x.offset;
  for (let d = 0; d < x.rank; d++) offset += g.starts[d]! * x.strides[d]!;
  const y = x.view(
    g.counts,
    x.strides.map((s, d) => s * g.steps[d]!),
    offset,
  );
  // d slice(x) = dy scattered into zeros of x.shape at the sliced positions
  record("slice", [x], y, (dy) => [scatterSlice(dy, x.shape, g)]);
  return y;
}

/** Zeros of `shape` with `dy` copied into the sliced positions: the transpose of `sliceView`. */
function scatterSlice(dy: Tensor, shape: Shape, g: Geometry): Tensor {
  const b: Backend = dy.backend;
  const out = allocTensor("slice", shape, dy.dtype, b);
  b.write(out.dataId, newArray(dy.dtype, out.size));
  const strides = contiguousStrides(shape);
  let offset = 0;
  for (let d = 0; d < shape.length; d++) offset += g.starts[d]! * strides[d]!;
  b.copy(dy, {
    dataId: out.dataId,
    dtype: out.dtype,
    shape: g.counts,
    strides: strides.map((s, d) => s * g.steps[d]!),
    offset,
  });
  // the transpose of a scatter is the slice it scattered into
  record("slice", [dy], out, (ddx) => [sliceView(ddx, g)]);
  return out;
}

/**
 * Takes `x[starts[i] : ends[i] : steps[i]]` along each of `axes` (ONNX Slice): negative indices count
 * from the end, out-of-range indices are clamped, and a negative step walks backwards. A strided
 * view: no data moves.
 * @param x - any tensor
 * @param starts - first index per sliced axis (integers; ±Infinity allowed)
 * @param ends - index to stop before, per sliced axis (integers; ±Infinity allowed)
 * @param axes - the sliced axes (negative allowed); default `0 … starts.length − 1`
 * @param steps - non-zero step per sliced axis; default all 1
 * @returns a view owned by the caller
 * @throws {ArgumentError} for lists of different lengths, non-integer entries or a zero step
 * @throws {ShapeError} for an axis out of range or repeated
 * @example
 * slice(arange(6), [-1], [-Infinity], [0], [-2]).toArray(); // [5, 3, 1]
 */
export function slice(
  x: Tensor,
  starts: readonly number[],
  ends: readonly number[],
  axes?: readonly number[],
  steps?: readonly number[],
): Tensor {
  const t = asTensor("slice", x);
  return sliceView(t, resolve(t.shape, starts, ends, axes, steps));
}
