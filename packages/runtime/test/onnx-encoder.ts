/*
 * A small protobuf writer and ONNX message builders for the importer's tests, written from
 * onnx.proto's field numbers (independently of the reader under test). Repeated numbers are written
 * packed or not on request, so both encodings get exercised.
 */

/** Protobuf bytes under construction. */
export class Pb {
  readonly bytes: number[] = [];

  /** A varint; negative numbers as 10-byte two's complement (int64). */
  varint(n: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(n));
    while (v >= 128n) {
      this.bytes.push(Number(v & 127n) | 128);
      v >>= 7n;
    }
    this.bytes.push(Number(v));
    return this;
  }

  key(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }

  int(field: number, n: number | bigint): this {
    return this.key(field, 0).varint(n);
  }

  float(field: number, f: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, f, true);
    this.key(field, 5).bytes.push(...b);
    return this;
  }

  raw(field: number, b: ArrayLike<number>): this {
    this.key(field, 2).varint(b.length);
    for (let i = 0; i < b.length; i++) this.bytes.push(b[i]!);
    return this;
  }

  str(field: number, s: string): this {
    return this.raw(field, new TextEncoder().encode(s));
  }

  msg(field: number, m: Pb): this {
    return this.raw(field, m.bytes);
  }

  /** Repeated int64s: packed (one length-delimited run) or one key per value. */
  ints(field: number, xs: readonly number[], packed = false): this {
    if (!packed) for (const x of xs) this.int(field, x);
    else {
      const p = new Pb();
      for (const x of xs) p.varint(x);
      this.msg(field, p);
    }
    return this;
  }

  /** Repeated floats: packed or one fixed32 per value. */
  floats(field: number, xs: ArrayLike<number>, packed = false): this {
    if (!packed) for (let i = 0; i < xs.length; i++) this.float(field, xs[i]!);
    else this.raw(field, f32Bytes(xs));
    return this;
  }

  toBytes(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

/** float32 values as little-endian bytes. */
export function f32Bytes(xs: ArrayLike<number>): Uint8Array {
  const b = new Uint8Array(4 * xs.length);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < xs.length; i++) dv.setFloat32(4 * i, xs[i]!, true);
  return b;
}

/** int64 values as little-endian bytes. */
export function i64Bytes(xs: readonly number[]): Uint8Array {
  const b = new Uint8Array(8 * xs.length);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < xs.length; i++) dv.setBigInt64(8 * i, BigInt(xs[i]!), true);
  return b;
}

/** TensorProto.DataType values. */
export const T = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, DOUBLE: 11 } as const;

export interface TensorSpec {
  name?: string;
  dims: readonly number[];
  type?: number;
  /** Values written to float_data, int32_data or int64_data by type (packed unless `packed: false`). */
  values?: readonly number[];
  /** raw_data bytes instead. */
  raw?: Uint8Array;
  packed?: boolean;
  external?: boolean;
}

/** TensorProto: dims 1, data_type 2, float_data 4, int32_data 5, int64_data 7, name 8, raw_data 9. */
export function tensor(t: TensorSpec): Pb {
  const p = new Pb();
  const type = t.type ?? T.FLOAT;
  p.ints(1, t.dims);
  p.int(2, type);
  const packed = t.packed ?? true;
  if (t.values) {
    if (type === T.FLOAT) p.floats(4, t.values, packed);
    else p.ints(type === T.INT64 ? 7 : 5, t.values, packed);
  }
  if (t.name !== undefined) p.str(8, t.name);
  if (t.raw) p.raw(9, t.raw);
  if (t.external) {
    // external_data 13 (StringStringEntryProto key 1, value 2), data_location 14 = EXTERNAL
    p.msg(13, new Pb().str(1, "location").str(2, "weights.bin")).int(14, 1);
  }
  return p;
}

/** A float32 tensor spec with raw_data or float_data. */
export function floatTensor(
  name: string,
  dims: number[],
  values: ArrayLike<number>,
  asRaw = true,
): TensorSpec {
  return asRaw ? { name, dims, raw: f32Bytes(values) } : { name, dims, values: Array.from(values) };
}

/** An int64 tensor spec (shapes, axes) with raw_data or int64_data. */
export function int64Tensor(name: string, values: number[], asRaw = true): TensorSpec {
  return asRaw
    ? { name, dims: [values.length], type: T.INT64, raw: i64Bytes(values) }
    : { name, dims: [values.length], type: T.INT64, values };
}

/** An attribute value: a number is INT when integer-valued unless wrapped by `float()`. */
export type Attr =
  | number
  | string
  | number[]
  | { float: number }
  | { floats: number[] }
  | { tensor: TensorSpec };

export const float = (f: number): Attr => ({ float: f });

/** AttributeProto: name 1, f 2, i 3, s 4, t 5, floats 7, ints 8, type 20. */
export function attribute(name: string, v: Attr): Pb {
  const p = new Pb().str(1, name);
  if (typeof v === "number") return p.int(3, v).int(20, 2);
  if (typeof v === "string") return p.str(4, v).int(20, 3);
  if (Array.isArray(v)) return p.ints(8, v).int(20, 7);
  if ("float" in v) return p.float(2, v.float).int(20, 1);
  if ("floats" in v) return p.floats(7, v.floats).int(20, 6);
  return p.msg(5, tensor(v.tensor)).int(20, 4);
}

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, Attr>;
  name?: string;
  domain?: string;
}

/** NodeProto: input 1, output 2, name 3, op_type 4, attribute 5, domain 7. */
export function nodeProto(n: NodeSpec): Pb {
  const p = new Pb();
  for (const i of n.inputs) p.str(1, i);
  for (const o of n.outputs) p.str(2, o);
  if (n.name) p.str(3, n.name);
  p.str(4, n.op);
  for (const [k, v] of Object.entries(n.attrs ?? {})) p.msg(5, attribute(k, v));
  if (n.domain !== undefined) p.str(7, n.domain);
  return p;
}

/** Shorthand for a one-output node. */
export function nd(
  op: string,
  inputs: string[],
  output: string,
  attrs?: Record<string, Attr>,
): NodeSpec {
  return attrs ? { op, inputs, outputs: [output], attrs } : { op, inputs, outputs: [output] };
}

export interface ValueSpec {
  name: string;
  type?: number;
  /** dim_value for numbers, dim_param for strings, an empty Dimension for null; no shape if omitted. */
  dims?: (number | string | null)[];
}

/** ValueInfoProto: name 1, type 2 → TypeProto.tensor_type 1 → elem_type 1, shape 2 → dim 1. */
export function valueInfo(v: ValueSpec): Pb {
  const tt = new Pb().int(1, v.type ?? T.FLOAT);
  if (v.dims) {
    const shape = new Pb();
    for (const d of v.dims) {
      const dim = new Pb();
      if (typeof d === "number") dim.int(1, d);
      else if (typeof d === "string") dim.str(2, d);
      shape.msg(1, dim);
    }
    tt.msg(2, shape);
  }
  return new Pb().str(1, v.name).msg(2, new Pb().msg(1, tt));
}

export interface ModelSpec {
  nodes: NodeSpec[];
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  inits?: TensorSpec[];
  valueInfo?: ValueSpec[];
  /** ai.onnx opset version (13 unless given; null: none imported). */
  opset?: number | null;
  /** Extra opset_import entries [domain, version]. */
  opsets?: [string, number][];
  ir?: number;
}

/**
 * ModelProto: ir_version 1, producer_name 2, graph 7, opset_import 8 (domain 1, version 2);
 * GraphProto: node 1, name 2, initializer 5, input 11, output 12, value_info 13.
 */
export function model(m: ModelSpec): Uint8Array {
  const g = new Pb();
  for (const n of m.nodes) g.msg(1, nodeProto(n));
  g.str(2, "test-graph");
  for (const t of m.inits ?? []) g.msg(5, tensor(t));
  for (const v of m.inputs) g.msg(11, valueInfo(v));
  for (const v of m.outputs) g.msg(12, valueInfo(v));
  for (const v of m.valueInfo ?? []) g.msg(13, valueInfo(v));
  const p = new Pb()
    .int(1, m.ir ?? 8)
    .str(2, "edgenn-test")
    .msg(7, g);
  const opset = m.opset === undefined ? 13 : m.opset;
  if (opset !== null) p.msg(8, new Pb().str(1, "").int(2, opset));
  for (const [d, v] of m.opsets ?? []) p.msg(8, new Pb().str(1, d).int(2, v));
  return p.toBytes();
}
