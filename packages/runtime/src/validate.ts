/*
 * Structural checks shared by the file decoder and the session planner: every value read from a
 * model (names, dtypes, shapes, quantization parameters, attributes, graph edges) is checked here
 * before anything uses it. A failure is a ModelFormatError `who: where: what (expected X, got Y)`.
 */
import type { DType } from "@edgenn/tensor";
import { ModelFormatError } from "@edgenn/tensor/errors";
import type { AttrValue, Graph, GraphNode, QuantParams, ValueInfo } from "./graph.js";
import type { Arr } from "./op-helpers.js";

/** The typed array of each dtype. */
export const ARRAYS: Readonly<
  Record<
    DType,
    {
      new (n: number): Arr;
      new (b: ArrayBuffer, o: number, n: number): Arr;
      readonly BYTES_PER_ELEMENT: number;
    }
  >
> = {
  float32: Float32Array,
  int32: Int32Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

/** Bytes per element of `dtype`. */
export function sizeOf(dtype: DType): number {
  return ARRAYS[dtype].BYTES_PER_ELEMENT;
}

/** The largest rank, name length, list length, node count and element count a model may use. */
export const LIMITS = {
  rank: 8,
  name: 4096,
  list: 65536,
  nodes: 10000,
  elements: 2 ** 31 - 1,
} as const;

/** Throws the ModelFormatError `who: where: what`. */
export function fail(who: string, where: string, what: string): never {
  throw new ModelFormatError(`${who}: ${where}: ${what}`);
}

/** A short rendering of a (possibly hostile) value for an error message. */
export function show(x: unknown): string {
  try {
    return String(JSON.stringify(x)).slice(0, 60);
  } catch {
    return typeof x;
  }
}

/** True for a plain (non-array, non-null) object. */
export function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** Throws the ModelFormatError "expected an object" unless `x` is a plain object. */
export function object(
  who: string,
  where: string,
  x: unknown,
): asserts x is Record<string, unknown> {
  if (!isObject(x)) fail(who, where, `expected an object, got ${show(x)}`);
}

/** An own property of `o` (never one inherited from Object.prototype). */
export function own(o: Readonly<Record<string, unknown>>, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

/** `x` as an array of at most `max` elements. */
export function list(who: string, where: string, x: unknown, max: number = LIMITS.list): unknown[] {
  if (!Array.isArray(x) || x.length > max)
    fail(who, where, `expected an array (≤ ${max}), got ${show(x)}`);
  return x;
}

/** A tensor name: a string of 1 to `LIMITS.name` characters. */
export function checkName(who: string, where: string, x: unknown): string {
  if (typeof x !== "string" || !x || x.length > LIMITS.name)
    fail(who, where, `expected a name, got ${show(x)}`);
  return x;
}

/** The product of `shape`'s dims (1 for a scalar). */
export function count(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Checks a shape: at most `LIMITS.rank` integer dims in [1, 2³¹ − 1] and at most `LIMITS.elements`
 * elements; `wild` lets the first dim (inputs) or every dim (declared outputs) be −1.
 */
export function checkShape(
  who: string,
  where: string,
  x: unknown,
  wild: "none" | "batch" | "any" = "none",
): number[] {
  const dims = list(who, where, x, LIMITS.rank) as number[];
  dims.forEach((d, i) => {
    if (
      d === -1 ? wild === "none" || (wild === "batch" && i > 0) : !(Number.isInteger(d) && d >= 1)
    ) {
      fail(who, where, `dim ${i} must be an integer ≥ 1, got ${show(d)}`);
    }
  });
  if (Math.abs(count(dims)) > LIMITS.elements)
    fail(who, where, `${show(dims)} has over 2^31 - 1 elements`);
  return dims.slice();
}

function checkQuant(who: string, where: string, x: unknown, shape: readonly number[]): QuantParams {
  object(who, where, x);
  const scale = list(who, `${where}.scale`, own(x, "scale")) as number[];
  const zeroPoint = list(who, `${where}.zeroPoint`, own(x, "zeroPoint")) as number[];
  const axis = own(x, "axis") as number | undefined;
  const n = scale.length;
  // one scale per tensor, or one per index of `axis`; real = (q − zeroPoint)·scale
  if (
    !n ||
    zeroPoint.length !== n ||
    scale.some((s) => !(s > 0 && s < Infinity)) ||
    zeroPoint.some((z) => !Number.isInteger(z)) ||
    (axis !== undefined && !(Number.isInteger(axis) && axis >= 0 && axis < shape.length)) ||
    (n > 1 && shape[axis ?? -1] !== n)
  ) {
    fail(
      who,
      where,
      `expected scale > 0, integer zeroPoint, one per tensor or per axis index, got ${show(x)}`,
    );
  }
  return axis === undefined ? { scale, zeroPoint } : { scale, zeroPoint, axis };
}

/** Checks `{ name, dtype, shape, quant? }` and returns a clean copy. */
export function checkValueInfo(
  who: string,
  where: string,
  x: unknown,
  wild: "none" | "batch" | "any" = "none",
): ValueInfo {
  object(who, where, x);
  const name = checkName(who, `${where}.name`, own(x, "name"));
  const at = `${where} "${name}"`;
  const dtype = own(x, "dtype") as DType;
  if (!Object.hasOwn(ARRAYS, dtype))
    fail(who, `${at}.dtype`, `expected ${Object.keys(ARRAYS)}, got ${show(dtype)}`);
  const shape = checkShape(who, `${at}.shape`, own(x, "shape"), wild);
  const quant = own(x, "quant");
  return quant === undefined
    ? { name, dtype, shape }
    : { name, dtype, shape, quant: checkQuant(who, `${at}.quant`, quant, shape) };
}

/** Checks `{ op, name?, inputs, outputs, attrs }` and returns a clean copy. */
export function checkNode(who: string, where: string, x: unknown): GraphNode {
  object(who, where, x);
  const op = checkName(who, `${where}.op`, own(x, "op"));
  const name = own(x, "name");
  // inputs may name "" (an omitted optional input); outputs may not
  const [inputs, outputs] = ["inputs", "outputs"].map((k) =>
    list(who, `${where}.${k}`, own(x, k), 1024).map((s) =>
      s === "" && k[0] === "i" ? s : checkName(who, `${where}.${k}`, s),
    ),
  ) as [string[], string[]];
  const raw = own(x, "attrs") ?? {};
  object(who, `${where}.attrs`, raw);
  // Object.fromEntries defines own data properties: a key such as "__proto__" stays plain data
  const attrs = Object.fromEntries(
    Object.entries(raw).map(([k, v]) => {
      if (
        !(
          typeof v === "boolean" ||
          (typeof v === "string" && v.length <= LIMITS.name) ||
          Number.isFinite(v) ||
          (Array.isArray(v) && v.length <= LIMITS.list && v.every(Number.isFinite))
        )
      ) {
        fail(
          who,
          `${where}.attrs.${k}`,
          `expected a number, number list, string or boolean, got ${show(v)}`,
        );
      }
      return [k, v as AttrValue];
    }),
  );
  const n = { op, inputs, outputs, attrs };
  return name === undefined ? n : { ...n, name: checkName(who, `${where}.name`, name) };
}

/** `nodes[i] "name" (op)`: where a node sits, for error messages. */
export function nodeWhere(i: number, n: GraphNode): string {
  return `nodes[${i}]${n.name === undefined ? "" : ` "${n.name}"`} (${n.op})`;
}

/**
 * Checks a whole graph — every value info, node and initializer, names unique, every node input
 * defined, every output produced once, no cycle — and returns the nodes in a topological order
 * (Kahn's algorithm: a node runs once every tensor it reads exists), each with its index in
 * `g.nodes`, along with a clean copy of the graph (checked fields only). Each initializer's data
 * comes from `data(info, raw, where)` (default: its `data` field, checked against dtype and
 * shape), read from the list `tensors` (the model file's header names it "tensors").
 */
export function checkGraph(
  who: string,
  g: Graph,
  tensors = "initializers",
  data = (v: ValueInfo, t: Record<string, unknown>, at: string): Arr => {
    const d = own(t, "data") as Arr;
    const n = count(v.shape);
    if (!(d instanceof ARRAYS[v.dtype] && d.length === n))
      fail(who, at, `data must be a ${ARRAYS[v.dtype].name}(${n})`);
    return d;
  },
): { graph: Graph; order: { node: GraphNode; index: number }[] } {
  object(who, "graph", g);
  const part = (k: string, max?: number) => list(who, k, own(g, k), max);
  // where each tensor name comes from: −1 graph input or initializer, i ≥ 0 node i
  const source = new Map<string, number>();
  const define = (name: string, by: number, where: string): void => {
    if (source.has(name)) fail(who, where, `tensor "${name}" is defined twice`);
    source.set(name, by);
  };
  const nodes = part("nodes", LIMITS.nodes).map((n, i) => checkNode(who, `nodes[${i}]`, n));
  const inputs = part("inputs").map((v, i) => {
    const c = checkValueInfo(who, `inputs[${i}]`, v, "batch");
    define(c.name, -1, `inputs[${i}]`);
    return c;
  });
  const initializers = part(tensors).map((t, i) => {
    const at = `${tensors}[${i}]`;
    const v = checkValueInfo(who, at, t);
    const d = data(v, t as Record<string, unknown>, `${at} "${v.name}"`);
    define(v.name, -1, at);
    return { ...v, data: d };
  });
  nodes.forEach((n, i) => {
    for (const o of n.outputs) define(o, i, nodeWhere(i, n));
  });
  // Kahn: pending[i] counts node i's inputs whose producing node has not run yet
  const pending = new Int32Array(nodes.length);
  const readers: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => {
    for (const name of n.inputs) {
      const s = source.get(name);
      if (name && s === undefined) fail(who, nodeWhere(i, n), `input "${name}" is not defined`);
      if (s! >= 0) {
        pending[i]!++;
        readers[s!]!.push(i);
      }
    }
  });
  const order: { node: GraphNode; index: number }[] = [];
  const ready = nodes.map((_, i) => i).filter((i) => !pending[i]);
  while (ready.length) {
    const i = ready.pop()!;
    order.push({ node: nodes[i]!, index: i });
    for (const r of readers[i]!) if (!--pending[r]!) ready.push(r);
  }
  if (order.length < nodes.length) {
    const i = pending.findIndex((p) => p > 0);
    fail(who, nodeWhere(i, nodes[i]!), "is on a cycle");
  }
  const seen = new Set<string>();
  const outputs = part("outputs").map((o, i) => {
    const at = `outputs[${i}]`;
    const c = checkValueInfo(who, at, o, "any");
    const q = `"${c.name}"`;
    if (seen.has(c.name)) fail(who, at, `${q} is listed twice`);
    if (!(source.get(c.name)! >= 0)) fail(who, at, `${q} is produced by no node`);
    seen.add(c.name);
    return c;
  });
  const meta = own(g, "meta") as Record<string, string> | undefined;
  if (
    meta !== undefined &&
    !(isObject(meta) && Object.values(meta).every((v) => typeof v === "string"))
  ) {
    fail(who, "meta", `expected strings, got ${show(meta)}`);
  }
  return { graph: { inputs, outputs, nodes, initializers, ...(meta && { meta }) }, order };
}
