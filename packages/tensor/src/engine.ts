/*
 * The engine: the active backend, tidy scopes, tensor bookkeeping and the recording hook that
 * autograd installs. One module-level state object; nothing is registered at import time.
 */
import type { Backend, BackendMemory, DataId } from "./backend.js";
import { CpuBackend } from "./backends/cpu/cpu-backend.js";
import { bytesPerElement, type DType } from "./dtype.js";
import { ArgumentError, OutOfMemoryError, UnsupportedOpError } from "./errors.js";
import { contiguousStrides, describe, type Shape, sizeOf } from "./shape.js";
import { Tensor } from "./tensor.js";

/** A backend buffer shared by a tensor and its views; freed when the last one is disposed. */
export interface Storage {
  readonly backend: Backend;
  readonly dataId: DataId;
  readonly dtype: DType;
  readonly size: number;
  refs: number;
}

/**
 * Vector-Jacobian product of one recorded op: gradients of the inputs given `dy` (null: none).
 * `needs[i]` says whether input i needs a gradient at all; a rule may skip the others.
 */
export type VJP = (dy: Tensor, needs: readonly boolean[]) => readonly (Tensor | null)[];

/** What autograd installs to see ops as they run. */
export interface Recorder {
  record(op: string, inputs: readonly Tensor[], output: Tensor, vjp: VJP): void;
}

interface Scope {
  readonly tensors: Tensor[];
}

/** Limits checked before any allocation. */
export interface Limits {
  /** Largest single tensor, in bytes (default 2 GiB). */
  maxTensorBytes: number;
}

const state = {
  backends: new Map<string, Backend>(),
  active: null as Backend | null,
  scopes: [] as Scope[],
  recorder: null as Recorder | null,
  paused: 0,
  liveTensors: 0,
  nextId: 1,
  limits: { maxTensorBytes: 2 ** 31 } as Limits,
  cpuFallback: false,
  fallbackLogged: new Set<string>(),
  reportLeaks: false,
};

// ---------------------------------------------------------------------------------------------
// Backends

/** The active backend (the CPU reference backend unless `setBackend` chose another). */
export function getBackend(): Backend {
  if (state.active === null) setBackend(new CpuBackend());
  return state.active!;
}

/**
 * Makes `backend` the one new tensors are created on. Pass a name of a backend set before
 * (`'cpu'` is always available) or a `Backend` object.
 * @throws {ArgumentError} for an unknown name.
 */
export function setBackend(backend: Backend | string): Backend {
  if (typeof backend === "string") {
    if (backend === "cpu" && !state.backends.has("cpu"))
      state.backends.set("cpu", new CpuBackend());
    const found = state.backends.get(backend);
    if (!found) {
      throw new ArgumentError(
        `setBackend: unknown backend (expected one of ${[...state.backends.keys()].join(", ") || "cpu"}, got ${describe(backend)})`,
      );
    }
    state.active = found;
    return found;
  }
  if (typeof backend !== "object" || backend === null || typeof backend.alloc !== "function") {
    throw new ArgumentError(
      `setBackend: expected a Backend or a backend name (got ${describe(backend)})`,
    );
  }
  state.backends.set(backend.name, backend);
  state.active = backend;
  return backend;
}

/** The CPU reference backend (created on first use). */
export function cpuBackend(): Backend {
  let cpu = state.backends.get("cpu");
  if (!cpu) {
    cpu = new CpuBackend();
    state.backends.set("cpu", cpu);
  }
  return cpu;
}

/**
 * Lets ops a backend lacks run on the CPU backend instead of throwing `UnsupportedOpError`.
 * Each fallback is logged once (op, dtype, backend) through `console.warn`.
 */
export function setCpuFallback(enabled: boolean): void {
  state.cpuFallback = enabled;
}

/**
 * The backend that runs `kernel` for `dtype`: the active one if it supports it, the CPU backend
 * if fallback is on, else an `UnsupportedOpError`.
 */
export function backendFor(
  op: string,
  kernel: Parameters<Backend["supports"]>[0],
  dtype: DType,
): Backend {
  const b = getBackend();
  if (b.supports(kernel, dtype)) return b;
  // the CPU kernels read the tensors' buffers directly: only a backend whose buffers are the CPU
  // backend's (a CpuBackend subclass) can fall back; a device backend gets a clear refusal
  if (state.cpuFallback && b.name !== "cpu") {
    if (!(b instanceof CpuBackend)) {
      throw new UnsupportedOpError(
        `${op}: kernel '${kernel}' for dtype ${dtype} is not supported by backend '${b.name}', and CPU fallback cannot reach its device buffers (run this op with setBackend(cpu) around it)`,
      );
    }
    const key = `${kernel}/${dtype}/${b.name}`;
    if (!state.fallbackLogged.has(key)) {
      state.fallbackLogged.add(key);
      console.warn(
        `edgenn: ${op} (${kernel}, ${dtype}) is not supported by backend '${b.name}'; running it on cpu`,
      );
    }
    return cpuBackend();
  }
  throw new UnsupportedOpError(
    `${op}: kernel '${kernel}' for dtype ${dtype} is not supported by backend '${b.name}' (enable setCpuFallback(true) to run it on cpu)`,
  );
}

/** What runs where: the active backend, every backend's kernels per dtype, and its own report. */
export function capabilities(): {
  backend: string;
  cpuFallback: boolean;
  backends: Record<string, Record<string, unknown>>;
} {
  getBackend();
  const backends: Record<string, Record<string, unknown>> = {};
  for (const [name, b] of state.backends) backends[name] = b.describe?.() ?? {};
  return { backend: state.active!.name, cpuFallback: state.cpuFallback, backends };
}

// ---------------------------------------------------------------------------------------------
// Limits

/** Sets allocation limits; returns the limits now in force. */
export function setLimits(limits: Partial<Limits>): Limits {
  if (limits === null || typeof limits !== "object") {
    throw new ArgumentError(`setLimits: limits must be an object (got ${describe(limits)})`);
  }
  if (limits.maxTensorBytes !== undefined) {
    const m = limits.maxTensorBytes;
    if (typeof m !== "number" || !(m > 0)) {
      throw new ArgumentError(
        `setLimits: maxTensorBytes must be a positive number (got ${describe(m)})`,
      );
    }
    state.limits.maxTensorBytes = m;
  }
  return { ...state.limits };
}

/** Throws `OutOfMemoryError` if a tensor of `shape`/`dtype` would exceed the size limit. */
export function checkAllocation(op: string, shape: Shape, dtype: DType): void {
  const bytes = sizeOf(shape) * bytesPerElement(dtype);
  if (bytes > state.limits.maxTensorBytes) {
    throw new OutOfMemoryError(
      `${op}: tensor too large: needed ${bytes} bytes, available ${state.limits.maxTensorBytes} (shape [${shape.join(",")}], ${dtype}; raise it with setLimits)`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Tensor bookkeeping (used by Tensor and the ops)

/** @internal A fresh id for a tensor. */
export function nextTensorId(): number {
  return state.nextId++;
}

interface Collected {
  readonly storage: Storage;
  readonly stack: string | undefined;
}

// A tensor garbage-collected without dispose() still releases its buffer reference, so memory()
// stays exact under plain GC; with leak reporting on, it also says where the tensor was made.
const finalizer =
  typeof FinalizationRegistry === "function"
    ? new FinalizationRegistry<Collected>(({ storage, stack }) => {
        state.liveTensors--;
        if (--storage.refs === 0) storage.backend.free(storage.dataId);
        if (stack !== undefined) {
          console.warn(
            `edgenn: a ${storage.dtype} tensor of ${storage.size} elements was garbage-collected without dispose(); created at:\n${stack}`,
          );
        }
      })
    : null;

/** @internal Called by the Tensor constructor. */
export function trackTensor(t: Tensor, storage: Storage): void {
  state.liveTensors++;
  storage.refs++;
  const scope = state.scopes[state.scopes.length - 1];
  if (scope) scope.tensors.push(t);
  finalizer?.register(t, { storage, stack: state.reportLeaks ? new Error().stack : undefined }, t);
}

/** @internal Called once when a tensor is disposed. */
export function untrackTensor(t: Tensor, storage: Storage): void {
  state.liveTensors--;
  finalizer?.unregister(t);
  if (--storage.refs === 0) storage.backend.free(storage.dataId);
}

/** Reports, via `console.warn`, tensors garbage-collected without `dispose()` and where they were made. */
export function setLeakReporting(enabled: boolean): void {
  state.reportLeaks = enabled;
}

/** @internal A new contiguous tensor with uninitialised contents on `backend`. */
export function allocTensor(
  op: string,
  shape: Shape,
  dtype: DType,
  backend: Backend = getBackend(),
): Tensor {
  checkAllocation(op, shape, dtype);
  const size = sizeOf(shape);
  const storage: Storage = { backend, dataId: backend.alloc(dtype, size), dtype, size, refs: 0 };
  return new Tensor(storage, shape, contiguousStrides(shape), 0, dtype);
}

// ---------------------------------------------------------------------------------------------
// Scopes

/** What `tidy` may return: tensors in arrays and plain objects, or plain values. */
export type Tree =
  | Tensor
  | readonly Tree[]
  | { readonly [k: string]: Tree }
  | number
  | string
  | boolean
  | null
  | undefined
  // biome-ignore lint/suspicious/noConfusingVoidType: tidy(() => { … }) returns nothing
  | void;

function collect(value: unknown, into: Set<Tensor>, depth = 0): void {
  if (value instanceof Tensor) into.add(value);
  else if (depth < 8 && value !== null && typeof value === "object") {
    if (Array.isArray(value)) for (const v of value) collect(v, into, depth + 1);
    else if (Object.getPrototypeOf(value) === Object.prototype) {
      for (const v of Object.values(value)) collect(v, into, depth + 1);
    }
  }
}

/**
 * Runs `fn`, then disposes every tensor created inside it except those it returns (in a tensor,
 * array or plain object) and those passed to `keep`. Returned tensors belong to the enclosing scope.
 * @example
 * const y = tidy(() => tensor([1, 2]).mul(2).add(1)); // the intermediate `mul` result is freed
 */
export function tidy<T extends Tree>(fn: () => T): T {
  if (typeof fn !== "function")
    throw new ArgumentError(`tidy: expected a function (got ${describe(fn)})`);
  const scope: Scope = { tensors: [] };
  state.scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    for (const t of scope.tensors) if (!t.isKept) t.dispose();
    throw e;
  } finally {
    state.scopes.pop();
  }
  if (result instanceof Promise) {
    throw new ArgumentError(
      "tidy: fn must be synchronous (got a Promise); use tidy inside the async function",
    );
  }
  const keepSet = new Set<Tensor>();
  collect(result, keepSet);
  const parent = state.scopes[state.scopes.length - 1];
  for (const t of scope.tensors) {
    if (keepSet.has(t)) {
      if (parent) parent.tensors.push(t);
    } else if (!t.isKept) t.dispose();
  }
  return result;
}

/** @internal Runs `fn` in a scope and disposes everything it made except `keepers`; for ops. */
export function scoped<T>(fn: () => T, keepers: (r: T) => Tensor[]): T {
  const scope: Scope = { tensors: [] };
  state.scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    for (const t of scope.tensors) if (!t.isKept) t.dispose();
    throw e;
  } finally {
    state.scopes.pop();
  }
  const keepSet = new Set(keepers(result));
  const parent = state.scopes[state.scopes.length - 1];
  for (const t of scope.tensors) {
    if (keepSet.has(t)) {
      if (parent) parent.tensors.push(t);
    } else if (!t.isKept) t.dispose();
  }
  return result;
}

/** Exempts `t` from disposal by every enclosing `tidy`; dispose it yourself. Returns `t`. */
export function keep<T extends Tensor>(t: T): T {
  if (!(t instanceof Tensor))
    throw new ArgumentError(`keep: expected a Tensor (got ${describe(t)})`);
  t.markKept();
  return t;
}

/** Disposes one tensor or every tensor in an array/object tree. Safe to call twice. */
export function dispose(value: unknown): void {
  const set = new Set<Tensor>();
  collect(value, set);
  for (const t of set) t.dispose();
}

// ---------------------------------------------------------------------------------------------
// Recording (autograd's hook)

/** @internal Installs (or clears, with null) the recorder; returns the previous one. */
export function setRecorder(r: Recorder | null): Recorder | null {
  if (
    r !== null &&
    (typeof r !== "object" || typeof (r as Partial<Recorder>).record !== "function")
  ) {
    throw new ArgumentError(
      `setRecorder: expected null or an object with a record function (got ${describe(r)})`,
    );
  }
  const prev = state.recorder;
  state.recorder = r;
  return prev;
}

/** @internal Whether ops are being recorded right now. */
export function isRecording(): boolean {
  return state.recorder !== null && state.paused === 0;
}

/**
 * @internal Tells the recorder that `op` computed `output` from `inputs`, with `vjp` as its
 * gradient rule. Only float32 outputs carry gradients.
 */
export function record(op: string, inputs: readonly Tensor[], output: Tensor, vjp: VJP): void {
  if (state.recorder !== null && state.paused === 0 && output.dtype === "float32") {
    state.recorder.record(op, inputs, output, vjp);
  }
}

/** Runs `fn` without recording ops for autograd (e.g. inference, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  if (typeof fn !== "function") {
    throw new ArgumentError(`noGrad: expected a function (got ${describe(fn)})`);
  }
  state.paused++;
  try {
    return fn();
  } finally {
    state.paused--;
  }
}

// ---------------------------------------------------------------------------------------------
// Memory report

/** Memory in use: live tensors, bytes in live buffers, pooled bytes, peak bytes; per backend too. */
export interface MemoryInfo {
  /** Tensors created and not yet disposed (views count separately). */
  readonly tensors: number;
  /** Bytes in live buffers across backends (a buffer shared by views counts once). */
  readonly bytes: number;
  readonly pooledBytes: number;
  readonly peakBytes: number;
  readonly backends: Readonly<Record<string, BackendMemory>>;
}

/** A snapshot of memory use. */
export function memory(): MemoryInfo {
  getBackend();
  let bytes = 0;
  let pooledBytes = 0;
  let peakBytes = 0;
  const backends: Record<string, BackendMemory> = {};
  for (const [name, b] of state.backends) {
    const m = b.memory();
    backends[name] = m;
    bytes += m.bytes;
    pooledBytes += m.pooledBytes;
    peakBytes += m.peakBytes;
  }
  return { tensors: state.liveTensors, bytes, pooledBytes, peakBytes, backends };
}
