export { Adam, type AdamOptions } from "./adam.js";
export { AdamW, type AdamWOptions } from "./adamw.js";
export { clipGradNorm } from "./clip-grad-norm.js";
export {
  Optimizer,
  type OptimizerOptions,
  type OptimizerState,
  type Schedule,
} from "./optimizer.js";
export { RMSprop, type RMSpropOptions } from "./rmsprop.js";
export { cosineLR, exponentialLR, stepLR, warmup } from "./schedules.js";
export { SGD, type SGDOptions } from "./sgd.js";
