/*
 * Weight initializers. Each one takes the tensor's shape and returns a new float32 tensor; the fans
 * come from the shape (PyTorch's rule, see `fans`) unless given. A `seed` makes a private generator;
 * without one the global generator (`setSeed`) is drawn from, so `setSeed(k)` reproduces a model.
 */
import {
  ArgumentError,
  rand,
  randn,
  ShapeError,
  type Tensor,
  Tensor as TensorClass,
  zeros,
} from "@edgenn/tensor";
import { show, showJson } from "./show.js";

/** Options of every initializer. */
export interface InitOptions {
  /** Inputs feeding one output unit (default: from the shape, see `fans`). */
  fanIn?: number | undefined;
  /** Outputs one input unit feeds (default: from the shape, see `fans`). */
  fanOut?: number | undefined;
  /** Seed of a private generator; without it the global generator is used. */
  seed?: number | undefined;
}

/** An initializer: a new float32 tensor of `shape`, owned by the caller. */
export type Initializer = (shape: readonly number[], options?: InitOptions) => Tensor;

/** The initializers layers accept by name (`init: "heNormal"`). */
export type InitName = "glorotUniform" | "glorotNormal" | "heUniform" | "heNormal" | "zeros";

function checkShape(op: string, shape: unknown): readonly number[] {
  if (
    !Array.isArray(shape) ||
    shape.some((d) => typeof d !== "number" || !Number.isSafeInteger(d) || d < 0)
  ) {
    throw new ShapeError(`${op}: shape must be an array of integers ≥ 0 (got ${showJson(shape)})`);
  }
  return shape;
}

/**
 * Fan-in and fan-out of a weight of `shape` (PyTorch's rule): `[out, in]` → `(in, out)`;
 * `[outC, inC/groups, k…]` → `(inC/groups · Πk, outC · Πk)`; a 1-D `[n]` → `(n, n)`.
 * @param shape - the weight's shape, rank ≥ 1
 * @returns `{ fanIn, fanOut }`
 * @throws {ShapeError} for a scalar shape or one that is not an array of integers ≥ 0
 * @example
 * init.fans([8, 3, 3, 3]).fanIn; // 27
 * init.fans([8, 3, 3, 3]).fanOut; // 72
 */
function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  checkShape("init.fans", shape);
  if (shape.length === 0) {
    throw new ShapeError("init.fans: a weight needs rank ≥ 1 to have fans (got shape [])");
  }
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

function resolve(
  op: string,
  shape: readonly number[],
  options: InitOptions,
): { fanIn: number; fanOut: number; seed: number | undefined } {
  checkShape(op, shape);
  if (typeof options !== "object" || options === null) {
    throw new ArgumentError(`${op}: options must be an object (got ${show(options)})`);
  }
  const f =
    options.fanIn !== undefined && options.fanOut !== undefined
      ? { fanIn: options.fanIn, fanOut: options.fanOut }
      : fans(shape);
  const fanIn = options.fanIn ?? f.fanIn;
  const fanOut = options.fanOut ?? f.fanOut;
  for (const [name, v] of [
    ["fanIn", fanIn],
    ["fanOut", fanOut],
  ] as const) {
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
      throw new ArgumentError(
        `${op}: ${name} must be a number > 0 (got ${show(v)} for shape [${shape.join(",")}])`,
      );
    }
  }
  const seed = options.seed;
  if (seed !== undefined && (typeof seed !== "number" || !Number.isInteger(seed))) {
    throw new ArgumentError(`${op}: seed must be an integer (got ${show(seed)})`);
  }
  return { fanIn, fanOut, seed };
}

function uniform(shape: readonly number[], bound: number, seed: number | undefined): Tensor {
  return rand(
    shape,
    seed === undefined ? { min: -bound, max: bound } : { seed, min: -bound, max: bound },
  );
}

function normal(shape: readonly number[], std: number, seed: number | undefined): Tensor {
  return randn(shape, seed === undefined ? { std } : { seed, std });
}

/**
 * Glorot (Xavier) uniform: `U(−b, b)` with `b = √(6 / (fanIn + fanOut))`.
 * @param shape - the weight's shape
 * @param options - `fanIn`, `fanOut` (default from the shape), `seed`
 * @returns a new float32 tensor owned by the caller
 * @throws {ShapeError} for a bad shape; {ArgumentError} for a fan ≤ 0 or a non-integer seed
 * @example
 * init.glorotUniform([4, 2], { seed: 1 }).shape; // [4, 2]
 */
function glorotUniform(shape: readonly number[], options: InitOptions = {}): Tensor {
  const { fanIn, fanOut, seed } = resolve("init.glorotUniform", shape, options);
  return uniform(shape, Math.sqrt(6 / (fanIn + fanOut)), seed);
}

/**
 * Glorot (Xavier) normal: `N(0, σ²)` with `σ = √(2 / (fanIn + fanOut))` (untruncated, as PyTorch).
 * @param shape - the weight's shape
 * @param options - `fanIn`, `fanOut` (default from the shape), `seed`
 * @returns a new float32 tensor owned by the caller
 * @throws {ShapeError} for a bad shape; {ArgumentError} for a fan ≤ 0 or a non-integer seed
 * @example
 * init.glorotNormal([4, 2], { seed: 1 }).shape; // [4, 2]
 */
function glorotNormal(shape: readonly number[], options: InitOptions = {}): Tensor {
  const { fanIn, fanOut, seed } = resolve("init.glorotNormal", shape, options);
  return normal(shape, Math.sqrt(2 / (fanIn + fanOut)), seed);
}

/**
 * He (Kaiming) uniform, for ReLU layers: `U(−b, b)` with `b = √(6 / fanIn)`.
 * @param shape - the weight's shape
 * @param options - `fanIn` (default from the shape), `seed`
 * @returns a new float32 tensor owned by the caller
 * @throws {ShapeError} for a bad shape; {ArgumentError} for a fan ≤ 0 or a non-integer seed
 * @example
 * init.heUniform([4, 2], { seed: 1 }).shape; // [4, 2]
 */
function heUniform(shape: readonly number[], options: InitOptions = {}): Tensor {
  const { fanIn, seed } = resolve("init.heUniform", shape, options);
  return uniform(shape, Math.sqrt(6 / fanIn), seed);
}

/**
 * He (Kaiming) normal, for ReLU layers: `N(0, σ²)` with `σ = √(2 / fanIn)` (untruncated, as PyTorch).
 * @param shape - the weight's shape
 * @param options - `fanIn` (default from the shape), `seed`
 * @returns a new float32 tensor owned by the caller
 * @throws {ShapeError} for a bad shape; {ArgumentError} for a fan ≤ 0 or a non-integer seed
 * @example
 * init.heNormal([4, 2], { seed: 1 }).shape; // [4, 2]
 */
function heNormal(shape: readonly number[], options: InitOptions = {}): Tensor {
  const { fanIn, seed } = resolve("init.heNormal", shape, options);
  return normal(shape, Math.sqrt(2 / fanIn), seed);
}

/**
 * Zeros (no random numbers are drawn).
 * @param shape - the tensor's shape
 * @returns a new float32 tensor of zeros owned by the caller
 * @throws {ShapeError} for a bad shape
 * @example
 * init.zeros([2]).toArray(); // [0, 0]
 */
function initZeros(shape: readonly number[], _options: InitOptions = {}): Tensor {
  return zeros(checkShape("init.zeros", shape));
}

/**
 * The initializers, by name: `glorotUniform` (the layers' default), `glorotNormal`, `heUniform`,
 * `heNormal`, `zeros`, and `fans` (the fan rule they use).
 * @example
 * const w = init.heNormal([128, 784], { seed: 7 }); // std √(2/784)
 * w.shape; // [128, 784]
 */
export const init = {
  glorotUniform,
  glorotNormal,
  heUniform,
  heNormal,
  zeros: initZeros,
  fans,
} as const;

const INIT_NAMES: readonly unknown[] = [
  "glorotUniform",
  "glorotNormal",
  "heUniform",
  "heNormal",
  "zeros",
] satisfies InitName[];

/**
 * @internal Resolves a layer's `init` option (a name or a function) and draws a weight of `shape`.
 * @throws {ArgumentError} naming `layer` for an unknown name or a result that is not a float32
 *   tensor of `shape`
 */
export function initWeight(
  layer: string,
  initOption: InitName | Initializer,
  shape: readonly number[],
  seed: number | undefined,
): Tensor {
  let fn: Initializer;
  if (typeof initOption === "function") fn = initOption;
  else if (INIT_NAMES.includes(initOption)) fn = init[initOption];
  else {
    throw new ArgumentError(
      `${layer}: unknown init (expected one of glorotUniform, glorotNormal, heUniform, heNormal, zeros or a function, got ${showJson(initOption)})`,
    );
  }
  if (seed !== undefined && (typeof seed !== "number" || !Number.isInteger(seed))) {
    throw new ArgumentError(`${layer}: seed must be an integer (got ${show(seed)})`);
  }
  const w = fn(shape, seed === undefined ? {} : { seed });
  if (
    !(w instanceof TensorClass) ||
    w.dtype !== "float32" ||
    w.shape.length !== shape.length ||
    w.shape.some((d, i) => d !== shape[i])
  ) {
    const got = w instanceof TensorClass ? `${w.dtype} [${w.shape.join(",")}]` : show(w);
    if (w instanceof TensorClass) w.dispose();
    throw new ArgumentError(
      `${layer}: init must return a float32 tensor of shape [${shape.join(",")}] (got ${got})`,
    );
  }
  return w;
}
