/*
 * Loading a model is planning it once:
 *  1. check the graph and sort its nodes (validate.ts); fuse a relu into the conv2d/gemm before it
 *     when that relu is the conv's only reader;
 *  2. infer every value's dtype and shape, node by node, checking each op's inputs and attributes;
 *  3. liveness: each buffer lives from the step that writes it to the last step that reads it
 *     (model inputs from step 0, model outputs to the end); reshape-like ops alias their input;
 *  4. place every buffer in one arena (planner.ts) and check the budget — arena plus prepared
 *     parameters plus the kernels' scratch — against `maxBytes`, before allocating any of it;
 *  5. allocate the arena, prepare each node's step, run once (so the kernels' scratch exists
 *     before the first real run). `run` then copies inputs in, calls the steps and allocates nothing.
 */
import type { DType } from "@edgenn/tensor";
import { ArgumentError, DTypeError, OutOfMemoryError, ShapeError } from "@edgenn/tensor/errors";
import { decodeAs, encodeModel } from "./format.js";
import type { Graph, GraphNode, ValueInfo } from "./graph.js";
import type { Arr, Ctx, Scratch, Step, Val } from "./op-helpers.js";
import { OPS, type OpSet } from "./ops.js";
import { planArena } from "./planner.js";
import {
  ARRAYS,
  checkGraph,
  checkShape,
  count,
  fail,
  nodeWhere,
  own,
  show,
  sizeOf,
} from "./validate.js";

/** Options of `loadModel` / `createSession`. */
export interface SessionOptions {
  /**
   * Memory budget in bytes for what the session allocates: the arena, prepared parameters and the
   * CPU kernels' scratch (the weights stay in the file's bytes and are not counted). Over budget,
   * loading fails with OutOfMemoryError "needed X bytes, available Y". Pass one for untrusted files.
   */
  readonly maxBytes?: number;
  /** The size of an input's first dim when the model declares it −1 (default 1). */
  readonly batchSize?: number;
  /**
   * Op sets beyond the core float ops of dense networks, from `@edgenn/runtime/ops`: `convOps`
   * (conv2d, pools, batchNorm), `int8Ops` (quantized models), `recurrentOps` (gru, layerNorm),
   * `tensorOps` (transpose, concat, reductions), or `allOps`. The `edgenn` package passes them all.
   */
  readonly ops?: readonly OpSet[];
}

/** The op set that has each op outside the core, for the "pass ops" hint. */
const SETS: Record<string, string> = {
  activationOps: "elu tanh gelu",
  convOps: "avgPool2d batchNorm conv2d globalAvgPool2d maxPool2d",
  int8Ops:
    "qadd qavgPool2d qlinearConv qlinearGemm qmaxPool2d quantizeLinear dequantizeLinear shift128",
  integerOps: "convInteger matmulInteger",
  recurrentOps: "gru layerNorm",
  tensorOps: "sum mean max min concat transpose",
};

/**
 * What `run` accepts for one input: a typed array of the input's dtype, or a Tensor-like object.
 */
export type InputData =
  | Arr
  | { readonly shape: readonly number[]; readonly dtype: string; dataSync(): ArrayLike<number> };

/**
 * One model output after a `run`: a view that the session owns and the next `run` overwrites
 * (copy `data` to keep it, or pass an output buffer to `run`). `dataSync()` returns the same view,
 * so an output can be the input of another session.
 */
export class Output {
  /** The output's name in the model. */
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** The elements, row-major: the session's view, or the caller's buffer when `run` got one. */
  readonly data: Arr;
  /** @internal */
  constructor(name: string, dtype: DType, shape: readonly number[], data: Arr) {
    this.name = name;
    this.dtype = dtype;
    this.shape = shape;
    this.data = data;
  }
  /**
   * The elements (the same array as `data`, not a copy).
   * @returns the output's typed array
   */
  dataSync(): Arr {
    return this.data;
  }
}

const MAX_BYTES = 2 ** 31 - 1;

function isRecord(x: unknown): x is Record<string, InputData> {
  return (
    x !== null &&
    typeof x === "object" &&
    !ArrayBuffer.isView(x) &&
    typeof (x as { dataSync?: unknown })?.dataSync !== "function"
  );
}

/** Throws `E` "run: input "name" needs `what`, got `got`". */
function reject(E: new (m: string) => Error, v: Val, what: string, got: unknown): never {
  throw new E(`run: input "${v.name}" needs ${what}, got ${got}`);
}

/** True only while this module builds a Session: the constructor is not public. */
let constructing = false;

/**
 * A loaded model with its static memory plan. Build one with `loadModel` (from file bytes) or
 * `createSession` (from a graph); `run` is allocation-free after loading.
 */
export class Session {
  /** The model inputs: names, dtypes and the planned shapes (batch dim resolved). */
  readonly inputs: readonly ValueInfo[];
  /** The model outputs: names, dtypes and inferred shapes. */
  readonly outputs: readonly ValueInfo[];
  /** Bytes of the one arena holding every input, intermediate and output. */
  readonly arenaBytes: number;
  /** Bytes of the weights (initializers), views into the model file's bytes. */
  readonly weightBytes: number;
  /**
   * Bytes of prepared parameters (folded constants, index tables, copies of misaligned weights)
   * plus the CPU kernels' scratch (shared by all sessions, estimated from their blocking).
   */
  readonly preparedBytes: number;
  readonly #steps: Step[];
  readonly #ins: Val[];
  readonly #outs: Output[];
  readonly #views: Arr[];
  readonly #result: Output | OutputMap;

  /** @internal */
  constructor(inputs: Val[], outputs: Val[], steps: Step[], bytes: number[]) {
    if (!constructing) {
      throw new ArgumentError("Session: the constructor is internal (use loadModel)");
    }
    const info = ({ name, dtype, shape }: ValueInfo): ValueInfo => ({ name, dtype, shape });
    this.#ins = inputs;
    this.#steps = steps;
    this.#views = outputs.map((v) => v.arr.subarray(v.off, v.off + v.size));
    this.#outs = outputs.map((v, i) => new Output(v.name, v.dtype, v.shape, this.#views[i]!));
    this.inputs = inputs.map(info);
    this.outputs = outputs.map(info);
    [this.arenaBytes, this.weightBytes, this.preparedBytes] = bytes as [number, number, number];
    this.#result = outputs[1]
      ? Object.freeze(Object.fromEntries(this.#outs.map((o) => [o.name, o])))
      : this.#outs[0]!;
  }

  /**
   * Runs the model: copies the input(s) into the arena, runs every prepared step, and returns the
   * output view(s) — an `Output` for a one-output model, else `{ name: Output }`. With typed-array
   * inputs nothing is allocated. The returned views are overwritten by the next run; pass `out`
   * (a typed array, or `{ name: typedArray }`) to have the outputs copied into your buffers.
   * @param input - one input (typed array of its dtype and size, or a Tensor-like with `shape`,
   *   `dtype`, `dataSync()`), or `{ name: input }` for several
   * @param out - optional buffers receiving the outputs
   * @returns the output view(s), owned by the session (type parameter: pass `OutputMap` for a
   *   several-output model)
   * @throws ArgumentError for a missing input or a bad buffer, ShapeError for a wrong size or
   *   shape, DTypeError for a wrong element type
   * @example
   * const g = { inputs: [{ name: "x", dtype: "float32", shape: [1, 3] }], outputs: [{ name: "y", dtype: "float32", shape: [1, 3] }], nodes: [{ op: "relu", inputs: ["x"], outputs: ["y"], attrs: {} }], initializers: [] };
   * const s = createSession(g);
   * Array.from(s.run(new Float32Array([-1, 0, 2])).data); // [0, 0, 2]
   * const buf = new Float32Array(3);
   * s.run(new Float32Array([3, -4, 5]), buf);
   * Array.from(buf); // [3, 0, 5]
   */
  run<R extends Output | OutputMap = Output>(
    input: InputData | Readonly<Record<string, InputData>>,
    out?: Arr | Readonly<Record<string, Arr>>,
  ): R {
    const ins = this.#ins;
    const isMap = isRecord(input);
    for (let i = 0; i < ins.length; i++) {
      const v = ins[i]!;
      // a one-input model also takes its input bare; messages are built only when thrown, so the
      // typed-array path allocates nothing
      const x = (isMap ? own(input, v.name) : ins[1] ? undefined : input) as InputData;
      if (!x) {
        throw new ArgumentError(
          `run: missing input "${v.name}" (inputs: ${ins.map((u) => u.name)})`,
        );
      }
      const t = x as Exclude<InputData, Arr>;
      const data = ArrayBuffer.isView(x)
        ? x instanceof ARRAYS[v.dtype]
          ? x
          : reject(DTypeError, v, `a ${ARRAYS[v.dtype].name}`, show(x))
        : t.dtype !== v.dtype
          ? reject(DTypeError, v, v.dtype, t.dtype)
          : `${t.shape}` !== `${v.shape}`
            ? reject(ShapeError, v, `shape [${v.shape}]`, `[${t.shape}]`)
            : t.dataSync();
      if (data.length !== v.size) reject(ShapeError, v, `${v.size} elements`, data.length);
      v.arr.set(data, v.off);
    }
    const steps = this.#steps;
    for (let i = 0; i < steps.length; i++) steps[i]!();
    const outs = this.#outs;
    for (let i = 0; i < outs.length; i++) {
      const o = outs[i] as { data: Arr } & Output;
      const view = this.#views[i]!;
      const buf =
        out === undefined
          ? view
          : ArrayBuffer.isView(out)
            ? outs[1]
              ? undefined
              : out
            : own(out, o.name);
      if (!(buf instanceof ARRAYS[o.dtype] && buf.length === view.length)) {
        throw new ArgumentError(
          `run: output "${o.name}" needs a ${ARRAYS[o.dtype].name}(${view.length}), got ${show(buf)}`,
        );
      }
      if (buf !== view) buf.set(view);
      o.data = buf;
    }
    return this.#result as R;
  }
}

/** The outputs of a several-output model, by name. */
export type OutputMap = Readonly<Record<string, Output>>;

/**
 * Plans a graph for inference: checks it, infers every shape, places every intermediate in one
 * arena (liveness + greedy by size), prepares each op once and runs it once.
 * @param graph - the model graph (from `decodeModel`, or built by nn / the ONNX importer)
 * @param options - `maxBytes` budget, `batchSize` for a −1 first input dim
 * @returns a session; it keeps views into the graph's initializer data
 * @throws ModelFormatError for an invalid graph (message says what and where), OutOfMemoryError
 *   "needed X bytes, available Y" over budget, ArgumentError for bad options
 * @example
 * const g = { inputs: [{ name: "x", dtype: "float32", shape: [-1, 2] }], outputs: [{ name: "y", dtype: "float32", shape: [-1, 1] }], nodes: [{ op: "gemm", inputs: ["x", "w"], outputs: ["y"], attrs: {} }], initializers: [{ name: "w", dtype: "float32", shape: [2, 1], data: new Float32Array([1, 10]) }] };
 * const s = createSession(g, { batchSize: 2 });
 * s.inputs[0].shape; // [2, 2]
 * Array.from(s.run(new Float32Array([1, 2, 3, 4])).data); // [21, 43]
 */
export function createSession(graph: Graph, options: SessionOptions = {}): Session {
  return plan(graph, options, "createSession");
}

function plan(graph: Graph, options: SessionOptions, who: string, file?: ArrayBufferLike): Session {
  const { maxBytes = MAX_BYTES, batchSize = 1, ops = [] } = options;
  if (
    !(maxBytes >= 0 && Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= 2 ** 24) ||
    !Array.isArray(ops)
  ) {
    throw new ArgumentError(
      `${who}: expected maxBytes ≥ 0, an integer batchSize in [1, 2^24] and an array of op sets, got ${show(options)}`,
    );
  }
  const table: OpSet = Object.assign({}, OPS, ...ops);
  const { graph: g, order } = checkGraph(who, graph);
  const vals = new Map<string, Val>();
  const make = (v: ValueInfo, first: number, data?: Arr, alias?: Val): Val => {
    const { name, dtype, shape, quant } = v;
    // arr and off are set once the arena is placed, before any op prepares
    const val = {
      name,
      dtype,
      shape,
      quant,
      size: count(shape),
      first,
      last: first,
      data,
      alias,
    } as Val;
    vals.set(name, val);
    return val;
  };
  let weights = 0;
  // prepared parameters and scratch (decodeModel's copies of misaligned weights count)
  let prepared = 0;
  const inputs = g.inputs.map((v) => {
    const shape = v.shape.map((d) => (d < 0 ? batchSize : d));
    checkShape(who, `inputs "${v.name}" with batch ${batchSize}`, shape);
    return make({ ...v, shape }, 0);
  });
  for (const t of g.initializers) {
    make(t, 0, t.data);
    weights += t.data.byteLength;
    if (file && t.data.buffer !== file) prepared += t.data.byteLength;
  }
  const unknown = [...new Set(order.map(({ node }) => node.op))].filter(
    (op) => !Object.hasOwn(table, op),
  );
  if (unknown[0]) {
    const first = order.find(({ node }) => node.op === unknown[0])!;
    const sets = Object.keys(SETS).filter((k) =>
      unknown.some((op) => SETS[k]!.split(" ").includes(op)),
    );
    fail(
      who,
      nodeWhere(first.index, first.node),
      `unknown ops ${unknown} (supported: ${Object.keys(table)})${
        sets[0] ? `; ${sets} from "@edgenn/runtime/ops" run them: pass { ops: [${sets}] }` : ""
      }`,
    );
  }
  // readers of each tensor: a relu that is the only reader of a conv2d/gemm output fuses into it
  const readers = new Map<string, GraphNode[]>();
  for (const { node } of order) {
    for (const i of node.inputs) readers.set(i, [...(readers.get(i) ?? []), node].slice(0, 2));
  }
  const fused = new Set<GraphNode>();
  const scratch: Scratch = { gemmA: 0, gemmB: 0, row: 0, col: 0, plane: 0 };
  const planned: [(y: Val) => Step, Val][] = [];
  for (const { node, index } of order) {
    if (fused.has(node)) continue;
    const [lo, hi, def] = table[node.op]!;
    const where = nodeWhere(index, node);
    const n = node.inputs.length;
    if (n < lo || n > hi || node.outputs.length !== 1) {
      fail(
        who,
        where,
        `expected ${lo}…${hi} inputs and 1 output, got ${n} and ${node.outputs.length}`,
      );
    }
    const step = planned.length + 1;
    const ins = node.inputs.map((i) => vals.get(i));
    const ctx: Ctx = { who, node, where, ins, act: "none", alias: false, bytes: 0, scratch };
    let name = node.outputs[0]!;
    const [r, more] = readers.get(name) ?? [];
    if (
      /^(conv2d|gemm)$/.test(node.op) &&
      r?.op === "relu" &&
      !more &&
      !r.inputs[1] &&
      !g.outputs.some((o) => o.name === name)
    ) {
      ctx.act = "relu";
      fused.add(r);
      name = r.outputs[0]!;
    }
    const [dtype, shape, prepare] = def(ctx);
    checkShape(who, `${where} output "${name}" ${show(shape)}`, shape);
    // an alias (reshape, flatten, identity) shares the memory of its input's owner
    const y = make(
      { name, dtype, shape },
      step,
      undefined,
      ctx.alias ? (ins[0]!.alias ?? ins[0]) : undefined,
    );
    for (const v of ins) if (v) (v.alias ?? v).last = step;
    prepared += ctx.bytes;
    planned.push([prepare, y]);
  }
  const outputs = g.outputs.map((o) => {
    const v = vals.get(o.name)!;
    if (
      v.dtype !== o.dtype ||
      `${o.shape.map((d, i) => (d < 0 ? v.shape[i] : d))}` !== `${v.shape}`
    ) {
      fail(
        who,
        `outputs "${o.name}"`,
        `declared ${o.dtype} [${o.shape}], computed ${v.dtype} [${v.shape}]`,
      );
    }
    (v.alias ?? v).last = planned.length + 1;
    return v;
  });

  // one arena for every value that owns memory: model inputs and node outputs that are not aliases
  const owners = [...vals.values()].filter((v) => !v.alias && !v.data);
  const placed = planArena(
    owners.map((v) => ({ size: v.size * sizeOf(v.dtype), first: v.first, last: v.last })),
  );
  for (const k in scratch) prepared += scratch[k as keyof Scratch];
  const needed = placed.size + prepared;
  const avail = Math.min(maxBytes, MAX_BYTES);
  let arena: ArrayBuffer | undefined;
  try {
    if (needed <= avail) arena = new ArrayBuffer(placed.size);
  } catch {}
  if (!arena) {
    throw new OutOfMemoryError(
      `${who}: model too big (needed ${needed} bytes, available ${avail}; arena ${placed.size}, prepared ${prepared})`,
    );
  }
  owners.forEach((v, i) => {
    const e = sizeOf(v.dtype);
    v.arr = new ARRAYS[v.dtype](arena, 0, placed.size / e);
    v.off = placed.offsets[i]! / e;
  });
  for (const v of vals.values()) {
    const r = v.alias ?? v;
    v.arr = r.data ?? r.arr;
    v.off = r.off ?? 0;
  }
  const steps = planned.map(([prepare, y]) => prepare(y));
  // one run at load: the kernels grow their scratch now, not during the first real run
  for (const s of steps) s();
  constructing = true;
  try {
    return new Session(inputs, outputs, steps, [placed.size, weights, prepared]);
  } finally {
    constructing = false;
  }
}

/**
 * Loads a model file: decodes and checks it (every length, offset, dtype, shape, op name,
 * attribute and graph edge), then plans it as `createSession` does. Weights stay views into
 * `bytes`.
 * @param bytes - the model file
 * @param options - `maxBytes` budget (pass one for untrusted files), `batchSize`
 * @returns a session ready to `run`
 * @throws ModelFormatError for a malformed file, OutOfMemoryError "needed X bytes, available Y"
 *   when over `maxBytes`
 * @example
 * const g = { inputs: [{ name: "x", dtype: "float32", shape: [1, 2] }], outputs: [{ name: "y", dtype: "float32", shape: [1, 2] }], nodes: [{ op: "softmax", inputs: ["x"], outputs: ["y"], attrs: {} }], initializers: [] };
 * const s = loadModel(saveModel(g));
 * s.outputs[0].shape; // [1, 2]
 * Array.from(s.run(new Float32Array([0, 0])).data); // [0.5, 0.5]
 */
export function loadModel(bytes: Uint8Array | ArrayBuffer, options: SessionOptions = {}): Session {
  const graph = decodeAs(bytes, "loadModel");
  return plan(graph, options, "loadModel", bytes instanceof ArrayBuffer ? bytes : bytes.buffer);
}

/**
 * The model file of a graph (`encodeModel`); nn and quant models become graphs through their own
 * packages' exporters.
 * @param graph - the model graph
 * @returns the file's bytes, owned by the caller
 * @throws ModelFormatError when the graph is inconsistent
 * @example
 * const g = { inputs: [{ name: "x", dtype: "float32", shape: [1] }], outputs: [{ name: "y", dtype: "float32", shape: [1] }], nodes: [{ op: "sigmoid", inputs: ["x"], outputs: ["y"], attrs: {} }], initializers: [] };
 * loadModel(saveModel(g)).run(new Float32Array([0])).data[0]; // 0.5
 */
export function saveModel(graph: Graph): Uint8Array {
  return encodeModel(graph);
}
