import { Linear, Module, Sequential, toGraph } from "@edgenn/nn";
import { QuantizedModel } from "@edgenn/quant";
import {
  encodeModel,
  type Graph,
  loadModel as loadCore,
  type Session,
  type SessionOptions,
} from "@edgenn/runtime";
import { allOps } from "@edgenn/runtime/ops";
import { ArgumentError, EdgeNNError } from "@edgenn/tensor";

/** Options of `saveModel` for an `nn` model. */
export interface SaveModelOptions {
  /**
   * The input's shape, batch first; the batch may be −1 (fixed at load). Optional when the first
   * layer is a `Linear` (then `[-1, inFeatures]`).
   */
  readonly inputShape?: readonly number[];
  readonly inputName?: string;
  readonly outputName?: string;
}

/** What an unexpected argument is, for messages: `null`, `array`, `symbol`, … (never throws). */
function kind(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

function firstLayer(m: Module): Module {
  let cur = m;
  while (cur instanceof Sequential && cur.length > 0) cur = cur.at(0)!;
  return cur;
}

/**
 * The deployable model file of a trained `nn` model (its inference form: BatchNorm folded into the
 * layer before it, Dropout removed), of a `QuantizedModel` (its int8 graph) or of a runtime
 * `Graph`. Load it with `loadModel`.
 * @param model - an `nn.Module` (e.g. `nn.Sequential`), a `QuantizedModel` (from `quantize`) or a
 *   `Graph`
 * @param options - `inputShape` (required unless the model starts with a `Linear`), input/output names
 * @returns the file's bytes (magic `ENN1`), owned by the caller
 * @throws {ArgumentError} for a layer without an inference form, or a missing `inputShape`
 * @example
 * const model = new nn.Sequential(new nn.Linear(4, 3, { seed: 1 }), new nn.ReLU());
 * const session = loadModel(saveModel(model));
 * session.run(new Float32Array(4)).shape; // [1, 3]
 */
export function saveModel(
  model: Module | Graph | QuantizedModel,
  options: SaveModelOptions = {},
): Uint8Array {
  if (model instanceof QuantizedModel) return model.toBytes();
  if (typeof model !== "object" || model === null || Array.isArray(model)) {
    throw new ArgumentError(
      `saveModel: model must be an nn.Module, a QuantizedModel or a Graph (got ${kind(model)})`,
    );
  }
  if (typeof options !== "object" || options === null) {
    throw new ArgumentError(`saveModel: options must be an object (got ${kind(options)})`);
  }
  try {
    return encodeModule(model, options);
  } catch (e) {
    // the error names the step that refused (toGraph, encodeModel); prefix the function called
    if (e instanceof EdgeNNError && !e.message.startsWith("saveModel:")) {
      e.message = `saveModel: ${e.message}`;
    }
    throw e;
  }
}

function encodeModule(model: Module | Graph, options: SaveModelOptions): Uint8Array {
  if (!(model instanceof Module)) return encodeModel(model);
  let inputShape = options.inputShape;
  if (inputShape === undefined) {
    const first = firstLayer(model);
    if (!(first instanceof Linear)) {
      throw new ArgumentError(
        `saveModel: pass { inputShape } (the model starts with a ${first.constructor.name}, whose input size cannot be inferred)`,
      );
    }
    inputShape = [-1, first.inFeatures];
  }
  return encodeModel(toGraph(model, { ...options, inputShape }));
}

/**
 * Loads a model file into a session that runs every op of the runtime: the core float ops and the
 * int8 and recurrent op sets (`@edgenn/runtime`'s own `loadModel` runs the core ops unless given
 * `ops`, which keeps a float-only browser bundle small).
 * @param bytes - the model file (from `saveModel`)
 * @param options - `maxBytes` budget (pass one for untrusted files), `batchSize` for a −1 batch dim
 * @returns a session ready to `run`; it keeps views into `bytes`
 * @throws ModelFormatError for a malformed file (what is wrong and where), OutOfMemoryError
 *   "needed X bytes, available Y" over `maxBytes`, ArgumentError for bad options
 * @example
 * const model = new nn.Sequential(new nn.Linear(2, 1, { seed: 1 }));
 * loadModel(saveModel(model), { batchSize: 4 }).inputs[0].shape; // [4, 2]
 */
export function loadModel(bytes: Uint8Array | ArrayBuffer, options: SessionOptions = {}): Session {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new ArgumentError(`loadModel: options must be an object (got ${kind(options)})`);
  }
  const extra: unknown = options.ops ?? [];
  if (!Array.isArray(extra)) {
    throw new ArgumentError(`loadModel: ops must be an array of op sets (got ${kind(extra)})`);
  }
  return loadCore(bytes, { ...options, ops: [...allOps, ...extra] });
}
