/*
 * The op table: every op a model file may name, with ONNX attribute names and semantics. Adding an
 * op is one entry here: its input count range and its function (see op-helpers.ts).
 */
import type { OpDef } from "./op-helpers.js";
import { binary, softmax, unary } from "./ops-elementwise.js";
import {
  dequantizeLinear,
  qadd,
  qlinearConv,
  qlinearGemm,
  qpool,
  quantizeLinear,
} from "./ops-int8.js";
import { batchNorm, conv2d, gemm, matmul, pool } from "./ops-nn.js";
import { gru, layerNorm } from "./ops-rnn.js";
import { concat, flatten, identity, reduce, reshape, transpose } from "./ops-shape.js";

/** Entries [lo, hi, def(name)] for each of the space-separated `names`. */
function each(names: string, lo: number, hi: number, def: (name: never) => OpDef) {
  return Object.fromEntries(names.split(" ").map((k) => [k, [lo, hi, def(k as never)] as const]));
}

/** The ops `loadModel` runs, by name: [fewest inputs, most inputs, op]. */
export const OPS: Readonly<Record<string, readonly [number, number, OpDef]>> = {
  ...each("add sub mul div", 2, 2, binary),
  ...each("relu leakyRelu elu sigmoid tanh gelu", 1, 1, unary),
  ...each("sum mean max min", 1, 2, reduce),
  avgPool2d: [1, 1, pool(false)],
  batchNorm: [5, 5, batchNorm],
  clip: [1, 3, unary("clip")],
  concat: [1, 1024, concat],
  conv2d: [2, 3, conv2d],
  dequantizeLinear: [1, 1, dequantizeLinear],
  dropout: [1, 3, identity],
  flatten: [1, 1, flatten],
  gemm: [2, 3, gemm],
  globalAvgPool2d: [1, 1, reduce("mean", true)],
  gru: [5, 5, gru],
  identity: [1, 1, identity],
  layerNorm: [1, 3, layerNorm],
  logSoftmax: [1, 1, softmax(true)],
  matmul: [2, 2, matmul],
  maxPool2d: [1, 1, pool(true)],
  qadd: [2, 2, qadd],
  qavgPool2d: [1, 1, qpool(false)],
  qlinearConv: [2, 3, qlinearConv],
  qlinearGemm: [2, 3, qlinearGemm],
  qmaxPool2d: [1, 1, qpool(true)],
  quantizeLinear: [1, 1, quantizeLinear],
  reshape: [1, 2, reshape],
  softmax: [1, 1, softmax(false)],
  transpose: [1, 1, transpose],
};
