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
 *  - QuantizeLinear/DequantizeLinear/QLinearMatMul/QLinearConv (int8 only): their constant scales
 *    and zero points become attributes; QLinearMatMul's weights [K, N] are transposed to [N, K].
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
 * ONNX op type → runtime op (QuantizeLinear and DequantizeLinear: per tensor, int8, see
 * `quantAttrs`; QLinearMatMul and QLinearConv: int8, see `qlinear`); Constant is folded, not mapped.
 */
const OPS: Readonly<Record<string, string>> = {
  Add: "add",
  AveragePool: "avgPool2d",
  BatchNormalization: "batchNorm",
  Clip: "clip",
  Concat: "concat",
  Conv: "conv2d",
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

/**
 * The constant per-tensor scale (input `i`, float32, one element) and int8 zero point (input
 * `i + 1`, one element; 0 when absent unless `needZp`) of node `n`; `label` names the pair.
 */
function scalePoint(
  n: OnnxNode,
  inits: Map<string, Initializer>,
  where: string,
  i: number,
  needZp: boolean,
  label = "",
) {
  const [s, z] = [i, i + 1].map((j) => inits.get(n.inputs[j] ?? ""));
  if (!(s?.dtype === "float32" && s.data.length === 1))
    fail(
      WHO,
      where,
      `needs a constant float32 scale of one element${label} (per-tensor quantization)`,
    );
  if (z ? !(z.dtype === "int8" && z.data.length === 1) : needZp)
    fail(
      WHO,
      where,
      `needs a constant int8 zero point of one element${label} (uint8 is not supported)`,
    );
  return { scale: s.data[0]!, zeroPoint: z ? z.data[0]! : 0 };
}

/**
 * QuantizeLinear / DequantizeLinear (x, scale, zeroPoint?) per tensor: the constant scale (float32)
 * and zero point (int8; QuantizeLinear needs one, as without it ONNX outputs uint8) become the
 * runtime op's attributes.
 */
function quantAttrs(n: OnnxNode, inits: Map<string, Initializer>, where: string) {
  return scalePoint(n, inits, where, 1, n.op === "QuantizeLinear");
}

/**
 * QLinearMatMul (a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point) and
 * QLinearConv (x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B?) with
 * int8 activations and constant int8 weights (zero point 0; scale per tensor or per output
 * channel) → qlinearGemm / qlinearConv: the runtime op's inputs (QLinearMatMul's b [K, N] becomes
 * a new initializer [N, K], named by `rename`) and quantization attributes.
 */
function qlinear(
  n: OnnxNode,
  inits: Map<string, Initializer>,
  where: string,
  rename: (name: string) => string,
): { inputs: string[]; attrs: Record<string, AttrValue> } {
  const isConv = n.op === "QLinearConv";
  const x = scalePoint(n, inits, where, 1, true, " for the input");
  const y = scalePoint(n, inits, where, 6, true, " for the output");
  const w = inits.get(n.inputs[3] ?? "");
  const rank = isConv ? 4 : 2;
  if (!(w?.dtype === "int8" && w.shape.length === rank)) {
    fail(
      WHO,
      where,
      `needs constant int8 ${rank}-D weights (input 3)${w ? `, got ${w.dtype} [${w.shape}]` : ""}${w?.dtype === "uint8" ? " (uint8 is not supported)" : ""}`,
    );
  }
  // output channels: QLinearConv's w [M, C/g, kH, kW], QLinearMatMul's b [K, N]
  const m = w.shape[isConv ? 0 : 1]!;
  const [s, z] = [4, 5].map((j) => inits.get(n.inputs[j] ?? ""));
  if (!(s?.dtype === "float32" && (s.data.length === 1 || s.data.length === m)))
    fail(WHO, where, `needs a constant float32 weight scale (input 4) of 1 or ${m} elements`);
  if (z && !(z.dtype === "int8" && (z.data.length === 1 || z.data.length === m)))
    fail(
      WHO,
      where,
      `needs an int8 weight zero point (input 5) of 1 or ${m} elements, got ${z.dtype} [${z.shape}]`,
    );
  if (z?.data.some((v) => v !== 0))
    fail(WHO, where, "weight zero point (input 5) must be 0 (symmetric int8 weights)");
  const wScales = Array.from({ length: m }, (_, j) => s.data[s.data.length === 1 ? 0 : j]!);
  const attrs = {
    xScale: x.scale,
    xZeroPoint: x.zeroPoint,
    wScales,
    yScale: y.scale,
    yZeroPoint: y.zeroPoint,
    activation: "none",
  };
  if (isConv) {
    const b = n.inputs[8] ?? "";
    const bias = inits.get(b);
    if (b && bias?.dtype !== "int32")
      fail(WHO, where, `bias (input 8) "${b}" must be a constant int32 tensor`);
    return { inputs: [n.inputs[0]!, w.name, ...(b ? [b] : [])], attrs };
  }
  // b [K, N] → the runtime's weights [N, K]
  const [k] = w.shape as [number, number];
  const wt = new Int8Array(m * k);
  for (let p = 0; p < k; p++) for (let j = 0; j < m; j++) wt[j * k + p] = w.data[p * m + j]!;
  const name = rename(`${w.name}_transposed`);
  inits.set(name, { name, dtype: "int8", shape: [m, k], data: wt });
  return { inputs: [n.inputs[0]!, name], attrs };
}

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
      inits.set(y, n.op === "Constant" ? constant(n, y, where) : { ...x!, name: y });
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
      const q = qlinear(n, inits, where, rename);
      nodes.push({
        op: target(n.op),
        name,
        inputs: q.inputs,
        outputs: [y],
        attrs: { ...Object.fromEntries(attrs), ...q.attrs },
      });
      return;
    }
    const isQuant = /^(Q|Deq)uantizeLinear$/.test(n.op);
    nodes.push({
      op: target(n.op),
      name,
      inputs: n.op === "Dropout" || isQuant ? n.inputs.slice(0, 1) : n.inputs,
      outputs: [y],
      // fromEntries makes even a key "__proto__" a plain property
      attrs: isQuant ? quantAttrs(n, inits, where) : Object.fromEntries(attrs),
    });
  });

  const used = new Set(nodes.flatMap((n) => n.inputs));
  return {
    inputs: g.inputs
      .filter((v) => !inits.has(v.name))
      .map((v, i) => info(v, `input ${i} "${v.name}"`, true)),
    outputs: g.outputs.map((v, i) => info(v, `output ${i} "${v.name}"`, false)),
    nodes,
    // initializers no node reads (Dropout's ratio, leftovers of export) are dropped
    initializers: [...inits.values()].filter((t) => used.has(t.name)),
  };
}
