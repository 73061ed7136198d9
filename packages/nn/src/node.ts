/// <reference types="node" />
/*
 * Node-only checkpoint files (`@edgenn/nn/node`; the rest of the package never imports Node
 * built-ins). A save writes `.<name>.<random>.tmp` beside the target, fsyncs it, renames it over the
 * target and fsyncs the directory: a crash at any moment leaves the previous checkpoint or the new
 * one, complete, never a mix. Temporary files a killed process left behind are removed by the next
 * `fileCheckpoint` for the same path.
 */
import { existsSync, readdirSync, readFileSync, unlinkSync } from "node:fs";
import { basename, dirname, join } from "node:path";
// the same atomic write as model files: temporary file, fsync, rename, fsync of the directory
import { writeFileAtomic } from "@edgenn/runtime/node";
import { ArgumentError } from "@edgenn/tensor";
import { type CheckpointOptions, checkpointInfo, decodeCheckpoint } from "./checkpoint.js";

export type { CheckpointInfo, CheckpointOptions } from "./checkpoint.js";
export { checkpointInfo };

/** Options of `fileCheckpoint`. */
export interface FileCheckpointOptions {
  /** Save after every that many steps, or `{ epochs: k }` after every k-th epoch (default `{ epochs: 1 }`). */
  every?: CheckpointOptions["every"];
}

function checkPath(op: string, path: unknown): string {
  if (typeof path !== "string" || path === "") {
    throw new ArgumentError(`${op}: path must be a non-empty string (got ${typeof path})`);
  }
  return path;
}

/** The prefix of `writeFileAtomic`'s temporary files for `path` (`.<name>.<random>.tmp`). */
const tempPrefix = (path: string): string => `.${basename(path)}.`;

/**
 * A `checkpoint` option for `fit` that keeps the latest checkpoint in the file `path`, replaced
 * atomically on each save (temporary file, fsync, rename, fsync of the directory). Leftover temporary files of `path` from a
 * killed process are removed now.
 * @param path - the checkpoint file (its directory must exist)
 * @param options - `every`: steps (a number) or `{ epochs }` (default `{ epochs: 1 }`)
 * @returns `{ save, every }` to pass as `fit(…, { checkpoint })`
 * @throws {ArgumentError} for an empty path
 * @example
 * const path = `${tmp}/run.ckpt`;
 * const model = new Linear(1, 1, { seed: 1 });
 * const data = { x: tensor([[1], [2]]), y: tensor([[2], [4]]) };
 * const options = { epochs: 2, loss: mse, seed: 1, optimizer: new SGD(model.parameters(), { lr: 0.01 }) };
 * await fit(model, data, { ...options, checkpoint: fileCheckpoint(path, { every: 1 }) });
 * checkpointInfo(readCheckpoint(path)).globalStep; // 2
 */
export function fileCheckpoint(
  path: string,
  options: FileCheckpointOptions = {},
): CheckpointOptions {
  checkPath("fileCheckpoint", path);
  const dir = dirname(path);
  const prefix = tempPrefix(path);
  try {
    for (const name of readdirSync(dir)) {
      if (name.startsWith(prefix) && name.endsWith(".tmp")) unlinkSync(join(dir, name));
    }
  } catch {
    // a missing directory fails at the first save, with Node's error
  }
  return {
    save: (bytes: Uint8Array) => writeFileAtomic(path, bytes),
    ...(options?.every !== undefined ? { every: options.every } : {}),
  };
}

/**
 * Reads and validates the checkpoint at `path`, for `fit(…, { resume })`.
 * @param path - a checkpoint file written through `fileCheckpoint`
 * @returns its bytes (a new array the caller owns), or `undefined` when there is no file yet, so
 *   `resume: readCheckpoint(path)` starts a fresh run the first time
 * @throws {ModelFormatError} for a truncated, corrupt or unknown-version checkpoint; Node's file
 *   errors other than a missing file
 * @example
 * readCheckpoint(`${tmp}/none.ckpt`) === undefined; // true
 */
export function readCheckpoint(path: string): Uint8Array | undefined {
  checkPath("readCheckpoint", path);
  if (!existsSync(path)) return undefined;
  const buf = readFileSync(path);
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  decodeCheckpoint(bytes, "readCheckpoint");
  return bytes;
}
