/*
 * `@edgenn/runtime/onnx`: ONNX import, in its own entry so the core runtime stays small. The
 * importer decodes the protobuf (onnx-proto.ts), maps it to the runtime's graph (onnx-import.ts)
 * and plans it like any model file.
 */

// the package's own entry (external in the build), so this entry shares the core's Session class
import { createSession, type Session, type SessionOptions } from "@edgenn/runtime";
import { allOps } from "@edgenn/runtime/ops";
import { onnxToGraph } from "./onnx-import.js";

export { onnxToGraph } from "./onnx-import.js";

/**
 * Imports an ONNX model (opset 13 or newer) as a session: decodes and checks the protobuf, maps
 * each ONNX op to the runtime's (Gemm, MatMul, Conv, pools, BatchNormalization, activations,
 * Reshape, Transpose, Concat, reductions, …; Constant folded), then plans it as `createSession`
 * does. A symbolic first input dim is the batch dim, fixed by `batchSize`.
 * @param bytes - the .onnx file (weights inside, not external data)
 * @param options - `maxBytes` budget (pass one for untrusted files), `batchSize` (every op set of
 *   `@edgenn/runtime/ops` is included)
 * @returns a session ready to `run`; it may keep views into `bytes` (aligned float32 raw data)
 * @throws ModelFormatError for malformed bytes, an opset older than 13, external data, unsupported
 *   data types or attributes, and unsupported ops (every one of them in one message);
 *   OutOfMemoryError "needed X bytes, available Y" when over `maxBytes`
 * @example
 * // the ONNX model y = Relu(x), x: float [3], opset 13, written out byte by byte
 * const relu = new Uint8Array([8, 8, 58, 48, 10, 12, 10, 1, 120, 18, 1, 121, 34, 4, 82, 101, 108, 117, 90, 15, 10, 1, 120, 18, 10, 10, 8, 8, 1, 18, 4, 10, 2, 8, 3, 98, 15, 10, 1, 121, 18, 10, 10, 8, 8, 1, 18, 4, 10, 2, 8, 3, 66, 2, 16, 13]);
 * const s = fromOnnx(relu);
 * Array.from(s.run(new Float32Array([-1, 0, 2])).data); // [0, 0, 2]
 */
export function fromOnnx(bytes: Uint8Array | ArrayBuffer, options: SessionOptions = {}): Session {
  const graph = onnxToGraph(bytes);
  try {
    return createSession(graph, { ...options, ops: [...allOps, ...(options.ops ?? [])] });
  } catch (e) {
    // the planner's errors name their caller: name this one
    if (e instanceof Error) e.message = e.message.replace(/^createSession:/, "fromOnnx:");
    throw e;
  }
}
