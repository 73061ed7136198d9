/**
 * int8 quantization for edgenn. The reference quantizer (`reference.ts`) is the spec that every
 * int8 kernel in `@edgenn/tensor/kernels` matches bit for bit.
 * @packageDocumentation
 */

export {
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  type MovingAverageOptions,
  type Observer,
  PercentileObserver,
  type PercentileOptions,
} from "./observers.js";
export {
  QuantizedModel,
  type QuantizedPredictOptions,
  type QuantizeOptions,
  quantize,
  type SampleTensor,
} from "./quantize.js";
export {
  type CalibrationTensor,
  type ObserverChoice,
  type QuantizeGraphOptions,
  quantizeGraph,
} from "./quantize-graph.js";
export {
  type AddParams,
  activationRange,
  chooseQuantParams,
  dequantizeTensor,
  dequantizeValue,
  dequantizeWeightsPerChannel,
  multiplyByQuantizedMultiplier,
  type QuantActivation,
  type QuantizedMultiplier,
  type QuantParams,
  quantizeBias,
  quantizedAddParams,
  quantizeMultiplier,
  quantizeTensor,
  quantizeValue,
  quantizeWeightsPerChannel,
  type RequantParams,
  referenceAdd,
  referenceAvgPool2d,
  referenceConv2d,
  referenceLinear,
  referenceLinearAcc,
  referenceMaxPool2d,
  requantize,
  requantMultipliers,
  roundHalfToEven,
  roundingDivideByPOT,
  saturatingRoundingDoublingHighMul,
  wrapInt32,
} from "./reference.js";
export {
  type LayerSqnr,
  type ModelFigures,
  type QuantizationReport,
  type QuantizationReportOptions,
  quantizationReport,
} from "./report.js";
