// @ts-check
/**
 * A small ONNX model writer (plain ESM, no dependency), after the encoder of the runtime's tests
 * (packages/runtime/test/onnx-encoder.ts), written from onnx.proto's field numbers:
 *   ModelProto: ir_version 1, producer_name 2, graph 7, opset_import 8 (domain 1, version 2)
 *   GraphProto: node 1, name 2, initializer 5, input 11, output 12
 *   NodeProto: input 1, output 2, name 3, op_type 4, attribute 5, domain 7
 *   AttributeProto: name 1, f 2, i 3, floats 7, ints 8, type 20
 *   TensorProto: dims 1, data_type 2, name 8, raw_data 9
 *   ValueInfoProto: name 1, type 2 → TypeProto.tensor_type 1 → elem_type 1, shape 2 → dim 1
 *     (dim_value 1, dim_param 2)
 */

/** TensorProto.DataType values. */
export const T = /** @type {const} */ ({ FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 });

/** Protobuf bytes under construction. */
export class Pb {
  /** @type {number[]} */
  bytes = [];

  /** A varint; negative numbers as 10-byte two's complement (int64). @param {number | bigint} n */
  varint(n) {
    let v = BigInt.asUintN(64, BigInt(n));
    while (v >= 128n) {
      this.bytes.push(Number(v & 127n) | 128);
      v >>= 7n;
    }
    this.bytes.push(Number(v));
    return this;
  }

  /** @param {number} field @param {number} wire */
  key(field, wire) {
    return this.varint(field * 8 + wire);
  }

  /** @param {number} field @param {number | bigint} n */
  int(field, n) {
    return this.key(field, 0).varint(n);
  }

  /** @param {number} field @param {number} f */
  float(field, f) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, f, true);
    this.key(field, 5).bytes.push(...b);
    return this;
  }

  /** @param {number} field @param {ArrayLike<number>} b */
  raw(field, b) {
    this.key(field, 2).varint(b.length);
    for (let i = 0; i < b.length; i++) this.bytes.push(/** @type {number} */ (b[i]));
    return this;
  }

  /** @param {number} field @param {string} s */
  str(field, s) {
    return this.raw(field, new TextEncoder().encode(s));
  }

  /** @param {number} field @param {Pb} m */
  msg(field, m) {
    return this.raw(field, m.bytes);
  }

  toBytes() {
    return Uint8Array.from(this.bytes);
  }
}

/**
 * @typedef {object} TensorSpec
 * @property {string} name
 * @property {readonly number[]} dims
 * @property {number} type - a `T` value
 * @property {Float32Array | Int8Array | Uint8Array | Int32Array} data - stored as raw_data
 *   (little-endian, the host order of every platform Node runs on)
 */

/** @param {TensorSpec} t */
function tensorProto(t) {
  const p = new Pb();
  for (const d of t.dims) p.int(1, d);
  p.int(2, t.type).str(8, t.name);
  return p.raw(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

/** @param {string} name @param {number[]} dims @param {ArrayLike<number>} v */
export const f32 = (name, dims, v) => ({ name, dims, type: T.FLOAT, data: Float32Array.from(v) });
/** @param {string} name @param {number[]} dims @param {ArrayLike<number>} v */
export const i8 = (name, dims, v) => ({ name, dims, type: T.INT8, data: Int8Array.from(v) });
/** @param {string} name @param {number[]} dims @param {ArrayLike<number>} v */
export const u8 = (name, dims, v) => ({ name, dims, type: T.UINT8, data: Uint8Array.from(v) });
/** @param {string} name @param {number[]} dims @param {ArrayLike<number>} v */
export const i32 = (name, dims, v) => ({ name, dims, type: T.INT32, data: Int32Array.from(v) });

/**
 * An attribute value: an integer number is INT, `{ float }` FLOAT, a number[] INTS, `{ floats }`
 * FLOATS.
 * @typedef {number | number[] | { float: number } | { floats: number[] }} Attr
 */

/** @param {string} name @param {Attr} v */
function attribute(name, v) {
  const p = new Pb().str(1, name);
  if (typeof v === "number") return p.int(3, v).int(20, 2);
  if (Array.isArray(v)) {
    for (const x of v) p.int(8, x);
    return p.int(20, 7);
  }
  if ("float" in v) return p.float(2, v.float).int(20, 1);
  for (const x of v.floats) p.float(7, x);
  return p.int(20, 6);
}

/**
 * @typedef {object} NodeSpec
 * @property {string} op
 * @property {readonly string[]} inputs - "" for an omitted optional input
 * @property {readonly string[]} outputs
 * @property {Record<string, Attr>} [attrs]
 * @property {string} [domain] - e.g. "com.microsoft"
 */

/** @param {NodeSpec} n @param {number} i */
function nodeProto(n, i) {
  const p = new Pb();
  for (const x of n.inputs) p.str(1, x);
  for (const o of n.outputs) p.str(2, o);
  p.str(3, `n${i}`).str(4, n.op);
  for (const [k, v] of Object.entries(n.attrs ?? {})) p.msg(5, attribute(k, v));
  if (n.domain !== undefined) p.str(7, n.domain);
  return p;
}

/**
 * @typedef {object} ValueSpec
 * @property {string} name
 * @property {number} type - a `T` value
 * @property {(number | string)[]} dims - dim_value for numbers, dim_param for strings
 */

/** @param {ValueSpec} v */
function valueInfo(v) {
  const shape = new Pb();
  for (const d of v.dims) {
    shape.msg(1, typeof d === "number" ? new Pb().int(1, d) : new Pb().str(2, d));
  }
  return new Pb().str(1, v.name).msg(2, new Pb().msg(1, new Pb().int(1, v.type).msg(2, shape)));
}

/**
 * An ONNX model (IR 8, ai.onnx opset 13, plus com.microsoft 1 when a node uses it).
 * @param {{ nodes: NodeSpec[], inputs: ValueSpec[], outputs: ValueSpec[], inits: TensorSpec[] }} m
 * @returns {Uint8Array}
 */
export function onnxModel(m) {
  const g = new Pb();
  for (const [i, n] of m.nodes.entries()) g.msg(1, nodeProto(n, i));
  g.str(2, "edgenn-bench");
  for (const t of m.inits) g.msg(5, tensorProto(t));
  for (const v of m.inputs) g.msg(11, valueInfo(v));
  for (const v of m.outputs) g.msg(12, valueInfo(v));
  const p = new Pb().int(1, 8).str(2, "edgenn-bench").msg(7, g);
  p.msg(8, new Pb().str(1, "").int(2, 13));
  if (m.nodes.some((n) => n.domain === "com.microsoft")) {
    p.msg(8, new Pb().str(1, "com.microsoft").int(2, 1));
  }
  return p.toBytes();
}
