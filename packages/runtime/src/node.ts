/// <reference types="node" />
/*
 * Node-only file I/O for model files (the rest of the runtime never imports Node built-ins).
 * Saving writes a temporary file in the target's directory, fsyncs it, then renames it over the
 * target: a crash leaves the old file or the new one, never half of one.
 */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
// the package's own entry (external in the build), so this entry shares the core's Session class
import {
  encodeModel,
  type Graph,
  loadModel,
  type Session,
  type SessionOptions,
} from "@edgenn/runtime";
import { allOps } from "@edgenn/runtime/ops";

/**
 * Writes a model file atomically: to `.<name>.<random>.tmp` beside `path`, fsynced, then renamed
 * onto `path` (and the directory fsynced where the platform allows it).
 * @param path - the model file to create or replace
 * @param model - a graph (encoded with `encodeModel`) or a model file's bytes
 * @returns nothing; `path` holds the complete file
 * @throws ModelFormatError for an inconsistent graph (before any file is touched); Node's file
 *   errors (the temporary file is removed)
 * @example
 * const g = { inputs: [{ name: "x", dtype: "float32", shape: [1] }], outputs: [{ name: "y", dtype: "float32", shape: [1] }], nodes: [{ op: "relu", inputs: ["x"], outputs: ["y"], attrs: {} }], initializers: [] };
 * saveModelFile(`${tmp}/relu.enn`, g);
 * loadModelFile(`${tmp}/relu.enn`).run(new Float32Array([-2])).data[0]; // 0
 */
export function saveModelFile(path: string, model: Graph | Uint8Array): void {
  writeFileAtomic(path, model instanceof Uint8Array ? model : encodeModel(model));
}

/**
 * Writes `bytes` to `path` atomically: to `.<name>.<random>.tmp` beside `path`, fsynced, renamed
 * onto `path`, then the directory fsynced where the platform allows it (model files here,
 * `@edgenn/nn/node`'s checkpoints). A crash leaves the old file or the new one, never half of one.
 * @param path - the file to create or replace
 * @param bytes - its contents
 * @returns nothing; `path` holds the complete file
 * @throws Node's file errors (the temporary file is removed)
 * @example
 * const g = { inputs: [{ name: "x", dtype: "float32", shape: [3] }], outputs: [{ name: "y", dtype: "float32", shape: [3] }], nodes: [{ op: "identity", inputs: ["x"], outputs: ["y"], attrs: {} }], initializers: [] };
 * writeFileAtomic(`${tmp}/copy.enn`, saveModel(g));
 * loadModelFile(`${tmp}/copy.enn`).outputs[0].shape; // [3]
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const fd = openSync(tmp, "wx", 0o644);
  try {
    try {
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // already renamed or never created
    }
    throw e;
  }
  try {
    // persist the rename itself; directories cannot be opened for fsync on Windows
    const dir = openSync(dirname(path), "r");
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch {
    // best effort
  }
}

/**
 * Reads a model file and loads it (`loadModel`).
 * @param path - the model file
 * @param options - `maxBytes`, `batchSize` as for `loadModel` (every op set of `@edgenn/runtime/ops`
 *   is included: on a gateway the bundle size does not matter)
 * @returns a session ready to `run`
 * @throws ModelFormatError for a malformed file, OutOfMemoryError over `maxBytes`, Node's file errors
 * @example
 * saveModelFile(`${tmp}/id.enn`, { inputs: [{ name: "x", dtype: "float32", shape: [2] }], outputs: [{ name: "y", dtype: "float32", shape: [2] }], nodes: [{ op: "identity", inputs: ["x"], outputs: ["y"], attrs: {} }], initializers: [] });
 * loadModelFile(`${tmp}/id.enn`).outputs[0].shape; // [2]
 */
export function loadModelFile(path: string, options: SessionOptions = {}): Session {
  return loadModel(readFileSync(path), { ...options, ops: [...allOps, ...(options.ops ?? [])] });
}
