/*
 * The core op table: the float ops of dense networks (MLPs, classifier heads), with ONNX attribute
 * names and semantics. Convolution, int8, recurrent and tensor-manipulation ops are op sets of their
 * own (op-sets.ts, the `@edgenn/runtime/ops` entry) that a session takes with `ops`, so a bundle
 * pays only for the ops its models use. Adding an op is one entry in a table: its input count range
 * and its function (see op-helpers.ts).
 */
import { each, type OpSet } from "./op-helpers.js";
import { binary, softmax, unary } from "./ops-elementwise.js";
import { gemm, matmul } from "./ops-nn.js";
import { flatten, identity, reshape } from "./ops-shape.js";

export type { OpSet } from "./op-helpers.js";

/** The ops every session runs. */
export const OPS: OpSet = {
  ...each("add sub mul div", 2, 2, binary),
  ...each("relu leakyRelu sigmoid", 1, 1, unary),
  clip: [1, 3, unary("clip")],
  dropout: [1, 3, identity],
  flatten: [1, 1, flatten],
  gemm: [2, 3, gemm],
  identity: [1, 1, identity],
  logSoftmax: [1, 1, softmax(true)],
  matmul: [2, 2, matmul],
  reshape: [1, 2, reshape],
  softmax: [1, 1, softmax(false)],
};
