import type {
  Backend,
  BackendMemory,
  BinaryOp,
  DataId,
  KernelName,
  ReduceOp,
  TensorInfo,
  UnaryOp,
} from "../../backend.js";
import { bytesPerElement, type DataArray, type DType, dtypeRange, viewArray } from "../../dtype.js";
import * as ew from "../../kernels/elementwise.js";
import { gather, scatterAdd } from "../../kernels/gather.js";
import { gemm } from "../../kernels/gemm.js";
import { reduce } from "../../kernels/reduce.js";
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
  readonly name = "cpu";
  readonly #pool: BufferPool;
  #bytes = 0;
  #peak = 0;
  #buffers = 0;

  constructor(options: CpuBackendOptions = {}) {
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
      gemm(
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
    return { kernels: "typescript", poolCapBytes: this.#pool.capBytes };
  }
}
