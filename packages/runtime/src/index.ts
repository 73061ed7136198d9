export type { AttrValue, Graph, GraphNode, Initializer, QuantParams, ValueInfo } from "./graph.js";
