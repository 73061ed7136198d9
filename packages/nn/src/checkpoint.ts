/*
 * Training checkpoints: everything `fit` needs to continue a run bit-identically, in one versioned,
 * checksummed binary file. Layout (all integers little-endian):
 *
 *   0        8 bytes   magic "ENNCKPT\0"
 *   8        u32       format version (1)
 *   12       u32       header length H
 *   16       H bytes   header: UTF-8 JSON (positions, RNG states, history, tensor table)
 *   16+H     0–3 bytes zero padding to a multiple of 4
 *   P        payload   raw tensor data, each tensor at a 4-byte aligned offset from P
 *   end−4    u32       CRC-32 (IEEE) of every byte before it
 *
 * Decoding checks the magic, version, lengths, checksum and every header field before anything is
 * used, so a truncated or corrupt file is a `ModelFormatError`, never a silently wrong resume.
 * Non-finite numbers in the header (NaN losses of all-skipped epochs, an RNG's empty spare) are
 * written as the strings "NaN", "Infinity", "-Infinity".
 */
import {
  ArgumentError,
  bytesPerElement,
  type DataArray,
  type DType,
  isDType,
  ModelFormatError,
} from "@edgenn/tensor";
import type { EpochLogs } from "./train.js";

/** Where `fit` sends checkpoints, and how often (see `FitOptions.checkpoint`). */
export interface CheckpointOptions {
  /**
   * Stores one checkpoint's bytes (called with a new array each time; `fit` awaits it before the
   * next step). Must replace the previous checkpoint atomically, as `fileCheckpoint` does.
   */
  save(bytes: Uint8Array): void | Promise<void>;
  /**
   * A number: save after every that many steps (counted over the whole run, skipped steps
   * included); `{ epochs: k }`: save after every k-th epoch. Default `{ epochs: 1 }`.
   */
  every?: number | { readonly epochs: number } | undefined;
}

/** What a checkpoint says about the run it was taken from (`checkpointInfo`). */
export interface CheckpointInfo {
  /** The format version. */
  readonly version: number;
  /** The epoch in progress, counting from 1 (`step` of its steps are done). */
  readonly epoch: number;
  /** Steps done in `epoch`, 0 … `stepsPerEpoch`. */
  readonly step: number;
  readonly stepsPerEpoch: number;
  /** Steps done over the whole run: `(epoch − 1) · stepsPerEpoch + step`. */
  readonly globalStep: number;
  /** The optimizer that wrote its state, e.g. `"Adam"`, and its step count. */
  readonly optimizer: string;
  readonly optimizerSteps: number;
  /** The completed epochs' logs. */
  readonly epochs: readonly EpochLogs[];
  readonly skippedSteps: number;
}

/** One tensor of a checkpoint: its name, dtype, shape and data (a new typed array). */
export interface CheckpointTensor {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: DataArray;
}

/** The early-stopping bookkeeping a checkpoint keeps. */
export interface StopperState {
  readonly best: number | null;
  readonly bestEpoch: number | null;
  readonly wait: number;
}

/** The running sums of the epoch in progress. */
export interface EpochAccumulators {
  readonly lossSum: number;
  readonly counted: number;
  readonly correct: number;
  readonly positions: number;
  readonly lr: number;
  readonly trainMs: number;
}

/** Everything in a checkpoint (internal to `fit`; `checkpointInfo` is the public view). */
export interface CheckpointState {
  readonly epoch: number;
  readonly step: number;
  readonly stepsPerEpoch: number;
  readonly samples: number;
  readonly batchSize: number;
  readonly shuffle: boolean;
  /** The shuffling generator's state at the start of `epoch`, before its shuffle. */
  readonly rng: readonly number[];
  /** The global generator's state when the checkpoint was taken (unseeded Dropout draws from it). */
  readonly globalRng: readonly number[];
  readonly accumulators: EpochAccumulators;
  readonly trainSeconds: number;
  readonly samplesSeen: number;
  readonly epochs: readonly EpochLogs[];
  readonly skippedSteps: number;
  readonly stopper: StopperState | null;
  readonly optimizer: {
    readonly kind: string;
    readonly stepCount: number;
    /** Buffer name → one float32 array per parameter. */
    readonly buffers: Readonly<Record<string, readonly Float32Array[]>>;
  };
  /** The model's parameters and buffers (`stateDict` order). */
  readonly model: readonly CheckpointTensor[];
  /** The early-stopping snapshot of the best weights, when one was taken. */
  readonly best: readonly CheckpointTensor[] | null;
}

const MAGIC = [0x45, 0x4e, 0x4e, 0x43, 0x4b, 0x50, 0x54, 0x00]; // "ENNCKPT\0"
/** The format version `encodeCheckpoint` writes and `decodeCheckpoint` reads. */
export const CHECKPOINT_VERSION = 1;
const FIXED = 16;
// host APIs outside ES2022 that every target runtime (browsers, Node, Deno, Bun) has
const text = globalThis as unknown as {
  TextEncoder: new () => { encode(s: string): Uint8Array };
  TextDecoder: new (label: string, o: { fatal: boolean }) => { decode(b: Uint8Array): string };
};
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------------------------
// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), table driven

let crcTable: Uint32Array | null = null;

function crc32(bytes: Uint8Array, end: number): number {
  if (crcTable === null) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  const table = crcTable;
  let c = 0xffffffff;
  for (let i = 0; i < end; i++) c = table[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Encoding

interface TensorEntry {
  name: string;
  dtype: DType;
  shape: number[];
  offset: number;
  length: number;
}

const replacer = (_k: string, v: unknown): unknown =>
  typeof v === "number" && !Number.isFinite(v) ? String(v) : v;

/** The bytes of `a` in little-endian order (a view when the platform is little-endian). */
function leBytes(a: DataArray): Uint8Array {
  const raw = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (LITTLE_ENDIAN || a.BYTES_PER_ELEMENT === 1) return raw;
  const out = new Uint8Array(raw.length);
  const w = a.BYTES_PER_ELEMENT;
  for (let i = 0; i < raw.length; i += w)
    for (let k = 0; k < w; k++) out[i + k] = raw[i + w - 1 - k]!;
  return out;
}

/**
 * Serialises a training state into the checkpoint format (layout in this file's header).
 * @param state - the state `fit` collected
 * @returns a new byte array the caller owns
 * @throws {ArgumentError} if a tensor's data does not match its dtype and shape
 */
export function encodeCheckpoint(state: CheckpointState): Uint8Array {
  const entries: TensorEntry[] = [];
  const blobs: Uint8Array[] = [];
  let payload = 0;
  const addBlob = (name: string, dtype: DType, shape: readonly number[], data: DataArray): void => {
    const size = shape.reduce((a, b) => a * b, 1);
    if (data.length !== size) {
      throw new ArgumentError(
        `encodeCheckpoint: tensor '${name}' holds ${data.length} values (expected ${size} for shape [${shape.join(",")}])`,
      );
    }
    const bytes = leBytes(data);
    entries.push({ name, dtype, shape: [...shape], offset: payload, length: bytes.length });
    blobs.push(bytes);
    payload += (bytes.length + 3) & ~3;
  };
  for (const t of state.model) addBlob(`model/${t.name}`, t.dtype, t.shape, t.data);
  for (const t of state.best ?? []) addBlob(`best/${t.name}`, t.dtype, t.shape, t.data);
  const bufferNames = Object.keys(state.optimizer.buffers);
  for (const name of bufferNames) {
    state.optimizer.buffers[name]!.forEach((b, i) => {
      addBlob(`optimizer/${name}/${i}`, "float32", [b.length], b);
    });
  }
  const header = {
    epoch: state.epoch,
    step: state.step,
    stepsPerEpoch: state.stepsPerEpoch,
    samples: state.samples,
    batchSize: state.batchSize,
    shuffle: state.shuffle,
    rng: state.rng,
    globalRng: state.globalRng,
    accumulators: state.accumulators,
    trainSeconds: state.trainSeconds,
    samplesSeen: state.samplesSeen,
    epochs: state.epochs,
    skippedSteps: state.skippedSteps,
    stopper: state.stopper,
    optimizer: {
      kind: state.optimizer.kind,
      stepCount: state.optimizer.stepCount,
      buffers: bufferNames,
      params: bufferNames.length > 0 ? state.optimizer.buffers[bufferNames[0]!]!.length : 0,
    },
    hasBest: state.best !== null,
    tensors: entries,
    payloadBytes: payload,
  };
  const json = new text.TextEncoder().encode(JSON.stringify(header, replacer));
  const payloadStart = (FIXED + json.length + 3) & ~3;
  const out = new Uint8Array(payloadStart + payload + 4);
  out.set(MAGIC, 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, CHECKPOINT_VERSION, true);
  view.setUint32(12, json.length, true);
  out.set(json, FIXED);
  entries.forEach((e, i) => {
    out.set(blobs[i]!, payloadStart + e.offset);
  });
  view.setUint32(out.length - 4, crc32(out, out.length - 4), true);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decoding: every field is checked before it is used

const OP = "decodeCheckpoint";

function bad(what: string): never {
  throw new ModelFormatError(`${OP}: ${what}`);
}

const reviver = (_k: string, v: unknown): unknown =>
  v === "NaN" ? Number.NaN : v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : v;

type Obj = Record<string, unknown>;

function obj(v: unknown, name: string): Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    bad(`${name} must be an object (got ${v === null ? "null" : typeof v})`);
  }
  return v as Obj;
}

function num(v: unknown, name: string, { integer = false, min = -Infinity, finite = true } = {}) {
  if (
    typeof v !== "number" ||
    (finite && !Number.isFinite(v)) ||
    (integer && !Number.isSafeInteger(v)) ||
    v < min
  ) {
    bad(
      `${name} must be ${integer ? "an integer" : "a number"}${min > -Infinity ? ` ≥ ${min}` : ""} (got ${JSON.stringify(v) ?? typeof v})`,
    );
  }
  return v;
}

function rngState(v: unknown, name: string): number[] {
  if (!Array.isArray(v) || v.length !== 5) bad(`${name} must hold 5 numbers`);
  v.slice(0, 4).forEach((w, i) => {
    num(w, `${name}[${i}]`, { integer: true, min: 0 });
    if (w > 0xffffffff) bad(`${name}[${i}] must be a 32-bit word (got ${w})`);
  });
  if (typeof v[4] !== "number" || !(Number.isNaN(v[4]) || Number.isFinite(v[4]))) {
    bad(`${name}[4] must be a number or NaN`);
  }
  if (v.slice(0, 4).every((w) => w === 0)) bad(`${name} is all zeros (not a generator state)`);
  return v as number[];
}

function epochLogs(v: unknown, i: number): EpochLogs {
  const o = obj(v, `epochs[${i}]`);
  const out: Record<string, number> = {};
  for (const k of ["epoch", "loss", "lr", "samplesPerSecond", "seconds"]) {
    out[k] = num(o[k], `epochs[${i}].${k}`, { finite: false });
  }
  for (const k of ["accuracy", "valLoss", "valAccuracy"]) {
    if (o[k] !== undefined) out[k] = num(o[k], `epochs[${i}].${k}`, { finite: false });
  }
  for (const k of Object.keys(o)) if (!(k in out)) bad(`epochs[${i}] has an unknown field '${k}'`);
  if (out.epoch !== i + 1) bad(`epochs[${i}].epoch must be ${i + 1} (got ${out.epoch})`);
  return out as unknown as EpochLogs;
}

/**
 * Parses and validates checkpoint bytes (layout in this file's header).
 * @param bytes - a checkpoint, as `encodeCheckpoint` wrote it
 * @param op - the public function to name in errors (`fit`, `readCheckpoint`, …)
 * @returns the decoded state; its typed arrays are new and owned by the caller
 * @throws {ModelFormatError} for anything but a complete, intact checkpoint of a known version
 * @throws {ArgumentError} when `bytes` is not a Uint8Array
 */
export function decodeCheckpoint(bytes: Uint8Array, op = OP): CheckpointState {
  if (!(bytes instanceof Uint8Array)) {
    throw new ArgumentError(`${op}: checkpoint bytes must be a Uint8Array (got ${typeof bytes})`);
  }
  try {
    return decodeChecked(bytes);
  } catch (e) {
    if (op === OP || !(e instanceof ModelFormatError)) throw e;
    throw new ModelFormatError(`${op}: unusable checkpoint: ${e.message.slice(OP.length + 2)}`);
  }
}

function decodeChecked(bytes: Uint8Array): CheckpointState {
  if (bytes.length < FIXED + 4)
    bad(`file is truncated (expected at least ${FIXED + 4} bytes, got ${bytes.length})`);
  if (!MAGIC.every((b, i) => bytes[i] === b)) bad("not a checkpoint (bad magic bytes)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== CHECKPOINT_VERSION) {
    bad(`unsupported version (expected ${CHECKPOINT_VERSION}, got ${version})`);
  }
  const headerLength = view.getUint32(12, true);
  if (FIXED + headerLength + 4 > bytes.length) {
    bad(`file is truncated (header of ${headerLength} bytes, file of ${bytes.length})`);
  }
  const stored = view.getUint32(bytes.length - 4, true);
  const actual = crc32(bytes, bytes.length - 4);
  if (stored !== actual) {
    bad(
      `checksum mismatch (file is corrupt or truncated: expected CRC-32 ${stored}, got ${actual})`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(
      new text.TextDecoder("utf-8", { fatal: true }).decode(
        bytes.subarray(FIXED, FIXED + headerLength),
      ),
      reviver,
    );
  } catch (e) {
    bad(`header is not valid JSON (${(e as Error).message})`);
  }
  const h = obj(parsed, "header");
  const payloadStart = (FIXED + headerLength + 3) & ~3;
  const payloadBytes = num(h.payloadBytes, "payloadBytes", { integer: true, min: 0 });
  if (payloadStart + payloadBytes + 4 !== bytes.length) {
    bad(`length mismatch (expected ${payloadStart + payloadBytes + 4} bytes, got ${bytes.length})`);
  }

  const epoch = num(h.epoch, "epoch", { integer: true, min: 1 });
  const stepsPerEpoch = num(h.stepsPerEpoch, "stepsPerEpoch", { integer: true, min: 1 });
  const step = num(h.step, "step", { integer: true, min: 0 });
  if (step > stepsPerEpoch) bad(`step must be ≤ stepsPerEpoch (got ${step} > ${stepsPerEpoch})`);
  const samples = num(h.samples, "samples", { integer: true, min: 1 });
  const batchSize = num(h.batchSize, "batchSize", { integer: true, min: 1 });
  if (Math.ceil(samples / batchSize) !== stepsPerEpoch) {
    bad(
      `stepsPerEpoch ${stepsPerEpoch} does not fit ${samples} samples in batches of ${batchSize}`,
    );
  }
  if (typeof h.shuffle !== "boolean") bad("shuffle must be a boolean");
  const a = obj(h.accumulators, "accumulators");
  const accumulators: EpochAccumulators = {
    lossSum: num(a.lossSum, "accumulators.lossSum"),
    counted: num(a.counted, "accumulators.counted", { integer: true, min: 0 }),
    correct: num(a.correct, "accumulators.correct", { integer: true, min: 0 }),
    positions: num(a.positions, "accumulators.positions", { integer: true, min: 0 }),
    lr: num(a.lr, "accumulators.lr", { min: 0 }),
    trainMs: num(a.trainMs, "accumulators.trainMs", { min: 0 }),
  };
  if (!Array.isArray(h.epochs)) bad("epochs must be an array");
  const epochs = h.epochs.map(epochLogs);
  if (epochs.length !== epoch - 1) {
    bad(`epochs must log the ${epoch - 1} completed epochs (got ${epochs.length})`);
  }
  let stopper: StopperState | null = null;
  if (h.stopper !== null) {
    const s = obj(h.stopper, "stopper");
    stopper = {
      best: s.best === null ? null : num(s.best, "stopper.best", { finite: false }),
      bestEpoch:
        s.bestEpoch === null
          ? null
          : num(s.bestEpoch, "stopper.bestEpoch", { integer: true, min: 1 }),
      wait: num(s.wait, "stopper.wait", { integer: true, min: 0 }),
    };
  }

  const o = obj(h.optimizer, "optimizer");
  if (typeof o.kind !== "string") bad("optimizer.kind must be a string");
  const stepCount = num(o.stepCount, "optimizer.stepCount", { integer: true, min: 0 });
  const paramCount = num(o.params, "optimizer.params", { integer: true, min: 0 });
  if (
    !Array.isArray(o.buffers) ||
    o.buffers.some((b) => typeof b !== "string" || b.includes("/"))
  ) {
    bad("optimizer.buffers must be an array of names");
  }
  const bufferNames = o.buffers as string[];
  if (new Set(bufferNames).size !== bufferNames.length) bad("optimizer.buffers repeats a name");
  if (typeof h.hasBest !== "boolean") bad("hasBest must be a boolean");

  // the tensor table: names unique, extents inside the payload, no overlaps
  if (!Array.isArray(h.tensors)) bad("tensors must be an array");
  const seen = new Set<string>();
  const model: CheckpointTensor[] = [];
  const best: CheckpointTensor[] = [];
  const optim = new Map<string, Float32Array>();
  let end = 0;
  h.tensors.forEach((raw, i) => {
    const e = obj(raw, `tensors[${i}]`);
    const name = e.name;
    if (typeof name !== "string" || name === "") bad(`tensors[${i}].name must be a string`);
    if (seen.has(name)) bad(`tensor '${name}' appears twice`);
    seen.add(name);
    if (typeof e.dtype !== "string" || !isDType(e.dtype))
      bad(`tensor '${name}' has an unknown dtype`);
    const dtype = e.dtype as DType;
    if (!Array.isArray(e.shape) || e.shape.length > 8) bad(`tensor '${name}' has a bad shape`);
    const shape = e.shape.map((d, k) =>
      num(d, `tensor '${name}' shape[${k}]`, { integer: true, min: 0 }),
    );
    const size = shape.reduce((p, d) => p * d, 1);
    const offset = num(e.offset, `tensor '${name}' offset`, { integer: true, min: 0 });
    const length = num(e.length, `tensor '${name}' length`, { integer: true, min: 0 });
    if (length !== size * bytesPerElement(dtype)) {
      bad(`tensor '${name}' length ${length} does not match ${dtype} [${shape.join(",")}]`);
    }
    if (offset < end || offset % 4 !== 0 || offset + length > payloadBytes) {
      bad(
        `tensor '${name}' lies outside the payload or overlaps another (offset ${offset}, length ${length})`,
      );
    }
    end = offset + length;
    const data = readArray(bytes, payloadStart + offset, dtype, size);
    const [kind, ...rest] = name.split("/");
    const key = rest.join("/");
    if (kind === "model" && key !== "") model.push({ name: key, dtype, shape, data });
    else if (kind === "best" && key !== "") best.push({ name: key, dtype, shape, data });
    else if (kind === "optimizer" && dtype === "float32" && shape.length === 1) {
      optim.set(key, data as Float32Array);
    } else bad(`tensor '${name}' is not a model, best or optimizer tensor`);
  });
  const buffers: Record<string, Float32Array[]> = {};
  for (const b of bufferNames) {
    buffers[b] = [];
    for (let i = 0; i < paramCount; i++) {
      const t = optim.get(`${b}/${i}`);
      if (t === undefined) bad(`optimizer buffer '${b}' of parameter ${i} is missing`);
      buffers[b].push(t);
      optim.delete(`${b}/${i}`);
    }
  }
  if (optim.size > 0) bad(`unexpected optimizer tensors [${[...optim.keys()].join(", ")}]`);
  if (!h.hasBest && best.length > 0) bad("best-weight tensors without hasBest");

  return {
    epoch,
    step,
    stepsPerEpoch,
    samples,
    batchSize,
    shuffle: h.shuffle,
    rng: rngState(h.rng, "rng"),
    globalRng: rngState(h.globalRng, "globalRng"),
    accumulators,
    trainSeconds: num(h.trainSeconds, "trainSeconds", { min: 0 }),
    samplesSeen: num(h.samplesSeen, "samplesSeen", { integer: true, min: 0 }),
    epochs,
    skippedSteps: num(h.skippedSteps, "skippedSteps", { integer: true, min: 0 }),
    stopper,
    optimizer: { kind: o.kind, stepCount, buffers },
    model,
    best: h.hasBest ? best : null,
  };
}

const ARRAYS = {
  float32: Float32Array,
  int32: Int32Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
} as const;

/** A new typed array of `size` elements of `dtype` read little-endian from `bytes` at `at`. */
function readArray(bytes: Uint8Array, at: number, dtype: DType, size: number): DataArray {
  const Ctor = ARRAYS[dtype];
  const out = new Ctor(size);
  const dst = new Uint8Array(out.buffer);
  dst.set(bytes.subarray(at, at + dst.length));
  if (!LITTLE_ENDIAN && out.BYTES_PER_ELEMENT > 1) {
    const w = out.BYTES_PER_ELEMENT;
    for (let i = 0; i < dst.length; i += w) dst.subarray(i, i + w).reverse();
  }
  return out;
}

/**
 * What a checkpoint holds, read without loading it: `epoch`, `step` (done in that epoch),
 * `globalStep = (epoch − 1)·stepsPerEpoch + step`, the optimizer and its step count, and the logs
 * of the completed epochs. The whole file is validated first.
 * @param bytes - a checkpoint's bytes (e.g. `readCheckpoint(path)`)
 * @returns a plain object the caller owns
 * @throws {ModelFormatError} for a truncated, corrupt or unknown-version checkpoint
 * @example
 * const saved = [];
 * const model = new Linear(1, 1, { seed: 1 });
 * const data = { x: tensor([[1], [2], [3]]), y: tensor([[2], [4], [6]]) };
 * const optimizer = new SGD(model.parameters(), { lr: 0.01 });
 * const checkpoint = { save: (bytes) => saved.push(bytes), every: 2 };
 * await fit(model, data, { epochs: 2, batchSize: 2, loss: mse, optimizer, checkpoint });
 * saved.map((b) => checkpointInfo(b).globalStep); // [2, 4]
 * checkpointInfo(saved[0]).epoch; // 1
 */
export function checkpointInfo(bytes: Uint8Array): CheckpointInfo {
  const s = decodeCheckpoint(bytes, "checkpointInfo");
  return {
    version: CHECKPOINT_VERSION,
    epoch: s.epoch,
    step: s.step,
    stepsPerEpoch: s.stepsPerEpoch,
    globalStep: (s.epoch - 1) * s.stepsPerEpoch + s.step,
    optimizer: s.optimizer.kind,
    optimizerSteps: s.optimizer.stepCount,
    epochs: s.epochs,
    skippedSteps: s.skippedSteps,
  };
}

/**
 * Checks `CheckpointOptions` and returns the save interval.
 * @throws {ArgumentError} naming `fit` for a missing `save` or a bad `every`
 */
export function checkCheckpointOptions(c: unknown): { steps: number } | { epochs: number } {
  if (typeof c !== "object" || c === null || typeof (c as CheckpointOptions).save !== "function") {
    throw new ArgumentError(
      "fit: checkpoint must be { save(bytes), every? } (e.g. fileCheckpoint(path) from @edgenn/nn/node)",
    );
  }
  const every = (c as CheckpointOptions).every ?? { epochs: 1 };
  const positive = (v: unknown): v is number =>
    typeof v === "number" && Number.isSafeInteger(v) && v >= 1;
  if (positive(every)) return { steps: every };
  if (
    typeof every === "object" &&
    every !== null &&
    positive((every as { epochs: number }).epochs)
  ) {
    return { epochs: (every as { epochs: number }).epochs };
  }
  throw new ArgumentError(
    `fit: checkpoint.every must be a positive integer (steps) or { epochs: positive integer } (got ${JSON.stringify(every)})`,
  );
}
