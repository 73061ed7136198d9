/*
 * The op table: every op a model file may name, with ONNX attribute names and semantics. Adding an
 * op is one entry here: its input count range and its function (see op-helpers.ts).
 */
import type { OpDef } from "./op-helpers.js";
import { binary, softmax, unary } from "./ops-elementwise.js";
import { batchNorm, conv2d, gemm, globalAvgPool2d, matmul, pool } from "./ops-nn.js";
import { concat, flatten, identity, reduce, reshape, transpose } from "./ops-shape.js";

/** The ops `loadModel` runs, by name: [fewest inputs, most inputs, op]. */
export const OPS: Readonly<Record<string, readonly [number, number, OpDef]>> = {
  add: [2, 2, binary("add")],
  avgPool2d: [1, 1, pool(false)],
  batchNorm: [5, 5, batchNorm],
  clip: [1, 3, unary("clip")],
  concat: [1, 1024, concat],
  conv2d: [2, 3, conv2d],
  div: [2, 2, binary("div")],
  dropout: [1, 3, identity],
  elu: [1, 1, unary("elu")],
  flatten: [1, 1, flatten],
  gelu: [1, 1, unary("gelu")],
  gemm: [2, 3, gemm],
  globalAvgPool2d: [1, 1, globalAvgPool2d],
  identity: [1, 1, identity],
  leakyRelu: [1, 1, unary("leakyRelu")],
  logSoftmax: [1, 1, softmax(true)],
  matmul: [2, 2, matmul],
  max: [1, 2, reduce("max")],
  maxPool2d: [1, 1, pool(true)],
  mean: [1, 2, reduce("mean")],
  min: [1, 2, reduce("min")],
  mul: [2, 2, binary("mul")],
  relu: [1, 1, unary("relu")],
  reshape: [1, 2, reshape],
  sigmoid: [1, 1, unary("sigmoid")],
  softmax: [1, 1, softmax(false)],
  sub: [2, 2, binary("sub")],
  sum: [1, 2, reduce("sum")],
  tanh: [1, 1, unary("tanh")],
  transpose: [1, 1, transpose],
};
