/*
 * A protobuf reader and the subset of the ONNX messages (onnx.proto) the importer needs. Every
 * length and offset is checked against the end of its enclosing message before use, so truncated
 * or hostile bytes end in a ModelFormatError. Decoding is linear in the input: each loop step
 * consumes at least one byte, and messages nest only as deep as the schema below (subgraphs and
 * nested types are skipped, not decoded). Nothing is allocated from a declared size: arrays grow
 * with the values actually read. Unknown fields are skipped.
 */
import { fail } from "./validate.js";

const WHO = "fromOnnx";

/** A cursor over `buf[pos, end)`: one protobuf message. */
export class Reader {
  pos: number;
  readonly end: number;
  readonly buf: Uint8Array;
  readonly #dv: DataView;

  constructor(buf: Uint8Array, pos = 0, end = buf.length, dv?: DataView) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
    this.#dv = dv ?? new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Throws the ModelFormatError `fromOnnx: byte N: what`. */
  err(what: string): never {
    return fail(WHO, `byte ${this.pos}`, what);
  }

  /**
   * A varint as a signed 64-bit integer (two's complement, as int64 fields), exact below 2^53.
   * Seven bits per byte, low groups first; bits past 64 are dropped.
   */
  varint(): number {
    let lo = 0;
    let hi = 0;
    for (let s = 0; ; s += 7) {
      if (this.pos >= this.end) this.err("truncated varint");
      if (s > 63) this.err("varint longer than 10 bytes");
      const b = this.buf[this.pos++]!;
      if (s < 28) lo |= (b & 127) << s;
      else if (s === 28) {
        lo |= b << 28;
        hi = (b & 127) >> 4;
      } else hi |= (b & 127) << (s - 32);
      if (b < 128) return (hi | 0) * 4294967296 + (lo >>> 0);
    }
  }

  /** The next `n` bytes (a view, not a copy). */
  take(n: number): Uint8Array {
    if (!(n >= 0 && n <= this.end - this.pos)) {
      this.err(`length ${n} runs past the end of its message (${this.end - this.pos} bytes left)`);
    }
    return this.buf.subarray(this.pos, (this.pos += n));
  }

  /** Reads the field key: [field number, wire type]. */
  key(): [number, number] {
    const k = this.varint();
    const f = Math.floor(k / 8);
    if (!(f >= 1 && f < 2 ** 29)) this.err(`invalid field number ${f}`);
    return [f, k & 7];
  }

  /** Skips a field of wire type `w` (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32). */
  skip(w: number): void {
    if (w === 0) this.varint();
    else if (w === 1) this.take(8);
    else if (w === 2) this.take(this.varint());
    else if (w === 5) this.take(4);
    else this.err(`unsupported wire type ${w}`);
  }

  /** Calls `on(field, wire)` for each field to the end; fields it returns false for are skipped. */
  each(on: (f: number, w: number) => boolean | undefined): void {
    while (this.pos < this.end) {
      const [f, w] = this.key();
      if (!on(f, w)) this.skip(w);
    }
  }

  #wire(w: number, want: number): void {
    if (w !== want) this.err(`wire type ${w} where ${want} was expected`);
  }

  /** An integer field (wire type 0). */
  int(w: number): number {
    this.#wire(w, 0);
    return this.varint();
  }

  /** A float field (wire type 5), little-endian. */
  float(w: number): number {
    this.#wire(w, 5);
    this.take(4);
    return this.#dv.getFloat32(this.pos - 4, true);
  }

  /** A length-delimited field's bytes (a view). */
  bytes(w: number): Uint8Array {
    this.#wire(w, 2);
    return this.take(this.varint());
  }

  /** A string field (UTF-8; invalid sequences become U+FFFD). */
  str(w: number): string {
    return utf8(this.bytes(w));
  }

  /** A reader over an embedded message. */
  sub(w: number): Reader {
    this.#wire(w, 2);
    const n = this.varint();
    const start = this.pos;
    this.take(n);
    return new Reader(this.buf, start, this.pos, this.#dv);
  }

  /** Appends a repeated integer field's value(s): one varint, or a packed run (wire type 2). */
  ints(w: number, out: number[]): boolean {
    if (w !== 2) out.push(this.int(w));
    else for (const r = this.sub(w); r.pos < r.end; ) out.push(r.varint());
    return true;
  }

  /** Appends a repeated float field's value(s): one fixed32, or a packed run (wire type 2). */
  floats(w: number, out: number[]): boolean {
    if (w !== 2) out.push(this.float(w));
    else for (const r = this.sub(w); r.pos < r.end; ) out.push(r.float(5));
    return true;
  }
}

/** zigzag decoding of sint32/sint64 varints: 0, −1, 1, −2, … ← 0, 1, 2, 3, … (exact below 2^53). */
export function zigzag(n: number): number {
  return n % 2 ? -(n + 1) / 2 : n / 2;
}

interface Decoder {
  decode(b: Uint8Array): string;
}
let decoder: Decoder | undefined;

function utf8(b: Uint8Array): string {
  // ASCII (op types, attribute names, most tensor names) needs no decoder
  if (b.length < 64 && b.every((c) => c < 128)) return String.fromCharCode(...b);
  decoder ??= new (globalThis as unknown as { TextDecoder: new () => Decoder }).TextDecoder();
  return decoder.decode(b);
}

/** TensorProto: dims, data_type and the data in whichever field holds it. */
export interface OnnxTensor {
  name: string;
  dims: number[];
  type: number;
  floats: number[];
  int32s: number[];
  int64s: number[];
  raw?: Uint8Array;
  /** data_location EXTERNAL or external_data entries. */
  external: boolean;
}

/** AttributeProto: its type and every value field (the one `type` names is used). */
export interface OnnxAttr {
  name: string;
  type: number;
  f: number;
  i: number;
  s: string;
  t?: OnnxTensor;
  floats: number[];
  ints: number[];
}

/** NodeProto. */
export interface OnnxNode {
  op: string;
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attrs: OnnxAttr[];
}

/**
 * ValueInfoProto of a tensor: element type (0 when not a tensor type) and shape, each dim its
 * dim_value or −1 for a dim_param or an unknown dim; `dims` is undefined when no shape is given.
 */
export interface OnnxValue {
  name: string;
  elem: number;
  dims?: number[];
}

/** GraphProto. */
export interface OnnxGraph {
  nodes: OnnxNode[];
  inits: OnnxTensor[];
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  values: OnnxValue[];
}

/** ModelProto: ir_version, opset_import as [domain, version] pairs, the graph. */
export interface OnnxModel {
  ir: number;
  opsets: [string, number][];
  graph?: OnnxGraph;
}

/**
 * TensorProto: dims 1, data_type 2, float_data 4, int32_data 5, int64_data 7, name 8, raw_data 9,
 * external_data 13, data_location 14.
 */
function tensor(r: Reader): OnnxTensor {
  const t: OnnxTensor = {
    name: "",
    dims: [],
    type: 0,
    floats: [],
    int32s: [],
    int64s: [],
    external: false,
  };
  r.each((f, w) => {
    if (f === 1) return r.ints(w, t.dims);
    if (f === 2) t.type = r.int(w);
    else if (f === 4) return r.floats(w, t.floats);
    else if (f === 5) return r.ints(w, t.int32s);
    else if (f === 7) return r.ints(w, t.int64s);
    else if (f === 8) t.name = r.str(w);
    else if (f === 9) t.raw = r.bytes(w);
    else if (f === 14) {
      // data_location: 1 = EXTERNAL
      if (r.int(w) === 1) t.external = true;
    } else if (f === 13) {
      // external_data entries name a file this reader never opens: skipped, the tensor refused
      t.external = true;
      return false;
    } else return false;
    return true;
  });
  return t;
}

/** AttributeProto: name 1, f 2, i 3, s 4, t 5, floats 7, ints 8, type 20 (g 6 and the rest skipped). */
function attr(r: Reader): OnnxAttr {
  const a: OnnxAttr = { name: "", type: 0, f: 0, i: 0, s: "", floats: [], ints: [] };
  r.each((f, w) => {
    if (f === 1) a.name = r.str(w);
    else if (f === 20) a.type = r.int(w);
    else if (f === 2) a.f = r.float(w);
    else if (f === 3) a.i = r.int(w);
    else if (f === 4) a.s = r.str(w);
    else if (f === 5) a.t = tensor(r.sub(w));
    else if (f === 7) return r.floats(w, a.floats);
    else if (f === 8) return r.ints(w, a.ints);
    else return false;
    return true;
  });
  return a;
}

/** NodeProto: input 1, output 2, name 3, op_type 4, attribute 5, domain 7. */
function node(r: Reader): OnnxNode {
  const n: OnnxNode = { op: "", domain: "", name: "", inputs: [], outputs: [], attrs: [] };
  r.each((f, w) => {
    if (f === 1) n.inputs.push(r.str(w));
    else if (f === 2) n.outputs.push(r.str(w));
    else if (f === 3) n.name = r.str(w);
    else if (f === 4) n.op = r.str(w);
    else if (f === 7) n.domain = r.str(w);
    else if (f === 5) n.attrs.push(attr(r.sub(w)));
    else return false;
    return true;
  });
  return n;
}

/** The fields `field` of a message, each read by `read(wire)`; other fields are skipped. */
function only(r: Reader, field: number, read: (w: number) => void): void {
  r.each((f, w) => {
    if (f !== field) return false;
    read(w);
    return true;
  });
}

/** ValueInfoProto (name, type) → TypeProto (tensor_type) → elem_type, TensorShapeProto → dims. */
function value(r: Reader): OnnxValue {
  const v: OnnxValue = { name: "", elem: 0 };
  r.each((f, w) => {
    if (f === 1) v.name = r.str(w);
    else if (f !== 2) return false;
    else {
      const tp = r.sub(w);
      only(tp, 1, (w) => {
        const t = tp.sub(w);
        t.each((f, w) => {
          if (f === 1) v.elem = t.int(w);
          else if (f !== 2) return false;
          else {
            const s = t.sub(w);
            const dims: number[] = (v.dims = []);
            only(s, 1, (w) => {
              // Dimension: dim_value (1) or dim_param (2); a symbolic or unknown dim is −1
              let d = -1;
              const dr = s.sub(w);
              only(dr, 1, (w) => {
                d = dr.int(w);
              });
              dims.push(d);
            });
          }
          return true;
        });
      });
    }
    return true;
  });
  return v;
}

/** GraphProto: node 1, initializer 5, input 11, output 12, value_info 13. */
function graph(r: Reader): OnnxGraph {
  const g: OnnxGraph = { nodes: [], inits: [], inputs: [], outputs: [], values: [] };
  r.each((f, w) => {
    if (f === 1) g.nodes.push(node(r.sub(w)));
    else if (f === 5) g.inits.push(tensor(r.sub(w)));
    else if (f === 11) g.inputs.push(value(r.sub(w)));
    else if (f === 12) g.outputs.push(value(r.sub(w)));
    else if (f === 13) g.values.push(value(r.sub(w)));
    else return false;
    return true;
  });
  return g;
}

/**
 * Decodes an ONNX ModelProto: ir_version 1, graph 7, opset_import 8.
 * @param bytes - the .onnx file
 * @returns the decoded messages (views into `bytes` for raw data)
 * @throws ModelFormatError for malformed protobuf (truncated, a length past the end, a bad wire type)
 */
export function decodeOnnx(bytes: Uint8Array): OnnxModel {
  const r = new Reader(bytes);
  const m: OnnxModel = { ir: 0, opsets: [] };
  r.each((f, w) => {
    if (f === 1) m.ir = r.int(w);
    else if (f === 7) m.graph = graph(r.sub(w));
    else if (f === 8) {
      // OperatorSetIdProto: domain (1), version (2)
      const o = r.sub(w);
      const id: [string, number] = ["", 0];
      o.each((f, w) => {
        if (f === 1) id[0] = o.str(w);
        else if (f === 2) id[1] = o.int(w);
        else return false;
        return true;
      });
      m.opsets.push(id);
    } else return false;
    return true;
  });
  return m;
}
