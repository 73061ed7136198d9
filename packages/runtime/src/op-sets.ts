/*
 * `@edgenn/runtime/ops`: the op sets beyond the core float ops of dense networks, kept out of
 * `loadModel` so that a bundle pays only for what its models use. Pass the ones a model needs:
 * `loadModel(bytes, { ops: [convOps, int8Ops] })`. The `edgenn` package's `loadModel`,
 * `loadModelFile` and `fromOnnx` pass every set.
 */
// the calls are marked pure so that a bundle importing one set drops the others

import {
  gemmI8WasmPacked,
  gemmWasmPackedB,
  type PackedF32,
  type PackedI8,
  packF32Weights,
  packI8Weights,
  releaseWeights,
} from "@edgenn/tensor/kernels";
import { each, type OpSet } from "./op-helpers.js";
import { smoothLoop, unary } from "./ops-elementwise.js";
import {
  dequantizeLinear,
  qadd,
  qlinearConv,
  qlinearGemm,
  qlinearGemmOp,
  qpool,
  quantizeLinear,
} from "./ops-int8.js";
import { convInteger, matmulInteger, shift128 } from "./ops-integer.js";
import { batchNorm, conv2d, gemmOp, pool } from "./ops-nn.js";
import { gru, layerNorm } from "./ops-rnn.js";
import { concat, reduce, transpose } from "./ops-shape.js";

export type { OpSet } from "./op-helpers.js";

/**
 * The smooth activations elu, tanh and gelu (their tanh, erf and expm1 would double the size of
 * the core's math).
 * @example
 * Object.keys(activationOps); // ["elu", "tanh", "gelu"]
 */
export const activationOps: OpSet = /* @__PURE__ */ each("elu tanh gelu", 1, 1, (k) =>
  unary(k, smoothLoop),
);

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
 * qavgPool2d, quantizeLinear and dequantizeLinear, and shift128 (uint8 ↔ int8 at the edges of an
 * imported uint8 ONNX model).
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
  shift128: [1, 1, shift128],
};

/**
 * ONNX's integer ops (MatMulInteger, ConvInteger): matmulInteger and convInteger, int8 operands
 * (uint8 ones are moved by 128 at import) with zero points, int32 outputs. A set of its own so
 * that an int8 MLP's bundle (`int8Ops`) does not carry them.
 * @example
 * Object.keys(integerOps).sort(); // ["convInteger", "matmulInteger"]
 */
export const integerOps: OpSet = {
  convInteger: [2, 4, convInteger],
  matmulInteger: [2, 4, matmulInteger],
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
  sum: [1, 2, /* @__PURE__ */ reduce("sum")],
  mean: [1, 2, /* @__PURE__ */ reduce("mean")],
  max: [1, 2, /* @__PURE__ */ reduce("max")],
  min: [1, 2, /* @__PURE__ */ reduce("min")],
  concat: [1, 1024, concat],
  transpose: [1, 1, transpose],
};

/**
 * The WebAssembly SIMD kernels (they replace the TypeScript ones): gemm and qlinearGemm pack their
 * constant weights into the wasm memory once at load and run the SIMD micro-kernels (float32, and
 * int8 with int32 accumulation, requantized exactly as the TypeScript kernel does), batch 1
 * included. Where WebAssembly SIMD is missing (or compiling is forbidden and
 * no prebuilt module was provided) the same ops run the TypeScript kernels. Runs stay
 * allocation-free (the steady-state allocation test covers batch 1 and 64).
 * @example
 * Object.keys(simdOps); // ["gemm", "qlinearGemm"]
 */
export const simdOps: OpSet = {
  gemm: [
    2,
    3,
    /* @__PURE__ */ gemmOp<PackedF32>({
      pack: packF32Weights,
      run: gemmWasmPackedB,
      release: releaseWeights,
    }),
  ],
  qlinearGemm: [
    2,
    3,
    /* @__PURE__ */ qlinearGemmOp<PackedI8>({
      pack: (w, wOff, n, k, ldw) => packI8Weights(w, wOff, ldw, n, k),
      run: gemmI8WasmPacked,
      release: releaseWeights,
    }),
  ],
};

/**
 * Every op set of this entry, for a session that should run any model file, fast.
 * @example
 * allOps.length; // 7
 */
export const allOps: readonly OpSet[] = [
  activationOps,
  convOps,
  int8Ops,
  integerOps,
  recurrentOps,
  tensorOps,
  simdOps,
];
