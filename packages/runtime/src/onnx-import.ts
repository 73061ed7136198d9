/*
 * ONNX (opset 13+) → the runtime's graph. Each supported ONNX op maps to one runtime op whose
 * attributes already carry ONNX names and semantics, so attributes pass through unchanged. What is
 * translated:
 *  - Constant nodes, and Identity of a constant, become initializers (ops such as reshape, clip and
 *    batchNorm need their constant inputs as initializers);
 *  - int64 tensors (shapes, axes) become int32, each value range-checked;
 *  - a node's optional extra outputs (MaxPool indices, Dropout mask, BatchNormalization running
 *    statistics) are dropped when nothing reads them, refused otherwise; Dropout keeps only its data
 *    input (inference: the identity);
 *  - graph inputs that have an initializer are constants (older exporters list weights as inputs);
 *    a symbolic first dim of an input is the batch dim (−1), fixed by `batchSize` at planning;
 *  - QuantizeLinear/DequantizeLinear/QLinearMatMul/QLinearConv: their constant scales and zero
 *    points become attributes; QLinear weights become w − w_zero_point (which must fit int8), and
 *    QLinearMatMul's [K, N] are transposed to [N, K]; MatMulInteger/ConvInteger keep their zero
 *    points as inputs;
 *  - uint8 runs as int8: every uint8 tensor is stored as q − 128 and every uint8 zero point as
 *    zp − 128 (q − zp, and so every result, is unchanged; the int8 clamp [−128, 127] is uint8's
 *    [0, 255] moved by 128). Which 8-bit type a value has is followed node by node (QuantizeLinear
 *    and the QLinear ops take their zero point's; Reshape, Transpose and the like keep their
 *    input's); a zero point must match its data's type; a uint8 model input or output passes
 *    through a shift128 node.
 * Every unsupported op of the model is reported in one error.
 */
import type { DType } from "@edgenn/tensor";
import { ArgumentError } from "@edgenn/tensor/errors";
import type { AttrValue, Graph, GraphNode, Initializer, ValueInfo } from "./graph.js";
import {
  decodeOnnx,
  type OnnxAttr,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValue,
} from "./onnx-proto.js";
import { ARRAYS, checkShape, count, fail, show } from "./validate.js";

const WHO = "fromOnnx";

/**
 * ONNX op type → runtime op (QuantizeLinear and DequantizeLinear: per tensor, see `quantAttrs`;
 * QLinearMatMul and QLinearConv: see `qlinear`; MatMulInteger and ConvInteger: see `integer`);
 * Constant is folded, not mapped.
 */
const OPS: Readonly<Record<string, string>> = {
  Add: "add",
  AveragePool: "avgPool2d",
  BatchNormalization: "batchNorm",
  Clip: "clip",
  Concat: "concat",
  Conv: "conv2d",
  ConvInteger: "convInteger",
  DequantizeLinear: "dequantizeLinear",
  Div: "div",
  Dropout: "dropout",
  Elu: "elu",
  Flatten: "flatten",
  Gelu: "gelu",
  Gemm: "gemm",
  GlobalAveragePool: "globalAvgPool2d",
  Identity: "identity",
  LeakyRelu: "leakyRelu",
  LogSoftmax: "logSoftmax",
  MatMul: "matmul",
  MatMulInteger: "matmulInteger",
  MaxPool: "maxPool2d",
  Mul: "mul",
  QLinearConv: "qlinearConv",
  QLinearMatMul: "qlinearGemm",
  QuantizeLinear: "quantizeLinear",
  ReduceMax: "max",
  ReduceMean: "mean",
  ReduceSum: "sum",
  Relu: "relu",
  Reshape: "reshape",
  Sigmoid: "sigmoid",
  Softmax: "softmax",
  Sub: "sub",
  Tanh: "tanh",
  Transpose: "transpose",
};

/** The runtime op of an ONNX op type ("" when unsupported). */
function target(op: string): string {
  return Object.hasOwn(OPS, op) ? OPS[op]! : "";
}

/** TensorProto.DataType → runtime dtype; INT64 (7) is narrowed to int32. */
const DTYPES: Readonly<Record<number, DType>> = {
  1: "float32",
  2: "uint8",
  3: "int8",
  6: "int32",
  7: "int32",
  9: "bool",
};
const TYPE_NAMES =
  "UNDEFINED FLOAT UINT8 INT8 UINT16 INT16 INT32 INT64 STRING BOOL FLOAT16 DOUBLE UINT32 UINT64".split(
    " ",
  );

function dtype(type: number, where: string): DType {
  const d = DTYPES[type];
  if (!d) {
    fail(
      WHO,
      where,
      `unsupported data type ${TYPE_NAMES[type] ?? type} (supported: FLOAT, UINT8, INT8, INT32, INT64 as int32, BOOL)`,
    );
  }
  return d;
}

/**
 * A TensorProto as an initializer. raw_data is little-endian: viewed in place when its offset suits
 * the typed array, else copied; int64 is narrowed to int32 and every integer value must fit.
 */
function initializer(t: OnnxTensor, name: string, where: string): Initializer {
  if (t.external) {
    fail(WHO, where, "external data is not supported (save the model with its weights inside)");
  }
  const dt = dtype(t.type, where);
  const shape = checkShape(WHO, `${where} dims`, t.dims);
  const n = count(shape);
  const Ctor = ARRAYS[dt];
  const is64 = t.type === 7;
  let src: ArrayLike<number>;
  if (t.raw) {
    const raw = t.raw;
    const width = is64 ? 8 : Ctor.BYTES_PER_ELEMENT;
    if (raw.length !== n * width) {
      fail(
        WHO,
        where,
        `raw_data has ${raw.length} bytes, expected ${n * width} for dims [${shape}]`,
      );
    }
    if (!is64) {
      const buf = raw.buffer as ArrayBuffer;
      const data =
        raw.byteOffset % width
          ? new Ctor(raw.slice().buffer as ArrayBuffer, 0, n)
          : new Ctor(buf, raw.byteOffset, n);
      return { name, dtype: dt, shape, data };
    }
    // int64 little-endian: high word signed, low word unsigned
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.length);
    src = Array.from(
      { length: n },
      (_, i) => dv.getInt32(8 * i + 4, true) * 2 ** 32 + dv.getUint32(8 * i, true),
    );
  } else {
    src = t.type === 1 ? t.floats : is64 ? t.int64s : t.int32s;
    if (src.length !== n) {
      fail(WHO, where, `has ${src.length} values, expected ${n} for dims [${shape}]`);
    }
  }
  const data = new Ctor(n);
  data.set(src);
  for (let i = 0; dt !== "float32" && i < n; i++) {
    if (data[i] !== src[i]) {
      fail(
        WHO,
        where,
        `value ${src[i]} does not fit ${dt}${is64 ? " (int64 is read as int32)" : ""}`,
      );
    }
  }
  return { name, dtype: dt, shape, data };
}

/** A Constant node's value: `value` (a tensor), `value_float(s)` or `value_int(s)`. */
function constant(n: OnnxNode, name: string, where: string): Initializer {
  const a = n.attrs[0];
  const m = /^value(_float|_int)?(s?)$/.exec(a?.name ?? "");
  if (!a || n.attrs.length > 1 || !m || (!m[1] && !a.t)) {
    fail(
      WHO,
      where,
      `needs one attribute value, value_float(s) or value_int(s), got ${show(n.attrs.map((x) => x.name))}`,
    );
  }
  if (!m[1]) return initializer(a.t!, name, where);
  const isFloat = m[1] === "_float";
  const vals = m[2] ? (isFloat ? a.floats : a.ints) : [isFloat ? a.f : a.i];
  const t: OnnxTensor = {
    name,
    dims: m[2] ? [vals.length] : [],
    type: isFloat ? 1 : 7,
    floats: vals,
    int32s: [],
    int64s: vals,
    external: false,
  };
  return initializer(t, name, where);
}

/** FLOAT, INT, STRING, FLOATS, INTS; tensors, graphs and the rest are no runtime op's attributes. */
function attrValue(a: OnnxAttr): AttrValue | undefined {
  switch (a.type) {
    case 1:
      return a.f;
    case 2:
      return a.i;
    case 3:
      return a.s;
    case 6:
      return a.floats;
    case 7:
      return a.ints;
  }
  return undefined;
}

/** The type of each value as far as the importer follows it (no entry when unknown). */
type Types = Map<string, DType>;

const is8 = (t: DType | undefined): boolean => t === "int8" || t === "uint8";

/** An 8-bit value in the int8 domain the runtime computes in: uint8 q → q − 128. */
const toI8 = (v: number, t: DType) => (t === "uint8" ? v - 128 : v);

/**
 * Fails unless the zero point's type `zt` matches its data's type `dt` (when both are known);
 * `label` names the zero point.
 */
function matching(where: string, label: string, zt: DType | undefined, dt: DType | undefined) {
  if (zt && dt && zt !== dt) {
    fail(WHO, where, `${label} is ${zt} but its data is ${dt} (they must have the same type)`);
  }
}

/**
 * The constant per-tensor scale (input `i`, float32, one element) and 8-bit zero point (input
 * `i + 1`, int8 or uint8 matching the data's type `dt`, one element; absent: 0 of type `dt`, or
 * `def` when `dt` is unknown, unless `needZp`) of node `n`, the zero point in the int8 domain,
 * with the zero point's type; `label` names the pair.
 */
function scalePoint(
  n: OnnxNode,
  inits: Map<string, Initializer>,
  where: string,
  i: number,
  dt: DType | undefined,
  needZp: boolean,
  label = "",
  def?: DType,
) {
  const [s, z] = [i, i + 1].map((j) => inits.get(n.inputs[j] ?? ""));
  if (!(s?.dtype === "float32" && s.data.length === 1))
    fail(
      WHO,
      where,
      `needs a constant float32 scale of one element${label} (per-tensor quantization)`,
    );
  if (z ? !(is8(z.dtype) && z.data.length === 1) : needZp || n.inputs[i + 1])
    fail(
      WHO,
      where,
      `needs a constant int8 or uint8 zero point of one element${label}${z ? `, got ${z.dtype} [${z.shape}]` : ""}`,
    );
  matching(where, `the zero point${label}`, z?.dtype, dt);
  const type = z?.dtype ?? dt ?? def;
  if (!is8(type)) {
    fail(WHO, where, `cannot tell int8 from uint8${label}: give a zero point (input ${i + 1})`);
  }
  return { scale: s.data[0]!, zeroPoint: toI8(z ? z.data[0]! : 0, type!), type: type! };
}

/**
 * QuantizeLinear / DequantizeLinear (x, scale, zeroPoint?) per tensor: the constant scale (float32)
 * and zero point (int8 or uint8, in the int8 domain; QuantizeLinear without one outputs uint8)
 * become the runtime op's attributes; returns them with the 8-bit type.
 */
function quantAttrs(n: OnnxNode, inits: Map<string, Initializer>, types: Types, where: string) {
  const isQ = n.op === "QuantizeLinear";
  const dt = isQ ? undefined : types.get(n.inputs[0] ?? "");
  if (dt && !is8(dt)) fail(WHO, where, `input 0 must be int8 or uint8, got ${dt}`);
  const { type, ...attrs } = scalePoint(
    n,
    inits,
    where,
    1,
    dt,
    false,
    "",
    isQ ? "uint8" : undefined,
  );
  return { attrs, type };
}

/**
 * QLinearMatMul (a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point) and
 * QLinearConv (x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B?) with
 * 8-bit activations and constant 8-bit weights (scale per tensor or per output channel, zero
 * point per tensor or per output channel, w − zero point within int8) → qlinearGemm /
 * qlinearConv: the runtime op's inputs (weights w − zero point as a new initializer named by
 * `rename` unless they are int8 with zero point 0; QLinearMatMul's b [K, N] becomes [N, K]), the
 * quantization attributes and the output's 8-bit type.
 */
function qlinear(
  n: OnnxNode,
  inits: Map<string, Initializer>,
  types: Types,
  where: string,
  rename: (name: string) => string,
): { inputs: string[]; attrs: Record<string, AttrValue>; type: DType } {
  const isConv = n.op === "QLinearConv";
  const x = scalePoint(n, inits, where, 1, types.get(n.inputs[0] ?? ""), true, " for the input");
  const y = scalePoint(n, inits, where, 6, undefined, true, " for the output");
  const w = inits.get(n.inputs[3] ?? "");
  const rank = isConv ? 4 : 2;
  if (!(w && is8(w.dtype) && w.shape.length === rank)) {
    fail(
      WHO,
      where,
      `needs constant int8 ${rank}-D weights (or uint8; input 3)${w ? `, got ${w.dtype} [${w.shape}]` : ""}`,
    );
  }
  // output channels: QLinearConv's w [M, C/g, kH, kW], QLinearMatMul's b [K, N]
  const m = w.shape[isConv ? 0 : 1]!;
  const [s, z] = [4, 5].map((j) => inits.get(n.inputs[j] ?? ""));
  if (!(s?.dtype === "float32" && (s.data.length === 1 || s.data.length === m)))
    fail(WHO, where, `needs a constant float32 weight scale (input 4) of 1 or ${m} elements`);
  if (n.inputs[5] ? !(z && is8(z.dtype) && (z.data.length === 1 || z.data.length === m)) : false)
    fail(
      WHO,
      where,
      `needs a constant 8-bit weight zero point (input 5) of 1 or ${m} elements${z ? `, got ${z.dtype} [${z.shape}]` : ""}`,
    );
  matching(where, "the weight zero point (input 5)", z?.dtype, w.dtype);
  const wScales = Array.from({ length: m }, (_, j) => s.data[s.data.length === 1 ? 0 : j]!);
  const attrs = {
    xScale: x.scale,
    xZeroPoint: x.zeroPoint,
    wScales,
    yScale: y.scale,
    yZeroPoint: y.zeroPoint,
    activation: "none",
  };
  // w − zw_j for output channel j: QLinearConv's w[j, …] (run of `per`), QLinearMatMul's b[·, j]
  const total = w.data.length;
  const per = total / m;
  const zAt = (j: number) => (z ? z.data[z.data.length === 1 ? 0 : j]! : 0);
  const centred = (i: number) => {
    const j = isConv ? Math.floor(i / per) : i % m;
    const v = w.data[i]! - zAt(j);
    if (v < -128 || v > 127) {
      fail(
        WHO,
        where,
        `weight ${i} minus its zero point is ${v}, outside int8 (the runtime needs w − w_zero_point in [−128, 127])`,
      );
    }
    return v;
  };
  const isPlain = w.dtype === "int8" && !z?.data.some((v) => v !== 0);
  if (isConv) {
    const b = n.inputs[8] ?? "";
    const bias = inits.get(b);
    if (b && bias?.dtype !== "int32")
      fail(WHO, where, `bias (input 8) "${b}" must be a constant int32 tensor`);
    let wName = w.name;
    if (!isPlain) {
      wName = rename(`${w.name}_centred`);
      const data = Int8Array.from({ length: total }, (_, i) => centred(i));
      inits.set(wName, { name: wName, dtype: "int8", shape: w.shape, data });
    }
    return { inputs: [n.inputs[0]!, wName, ...(b ? [b] : [])], attrs, type: y.type };
  }
  // b [K, N] → the runtime's weights [N, K]
  const [k] = w.shape as [number, number];
  const wt = new Int8Array(m * k);
  for (let p = 0; p < k; p++) for (let j = 0; j < m; j++) wt[j * k + p] = centred(p * m + j);
  const name = rename(`${w.name}_transposed`);
  inits.set(name, { name, dtype: "int8", shape: [m, k], data: wt });
  return { inputs: [n.inputs[0]!, name], attrs, type: y.type };
}

/**
 * MatMulInteger (A, B, a_zero_point?, b_zero_point?) and ConvInteger (x, w, x_zero_point?,
 * w_zero_point?) → matmulInteger / convInteger with the same inputs: each data input int8 or
 * uint8 (when its type is known), each zero point of its data's type; a missing zero point of
 * uint8 data becomes the int8 constant −128 (`zeroU8`), of int8 data stays omitted.
 */
function integer(n: OnnxNode, types: Types, where: string, zeroU8: () => string): string[] {
  const ins = n.inputs.slice(0, 4);
  for (let i = 0; i < 2; i++) {
    const dt = types.get(ins[i] ?? "");
    if (dt && !is8(dt)) fail(WHO, where, `input ${i} must be int8 or uint8, got ${dt}`);
    const z = ins[i + 2] ?? "";
    const zt = types.get(z);
    if (zt && !is8(zt))
      fail(WHO, where, `zero point (input ${i + 2}) must be int8 or uint8, got ${zt}`);
    matching(where, `the zero point (input ${i + 2})`, zt, dt);
    if (!z) {
      if (!dt) fail(WHO, where, `cannot tell int8 from uint8: give a zero point (input ${i + 2})`);
      ins[i + 2] = dt === "uint8" ? zeroU8() : "";
    }
  }
  while (ins.length > 2 && !ins[ins.length - 1]) ins.pop();
  return ins;
}

/** ONNX ops whose output has the type of input 0. */
const SAME_TYPE = new Set(
  "Concat Dropout Flatten Identity MaxPool ReduceMax Reshape Transpose".split(" "),
);

/** An input's or output's dtype and shape (−1 for a symbolic dim: the batch, or any in outputs). */
function info(v: OnnxValue, where: string, isInput: boolean): ValueInfo {
  const dt = dtype(v.elem, where);
  const dims = v.dims;
  if (!dims) fail(WHO, where, "has no shape (run ONNX shape inference on the model first)");
  const d = dims.indexOf(-1, 1);
  if (isInput && d > 0) {
    fail(WHO, where, `dim ${d} is symbolic; only dim 0 (the batch) may be`);
  }
  return { name: v.name, dtype: dt, shape: dims };
}

/**
 * Converts an ONNX model (opset 13 or newer) into the runtime's graph, ready for `createSession`
 * or `saveModel`.
 * @param bytes - the .onnx file
 * @returns the graph; float32 weights stored as aligned raw_data are views into `bytes`
 * @throws ModelFormatError for malformed bytes, an opset older than 13, external data, unsupported
 *   data types, and unsupported ops (all of them listed in one message)
 * @example
 * // the ONNX model y = Relu(x), x: float [3], opset 13, written out byte by byte
 * const relu = new Uint8Array([8, 8, 58, 48, 10, 12, 10, 1, 120, 18, 1, 121, 34, 4, 82, 101, 108, 117, 90, 15, 10, 1, 120, 18, 10, 10, 8, 8, 1, 18, 4, 10, 2, 8, 3, 98, 15, 10, 1, 121, 18, 10, 10, 8, 8, 1, 18, 4, 10, 2, 8, 3, 66, 2, 16, 13]);
 * const g = onnxToGraph(relu);
 * g.nodes[0].op; // "relu"
 */
export function onnxToGraph(bytes: Uint8Array | ArrayBuffer): Graph {
  if (!(bytes instanceof Uint8Array || bytes instanceof ArrayBuffer)) {
    throw new ArgumentError(`${WHO}: expected a Uint8Array or ArrayBuffer, got ${show(bytes)}`);
  }
  const m = decodeOnnx(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
  const opset = m.opsets.find(([d]) => d === "" || d === "ai.onnx")?.[1];
  if (opset === undefined) fail(WHO, "opset_import", "imports no ai.onnx opset");
  if (opset < 13) {
    fail(WHO, "opset_import", `opset ${opset} is older than 13 (convert the model to opset ≥ 13)`);
  }
  const g = m.graph;
  if (!g) fail(WHO, "model", "has no graph");

  const unsupported = new Set<string>();
  for (const n of g.nodes) {
    const op = n.domain === "" || n.domain === "ai.onnx" ? n.op : `${n.domain}.${n.op}`;
    if (op !== "Constant" && !target(op)) unsupported.add(op);
  }
  if (unsupported.size) {
    const ok = Object.keys(OPS).filter(target);
    fail(
      WHO,
      "graph",
      `unsupported ops ${[...unsupported].join(", ")} (supported: ${ok}, Constant)`,
    );
  }

  const inits = new Map<string, Initializer>();
  g.inits.forEach((t, i) => {
    inits.set(t.name, initializer(t, t.name, `initializer ${i} "${t.name}"`));
  });
  // every name a node or the graph's outputs read
  const read = new Set(g.outputs.map((o) => o.name));
  for (const n of g.nodes) for (const i of n.inputs) read.add(i);

  // every name in use, for the initializers the importer makes
  const names = new Set([...read, ...inits.keys(), ...g.inputs.map((v) => v.name)]);
  for (const n of g.nodes) for (const o of n.outputs) names.add(o);
  const rename = (base: string) => {
    let name = base;
    for (let i = 1; names.has(name); i++) name = `${base}_${i}`;
    names.add(name);
    return name;
  };

  // the type of each value, node by node (ONNX lists nodes in topological order)
  const types: Types = new Map();
  for (const v of g.inputs) {
    const t = DTYPES[v.elem];
    if (t) types.set(v.name, t);
  }
  for (const t of inits.values()) types.set(t.name, t.dtype);
  let zero = "";
  const zeroU8 = () => {
    if (!zero) {
      zero = rename("uint8_zero_point");
      inits.set(zero, { name: zero, dtype: "int8", shape: [], data: new Int8Array([-128]) });
    }
    return zero;
  };

  const nodes: GraphNode[] = [];
  g.nodes.forEach((n, index) => {
    const name = n.name || `${n.op}_${index}`;
    const where = `node ${index} "${name}" (${n.op})`;
    const y = n.outputs[0] ?? "";
    n.outputs.forEach((o, k) => {
      if (k && o && read.has(o)) {
        fail(
          WHO,
          where,
          `output ${k} "${o}" is read but not supported (only output 0 is computed)`,
        );
      }
    });
    const x = inits.get(n.inputs[0] ?? "");
    if (n.op === "Constant" || (n.op === "Identity" && x)) {
      const t = n.op === "Constant" ? constant(n, y, where) : { ...x!, name: y };
      inits.set(y, t);
      types.set(y, t.dtype);
      return;
    }
    const attrs: [string, AttrValue][] = [];
    for (const a of n.attrs) {
      const v = attrValue(a);
      if (v !== undefined) attrs.push([a.name, v]);
    }
    if (n.op === "BatchNormalization" && n.attrs.some((a) => a.name === "training_mode" && a.i)) {
      fail(WHO, where, "training_mode=1 is not supported (export the model in eval mode)");
    }
    if (n.op === "QLinearMatMul" || n.op === "QLinearConv") {
      const q = qlinear(n, inits, types, where, rename);
      types.set(y, q.type);
      nodes.push({
        op: target(n.op),
        name,
        inputs: q.inputs,
        outputs: [y],
        attrs: { ...Object.fromEntries(attrs), ...q.attrs },
      });
      return;
    }
    const isInteger = n.op === "MatMulInteger" || n.op === "ConvInteger";
    const isQuant = /^(Q|Deq)uantizeLinear$/.test(n.op);
    const q = isQuant ? quantAttrs(n, inits, types, where) : undefined;
    const t = SAME_TYPE.has(n.op) ? types.get(n.inputs[0] ?? "") : "float32";
    types.set(y, isInteger ? "int32" : n.op === "QuantizeLinear" ? q!.type : t!);
    if (!types.get(y)) types.delete(y);
    nodes.push({
      op: target(n.op),
      name,
      inputs: isInteger
        ? integer(n, types, where, zeroU8)
        : n.op === "Dropout" || isQuant
          ? n.inputs.slice(0, 1)
          : n.inputs,
      outputs: [y],
      // fromEntries makes even a key "__proto__" a plain property
      attrs: q ? q.attrs : Object.fromEntries(attrs),
    });
  });

  const inputs = g.inputs
    .filter((v) => !inits.has(v.name))
    .map((v, i) => info(v, `input ${i} "${v.name}"`, true));
  const outputs = g.outputs.map((v, i) => {
    const o = info(v, `output ${i} "${v.name}"`, false);
    const t = types.get(o.name);
    if (is8(t) && is8(o.dtype) && t !== o.dtype) {
      fail(WHO, `output ${i} "${o.name}"`, `is declared ${o.dtype} but computed as ${t}`);
    }
    return o;
  });
  return uint8AsInt8({ inputs, outputs, nodes, initializers: [...inits.values()] }, rename);
}

/**
 * The graph with uint8 running as int8: each uint8 initializer stored as q − 128; a uint8 model
 * input read through a shift128 node into a new int8 value, a uint8 output (not an input)
 * written to a new int8 value and then through shift128; drops the initializers no node reads
 * (Dropout's ratio, leftovers of export, the zero points that became attributes).
 */
function uint8AsInt8(g: Graph, rename: (name: string) => string): Graph {
  const sub = new Map<string, string>();
  const edges: GraphNode[] = [];
  for (const v of g.inputs) {
    if (v.dtype !== "uint8") continue;
    const to = rename(`${v.name}_int8`);
    sub.set(v.name, to);
    edges.push({
      op: "shift128",
      name: `${v.name}_to_int8`,
      inputs: [v.name],
      outputs: [to],
      attrs: {},
    });
  }
  const isInput = new Set(g.inputs.map((v) => v.name));
  const outSub = new Map<string, string>();
  for (const v of g.outputs) {
    if (v.dtype !== "uint8" || isInput.has(v.name) || outSub.has(v.name)) continue;
    const from = rename(`${v.name}_int8`);
    outSub.set(v.name, from);
    edges.push({
      op: "shift128",
      name: `${v.name}_to_uint8`,
      inputs: [from],
      outputs: [v.name],
      attrs: {},
    });
  }
  const at = (x: string) => outSub.get(x) ?? sub.get(x) ?? x;
  const nodes = [
    ...g.nodes.map((n) => ({ ...n, inputs: n.inputs.map(at), outputs: n.outputs.map(at) })),
    ...edges,
  ];
  const used = new Set(nodes.flatMap((n) => n.inputs));
  const initializers = g.initializers
    .map((t) => ({ ...t, name: at(t.name) }))
    .filter((t) => used.has(t.name))
    .map((t) =>
      t.dtype === "uint8"
        ? { ...t, dtype: "int8" as const, data: Int8Array.from(t.data, (v) => v - 128) }
        : t,
    );
  return { ...g, nodes, initializers };
}
