/** Functions that make new tensors from values, shapes and random generators. */
import { type DataArray, type DType, dtypeRange, newArray } from "./dtype.js";
import { allocTensor, checkAllocation } from "./engine.js";
import { ArgumentError, ShapeError } from "./errors.js";
import { checkDTypeArg, checkNumber, checkShape } from "./op-helpers.js";
import { globalGenerator, Rng } from "./random.js";
import { describe, fmt, type Shape, sizeOf } from "./shape.js";
import { type NestedArray, Tensor } from "./tensor.js";

/** Nested arrays of numbers or booleans, or a flat typed array. */
export type TensorData =
  | number
  | boolean
  | NestedArray
  | readonly (boolean | readonly unknown[])[]
  | DataArray;

function dtypeOfArray(a: DataArray): DType {
  if (a instanceof Float32Array) return "float32";
  if (a instanceof Int32Array) return "int32";
  if (a instanceof Int8Array) return "int8";
  return "uint8";
}

function inferShape(v: unknown, op: string): number[] {
  const shape: number[] = [];
  let cur: unknown = v;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (shape.length > 32) throw new ShapeError(`${op}: nesting deeper than 32 dims`);
    cur = cur[0];
  }
  return shape;
}

function flatten(v: unknown, shape: readonly number[], out: number[], op: string, dim = 0): void {
  if (dim === shape.length) {
    if (typeof v === "number") out.push(v);
    else if (typeof v === "boolean") out.push(v ? 1 : 0);
    else
      throw new ArgumentError(
        `${op}: values must be numbers or booleans (got ${describe(v)} at depth ${dim})`,
      );
    return;
  }
  if (!Array.isArray(v) || v.length !== shape[dim]) {
    throw new ShapeError(
      `${op}: ragged nested array (expected length ${shape[dim]} at depth ${dim} for shape ${fmt(shape)}, got ${describe(v)})`,
    );
  }
  for (const e of v) flatten(e, shape, out, op, dim + 1);
}

function writeChecked(op: string, values: ArrayLike<number>, dtype: DType, shape: Shape): Tensor {
  const t = allocTensor(op, shape, dtype);
  const arr = newArray(dtype, values.length);
  if (dtype === "float32") arr.set(values as ArrayLike<number>);
  else {
    const [lo, hi] = dtypeRange(dtype);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!Number.isInteger(v) || v < lo || v > hi) {
        t.dispose();
        throw new ArgumentError(
          `${op}: value ${v} at index ${i} does not fit dtype ${dtype} (expected an integer in [${lo}, ${hi}])`,
        );
      }
      arr[i] = v;
    }
  }
  t.backend.write(t.dataId, arr);
  return t;
}

/**
 * A tensor from values: a number, nested arrays of numbers/booleans, or a flat typed array (with
 * `shape`). The dtype is inferred (typed array type, booleans → bool, else float32) unless given.
 * @param values - the elements
 * @param options - `dtype`, and `shape` to read flat values as (the sizes must multiply to their count)
 * @returns a new tensor owned by the caller
 * @throws {ShapeError} for ragged arrays or a shape that does not match the values
 * @throws {ArgumentError} for non-numeric values, or integers that do not fit the dtype
 * @example
 * tensor([[1, 2], [3, 4]]).shape; // [2, 2]
 */
export function tensor(
  values: TensorData,
  options: { dtype?: DType; shape?: readonly number[] } = {},
): Tensor {
  const op = "tensor";
  if (typeof options !== "object" || options === null) {
    throw new ArgumentError(`${op}: options must be an object (got ${describe(options)})`);
  }
  if (options.shape !== undefined) checkShape(op, options.shape);
  let flat: ArrayLike<number>;
  let shape: number[];
  let inferred: DType = "float32";
  if (ArrayBuffer.isView(values)) {
    flat = values as DataArray;
    inferred = dtypeOfArray(values as DataArray);
    shape = [flat.length];
  } else if (typeof values === "number" || typeof values === "boolean") {
    flat = [Number(values)];
    shape = [];
    if (typeof values === "boolean") inferred = "bool";
  } else if (Array.isArray(values)) {
    shape = inferShape(values, op);
    const out: number[] = [];
    flatten(values, shape, out, op);
    flat = out;
    let first: unknown = values;
    while (Array.isArray(first)) first = first[0];
    if (typeof first === "boolean") inferred = "bool";
  } else {
    throw new ArgumentError(
      `${op}: values must be a number, nested array or typed array (got ${describe(values)})`,
    );
  }
  const dtype = options.dtype === undefined ? inferred : checkDTypeArg(op, options.dtype);
  if (options.shape !== undefined) {
    if (sizeOf(options.shape) !== flat.length) {
      throw new ShapeError(
        `${op}: shape does not match the values (expected ${sizeOf(options.shape)} values for ${fmt(options.shape)}, got ${flat.length})`,
      );
    }
    shape = options.shape.slice();
  }
  return writeChecked(op, flat, dtype, shape);
}

/** A 0-d tensor holding `value`. @example scalar(3).item(); // 3 */
export function scalar(value: number, dtype: DType = "float32"): Tensor {
  if (typeof value !== "number" && typeof value !== "boolean") {
    throw new ArgumentError(`scalar: value must be a number (got ${describe(value)})`);
  }
  return writeChecked("scalar", [Number(value)], checkDTypeArg("scalar", dtype), []);
}

/**
 * A tensor of `shape` filled with `value`.
 * @throws {ShapeError} for an invalid shape; {ArgumentError} if `value` does not fit `dtype`
 * @example full([2], 7).toArray(); // [7, 7]
 */
export function full(shape: readonly number[], value: number, dtype: DType = "float32"): Tensor {
  return filled("full", shape, value, dtype);
}

/** `full` under the name of the public function that called it (for its messages). */
function filled(op: string, shape: readonly number[], value: number, dtype: DType): Tensor {
  checkShape(op, shape);
  checkDTypeArg(op, dtype);
  if (typeof value !== "number" && typeof value !== "boolean") {
    throw new ArgumentError(`${op}: value must be a number (got ${describe(value)})`);
  }
  if (dtype !== "float32") {
    const [lo, hi] = dtypeRange(dtype);
    if (!Number.isInteger(Number(value)) || value < lo || value > hi) {
      throw new ArgumentError(
        `${op}: value ${value} does not fit dtype ${dtype} (expected an integer in [${lo}, ${hi}])`,
      );
    }
  }
  const t = allocTensor(op, shape, dtype);
  const arr = newArray(dtype, t.size);
  arr.fill(Number(value));
  t.backend.write(t.dataId, arr);
  return t;
}

/** A tensor of zeros. @example zeros([2, 3]).size; // 6 */
export function zeros(shape: readonly number[], dtype: DType = "float32"): Tensor {
  return filled("zeros", shape, 0, dtype);
}

/** A tensor of ones. @example ones([2]).toArray(); // [1, 1] */
export function ones(shape: readonly number[], dtype: DType = "float32"): Tensor {
  return filled("ones", shape, 1, dtype);
}

function liveTensor(op: string, x: unknown): Tensor {
  if (!(x instanceof Tensor))
    throw new ArgumentError(`${op}: x must be a Tensor (got ${describe(x)})`);
  x.assertAlive(op);
  return x;
}

/** Zeros with `x`'s shape and dtype. */
export function zerosLike(x: Tensor): Tensor {
  const t = liveTensor("zerosLike", x);
  return filled("zerosLike", t.shape, 0, t.dtype);
}

/** Ones with `x`'s shape and dtype. */
export function onesLike(x: Tensor): Tensor {
  const t = liveTensor("onesLike", x);
  return filled("onesLike", t.shape, 1, t.dtype);
}

/**
 * Evenly spaced values in [start, stop): `arange(stop)` or `arange(start, stop, step)`.
 * @throws {ArgumentError} for a zero or non-finite step, or non-finite bounds
 * @example arange(1, 7, 2).toArray(); // [1, 3, 5]
 */
export function arange(start: number, stop?: number, step = 1, dtype: DType = "float32"): Tensor {
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  checkNumber("arange", "start", start);
  checkNumber("arange", "stop", stop);
  checkNumber("arange", "step", step);
  if (step === 0) throw new ArgumentError("arange: step must not be 0");
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const dt = checkDTypeArg("arange", dtype);
  // refuse a huge range before building its values
  checkAllocation("arange", [n], dt);
  const values = new Array<number>(n);
  for (let i = 0; i < n; i++) values[i] = start + i * step;
  return writeChecked("arange", values, dt, [n]);
}

/**
 * An `n × m` matrix with ones on the diagonal.
 * @example eye(2).toArray(); // [[1, 0], [0, 1]]
 */
export function eye(n: number, m: number = n, dtype: DType = "float32"): Tensor {
  checkNumber("eye", "n", n, { integer: true, min: 0 });
  checkNumber("eye", "m", m, { integer: true, min: 0 });
  const t = filled("eye", [n, m], 0, dtype);
  const arr = newArray(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) arr[i * m + i] = 1;
  t.backend.write(t.dataId, arr);
  return t;
}

/** Options of the random creators. */
export interface RandomOptions {
  /** Seed for a private generator; without it the global generator (see `setSeed`) is used. */
  seed?: number;
  dtype?: "float32";
}

function generator(op: string, options: RandomOptions): Rng {
  if (typeof options !== "object" || options === null) {
    throw new ArgumentError(`${op}: options must be an object (got ${describe(options)})`);
  }
  if (options.seed === undefined) return globalGenerator();
  checkNumber(op, "seed", options.seed);
  return new Rng(options.seed);
}

/**
 * Normal samples: `mean + std·N(0, 1)`.
 * @example randn([2, 3], { seed: 1 }).shape; // [2, 3]
 */
export function randn(
  shape: readonly number[],
  options: RandomOptions & { mean?: number; std?: number } = {},
): Tensor {
  checkShape("randn", shape);
  const rng = generator("randn", options);
  const mean = checkNumber("randn", "mean", options.mean ?? 0);
  const std = checkNumber("randn", "std", options.std ?? 1, { min: 0 });
  const t = allocTensor("randn", shape, "float32");
  const arr = new Float32Array(t.size);
  for (let i = 0; i < arr.length; i++) arr[i] = mean + std * rng.normal();
  t.backend.write(t.dataId, arr);
  return t;
}

/**
 * Uniform samples in [min, max).
 * @example rand([4], { seed: 1, min: -1, max: 1 }).shape; // [4]
 */
export function rand(
  shape: readonly number[],
  options: RandomOptions & { min?: number; max?: number } = {},
): Tensor {
  checkShape("rand", shape);
  const rng = generator("rand", options);
  const lo = checkNumber("rand", "min", options.min ?? 0);
  const hi = checkNumber("rand", "max", options.max ?? 1);
  if (hi < lo) throw new ArgumentError(`rand: max must be ≥ min (got min ${lo}, max ${hi})`);
  const t = allocTensor("rand", shape, "float32");
  const arr = new Float32Array(t.size);
  for (let i = 0; i < arr.length; i++) arr[i] = lo + (hi - lo) * rng.next();
  t.backend.write(t.dataId, arr);
  return t;
}
