import type { Backend, DataId, TensorInfo } from "./backend.js";
import type { DataArray, DType } from "./dtype.js";
import { allocTensor, nextTensorId, type Storage, trackTensor, untrackTensor } from "./engine.js";
import { ArgumentError, DisposedTensorError, ShapeError, UnsupportedOpError } from "./errors.js";
import type { TensorLike } from "./op-helpers.js";
import * as ops from "./ops/index.js";
import { fmt, isContiguous, type Shape, sizeOf } from "./shape.js";

/** Nested arrays of numbers, as `toArray()` returns them. */
export type NestedArray = number | NestedArray[];

/**
 * An n-dimensional array: a strided view (`shape`, `strides`, `offset`) over a refcounted buffer
 * on a backend. Views (`reshape`, `transpose`, `slice`, …) share the buffer; the buffer is freed when
 * the tensor and all its views are disposed. Create tensors with `tensor`, `zeros`, `randn`, … .
 */
export class Tensor implements TensorInfo {
  /** A process-unique id. */
  readonly id: number;
  readonly shape: Shape;
  readonly dtype: DType;
  /** Element strides of each dim (0 for broadcast dims, may be negative for reversed views). */
  readonly strides: readonly number[];
  /** Element offset of the first element in the buffer. */
  readonly offset: number;
  /** Number of elements. */
  readonly size: number;
  #storage: Storage;
  #disposed = false;
  #freed = false;
  #holds = 0;
  #kept = false;

  /** @internal Use the creation functions. */
  constructor(
    storage: Storage,
    shape: Shape,
    strides: readonly number[],
    offset: number,
    dtype: DType,
  ) {
    // the constructor is internal: a user calling it gets a pointer to the public creators
    if (
      typeof storage !== "object" ||
      storage === null ||
      typeof storage.backend !== "object" ||
      typeof storage.refs !== "number" ||
      !Array.isArray(shape) ||
      !Array.isArray(strides) ||
      !shape.every((d) => typeof d === "number") ||
      !strides.every((d) => typeof d === "number")
    ) {
      throw new ArgumentError(
        "Tensor: the constructor is internal (create tensors with tensor(), zeros(), rand() … instead)",
      );
    }
    this.id = nextTensorId();
    this.shape = Object.freeze(shape.slice());
    this.strides = Object.freeze(strides.slice());
    this.offset = offset;
    this.dtype = dtype;
    this.size = sizeOf(shape);
    this.#storage = storage;
    trackTensor(this, storage);
  }

  /** Number of dims. */
  get rank(): number {
    return this.shape.length;
  }

  /** @internal The backend buffer; throws if the buffer was freed. */
  get dataId(): DataId {
    if (this.#freed)
      throw new DisposedTensorError(
        `tensor: used after dispose (shape ${fmt(this.shape)}, ${this.dtype})`,
      );
    return this.#storage.dataId;
  }

  /** The backend holding this tensor's buffer. */
  get backend(): Backend {
    return this.#storage.backend;
  }

  /** True after `dispose()` (or disposal by an enclosing `tidy`). */
  get isDisposed(): boolean {
    return this.#disposed;
  }

  /** True after `keep(t)`. */
  get isKept(): boolean {
    return this.#kept;
  }

  /** True when the elements are laid out row-major with no gaps (offset may be non-zero). */
  get isContiguous(): boolean {
    return isContiguous(this.shape, this.strides);
  }

  /** @internal */
  markKept(): void {
    this.#kept = true;
  }

  /** @internal A view of the same buffer with other geometry (no copy). */
  view(shape: Shape, strides: readonly number[], offset: number): Tensor {
    this.#assertAlive("view");
    return new Tensor(this.#storage, shape, strides, offset, this.dtype);
  }

  /** @internal Keeps the buffer alive past `dispose()` until `release()` (autograd's tape). */
  hold(): void {
    this.#holds++;
  }

  /** @internal */
  release(): void {
    if (--this.#holds === 0 && this.#disposed && !this.#freed) this.#free();
  }

  /** @internal Throws `DisposedTensorError` naming `op` if the buffer is gone. */
  assertAlive(op: string): void {
    this.#assertAlive(op);
  }

  #assertAlive(op: string): void {
    if (this.#freed) {
      throw new DisposedTensorError(
        `${op}: tensor used after dispose (shape ${fmt(this.shape)}, ${this.dtype})`,
      );
    }
  }

  #free(): void {
    this.#freed = true;
    untrackTensor(this, this.#storage);
  }

  /** Releases this tensor's reference to its buffer. Using it afterwards throws. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#holds === 0) this.#free();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** A contiguous, offset-0 tensor over a buffer of exactly `size` elements: this one or a copy. */
  #dense(): { t: Tensor; owned: boolean } {
    if (this.isContiguous && this.offset === 0 && this.size === this.#storage.size)
      return { t: this, owned: false };
    const out = allocTensor("dataSync", this.shape, this.dtype, this.backend);
    this.backend.copy(this, out);
    return { t: out, owned: true };
  }

  /** The elements in row-major order, as a new typed array the caller owns. */
  dataSync(): DataArray {
    if (this.#disposed)
      throw new DisposedTensorError(
        `dataSync: tensor used after dispose (shape ${fmt(this.shape)}, ${this.dtype})`,
      );
    const b = this.backend;
    if (!b.readSync) {
      throw new UnsupportedOpError(
        `dataSync: backend '${b.name}' reads asynchronously only (use await t.data())`,
      );
    }
    const { t, owned } = this.#dense();
    try {
      return b.readSync(t.dataId);
    } finally {
      if (owned) t.dispose();
    }
  }

  /** The elements in row-major order, as a new typed array the caller owns. */
  async data(): Promise<DataArray> {
    if (this.#disposed)
      throw new DisposedTensorError(
        `data: tensor used after dispose (shape ${fmt(this.shape)}, ${this.dtype})`,
      );
    const { t, owned } = this.#dense();
    try {
      return await this.backend.read(t.dataId);
    } finally {
      if (owned) t.dispose();
    }
  }

  /** The elements as nested arrays (a number for a scalar). */
  toArray(): NestedArray {
    const data = this.dataSync();
    if (this.rank === 0) return data[0]!;
    let pos = 0;
    const build = (dim: number): NestedArray[] => {
      const n = this.shape[dim]!;
      const out = new Array<NestedArray>(n);
      if (dim === this.rank - 1) for (let i = 0; i < n; i++) out[i] = data[pos++]!;
      else for (let i = 0; i < n; i++) out[i] = build(dim + 1);
      return out;
    };
    return build(0);
  }

  /** The single element of a size-1 tensor. @throws {ShapeError} otherwise. */
  item(): number {
    if (this.size !== 1) {
      throw new ShapeError(
        `item: tensor must have exactly one element (got shape ${fmt(this.shape)})`,
      );
    }
    return this.dataSync()[0]!;
  }

  // ---- chainable ops: each is the op of the same name with this tensor as the first argument ----
  /** `add(this, b)` */
  add(b: TensorLike): Tensor {
    return ops.add(this, b);
  }
  /** `sub(this, b)` */
  sub(b: TensorLike): Tensor {
    return ops.sub(this, b);
  }
  /** `mul(this, b)` */
  mul(b: TensorLike): Tensor {
    return ops.mul(this, b);
  }
  /** `div(this, b)` */
  div(b: TensorLike): Tensor {
    return ops.div(this, b);
  }
  /** `pow(this, b)` */
  pow(b: TensorLike): Tensor {
    return ops.pow(this, b);
  }
  /** `maximum(this, b)` */
  maximum(b: TensorLike): Tensor {
    return ops.maximum(this, b);
  }
  /** `minimum(this, b)` */
  minimum(b: TensorLike): Tensor {
    return ops.minimum(this, b);
  }
  /** `equal(this, b)` */
  equal(b: TensorLike): Tensor {
    return ops.equal(this, b);
  }
  /** `greater(this, b)` */
  greater(b: TensorLike): Tensor {
    return ops.greater(this, b);
  }
  /** `less(this, b)` */
  less(b: TensorLike): Tensor {
    return ops.less(this, b);
  }
  /** `greaterEqual(this, b)` */
  greaterEqual(b: TensorLike): Tensor {
    return ops.greaterEqual(this, b);
  }
  /** `lessEqual(this, b)` */
  lessEqual(b: TensorLike): Tensor {
    return ops.lessEqual(this, b);
  }
  /** `neg(this)` */
  neg(): Tensor {
    return ops.neg(this);
  }
  /** `abs(this)` */
  abs(): Tensor {
    return ops.abs(this);
  }
  /** `exp(this)` */
  exp(): Tensor {
    return ops.exp(this);
  }
  /** `log(this)` */
  log(): Tensor {
    return ops.log(this);
  }
  /** `sqrt(this)` */
  sqrt(): Tensor {
    return ops.sqrt(this);
  }
  /** `square(this)` */
  square(): Tensor {
    return ops.square(this);
  }
  /** `sign(this)` */
  sign(): Tensor {
    return ops.sign(this);
  }
  /** `relu(this)` */
  relu(): Tensor {
    return ops.relu(this);
  }
  /** `sigmoid(this)` */
  sigmoid(): Tensor {
    return ops.sigmoid(this);
  }
  /** `tanh(this)` */
  tanh(): Tensor {
    return ops.tanh(this);
  }
  /** `softplus(this)` */
  softplus(): Tensor {
    return ops.softplus(this);
  }
  /** `sum(this, axes, keepDims)` */
  sum(axes?: number | readonly number[], keepDims = false): Tensor {
    return ops.sum(this, axes, keepDims);
  }
  /** `mean(this, axes, keepDims)` */
  mean(axes?: number | readonly number[], keepDims = false): Tensor {
    return ops.mean(this, axes, keepDims);
  }
  /** `max(this, axes, keepDims)` */
  max(axes?: number | readonly number[], keepDims = false): Tensor {
    return ops.max(this, axes, keepDims);
  }
  /** `min(this, axes, keepDims)` */
  min(axes?: number | readonly number[], keepDims = false): Tensor {
    return ops.min(this, axes, keepDims);
  }
  /** `argmax(this, axis, keepDims)` */
  argmax(axis: number, keepDims = false): Tensor {
    return ops.argmax(this, axis, keepDims);
  }
  /** `clip(this, min, max)` */
  clip(min?: TensorLike, max?: TensorLike): Tensor {
    return ops.clip(this, min, max);
  }
  /** `leakyRelu(this, alpha)` */
  leakyRelu(alpha = 0.01): Tensor {
    return ops.leakyRelu(this, alpha);
  }
  /** `softmax(this, axis)` */
  softmax(axis = -1): Tensor {
    return ops.softmax(this, axis);
  }
  /** `logSoftmax(this, axis)` */
  logSoftmax(axis = -1): Tensor {
    return ops.logSoftmax(this, axis);
  }
  /** `matmul(this, b)` */
  matmul(b: Tensor): Tensor {
    return ops.matmul(this, b);
  }
  /** `reshape(this, shape)` */
  reshape(shape: readonly number[]): Tensor {
    return ops.reshape(this, shape);
  }
  /** `transpose(this, perm)` */
  transpose(perm?: readonly number[]): Tensor {
    return ops.transpose(this, perm);
  }
  /** `expand(this, shape)` */
  expand(shape: readonly number[]): Tensor {
    return ops.expand(this, shape);
  }
  /** `flatten(this, axis)` */
  flatten(axis = 1): Tensor {
    return ops.flatten(this, axis);
  }
  /** `squeeze(this, axes)` */
  squeeze(axes?: number | readonly number[]): Tensor {
    return ops.squeeze(this, axes);
  }
  /** `unsqueeze(this, axes)` */
  unsqueeze(axes: number | readonly number[]): Tensor {
    return ops.unsqueeze(this, axes);
  }
  /** `slice(this, starts, ends, axes, steps)` */
  slice(
    starts: readonly number[],
    ends: readonly number[],
    axes?: readonly number[],
    steps?: readonly number[],
  ): Tensor {
    return ops.slice(this, starts, ends, axes, steps);
  }
  /** `gather(this, indices, axis)` */
  gather(indices: Tensor | ops.IndexData, axis = 0): Tensor {
    return ops.gather(this, indices, axis);
  }
  /** `cast(this, dtype)` */
  cast(dtype: DType): Tensor {
    return ops.cast(this, dtype);
  }
  /** `assign(this, value)`: overwrites this tensor's elements in place */
  assign(value: TensorLike): Tensor {
    return ops.assign(this, value);
  }
  /** `clone(this)`: a contiguous copy */
  clone(): Tensor {
    return ops.clone(this);
  }

  toString(): string {
    if (this.#disposed) return `Tensor(disposed, ${fmt(this.shape)}, ${this.dtype})`;
    const body = this.size <= 64 ? JSON.stringify(this.toArray()) : `${this.size} elements`;
    return `Tensor(${fmt(this.shape)}, ${this.dtype}, ${body})`;
  }
}
