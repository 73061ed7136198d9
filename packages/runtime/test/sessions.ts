// Sessions that run every op set of `@edgenn/runtime/ops`, for tests about planning, running and
// file handling rather than about which ops the core bundles (gru.test.ts covers that).
import {
  createSession as createCore,
  type Graph,
  loadModel as loadCore,
  type Session,
  type SessionOptions,
} from "../src/index.js";
import { allOps } from "../src/op-sets.js";

const withAll = (o: SessionOptions = {}): SessionOptions => ({
  ...o,
  ops: [...allOps, ...(o.ops ?? [])],
});

/** `createSession` with every op set. */
export const createSession = (g: Graph, o?: SessionOptions): Session => createCore(g, withAll(o));

/** `loadModel` with every op set. */
export const loadModel = (b: Uint8Array | ArrayBuffer, o?: SessionOptions): Session =>
  loadCore(b, withAll(o));
