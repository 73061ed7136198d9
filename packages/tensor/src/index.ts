export type {
  Backend,
  BackendMemory,
  BinaryOp,
  Conv2dParams,
  DataId,
  FusedActivation,
  KernelName,
  Pool2dParams,
  ReduceOp,
  TensorInfo,
  UnaryOp,
} from "./backend.js";
export { CpuBackend, type CpuBackendOptions } from "./backends/cpu/cpu-backend.js";
export {
  arange,
  eye,
  full,
  ones,
  onesLike,
  type RandomOptions,
  rand,
  randn,
  scalar,
  type TensorData,
  tensor,
  zeros,
  zerosLike,
} from "./creation.js";
export { bytesPerElement, type DataArray, DTYPES, type DType, isDType } from "./dtype.js";
export {
  backendFor,
  capabilities,
  cpuBackend,
  dispose,
  getBackend,
  isRecording,
  keep,
  type Limits,
  type MemoryInfo,
  memory,
  noGrad,
  type Recorder,
  record,
  setBackend,
  setCpuFallback,
  setLeakReporting,
  setLimits,
  setRecorder,
  type Tree,
  tidy,
  type VJP,
} from "./engine.js";
export {
  ArgumentError,
  DisposedTensorError,
  DTypeError,
  EdgeNNError,
  ModelFormatError,
  NonFiniteError,
  OutOfMemoryError,
  ShapeError,
  UnsupportedOpError,
} from "./errors.js";
export type { TensorLike } from "./op-helpers.js";
export * from "./ops/index.js";
export { globalGenerator, Rng, setSeed } from "./random.js";
export { broadcastShapes, type Shape } from "./shape.js";
export { type NestedArray, Tensor } from "./tensor.js";
