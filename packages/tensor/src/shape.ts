import { ArgumentError, ShapeError } from "./errors.js";

/** A tensor shape: non-negative integer sizes, outermost first. */
export type Shape = readonly number[];

/** Formats a shape for messages: `[2,3]`. */
export function fmt(shape: Shape): string {
  return `[${shape.join(",")}]`;
}

/** Number of elements: the product of `shape` (1 for a scalar). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major (C order) strides of a contiguous tensor of `shape`, in elements. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/** True when `strides` are the row-major strides of `shape` (size-1 dims may have any stride). */
export function isContiguous(shape: Shape, strides: readonly number[]): boolean {
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i]!;
    if (d !== 1 && strides[i] !== s) return false;
    s *= d;
  }
  return true;
}

/** Checks that `shape` is an array of non-negative safe integers, else a `ShapeError` naming `op`. */
export function checkShape(op: string, shape: unknown): asserts shape is Shape {
  if (!Array.isArray(shape)) {
    throw new ShapeError(`${op}: shape must be an array of integers (got ${describe(shape)})`);
  }
  for (const d of shape) {
    if (typeof d !== "number" || !Number.isSafeInteger(d) || d < 0) {
      throw new ShapeError(
        `${op}: shape sizes must be non-negative integers (got [${shape.map(String).join(",")}])`,
      );
    }
  }
}

/** A short description of an unexpected value for error messages. */
export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return `array(${v.length})`;
  if (typeof v === "object") return (v as object).constructor?.name ?? "object";
  if (typeof v === "string") return JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v);
  return String(v);
}

/** NumPy broadcasting of two shapes: align right, sizes equal or 1. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  if (typeof op !== "string") {
    throw new ArgumentError(`broadcastShapes: op must be a string (got ${describe(op)})`);
  }
  if (!Array.isArray(a) || !Array.isArray(b)) {
    throw new ShapeError(
      `${op}: broadcastShapes: shapes must be arrays (got ${describe(a)} and ${describe(b)})`,
    );
  }
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        `${op}: shapes do not broadcast (expected equal sizes or 1 in every aligned dim, got ${fmt(a)} and ${fmt(b)})`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * Strides that read a tensor of `shape`/`strides` as if broadcast to `outShape`:
 * missing leading dims and size-1 dims get stride 0. Assumes `broadcastShapes` accepted them.
 */
export function broadcastStrides(
  shape: Shape,
  strides: readonly number[],
  outShape: Shape,
): number[] {
  const rank = outShape.length;
  const off = rank - shape.length;
  const out = new Array<number>(rank).fill(0);
  for (let i = 0; i < shape.length; i++) {
    out[off + i] = shape[i] === 1 && outShape[off + i] !== 1 ? 0 : strides[i]!;
  }
  return out;
}

/** Resolves a possibly negative `axis` against `rank`, else a `ShapeError`. */
export function normalizeAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new ShapeError(
      `${op}: axis out of range (expected an integer in [${-rank}, ${rank - 1}], got ${axis})`,
    );
  }
  return axis < 0 ? axis + rank : axis;
}

/** Resolves `axes` (undefined = all) into sorted, unique, non-negative axes. */
export function normalizeAxes(
  op: string,
  axes: number | readonly number[] | undefined,
  rank: number,
): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axes === "number" ? [axes] : axes;
  if (!Array.isArray(list)) {
    throw new ShapeError(
      `${op}: axes must be a number or an array of numbers (got ${describe(axes)})`,
    );
  }
  const out = list.map((a) => normalizeAxis(op, a, rank));
  const unique = [...new Set(out)].sort((x, y) => x - y);
  if (unique.length !== out.length) {
    throw new ShapeError(`${op}: axes repeat (got [${list.join(",")}])`);
  }
  return unique;
}

/** True when two shapes are equal. */
export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
