/*
 * The runtime's graph: what a model file holds and what `loadModel` plans and runs. Op names and
 * attributes are edgenn's op names with ONNX attribute semantics; the runtime never imports nn,
 * optim or quant — they (and the ONNX importer) produce this graph.
 */
import type { DType } from "@edgenn/tensor";

/** Per-tensor or per-axis affine quantization: real = (q − zeroPoint) · scale. */
export interface QuantParams {
  readonly scale: readonly number[];
  readonly zeroPoint: readonly number[];
  /** The axis `scale`/`zeroPoint` run along when they have more than one element. */
  readonly axis?: number;
}

/** A named tensor of the graph: a model input or output, or an intermediate value. */
export interface ValueInfo {
  readonly name: string;
  readonly dtype: DType;
  /**
   * Static sizes, each ≥ 1; an input's first dim may be -1 (fixed by `batchSize` when the session is
   * planned), and a declared output's dims may be -1 (any: checked against the inferred shape).
   */
  readonly shape: readonly number[];
  readonly quant?: QuantParams;
}

/**
 * A constant tensor (weights, biases, shape constants) with its data; after `decodeModel`, a view
 * into the file's bytes.
 */
export interface Initializer extends ValueInfo {
  readonly data: Float32Array | Int32Array | Int8Array | Uint8Array;
}

/** An attribute value: numbers, number lists, strings or booleans (ONNX-like). */
export type AttrValue = number | readonly number[] | string | boolean;

/** One op application. `inputs` name tensors ("" for an omitted optional input). */
export interface GraphNode {
  readonly op: string;
  readonly name?: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Readonly<Record<string, AttrValue>>;
}

/** A whole model: inputs, outputs, nodes in any order (the loader sorts them), constants. */
export interface Graph {
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly nodes: readonly GraphNode[];
  readonly initializers: readonly Initializer[];
  readonly meta?: Readonly<Record<string, string>>;
}
