/**
 * edgenn: a pure-TypeScript neural-network library for the edge. This umbrella package re-exports
 * every package: tensors and ops, autograd, the `nn` and `optim` namespaces (plus `fit`, `evaluate`
 * and `predict` at the top level), and the deployable runtime (`saveModel`, `loadModel`, `fromOnnx`).
 * Import from here, or from `@edgenn/*` for a smaller set.
 * @packageDocumentation
 */
export * from "@edgenn/autograd";
export * as nn from "@edgenn/nn";
export { evaluate, fit, predict, toGraph } from "@edgenn/nn";
export * as optim from "@edgenn/optim";
export {
  type QuantizationReport,
  type QuantizationReportOptions,
  QuantizedModel,
  type QuantizeOptions,
  quantizationReport,
  quantize,
  quantizeGraph,
} from "@edgenn/quant";
export {
  decodeModel,
  type Graph,
  type GraphNode,
  type InputData,
  type OpSet,
  Output,
  type OutputMap,
  Session,
  type SessionOptions,
} from "@edgenn/runtime";
export { fromOnnx } from "@edgenn/runtime/onnx";
export * from "@edgenn/tensor";
export { loadModel, type SaveModelOptions, saveModel } from "./deploy.js";
