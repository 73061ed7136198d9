/*
 * What an op of the runtime is: a function that checks a node's inputs and attributes and returns
 * its output dtype and shape (no memory touched) with a prepare function; prepare runs once the
 * arena is placed and returns the step that `run` calls — a closure over typed arrays and offsets
 * that allocates nothing.
 */
import type { DType } from "@edgenn/tensor";
import type { AttrValue, GraphNode, QuantParams } from "./graph.js";
import { fail, LIMITS, own, show } from "./validate.js";

/** Any typed array a tensor lives in. */
export type Arr = Float32Array | Int32Array | Int8Array | Uint8Array;

/** A value of the planned graph: a model input, an initializer or a node output. */
export interface Val {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Element count. */
  readonly size: number;
  /** An initializer's data. */
  readonly data?: Arr | undefined;
  /** The quantization the tensor table declares (int8 ops check it against their attributes). */
  readonly quant?: QuantParams;
  /** The value that owns the memory this one shares (reshape, flatten, identity). */
  readonly alias?: Val | undefined;
  /** Execution step that writes it (0: model input) and the last step that reads it. */
  readonly first: number;
  last: number;
  /** Where it lives once planned: `arr[off … off + size)` (set when the arena is placed). */
  arr: Arr;
  off: number;
}

/** The step a prepared node runs. */
export type Step = () => void;

/** The shared scratch the CPU kernels grow (bytes, the max over nodes). */
export interface Scratch {
  gemmA: number;
  gemmB: number;
  row: number;
  col: number;
  plane: number;
}

/** A node being planned. */
export interface Ctx {
  /** The public function loading the model, for messages. */
  readonly who: string;
  readonly node: GraphNode;
  readonly where: string;
  /** The node's inputs (`undefined` for an omitted optional input ""). */
  readonly ins: readonly (Val | undefined)[];
  /** A relu fused into this node (conv2d, gemm). */
  act: "none" | "relu";
  /** True when the output shares input 0's memory. */
  alias: boolean;
  /** Bytes the prepare step allocates for prepared parameters (index tables, folded constants). */
  bytes: number;
  readonly scratch: Scratch;
}

/**
 * One op: checks a node's inputs and attributes and returns the output's dtype, its shape, and
 * the function that, once the arena is placed (`y` bound), prepares the step.
 */
export type OpDef = (c: Ctx) => readonly [DType, readonly number[], (y: Val) => Step];

/** A table of ops by name: [fewest inputs, most inputs, op]. */
export type OpSet = Readonly<Record<string, readonly [number, number, OpDef]>>;

/** Entries [lo, hi, def(name)] for each of the space-separated `names`. */
export function each(names: string, lo: number, hi: number, def: (name: never) => OpDef): OpSet {
  return Object.fromEntries(names.split(" ").map((k) => [k, [lo, hi, def(k as never)] as const]));
}

/** Throws a ModelFormatError located at the node. */
export function bad(c: Ctx, what: string): never {
  return fail(c.who, c.where, what);
}

/** Input `i` (required). */
export function input(c: Ctx, i: number): Val {
  const v = c.ins[i];
  if (v === undefined) bad(c, `input ${i} is required`);
  return v;
}

/** Input `i` (required), which must be float32. */
export function f32(c: Ctx, i: number): Val {
  const v = input(c, i);
  if (v.dtype !== "float32") bad(c, `input ${i} "${v.name}" must be float32, got ${v.dtype}`);
  return v;
}

/** Input `i`'s constant data (an initializer), or bad(). */
export function constant(c: Ctx, i: number): Arr {
  const v = input(c, i);
  if (v.data === undefined) bad(c, `input ${i} "${v.name}" must be an initializer`);
  return v.data;
}

function attr(c: Ctx, name: string): AttrValue | undefined {
  return own(c.node.attrs, name) as AttrValue | undefined;
}

/** A number attribute (booleans read as 0/1) within [lo, hi], integer when `int`. */
export function num(
  c: Ctx,
  name: string,
  def: number,
  int = false,
  lo = -Infinity,
  hi = Infinity,
): number {
  let v = attr(c, name);
  if (v === undefined) return def;
  if (typeof v === "boolean") v = v ? 1 : 0;
  if (typeof v !== "number" || v < lo || v > hi || (int && !Number.isInteger(v))) {
    bad(
      c,
      `attribute ${name} must be ${int ? "an integer" : "a number"} in [${lo}, ${hi}], got ${show(v)}`,
    );
  }
  return v;
}

/** An integer-list attribute of length `len` (any length when undefined), each in [lo, hi]. */
export function ints(
  c: Ctx,
  name: string,
  def: readonly number[] | undefined,
  len?: number,
  lo = -LIMITS.elements,
  hi = LIMITS.elements,
): number[] | undefined {
  const v = attr(c, name);
  if (v === undefined) return def?.slice();
  if (
    !Array.isArray(v) ||
    (len !== undefined && v.length !== len) ||
    v.some((e) => !Number.isInteger(e) || e < lo || e > hi)
  ) {
    bad(
      c,
      `attribute ${name} must be ${len ?? "a list of"} integers in [${lo}, ${hi}], got ${show(v)}`,
    );
  }
  return v.slice();
}

/** A string attribute, one of `allowed` (the first is the default). */
export function str(c: Ctx, name: string, allowed: readonly string[]): string {
  const v = attr(c, name);
  if (v === undefined) return allowed[0]!;
  if (typeof v !== "string" || !allowed.includes(v)) {
    bad(c, `attribute ${name} must be one of ${allowed.join(", ")}, got ${show(v)}`);
  }
  return v;
}

/** Normalises an axis in [−rank, rank) to [0, rank). */
export function axis(c: Ctx, a: number, rank: number, what = "axis"): number {
  if (!Number.isInteger(a) || a < -rank || a >= Math.max(rank, 1)) {
    bad(c, `${what} ${a} is out of range for rank ${rank}`);
  }
  return a < 0 ? a + rank : a;
}

/** Row-major strides of `shape`. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d]!;
  }
  return s;
}

/** The product of `shape[from…to)`. */
export function prod(shape: readonly number[], from = 0, to = shape.length): number {
  let n = 1;
  for (let i = from; i < to; i++) n *= shape[i]!;
  return n;
}

/**
 * Records the kernels' GEMM scratch for an M×N×K product (see gemm.ts: MR=NR=8, KC=256, MC=128,
 * NC=2048).
 */
export function gemmScratch(s: Scratch, m: number, n: number, k: number): void {
  if (m === 1 || n === 1) s.row = Math.max(s.row, 8 * (m === 1 ? n : m));
  else {
    s.gemmB = Math.max(s.gemmB, 8 * Math.min(Math.ceil(n / 8) * 8, 2048) * Math.min(k, 256));
    s.gemmA = Math.max(s.gemmA, 8 * Math.min(Math.ceil(m / 8) * 8, 128) * 256);
  }
}
