/*
 * `@edgenn/runtime/ops`: the op sets beyond the core float ops of dense networks, kept out of
 * `loadModel` so that a bundle pays only for what its models use. Pass the ones a model needs:
 * `loadModel(bytes, { ops: [convOps, int8Ops] })`. The `edgenn` package's `loadModel`,
 * `loadModelFile` and `fromOnnx` pass every set.
 */
// the calls are marked pure so that a bundle importing one set drops the others
import { each, type OpSet } from "./op-helpers.js";
import {
  dequantizeLinear,
  qadd,
  qlinearConv,
  qlinearGemm,
  qpool,
  quantizeLinear,
} from "./ops-int8.js";
import { batchNorm, conv2d, pool } from "./ops-nn.js";
import { gru, layerNorm } from "./ops-rnn.js";
import { concat, reduce, transpose } from "./ops-shape.js";

export type { OpSet } from "./op-helpers.js";

/**
 * The ops of convolutional networks: conv2d (groups, depthwise, dilation, padding modes), maxPool2d,
 * avgPool2d, globalAvgPool2d and batchNorm (inference form).
 * @example
 * Object.keys(convOps).includes("conv2d"); // true
 */
export const convOps: OpSet = {
  avgPool2d: [1, 1, /* @__PURE__ */ pool(false)],
  batchNorm: [5, 5, batchNorm],
  conv2d: [2, 3, conv2d],
  globalAvgPool2d: [1, 1, /* @__PURE__ */ reduce("mean", true)],
  maxPool2d: [1, 1, /* @__PURE__ */ pool(true)],
};

/**
 * The int8 ops of quantized models (TFLite's scheme): qlinearGemm, qlinearConv, qadd, qmaxPool2d,
 * qavgPool2d, quantizeLinear and dequantizeLinear.
 * @example
 * Object.keys(int8Ops).includes("qlinearGemm"); // true
 */
export const int8Ops: OpSet = {
  dequantizeLinear: [1, 1, dequantizeLinear],
  qadd: [2, 2, qadd],
  qavgPool2d: [1, 1, /* @__PURE__ */ qpool(false)],
  qlinearConv: [2, 3, qlinearConv],
  qlinearGemm: [2, 3, qlinearGemm],
  qmaxPool2d: [1, 1, /* @__PURE__ */ qpool(true)],
  quantizeLinear: [1, 1, quantizeLinear],
};

/**
 * The ops of sequence models: gru (ONNX GRU, linear_before_reset) and layerNorm.
 * @example
 * Object.keys(recurrentOps); // ["gru", "layerNorm"]
 */
export const recurrentOps: OpSet = {
  gru: [5, 5, gru],
  layerNorm: [1, 3, layerNorm],
};

/**
 * Tensor manipulation as ops of their own, as ONNX models use them (nn exports do not): transpose,
 * concat, and the reductions sum, mean, max, min (axes attribute or input, keepdims).
 * @example
 * Object.keys(tensorOps).sort(); // ["concat", "max", "mean", "min", "sum", "transpose"]
 */
export const tensorOps: OpSet = {
  ...each("sum mean max min", 1, 2, reduce),
  concat: [1, 1024, concat],
  transpose: [1, 1, transpose],
};

/**
 * Every op set of this entry, for a session that should run any model file.
 * @example
 * allOps.length; // 4
 */
export const allOps: readonly OpSet[] = [convOps, int8Ops, recurrentOps, tensorOps];
