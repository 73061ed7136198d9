import type {
  Backend,
  BackendMemory,
  BinaryOp,
  Conv2dParams,
  DataId,
  FusedActivation,
  KernelName,
  Pool2dParams,
  ReduceOp,
  TensorInfo,
  UnaryOp,
} from "../../backend.js";
import { bytesPerElement, type DataArray, type DType, dtypeRange, viewArray } from "../../dtype.js";
import { ArgumentError } from "../../errors.js";
import * as conv from "../../kernels/conv.js";
import * as ew from "../../kernels/elementwise.js";
import { gather, scatterAdd } from "../../kernels/gather.js";
import * as pool from "../../kernels/pool.js";
import { reduce } from "../../kernels/reduce.js";
import { contiguousStrides, describe, isContiguous } from "../../shape.js";
import { conv2dWasm } from "../../wasm/conv-wasm.js";
import { gemmWasm, capabilities as wasmCapabilities } from "../../wasm/gemm-wasm.js";
import { BufferPool } from "./buffer-pool.js";

/** A CPU buffer: a typed array over a pooled ArrayBuffer. */
class CpuData {
  constructor(
    readonly array: DataArray,
    readonly buffer: ArrayBuffer,
  ) {}
}

/** Options of the CPU backend. */
export interface CpuBackendOptions {
  /** Most bytes the buffer pool keeps for reuse (default 256 MiB). */
  poolCapBytes?: number;
}

/**
 * The reference backend: plain TypeScript kernels over typed arrays, buffers from a capped,
 * size-bucketed pool. Every other backend is checked against it.
 */
export class CpuBackend implements Backend {
  readonly name: string = "cpu";
  readonly #pool: BufferPool;
  #bytes = 0;
  #peak = 0;
  #buffers = 0;

  constructor(options: CpuBackendOptions = {}) {
    if (options === null || typeof options !== "object") {
      throw new ArgumentError(`CpuBackend: options must be an object (got ${describe(options)})`);
    }
    const cap = options.poolCapBytes;
    if (cap !== undefined && (typeof cap !== "number" || !(cap >= 0))) {
      throw new ArgumentError(
        `CpuBackend: poolCapBytes must be a non-negative number (got ${describe(cap)})`,
      );
    }
    this.#pool = new BufferPool(options.poolCapBytes ?? 256 * 2 ** 20);
  }

  alloc(dtype: DType, size: number): DataId {
    const bytes = size * bytesPerElement(dtype);
    const buffer = this.#pool.take(bytes);
    this.#bytes += bytes;
    this.#buffers++;
    if (this.#bytes > this.#peak) this.#peak = this.#bytes;
    return new CpuData(viewArray(dtype, buffer, size), buffer);
  }

  free(id: DataId): void {
    const d = id as CpuData;
    this.#bytes -= d.array.byteLength;
    this.#buffers--;
    this.#pool.give(d.buffer);
  }

  /** @internal The typed array behind a buffer (the CPU backend's own kernels and tests). */
  arrayOf(id: DataId): DataArray {
    return (id as CpuData).array;
  }

  write(id: DataId, data: DataArray, offset = 0): void {
    (id as CpuData).array.set(data, offset);
  }

  readSync(id: DataId): DataArray {
    return (id as CpuData).array.slice();
  }

  read(id: DataId): Promise<DataArray> {
    return Promise.resolve(this.readSync(id));
  }

  #view(t: TensorInfo): ew.ArrayView {
    return { data: (t.dataId as CpuData).array, offset: t.offset, strides: t.strides };
  }

  unary(op: UnaryOp, x: TensorInfo, out: TensorInfo): void {
    ew.unary(op, this.#view(x), this.#view(out), out.shape);
  }

  binary(op: BinaryOp, a: TensorInfo, b: TensorInfo, out: TensorInfo): void {
    ew.binary(op, this.#view(a), this.#view(b), this.#view(out), out.shape);
  }

  where(cond: TensorInfo, a: TensorInfo, b: TensorInfo, out: TensorInfo): void {
    ew.where(this.#view(cond), this.#view(a), this.#view(b), this.#view(out), out.shape);
  }

  reduce(op: ReduceOp, x: TensorInfo, axes: readonly number[], out: TensorInfo): void {
    reduce(op, this.#view(x), x.shape, axes, (out.dataId as CpuData).array);
  }

  matmul(a: TensorInfo, b: TensorInfo, out: TensorInfo): void {
    const [batch, m, k] = a.shape as [number, number, number];
    const n = b.shape[2]!;
    const ad = (a.dataId as CpuData).array as Float32Array;
    const bd = (b.dataId as CpuData).array as Float32Array;
    const cd = (out.dataId as CpuData).array as Float32Array;
    // each operand must have a unit stride in one of its two matrix dims; the op guarantees it
    const transA = a.strides[2] !== 1;
    const lda = transA ? a.strides[2]! : a.strides[1]!;
    const transB = b.strides[2] !== 1;
    const ldb = transB ? b.strides[2]! : b.strides[1]!;
    for (let i = 0; i < batch; i++) {
      gemmWasm(
        transA,
        transB,
        m,
        n,
        k,
        1,
        ad,
        a.offset + i * a.strides[0]!,
        lda,
        bd,
        b.offset + i * b.strides[0]!,
        ldb,
        0,
        cd,
        out.offset + i * m * n,
        n,
      );
    }
  }

  cast(x: TensorInfo, out: TensorInfo): void {
    const [lo, hi] = dtypeRange(out.dtype);
    if (out.dtype === "float32") ew.copy(this.#view(x), this.#view(out), out.shape);
    else ew.cast(this.#view(x), this.#view(out), out.shape, lo, hi, out.dtype === "bool");
  }

  copy(x: TensorInfo, out: TensorInfo): void {
    ew.copy(this.#view(x), this.#view(out), out.shape);
  }

  gather(x: TensorInfo, indices: TensorInfo, axis: number, out: TensorInfo): void {
    const outer = x.shape.slice(0, axis).reduce((p, d) => p * d, 1);
    const inner = x.shape.slice(axis + 1).reduce((p, d) => p * d, 1);
    const xd = (x.dataId as CpuData).array.subarray(x.offset);
    const id = (indices.dataId as CpuData).array.subarray(
      indices.offset,
      indices.offset + indices.shape.reduce((p, d) => p * d, 1),
    );
    gather(xd, id, (out.dataId as CpuData).array, outer, x.shape[axis]!, inner);
  }

  scatterAdd(dy: TensorInfo, indices: TensorInfo, axis: number, out: TensorInfo): void {
    const outer = out.shape.slice(0, axis).reduce((p, d) => p * d, 1);
    const inner = out.shape.slice(axis + 1).reduce((p, d) => p * d, 1);
    const dd = (dy.dataId as CpuData).array.subarray(dy.offset);
    const id = (indices.dataId as CpuData).array.subarray(
      indices.offset,
      indices.offset + indices.shape.reduce((p, d) => p * d, 1),
    );
    scatterAdd(dd, id, (out.dataId as CpuData).array, outer, out.shape[axis]!, inner);
  }

  /** A float32 tensor as (array, offset) of its row-major elements: itself, or a packed copy. */
  #dense(t: TensorInfo): { data: Float32Array; offset: number } {
    const data = (t.dataId as CpuData).array as Float32Array;
    if (isContiguous(t.shape, t.strides)) return { data, offset: t.offset };
    const packed = new Float32Array(t.shape.reduce((p, d) => p * d, 1));
    ew.copy(
      this.#view(t),
      { data: packed, offset: 0, strides: contiguousStrides(t.shape) },
      t.shape,
    );
    return { data: packed, offset: 0 };
  }

  #out(t: TensorInfo): Float32Array {
    return (t.dataId as CpuData).array as Float32Array;
  }

  conv2d(
    x: TensorInfo,
    w: TensorInfo,
    bias: TensorInfo | null,
    out: TensorInfo,
    p: Conv2dParams,
    act: FusedActivation,
  ): void {
    const xd = this.#dense(x);
    const wd = this.#dense(w);
    const bd = bias === null ? null : this.#dense(bias);
    const dims = convDims(x.shape, w.shape, out.shape);
    const y = this.#out(out);
    conv2dWasm(
      xd.data,
      xd.offset,
      wd.data,
      wd.offset,
      bd?.data ?? null,
      bd?.offset ?? 0,
      y,
      out.offset,
      dims,
      p,
      act,
    );
  }

  conv2dBackpropInput(dy: TensorInfo, w: TensorInfo, out: TensorInfo, p: Conv2dParams): void {
    const dyd = this.#dense(dy);
    const wd = this.#dense(w);
    const dims = convDims(out.shape, w.shape, dy.shape);
    conv.conv2dBackpropInput(
      dyd.data,
      dyd.offset,
      wd.data,
      wd.offset,
      this.#out(out),
      out.offset,
      dims,
      p,
    );
  }

  conv2dBackpropFilter(x: TensorInfo, dy: TensorInfo, out: TensorInfo, p: Conv2dParams): void {
    const xd = this.#dense(x);
    const dyd = this.#dense(dy);
    const dims = convDims(x.shape, out.shape, dy.shape);
    conv.conv2dBackpropFilter(
      xd.data,
      xd.offset,
      dyd.data,
      dyd.offset,
      this.#out(out),
      out.offset,
      dims,
      p,
    );
  }

  pool(op: "max" | "avg", x: TensorInfo, out: TensorInfo, p: Pool2dParams): void {
    const xd = this.#dense(x);
    const dims = poolDims(x.shape, out.shape);
    const kernel = op === "max" ? pool.maxPool2d : pool.avgPool2d;
    kernel(xd.data, xd.offset, this.#out(out), out.offset, dims, p);
  }

  poolBackward(
    op: "max" | "avg",
    x: TensorInfo,
    dy: TensorInfo,
    out: TensorInfo,
    p: Pool2dParams,
  ): void {
    const dyd = this.#dense(dy);
    const dims = poolDims(x.shape, dy.shape);
    if (op === "avg") {
      pool.avgPool2dBackward(dyd.data, dyd.offset, this.#out(out), out.offset, dims, p);
      return;
    }
    const xd = this.#dense(x);
    pool.maxPool2dBackward(
      xd.data,
      xd.offset,
      dyd.data,
      dyd.offset,
      this.#out(out),
      out.offset,
      dims,
      p,
    );
  }

  supports(_kernel: KernelName, _dtype: DType): boolean {
    return true;
  }

  memory(): BackendMemory {
    return {
      bytes: this.#bytes,
      pooledBytes: this.#pool.pooledBytes,
      peakBytes: this.#peak,
      buffers: this.#buffers,
    };
  }

  reset(): void {
    this.#pool.clear();
    this.#peak = this.#bytes;
  }

  describe(): Record<string, unknown> {
    // matmul, conv2d and its backward GEMMs run the WebAssembly SIMD kernels where they pay
    const { kernels, reason } = wasmCapabilities();
    return { kernels, kernelReason: reason, poolCapBytes: this.#pool.capBytes };
  }
}

/** Conv sizes from the input `[N, C, H, W]`, weight `[O, C/g, kH, kW]` and output `[N, O, oH, oW]`. */
function convDims(
  x: readonly number[],
  w: readonly number[],
  y: readonly number[],
): conv.Conv2dDims {
  return {
    batch: x[0]!,
    inC: x[1]!,
    inH: x[2]!,
    inW: x[3]!,
    outC: y[1]!,
    outH: y[2]!,
    outW: y[3]!,
    kernelH: w[2]!,
    kernelW: w[3]!,
  };
}

/** Pool sizes from the input `[N, C, H, W]` and output `[N, C, oH, oW]`. */
function poolDims(x: readonly number[], y: readonly number[]): pool.Pool2dDims {
  return { planes: x[0]! * x[1]!, inH: x[2]!, inW: x[3]!, outH: y[2]!, outW: y[3]! };
}
