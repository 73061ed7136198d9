/*
 * The GPU.js backend. Every buffer lives on the device as float32 (a GL texture in the GL modes, a
 * host Float32Array in the cpu/webasm modes, where gpu.js has no device memory); a kernel call
 * replaces its output buffer's value with the kernel's result (gpu.js `pipeline` + `immutable`), so
 * results feed the next kernel without a readback. Reading back happens only in `read`/`readSync`
 * (and in a partial `write` into a texture), and every transfer is counted (`transfers()`).
 *
 * Integers are stored as float32 too, which is exact only up to 2^24. Each integer buffer carries a
 * bound on |value| (measured when written, propagated by every kernel); a kernel whose worst case
 * passes 2^24 is refused with `UnsupportedOpError` instead of returning rounded numbers.
 */
import {
  ArgumentError,
  type Backend,
  type BackendMemory,
  type BinaryOp,
  type Conv2dParams,
  type DataArray,
  type DataId,
  type DType,
  type FusedActivation,
  type KernelName,
  type Pool2dParams,
  type ReduceOp,
  type TensorInfo,
  type UnaryOp,
  UnsupportedOpError,
} from "@edgenn/tensor";
import {
  BINARY,
  type ConvDims,
  castBody,
  contiguousStrides,
  conv2dBackpropFilterKernel,
  conv2dBackpropInputKernel,
  conv2dKernel,
  copyIntoViewKernel,
  gatherKernel,
  INT_DIV,
  isNestedView,
  mapKernel,
  matmulKernel,
  type PoolDims,
  poolBackwardKernel,
  poolKernel,
  reduceKernel,
  scatterAddKernel,
  UNARY,
  wrapInt,
} from "./codegen.js";
import type { CompiledKernel, DeviceTexture, GpuLike, KernelValue } from "./gpu-types.js";

/**
 * The largest integer magnitude the backend computes exactly: float32 holds every integer up to
 * 2^24. Integer kernels whose worst case passes it throw `UnsupportedOpError`.
 * @example
 * EXACT_INT_LIMIT; // 16777216
 */
export const EXACT_INT_LIMIT = 2 ** 24;

/** Largest |value| of each integer dtype (float32: unbounded). */
const DTYPE_BOUND: Record<DType, number> = {
  float32: Number.POSITIVE_INFINITY,
  int32: 2 ** 31,
  int8: 128,
  uint8: 255,
  bool: 1,
};

const DTYPE_RANGE: Record<DType, readonly [number, number]> = {
  float32: [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
  int32: [-2147483648, 2147483647],
  int8: [-128, 127],
  uint8: [0, 255],
  bool: [0, 1],
};

/** Unary kernels defined for integer dtypes (the rest are float-only ops). */
const INT_UNARY: ReadonlySet<UnaryOp> = new Set([
  "neg",
  "abs",
  "square",
  "sign",
  "relu",
  "round",
  "floor",
  "ceil",
  "not",
]);

/** Binary kernels whose output is bool. */
const COMPARISONS: ReadonlySet<BinaryOp> = new Set([
  "equal",
  "greater",
  "less",
  "greaterEqual",
  "lessEqual",
  "and",
  "or",
]);

/** One device buffer. */
class GpuData {
  /** The contents; null until first written (alloc leaves contents unspecified). */
  value: KernelValue | null = null;
  /** Largest |value| this integer buffer can hold (Infinity for float32). */
  bound: number;
  constructor(
    readonly dtype: DType,
    readonly size: number,
  ) {
    this.bound = dtype === "float32" ? Number.POSITIVE_INFINITY : 0;
  }
}

/** Transfer and compile counters of one backend. */
export interface GpuJsTransfers {
  /** Host→device writes (`write`). */
  readonly uploads: number;
  /** Device→host reads (`read`, `readSync`, partial writes into a texture). */
  readonly readbacks: number;
  /** Kernels compiled (first call of a source: shapes, strides and dtypes baked in). */
  readonly compiles: number;
  /** Kernel calls. */
  readonly runs: number;
}

/** Options of {@link createGpuJsBackend}. */
export interface GpuJsBackendOptions {
  /** A gpu.js `GPU` instance built by the caller, e.g. `new GPU({ mode: 'webgl2' })`. */
  gpu: GpuLike;
  /** Backend name for `setBackend`/`capabilities()` (default `'gpujs'`). */
  name?: string;
  /** Most compiled kernels kept (least recently used are destroyed beyond it; default 512). */
  maxKernels?: number;
}

/**
 * The GPU.js implementation of `Backend`: kernels generated per shape, compiled once and cached,
 * results kept on the device until read. Build it with {@link createGpuJsBackend}.
 * @example
 * const b = new GpuJsBackend({ gpu: new GPU({ mode: "cpu" }), name: "gpujs-doc" });
 * b.mode; // "cpu"
 * b.supports("matmul", "int32"); // false
 */
export class GpuJsBackend implements Backend {
  readonly name: string;
  readonly #gpu: GpuLike;
  readonly #kernels = new Map<string, CompiledKernel>();
  readonly #maxKernels: number;
  #textures: boolean | null = null;
  #bytes = 0;
  #peak = 0;
  #buffers = 0;
  #uploads = 0;
  #readbacks = 0;
  #compiles = 0;
  #runs = 0;

  constructor(options: GpuJsBackendOptions) {
    const gpu = options?.gpu;
    if (typeof gpu !== "object" || gpu === null || typeof gpu.createKernel !== "function") {
      throw new ArgumentError(
        "createGpuJsBackend: options.gpu must be a gpu.js GPU instance (expected { gpu: new GPU({ mode }) })",
      );
    }
    if (gpu.mode === "webgpu" || gpu.mode === "async") {
      throw new ArgumentError(
        `createGpuJsBackend: gpu.js mode '${gpu.mode}' returns a Promise from every kernel, which the synchronous Backend interface cannot chain (expected a synchronous mode: webgl2, webgl, headlessgl, webasm or cpu)`,
      );
    }
    if (gpu.mode === "dev") {
      throw new ArgumentError(
        "createGpuJsBackend: gpu.js mode 'dev' (gpu-mock.js) runs kernels as JavaScript functions and cannot compile generated kernel sources (expected webgl2, webgl, headlessgl, webasm or cpu)",
      );
    }
    this.#gpu = gpu;
    this.name = options.name ?? "gpujs";
    this.#maxKernels = options.maxKernels ?? 512;
  }

  /** The gpu.js mode the kernels run in (`cpu`, `webasm`, `webgl2`, `headlessgl`, …). */
  get mode(): string {
    return this.#gpu.mode ?? "unknown";
  }

  /** Counters of uploads, readbacks, compiles and kernel runs since creation. */
  transfers(): GpuJsTransfers {
    return {
      uploads: this.#uploads,
      readbacks: this.#readbacks,
      compiles: this.#compiles,
      runs: this.#runs,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Buffers

  alloc(dtype: DType, size: number): DataId {
    const d = new GpuData(dtype, size);
    this.#bytes += size * 4;
    this.#buffers++;
    if (this.#bytes > this.#peak) this.#peak = this.#bytes;
    return d;
  }

  free(id: DataId): void {
    const d = id as GpuData;
    if (d.value !== null) this.#release(d.value);
    d.value = null;
    this.#bytes -= d.size * 4;
    this.#buffers--;
  }

  write(id: DataId, data: DataArray, offset = 0): void {
    const d = id as GpuData;
    let bound = 0;
    if (d.dtype !== "float32") {
      for (let i = 0; i < data.length; i++) {
        const a = Math.abs(data[i]!);
        if (a > bound) bound = a;
      }
      if (bound > EXACT_INT_LIMIT) {
        throw new UnsupportedOpError(
          `write: ${d.dtype} value ${bound} is not exact in the gpujs backend's float32 storage (expected |x| ≤ 2^24 = ${EXACT_INT_LIMIT}, got ${bound}); use the cpu backend for it`,
        );
      }
    }
    this.#uploads++;
    if (offset === 0 && data.length === d.size) {
      d.bound = d.dtype === "float32" ? d.bound : bound;
      this.#assign(d, this.#upload(Float32Array.from(data)));
      return;
    }
    // a partial write into a texture reads it back first
    if (d.value !== null && !(d.value instanceof Float32Array)) this.#readbacks++;
    const host = this.#host(d).slice();
    host.set(data, offset);
    if (d.dtype !== "float32") d.bound = Math.max(d.bound, bound);
    this.#assign(d, this.#upload(host));
  }

  readSync(id: DataId): DataArray {
    const d = id as GpuData;
    this.#readbacks++;
    const f = this.#host(d);
    if (d.dtype === "float32") return f.slice(0, d.size);
    const [lo, hi] = DTYPE_RANGE[d.dtype];
    const out =
      d.dtype === "int32"
        ? new Int32Array(d.size)
        : d.dtype === "int8"
          ? new Int8Array(d.size)
          : new Uint8Array(d.size);
    for (let i = 0; i < d.size; i++) {
      const v = f[i]!;
      out[i] = Math.min(Math.max(v, lo), hi);
    }
    return out;
  }

  read(id: DataId): Promise<DataArray> {
    return Promise.resolve(this.readSync(id));
  }

  /** The buffer's float32 contents on the host (a readback in the GL modes; not a copy otherwise). */
  #host(d: GpuData): Float32Array {
    const v = d.value;
    if (v === null) return new Float32Array(d.size);
    if (v instanceof Float32Array) return v;
    const a = v.toArray();
    if (a instanceof Float32Array) return a.length === d.size ? a : a.slice(0, d.size);
    // 2-D results come back as rows
    const flat = new Float32Array(d.size);
    let at = 0;
    for (const row of a as ArrayLike<number>[]) {
      for (let i = 0; i < row.length && at < d.size; i++) flat[at++] = row[i]!;
    }
    return flat;
  }

  /** Moves host data to the device: a texture in the GL modes, the array itself otherwise. */
  #upload(data: Float32Array): KernelValue {
    if (data.length === 0) return data;
    if (this.#textures === null) {
      const probe = this.#kernel("function(in0) {\n  return in0[this.thread.x];\n}", 1, [1]);
      const r = probe(Float32Array.of(0)) as KernelValue;
      this.#textures = !(r instanceof Float32Array);
      this.#release(r);
    }
    if (!this.#textures) return data;
    return this.#call(
      "function(in0) {\n  return in0[this.thread.x];\n}",
      data.length,
      [data],
      [data.length],
    );
  }

  /** A buffer as a kernel input; a never-written one reads as zeros, an empty one as one zero. */
  #input(d: GpuData): KernelValue {
    const v = d.value;
    if (v === null || (v instanceof Float32Array && v.length < Math.max(d.size, 1)))
      d.value = this.#upload(new Float32Array(Math.max(d.size, 1)));
    return d.value!;
  }

  #release(v: KernelValue): void {
    if (!(v instanceof Float32Array)) v.delete();
  }

  #assign(d: GpuData, v: KernelValue): void {
    if (d.value !== null && v !== d.value) this.#release(d.value);
    d.value = v;
  }

  // -------------------------------------------------------------------------------------------
  // Kernel cache and dispatch

  #kernel(source: string, size: number, inputSizes: readonly number[]): CompiledKernel {
    const key = `${size}|${inputSizes.join(",")}|${source}`;
    let k = this.#kernels.get(key);
    if (k) {
      // most recently used last
      this.#kernels.delete(key);
      this.#kernels.set(key, k);
      return k;
    }
    k = this.#gpu.createKernel(source, {
      output: [size],
      pipeline: true,
      immutable: true,
      tactic: "precision",
    });
    this.#compiles++;
    this.#kernels.set(key, k);
    if (this.#kernels.size > this.#maxKernels) {
      const [oldKey, old] = this.#kernels.entries().next().value as [string, CompiledKernel];
      this.#kernels.delete(oldKey);
      old.destroy?.();
    }
    return k;
  }

  /** Runs `source` over `size` outputs; `sizes` are the inputs' buffer sizes (part of the key:
   * gpu.js fixes each argument's size at compile time). */
  #call(
    source: string,
    size: number,
    inputs: readonly KernelValue[],
    sizes: readonly number[],
  ): KernelValue {
    const k = this.#kernel(source, size, sizes);
    this.#runs++;
    const result = k(...inputs);
    if (typeof (result as { then?: unknown }).then === "function") {
      throw new UnsupportedOpError(
        `gpujs: kernel returned a Promise (mode '${this.mode}'); the backend needs a synchronous gpu.js mode (webgl2, webgl, headlessgl, webasm or cpu)`,
      );
    }
    return result as Float32Array | DeviceTexture;
  }

  /** Runs `source` into `out` (whole buffer) from `inputs`; sets the integer bound. */
  #run(source: string, out: GpuData, inputs: readonly GpuData[], bound: number): void {
    out.bound = out.dtype === "float32" ? Number.POSITIVE_INFINITY : bound;
    if (out.size === 0) return;
    this.#assign(
      out,
      this.#call(
        source,
        out.size,
        inputs.map((d) => this.#input(d)),
        inputs.map((d) => Math.max(d.size, 1)),
      ),
    );
  }

  /** Throws when an integer kernel's worst case `bound` is not exact in float32. */
  #checkExact(op: string, dtype: DType, bound: number): void {
    if (dtype !== "float32" && dtype !== "bool" && bound > EXACT_INT_LIMIT) {
      throw new UnsupportedOpError(
        `${op}: ${dtype} result may reach ${bound}, past the 2^24 that the gpujs backend computes exactly in float32 (expected worst case ≤ ${EXACT_INT_LIMIT}); use the cpu backend for it`,
      );
    }
  }

  // -------------------------------------------------------------------------------------------
  // Elementwise family

  unary(op: UnaryOp, x: TensorInfo, out: TensorInfo): void {
    const xd = x.dataId as GpuData;
    const isInt = out.dtype !== "float32";
    const bx = xd.bound;
    const bound = op === "square" ? bx * bx : op === "sign" || op === "not" ? 1 : bx;
    if (isInt) this.#checkExact(op, out.dtype, bound);
    const body = isInt ? `${UNARY[op]}\n  ${wrapInt(out.dtype)}` : UNARY[op];
    this.#run(
      mapKernel(out.shape, [x], ["x"], body),
      out.dataId as GpuData,
      [xd],
      Math.min(bound, DTYPE_BOUND[out.dtype]),
    );
  }

  binary(op: BinaryOp, a: TensorInfo, b: TensorInfo, out: TensorInfo): void {
    const ad = a.dataId as GpuData;
    const bd = b.dataId as GpuData;
    const isInt = a.dtype !== "float32";
    let body = BINARY[op];
    let bound = 1;
    if (!COMPARISONS.has(op)) {
      if (op === "add" || op === "sub") bound = ad.bound + bd.bound;
      else if (op === "mul") bound = ad.bound * bd.bound;
      else bound = Math.max(ad.bound, bd.bound);
      if (isInt) {
        this.#checkExact(op, out.dtype, bound);
        if (op === "div") body = INT_DIV;
        body = `${body}\n  ${wrapInt(out.dtype)}`;
      }
    }
    this.#run(
      mapKernel(out.shape, [a, b], ["a", "b"], body),
      out.dataId as GpuData,
      [ad, bd],
      Math.min(bound, DTYPE_BOUND[out.dtype]),
    );
  }

  where(cond: TensorInfo, a: TensorInfo, b: TensorInfo, out: TensorInfo): void {
    const ad = a.dataId as GpuData;
    const bd = b.dataId as GpuData;
    this.#run(
      mapKernel(out.shape, [cond, a, b], ["c", "a", "b"], "y = c != 0 ? a : b;"),
      out.dataId as GpuData,
      [cond.dataId as GpuData, ad, bd],
      Math.max(ad.bound, bd.bound),
    );
  }

  cast(x: TensorInfo, out: TensorInfo): void {
    const xd = x.dataId as GpuData;
    const [lo, hi] = DTYPE_RANGE[out.dtype];
    // trunc of a float32 is a float32: the cast itself is exact; the bound says what may follow
    const bound = Math.min(xd.bound, DTYPE_BOUND[out.dtype]);
    this.#run(
      mapKernel(out.shape, [x], ["x"], castBody(out.dtype, lo, hi)),
      out.dataId as GpuData,
      [xd],
      bound,
    );
  }

  copy(x: TensorInfo, out: TensorInfo): void {
    const xd = x.dataId as GpuData;
    const od = out.dataId as GpuData;
    const size = out.shape.reduce((p, n) => p * n, 1);
    const whole =
      out.offset === 0 &&
      size === od.size &&
      out.strides.every((s, i) => out.shape[i] === 1 || s === contiguousStrides(out.shape)[i]);
    if (whole) {
      this.#run(mapKernel(out.shape, [x], ["x"], "y = x;"), od, [xd], xd.bound);
      return;
    }
    if (size === 0) return;
    const bound = Math.max(od.bound, xd.bound);
    if (isNestedView(out)) {
      this.#run(copyIntoViewKernel(x, out), od, [od, xd], bound);
      return;
    }
    // an overlapping or interleaved target view: scatter on the host (two counted transfers)
    this.#readbacks += 2;
    const src = this.#host(xd);
    const dst = this.#host(od).slice();
    const cs = contiguousStrides(out.shape);
    for (let i = 0; i < size; i++) {
      let to = out.offset;
      let from = x.offset;
      for (let dim = 0; dim < out.shape.length; dim++) {
        const c = Math.floor(i / cs[dim]!) % out.shape[dim]!;
        to += c * out.strides[dim]!;
        from += c * x.strides[dim]!;
      }
      dst[to] = src[from]!;
    }
    this.#uploads++;
    this.#assign(od, this.#upload(dst));
    od.bound = bound;
  }

  // -------------------------------------------------------------------------------------------
  // Reductions, matmul, gather

  reduce(op: ReduceOp, x: TensorInfo, axes: readonly number[], out: TensorInfo): void {
    const xd = x.dataId as GpuData;
    const count = axes.reduce((p, a) => p * x.shape[a]!, 1);
    let bound = xd.bound;
    if (op === "sum") bound = xd.bound * count;
    else if (op === "prod") bound = xd.bound ** count;
    else if (op === "argmax" || op === "argmin") bound = count;
    if (op === "sum" || op === "prod") this.#checkExact(`reduce.${op}`, out.dtype, bound);
    const post = op === "sum" || op === "prod" ? wrapInt(out.dtype) : "";
    this.#run(
      reduceKernel(op, x, axes, post, op === "prod" ? 1 : 0),
      out.dataId as GpuData,
      [xd],
      Math.min(bound, DTYPE_BOUND[out.dtype]),
    );
  }

  matmul(a: TensorInfo, b: TensorInfo, out: TensorInfo): void {
    const [, m, k] = a.shape as [number, number, number];
    const n = b.shape[2]!;
    this.#run(
      matmulKernel(a, b, m, k, n),
      out.dataId as GpuData,
      [a.dataId as GpuData, b.dataId as GpuData],
      Number.POSITIVE_INFINITY,
    );
  }

  /** `t` as a contiguous view (itself, or a device copy the caller frees). */
  #dense(t: TensorInfo): { info: TensorInfo; owned: boolean } {
    const cs = contiguousStrides(t.shape);
    if (t.strides.every((s, i) => t.shape[i] === 1 || s === cs[i]))
      return { info: t, owned: false };
    const size = t.shape.reduce((p, n) => p * n, 1);
    const dataId = this.alloc(t.dtype, size);
    const info: TensorInfo = { dataId, dtype: t.dtype, shape: t.shape, strides: cs, offset: 0 };
    this.copy(t, info);
    return { info, owned: true };
  }

  gather(x: TensorInfo, indices: TensorInfo, axis: number, out: TensorInfo): void {
    const outer = x.shape.slice(0, axis).reduce((p, d) => p * d, 1);
    const inner = x.shape.slice(axis + 1).reduce((p, d) => p * d, 1);
    const count = indices.shape.reduce((p, d) => p * d, 1);
    const xs = this.#dense(x);
    const is = this.#dense(indices);
    try {
      const xd = xs.info.dataId as GpuData;
      this.#run(
        gatherKernel(xs.info.offset, is.info.offset, outer, x.shape[axis]!, count, inner),
        out.dataId as GpuData,
        [xd, is.info.dataId as GpuData],
        xd.bound,
      );
    } finally {
      if (xs.owned) this.free(xs.info.dataId);
      if (is.owned) this.free(is.info.dataId);
    }
  }

  scatterAdd(dy: TensorInfo, indices: TensorInfo, axis: number, out: TensorInfo): void {
    const outer = out.shape.slice(0, axis).reduce((p, d) => p * d, 1);
    const inner = out.shape.slice(axis + 1).reduce((p, d) => p * d, 1);
    const count = indices.shape.reduce((p, d) => p * d, 1);
    const od = out.dataId as GpuData;
    const ds = this.#dense(dy);
    const is = this.#dense(indices);
    try {
      const dd = ds.info.dataId as GpuData;
      const bound = od.bound + count * dd.bound;
      this.#checkExact("scatterAdd", out.dtype, bound);
      this.#run(
        scatterAddKernel(ds.info.offset, is.info.offset, outer, out.shape[axis]!, count, inner),
        od,
        [od, dd, is.info.dataId as GpuData],
        bound,
      );
    } finally {
      if (ds.owned) this.free(ds.info.dataId);
      if (is.owned) this.free(is.info.dataId);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Convolution and pooling (float32, NCHW)

  conv2d(
    x: TensorInfo,
    w: TensorInfo,
    bias: TensorInfo | null,
    out: TensorInfo,
    p: Conv2dParams,
    act: FusedActivation,
  ): void {
    const inputs = [x.dataId as GpuData, w.dataId as GpuData];
    if (bias) inputs.push(bias.dataId as GpuData);
    this.#run(
      conv2dKernel(x, w, bias, convDims(x.shape, w.shape, out.shape), p, act),
      out.dataId as GpuData,
      inputs,
      Number.POSITIVE_INFINITY,
    );
  }

  conv2dBackpropInput(dy: TensorInfo, w: TensorInfo, out: TensorInfo, p: Conv2dParams): void {
    this.#run(
      conv2dBackpropInputKernel(dy, w, convDims(out.shape, w.shape, dy.shape), p),
      out.dataId as GpuData,
      [dy.dataId as GpuData, w.dataId as GpuData],
      Number.POSITIVE_INFINITY,
    );
  }

  conv2dBackpropFilter(x: TensorInfo, dy: TensorInfo, out: TensorInfo, p: Conv2dParams): void {
    this.#run(
      conv2dBackpropFilterKernel(x, dy, convDims(x.shape, out.shape, dy.shape), p),
      out.dataId as GpuData,
      [x.dataId as GpuData, dy.dataId as GpuData],
      Number.POSITIVE_INFINITY,
    );
  }

  pool(op: "max" | "avg", x: TensorInfo, out: TensorInfo, p: Pool2dParams): void {
    this.#run(
      poolKernel(op, x, poolDims(x.shape, out.shape), p),
      out.dataId as GpuData,
      [x.dataId as GpuData],
      Number.POSITIVE_INFINITY,
    );
  }

  poolBackward(
    op: "max" | "avg",
    x: TensorInfo,
    dy: TensorInfo,
    out: TensorInfo,
    p: Pool2dParams,
  ): void {
    this.#run(
      poolBackwardKernel(op, x, dy, poolDims(x.shape, dy.shape), p),
      out.dataId as GpuData,
      [x.dataId as GpuData, dy.dataId as GpuData],
      Number.POSITIVE_INFINITY,
    );
  }

  // -------------------------------------------------------------------------------------------
  // Reports

  supports(kernel: KernelName, dtype: DType): boolean {
    if (dtype === "float32") return true;
    if (kernel.startsWith("unary.")) return INT_UNARY.has(kernel.slice(6) as UnaryOp);
    // float-only kernels; integer matmul and pow would need exact products past 2^24
    return !(
      kernel === "binary.pow" ||
      kernel === "matmul" ||
      kernel.startsWith("conv2d") ||
      kernel.startsWith("pool")
    );
  }

  memory(): BackendMemory {
    return { bytes: this.#bytes, pooledBytes: 0, peakBytes: this.#peak, buffers: this.#buffers };
  }

  reset(): void {
    this.#peak = this.#bytes;
  }

  describe(): Record<string, unknown> {
    return {
      kernels: "gpu.js",
      mode: this.mode,
      deviceResident: this.#textures ?? "unknown until the first write",
      compiledKernels: this.#kernels.size,
      exactIntegerLimit: EXACT_INT_LIMIT,
      ...this.transfers(),
    };
  }

  /** Destroys every compiled kernel (buffers stay valid; kernels recompile on next use). */
  dispose(): void {
    for (const k of this.#kernels.values()) k.destroy?.();
    this.#kernels.clear();
  }
}

/**
 * A backend running edgenn's kernels through gpu.js in the mode of the `GPU` instance you built
 * (`new GPU({ mode: 'webgl2' | 'headlessgl' | 'webasm' | 'cpu' })`); results stay on the device
 * until `data()`/`dataSync()`.
 * @param options - `{ gpu }`: the gpu.js instance; `name`, `maxKernels` optional
 * @returns a new backend the caller owns (pass it to `setBackend`; `dispose()` frees its kernels)
 * @throws {ArgumentError} when `options.gpu` is not a gpu.js instance, or is in an asynchronous mode
 *   (`webgpu`, `async`: every kernel returns a Promise) or in `dev` mode (no generated sources)
 * @example
 * const backend = createGpuJsBackend({ gpu: new GPU({ mode: "webasm" }) }); // GPU from 'gpu.js'
 * setBackend(backend);
 * const y = tensor([1, 2, 3]).mul(2); // computed on the device, not read back
 * backend.transfers().readbacks; // 0
 * y.dataSync(); // [2, 4, 6]
 * backend.transfers().readbacks; // 1
 * setBackend("cpu");
 */
export function createGpuJsBackend(options: GpuJsBackendOptions): GpuJsBackend {
  return new GpuJsBackend(options);
}

function convDims(x: readonly number[], w: readonly number[], y: readonly number[]): ConvDims {
  return {
    n: x[0]!,
    c: x[1]!,
    h: x[2]!,
    w: x[3]!,
    o: y[1]!,
    oh: y[2]!,
    ow: y[3]!,
    kh: w[2]!,
    kw: w[3]!,
  };
}

function poolDims(x: readonly number[], y: readonly number[]): PoolDims {
  return { n: x[0]!, c: x[1]!, h: x[2]!, w: x[3]!, oh: y[2]!, ow: y[3]! };
}
