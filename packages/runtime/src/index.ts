export { decodeModel, encodeModel, FORMAT_VERSION } from "./format.js";
export type { AttrValue, Graph, GraphNode, Initializer, QuantParams, ValueInfo } from "./graph.js";
export type { OpSet } from "./ops.js";
export { type PlanBuffer, planArena } from "./planner.js";
export {
  createSession,
  type InputData,
  loadModel,
  Output,
  type OutputMap,
  Session,
  type SessionOptions,
  saveModel,
} from "./session.js";
