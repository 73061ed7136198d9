export { GELU, type GELUOptions, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh } from "./activations.js";
export { BatchNorm1d, BatchNorm2d, type BatchNormLayerOptions } from "./batch-norm.js";
export { type CheckpointInfo, type CheckpointOptions, checkpointInfo } from "./checkpoint.js";
export { Conv2d, type Conv2dLayerOptions } from "./conv2d.js";
export { Dropout, type DropoutLayerOptions } from "./dropout.js";
export { exportModel, type ToGraphOptions, toGraph } from "./export.js";
export {
  type ConvertQatResult,
  convertQat,
  FakeQuantize,
  type FakeQuantizeLayerOptions,
  type FakeQuantizeOptions,
  fakeQuantize,
  fakeQuantizeWeight,
  type PrepareQatOptions,
  prepareQat,
  QatConv2d,
  QatLinear,
  QatOutput,
  QatSequential,
} from "./fake-quant.js";
export { Flatten } from "./flatten.js";
export { GRU, type GRUOptions } from "./gru.js";
export { type Initializer, type InitName, type InitOptions, init } from "./init.js";
export { LayerNorm, type LayerNormLayerOptions } from "./layer-norm.js";
export { Linear, type LinearOptions } from "./linear.js";
export {
  type BinaryCrossEntropyOptions,
  binaryCrossEntropy,
  type CrossEntropyOptions,
  crossEntropy,
  type HuberOptions,
  huber,
  type LossOptions,
  mse,
  type Reduction,
} from "./losses.js";
export { accuracy } from "./metrics.js";
export { Module, type StateDict } from "./module.js";
export {
  AvgPool2d,
  type AvgPool2dLayerOptions,
  GlobalAvgPool2d,
  MaxPool2d,
  type MaxPool2dLayerOptions,
} from "./pooling.js";
export { Sequential } from "./sequential.js";
export {
  type AbortSignalLike,
  type Dataset,
  type EarlyStoppingOptions,
  type EpochLogs,
  type EvaluateOptions,
  type EvaluateResult,
  evaluate,
  type FitOptimizer,
  type FitOptions,
  type FitProgress,
  fit,
  type History,
  type LossFn,
  type PredictOptions,
  predict,
  type StopReason,
} from "./train.js";
