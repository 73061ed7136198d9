export { noGrad } from "@edgenn/tensor";
export { type CheckGradOptions, type CheckGradResult, checkGrad } from "./check-grad.js";
export { sumToShape, Tape } from "./tape.js";
export { grad, valueAndGrad } from "./value-and-grad.js";
