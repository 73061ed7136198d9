/*
 * What every op file shares: turning arguments into tensors with clear errors, allocating the
 * output, dispatching to a backend, and recording the gradient rule.
 */
import type { BinaryOp, ReduceOp, TensorInfo, UnaryOp } from "./backend.js";
import { type DType, dtypeRange, isDType } from "./dtype.js";
import { allocTensor, backendFor, getBackend, record, scoped, type VJP } from "./engine.js";
import { ArgumentError, DTypeError, ShapeError } from "./errors.js";
import {
  broadcastShapes,
  broadcastStrides,
  checkShape as checkShapeUnchecked,
  contiguousStrides,
  describe,
  fmt,
  normalizeAxes as normalizeAxesUnchecked,
  normalizeAxis as normalizeAxisUnchecked,
  type Shape,
} from "./shape.js";
import { Tensor } from "./tensor.js";

/** A tensor operand, or a plain number taken as a scalar of the other operand's dtype. */
export type TensorLike = Tensor | number;

/** A scalar tensor holding `v` (float32 unless `dtype` says otherwise). */
export function scalarTensor(v: number, dtype: DType = "float32"): Tensor {
  const t = allocTensor("scalar", [], dtype);
  t.backend.write(
    t.dataId,
    dtype === "float32"
      ? Float32Array.of(v)
      : dtype === "int32"
        ? Int32Array.of(v)
        : dtype === "int8"
          ? Int8Array.of(v)
          : Uint8Array.of(v),
  );
  return t;
}

/**
 * `x` as a live tensor: a Tensor is checked for use after dispose; a finite-or-not number becomes a
 * scalar of `dtype`; anything else is an `ArgumentError` naming `op` and the argument.
 */
export function asTensor(op: string, x: unknown, name = "x", dtype: DType = "float32"): Tensor {
  if (x instanceof Tensor) {
    x.assertAlive(op);
    return x;
  }
  if (typeof x === "number") {
    if (dtype !== "float32") {
      const [lo, hi] = dtypeRange(dtype);
      if (!Number.isInteger(x) || x < lo || x > hi) {
        throw new ArgumentError(
          `${op}: ${name} ${x} does not fit dtype ${dtype} (expected an integer in [${lo}, ${hi}])`,
        );
      }
    }
    return scalarTensor(x, dtype);
  }
  if (typeof x === "boolean") return scalarTensor(x ? 1 : 0, "bool");
  throw new ArgumentError(`${op}: ${name} must be a Tensor or a number (got ${describe(x)})`);
}

/** `describe` of each element of an array (`[1,"a",symbol]`), or of a non-array; never throws. */
export function describeList(v: unknown): string {
  return Array.isArray(v) ? `[${v.map((e) => describe(e)).join(",")}]` : describe(v);
}

/** Checks that `shape` is an array of non-negative safe integers, else a `ShapeError` naming `op`. */
export function checkShape(op: string, shape: unknown): asserts shape is Shape {
  if (Array.isArray(shape) && shape.some((d) => typeof d !== "number")) {
    throw new ShapeError(
      `${op}: shape sizes must be non-negative integers (got ${describeList(shape)})`,
    );
  }
  checkShapeUnchecked(op, shape);
}

/**
 * Resolves a possibly negative `axis` against `rank`; a `ShapeError` naming `op` for anything but an
 * integer in `[-rank, rank)` (a Symbol, BigInt or prototype-less object included).
 */
export function normalizeAxis(op: string, axis: unknown, rank: number): number {
  if (typeof axis !== "number") {
    throw new ShapeError(
      `${op}: axis must be an integer in [${-rank}, ${rank - 1}] (got ${describe(axis)})`,
    );
  }
  return normalizeAxisUnchecked(op, axis, rank);
}

/** Resolves `axes` (undefined = all) into sorted, unique, non-negative axes, else a `ShapeError`. */
export function normalizeAxes(op: string, axes: unknown, rank: number): number[] {
  if (Array.isArray(axes)) {
    const i = axes.findIndex((a) => typeof a !== "number");
    if (i >= 0) {
      throw new ShapeError(
        `${op}: axes must be integers in [${-rank}, ${rank - 1}] (got ${describe(axes[i])} at index ${i})`,
      );
    }
  } else if (axes !== undefined && typeof axes !== "number") {
    throw new ShapeError(
      `${op}: axes must be a number or an array of numbers (got ${describe(axes)})`,
    );
  }
  return normalizeAxesUnchecked(op, axes as number | readonly number[] | undefined, rank);
}

/** Checks `t` has one of `dtypes`, else a `DTypeError`. */
export function checkDType(op: string, t: Tensor, dtypes: readonly DType[], name = "x"): void {
  if (!dtypes.includes(t.dtype)) {
    throw new DTypeError(
      `${op}: ${name} has dtype ${t.dtype} (expected ${dtypes.join(" or ")}, shape ${fmt(t.shape)})`,
    );
  }
}

/** Checks a user-supplied dtype option. */
export function checkDTypeArg(op: string, dtype: unknown): DType {
  if (!isDType(dtype)) {
    throw new DTypeError(
      `${op}: unknown dtype (expected float32, int32, int8, uint8 or bool, got ${describe(dtype)})`,
    );
  }
  return dtype;
}

/** Checks an option is a finite number. */
export function checkNumber(
  op: string,
  name: string,
  v: unknown,
  opts: { integer?: boolean; min?: number } = {},
): number {
  if (
    typeof v !== "number" ||
    !Number.isFinite(v) ||
    (opts.integer && !Number.isInteger(v)) ||
    (opts.min !== undefined && v < opts.min)
  ) {
    const what = `${opts.integer ? "an integer" : "a finite number"}${opts.min !== undefined ? ` ≥ ${opts.min}` : ""}`;
    throw new ArgumentError(`${op}: ${name} must be ${what} (got ${describe(v)})`);
  }
  return v;
}

/** What a kernel sees of `t` broadcast to `shape` (zero strides; no tensor, no copy). */
export function broadcastInfo(t: Tensor, shape: Shape): TensorInfo {
  return {
    dataId: t.dataId,
    dtype: t.dtype,
    shape,
    strides: broadcastStrides(t.shape, t.strides, shape),
    offset: t.offset,
  };
}

export const FLOAT: readonly DType[] = ["float32"];
export const NUMERIC: readonly DType[] = ["float32", "int32", "int8", "uint8"];
export const ALL: readonly DType[] = ["float32", "int32", "int8", "uint8", "bool"];

/**
 * Runs elementwise kernel `kernel` on `x` into a new tensor of `outDType` (default `x.dtype`) and
 * records `vjp` (given `x`, `y` and `dy`) when one is passed.
 */
export function unaryOp(
  op: string,
  kernel: UnaryOp,
  xIn: TensorLike,
  dtypes: readonly DType[],
  vjp?: (dy: Tensor, x: Tensor, y: Tensor) => Tensor,
  outDType?: DType,
): Tensor {
  const x = asTensor(op, xIn);
  checkDType(op, x, dtypes);
  const b = backendFor(op, `unary.${kernel}`, x.dtype);
  const y = allocTensor(op, x.shape, outDType ?? x.dtype, b);
  b.unary(kernel, x, y);
  if (vjp) record(op, [x], y, (dy) => [vjp(dy, x, y)]);
  return y;
}

/**
 * Broadcasts `a` and `b`, runs binary kernel `kernel` into a new tensor, and records `vjp`
 * (gradients in the broadcast shape; the tape sums them back to each input's shape).
 * A number operand takes the other operand's dtype.
 */
export function binaryOp(
  op: string,
  kernel: BinaryOp,
  aIn: TensorLike,
  bIn: TensorLike,
  dtypes: readonly DType[],
  vjp?: (
    dy: Tensor,
    a: Tensor,
    b: Tensor,
    y: Tensor,
    needs: readonly boolean[],
  ) => readonly [Tensor | null, Tensor | null],
  outDType?: DType,
): Tensor {
  const a = asTensor(op, aIn, "a", bIn instanceof Tensor ? bIn.dtype : "float32");
  const b = asTensor(op, bIn, "b", a.dtype);
  if (a.dtype !== b.dtype) {
    throw new DTypeError(
      `${op}: operands have different dtypes (expected equal, got ${a.dtype} ${fmt(a.shape)} and ${b.dtype} ${fmt(b.shape)}); cast one first`,
    );
  }
  checkDType(op, a, dtypes, "a");
  const shape = broadcastShapes(op, a.shape, b.shape);
  const be = backendFor(op, `binary.${kernel}`, a.dtype);
  const y = allocTensor(op, shape, outDType ?? a.dtype, be);
  be.binary(kernel, broadcastInfo(a, shape), broadcastInfo(b, shape), y);
  if (vjp) record(op, [a, b], y, (dy, needs) => vjp(dy, a, b, y, needs));
  return y;
}

/** `t` if it is contiguous, else a contiguous copy (gradient flows through unchanged). */
export function contiguous(t: Tensor): Tensor {
  if (t.isContiguous) return t;
  const out = allocTensor("contiguous", t.shape, t.dtype, t.backend);
  t.backend.copy(t, out);
  record("contiguous", [t], out, (dy) => [dy]);
  return out;
}

/** The active backend (re-exported for op files that only need to allocate). */
export { allocTensor, getBackend, record, type VJP };

/** The result of running a reduction kernel: the output and the shape it has with kept dims. */
export interface Reduced {
  readonly y: Tensor;
  /** Sorted, non-negative reduced axes. */
  readonly axes: number[];
  /** `x.shape` with reduced dims set to 1 (the shape to broadcast a gradient from). */
  readonly keptShape: number[];
}

/**
 * Runs reduction `kernel` of `x` over `axes` (undefined = all) into a new tensor of `outDType`,
 * shaped with or without the reduced dims. Empty reductions are allowed for `sum`/`prod` only.
 */
export function reduceKernel(
  op: string,
  kernel: ReduceOp,
  x: Tensor,
  axesIn: number | readonly number[] | undefined,
  keepDims: boolean,
  outDType: DType,
): Reduced {
  if (typeof keepDims !== "boolean")
    throw new ArgumentError(`${op}: keepDims must be a boolean (got ${describe(keepDims)})`);
  const axes = normalizeAxes(op, axesIn, x.rank);
  const keptShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  if (kernel !== "sum" && kernel !== "prod" && axes.some((a) => x.shape[a] === 0)) {
    throw new ShapeError(
      `${op}: cannot reduce an empty dim (got shape ${fmt(x.shape)}, axes [${axes.join(",")}])`,
    );
  }
  const outShape = keepDims ? keptShape : x.shape.filter((_, i) => !axes.includes(i));
  const b = backendFor(op, `reduce.${kernel}`, x.dtype);
  const y = allocTensor(op, outShape, outDType, b);
  b.reduce(kernel, x, axes, {
    dataId: y.dataId,
    dtype: outDType,
    shape: keptShape,
    strides: contiguousStrides(keptShape),
    offset: 0,
  });
  return { y, axes, keptShape };
}

/**
 * Runs a composed op's body in its own scope: intermediates are disposed on return (autograd's
 * tape holds the ones a gradient needs), only the result survives.
 */
export function compose<T extends Tensor>(fn: () => T): T {
  return scoped(fn, (r) => [r]);
}
