/*
 * The model file, little-endian:
 *   bytes 0–3    magic "ENN1"
 *   bytes 4–7    uint32 format version (1)
 *   bytes 8–11   uint32 header length H
 *   bytes 12…    H bytes of UTF-8 JSON: { inputs, outputs, nodes, tensors, meta? }, where each
 *                tensor is { name, dtype, shape, quant?, offset, length } and offset/length are
 *                bytes into the weights section
 *   zero padding up to a multiple of 16, then the weights section: each tensor's data at a
 *   16-byte-aligned offset.
 * Decoding checks every field before it is used; weights become typed-array views into the file's
 * bytes, copied only when the bytes sit at an address the typed array cannot view (a Uint8Array
 * whose byteOffset is not a multiple of 4 holding float32 data).
 */
import { ArgumentError } from "@edgenn/tensor/errors";
import type { Graph, ValueInfo } from "./graph.js";
import { align16 } from "./planner.js";
import { ARRAYS, checkGraph, count, fail, object, own, show } from "./validate.js";

/** The version `encodeModel` writes and `decodeModel` reads. */
export const FORMAT_VERSION = 1;
const MAGIC = "ENN1";
const PRELUDE = 12;

/** The host's UTF-8 codec (every target runtime has it; ES2022 does not declare it). */
const text = globalThis as unknown as {
  TextEncoder: new () => { encode(s: string): Uint8Array };
  TextDecoder: new (label: string, o: { fatal: boolean }) => { decode(b: Uint8Array): string };
};

function info(v: ValueInfo): ValueInfo {
  return v.quant === undefined
    ? { name: v.name, dtype: v.dtype, shape: v.shape }
    : { name: v.name, dtype: v.dtype, shape: v.shape, quant: v.quant };
}

/**
 * Serialises a graph into the model file: magic `ENN1`, version, the JSON header, and the weights
 * section with every initializer at a 16-byte-aligned offset. The graph is checked first (names,
 * edges, initializer sizes), so a file that encodes also decodes.
 * @param graph - the model graph
 * @returns a new Uint8Array the caller owns
 * @throws ModelFormatError when the graph is inconsistent (message names the part)
 * @example
 * const g = { inputs: [{ name: "x", dtype: "float32", shape: [2] }], outputs: [{ name: "y", dtype: "float32", shape: [2] }], nodes: [{ op: "relu", inputs: ["x"], outputs: ["y"], attrs: {} }], initializers: [] };
 * const bytes = encodeModel(g);
 * String.fromCharCode(...bytes.subarray(0, 4)); // "ENN1"
 * bytes.length % 16; // 0
 */
export function encodeModel(graph: Graph): Uint8Array {
  graph = checkGraph("encodeModel", graph).graph;
  let end = 0;
  const tensors = graph.initializers.map((t) => {
    const offset = end;
    end = align16(offset + t.data.byteLength);
    return { ...info(t), offset, length: t.data.byteLength };
  });
  const header: Record<string, unknown> = {
    inputs: graph.inputs.map(info),
    outputs: graph.outputs.map(info),
    nodes: graph.nodes.map((n) =>
      n.name === undefined
        ? { op: n.op, inputs: n.inputs, outputs: n.outputs, attrs: n.attrs }
        : { op: n.op, name: n.name, inputs: n.inputs, outputs: n.outputs, attrs: n.attrs },
    ),
    tensors,
  };
  if (graph.meta !== undefined) header.meta = graph.meta;
  const json = new text.TextEncoder().encode(JSON.stringify(header));
  const start = align16(PRELUDE + json.length);
  const out = new Uint8Array(start + end);
  for (let i = 0; i < 4; i++) out[i] = MAGIC.charCodeAt(i);
  const dv = new DataView(out.buffer);
  dv.setUint32(4, FORMAT_VERSION, true);
  dv.setUint32(8, json.length, true);
  out.set(json, PRELUDE);
  graph.initializers.forEach((t, i) => {
    out.set(
      new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      start + tensors[i]!.offset,
    );
  });
  return out;
}

/**
 * Parses and checks a model file: prelude, header (UTF-8, JSON, every field), each tensor's
 * dtype/shape/offset/length against the file, then the graph's edges (dangling names, duplicate
 * or missing producers, cycles). Op names and attributes are checked by `loadModel`.
 * @param bytes - the file's bytes; initializers become views into them (keep them unmodified)
 * @returns the graph, its initializer data viewing `bytes` (copied where misaligned)
 * @throws ModelFormatError saying what is wrong and where; ArgumentError for a non-byte argument
 * @example
 * const g = { inputs: [{ name: "x", dtype: "float32", shape: [2] }], outputs: [{ name: "y", dtype: "float32", shape: [2] }], nodes: [{ op: "relu", inputs: ["x"], outputs: ["y"], attrs: {} }], initializers: [{ name: "w", dtype: "float32", shape: [2], data: new Float32Array([1, 2]) }] };
 * const back = decodeModel(encodeModel(g));
 * back.nodes[0].op; // "relu"
 * Array.from(back.initializers[0].data); // [1, 2]
 */
export function decodeModel(bytes: Uint8Array | ArrayBuffer): Graph {
  return decodeAs(bytes, "decodeModel");
}

/** `decodeModel` with errors naming `who` (the loader that called it). @internal */
export function decodeAs(bytes: Uint8Array | ArrayBuffer, who: string): Graph {
  const b = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
  if (!(b instanceof Uint8Array))
    throw new ArgumentError(`${who}: expected a Uint8Array, got ${show(b)}`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const u32 = (at: number): number => dv.getUint32(at, true);
  // "ENN1" read as a little-endian uint32
  if (b.length < PRELUDE || u32(0) !== 0x314e4e45) {
    fail(
      who,
      "file",
      `not an edgenn model (expected magic "${MAGIC}" and ${PRELUDE} bytes, got ${b.length} bytes)`,
    );
  }
  if (u32(4) !== FORMAT_VERSION)
    fail(who, "file", `unsupported version (expected ${FORMAT_VERSION}, got ${u32(4)})`);
  const hlen = u32(8);
  if (hlen > b.length - PRELUDE)
    fail(who, "header", `length ${hlen} runs past the end of the file`);
  let header: unknown;
  try {
    header = JSON.parse(
      new text.TextDecoder("utf-8", { fatal: true }).decode(b.subarray(PRELUDE, PRELUDE + hlen)),
    );
  } catch (e) {
    fail(who, "header", `not UTF-8 JSON (${(e as Error).message})`);
  }
  object(who, "header", header);
  const start = align16(PRELUDE + hlen);
  const avail = b.length - start;
  return checkGraph(who, header as unknown as Graph, "tensors", (v, t, at) => {
    const offset = own(t, "offset") as number;
    const length = own(t, "length");
    const Ctor = ARRAYS[v.dtype];
    const n = count(v.shape);
    const need = n * Ctor.BYTES_PER_ELEMENT;
    if (
      !(
        Number.isInteger(offset) &&
        offset >= 0 &&
        offset % 16 === 0 &&
        length === need &&
        offset + need <= avail
      )
    ) {
      fail(
        who,
        at,
        `expected a multiple of 16 as offset and ${need} as length, within the weights section (${avail} bytes), got ${offset} and ${show(length)}`,
      );
    }
    // a view into the file's bytes, or a copy (a fresh, aligned buffer) where the typed array
    // cannot view them: a Uint8Array whose byteOffset is not a multiple of 4 holding float32 data
    const i = start + offset;
    return (b.byteOffset + i) % Ctor.BYTES_PER_ELEMENT
      ? new Ctor(b.slice(i, i + need).buffer, 0, n)
      : new Ctor(b.buffer as ArrayBuffer, b.byteOffset + i, n);
  }).graph;
}
