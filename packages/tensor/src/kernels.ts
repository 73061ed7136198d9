/**
 * The CPU kernels as plain functions over typed arrays, importable without `Tensor`:
 * `import { gemm } from '@edgenn/tensor/kernels'`.
 * @packageDocumentation
 */

export {
  type Conv2dDims,
  col2im,
  conv2d,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  im2col,
} from "./kernels/conv.js";
export {
  type ArrayView,
  binary,
  cast,
  copy,
  roundHalfEven,
  sigmoid,
  softplus,
  unary,
  where,
} from "./kernels/elementwise.js";
export { gather, scatterAdd } from "./kernels/gather.js";
export { gemm } from "./kernels/gemm.js";
export {
  type AddQ8Plan,
  addQ8,
  avgPool2dQ8,
  type Conv2dQ8Plan,
  conv2dQ8,
  INT8_MAX_K,
  type Int8Requant,
  type LinearQ8Plan,
  linearQ8,
  linearQ8Int32,
  maxPool2dQ8,
  multiplyByQuantizedMultiplier,
  type Pool2dQ8Plan,
  prepareAddQ8,
  prepareConv2dQ8,
  prepareLinearQ8,
  preparePool2dQ8,
  prepareRequantQ8,
  quantizeMultiplier,
  type RequantQ8Plan,
  type RequantTable,
  requantizeQ8,
  roundingDivideByPOT,
  saturatingRoundingDoublingHighMul,
  symmetricWeightScale,
} from "./kernels/int8.js";
export { cosPi, erf, exp, expm1, log, log1p, pow, sinPi, tanh } from "./kernels/math.js";
export {
  avgPool2d,
  avgPool2dBackward,
  maxPool2d,
  maxPool2dBackward,
  type Pool2dDims,
} from "./kernels/pool.js";
export { reduce } from "./kernels/reduce.js";
export { coalesce, forEachRow, type RowFn } from "./kernels/strided.js";
export {
  capabilities,
  conv2dWasm,
  gemmI8Wasm,
  gemmI8WasmPacked,
  gemmWasm,
  gemmWasmPackedB,
  type KernelSet,
  type PackedF32,
  type PackedI8,
  packF32Weights,
  packI8Weights,
  provideWasmModules,
  releaseWeights,
  setKernelSet,
  type WasmCapabilities,
  wasmMemoryBytes,
} from "./wasm/index.js";
