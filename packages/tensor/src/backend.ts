import type { DataArray, DType } from "./dtype.js";
import type { Shape } from "./shape.js";

/** An opaque handle to a backend's buffer. */
export type DataId = object;

/**
 * What a kernel sees of a tensor: a strided view over a backend buffer.
 * Element `(i0, …, ik)` lives at `offset + Σ ij·strides[j]` of the buffer. `Tensor` satisfies it.
 */
export interface TensorInfo {
  readonly dataId: DataId;
  readonly dtype: DType;
  readonly shape: Shape;
  readonly strides: readonly number[];
  readonly offset: number;
}

/** Elementwise one-input kernels. `round` rounds half to even (ONNX Round). */
export type UnaryOp =
  | "neg"
  | "abs"
  | "exp"
  | "log"
  | "sqrt"
  | "square"
  | "sign"
  | "relu"
  | "sigmoid"
  | "tanh"
  | "softplus"
  | "erf"
  | "log1p"
  | "expm1"
  | "round"
  | "floor"
  | "ceil"
  | "reciprocal"
  | "not";

/** Elementwise two-input kernels; comparisons yield `bool`. Integer `div` truncates toward zero. */
export type BinaryOp =
  | "add"
  | "sub"
  | "mul"
  | "div"
  | "pow"
  | "maximum"
  | "minimum"
  | "equal"
  | "greater"
  | "less"
  | "greaterEqual"
  | "lessEqual"
  | "and"
  | "or";

/** Reductions over a set of axes. `argmax`/`argmin` reduce one axis to int32 indices (first wins). */
export type ReduceOp = "sum" | "max" | "min" | "prod" | "argmax" | "argmin";

/** 2-D convolution geometry, resolved by the op (padding explicit, all positive). */
export interface Conv2dParams {
  readonly strideH: number;
  readonly strideW: number;
  readonly padTop: number;
  readonly padLeft: number;
  readonly dilationH: number;
  readonly dilationW: number;
  readonly groups: number;
}

/** 2-D pooling geometry, resolved by the op. Output size is the output tensor's shape. */
export interface Pool2dParams {
  readonly kernelH: number;
  readonly kernelW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly padTop: number;
  readonly padLeft: number;
  readonly dilationH: number;
  readonly dilationW: number;
  /** avg only: divide by the full window including padding (true) or by the valid count. */
  readonly countIncludePad: boolean;
}

/** Activation a kernel may apply after bias, in the same pass. */
export type FusedActivation = "none" | "relu" | "relu6";

/** Kernel names that `supports()` answers for. */
export type KernelName =
  | `unary.${UnaryOp}`
  | `binary.${BinaryOp}`
  | `reduce.${ReduceOp}`
  | "where"
  | "matmul"
  | "cast"
  | "copy"
  | "gather"
  | "scatterAdd"
  | "conv2d"
  | "conv2dBackpropInput"
  | "conv2dBackpropFilter"
  | "pool.max"
  | "pool.avg"
  | "poolBackward.max"
  | "poolBackward.avg";

/** Memory figures of one backend, in bytes. */
export interface BackendMemory {
  /** Bytes in buffers currently allocated to tensors. */
  readonly bytes: number;
  /** Bytes held in the reuse pool, ready for the next allocation. */
  readonly pooledBytes: number;
  /** The largest `bytes` seen since the backend was created or `resetPeak()`. */
  readonly peakBytes: number;
  /** Live buffers. */
  readonly buffers: number;
}

/**
 * What a compute backend implements. Outputs are always contiguous buffers the engine allocated;
 * inputs may be strided views. Shapes and dtypes were validated by the op: kernels trust them.
 */
export interface Backend {
  readonly name: string;
  /** A buffer for `size` elements of `dtype`. Contents are unspecified. */
  alloc(dtype: DType, size: number): DataId;
  free(id: DataId): void;
  /** Copies `data` into the buffer starting at element `offset` (default 0). */
  write(id: DataId, data: DataArray, offset?: number): void;
  /** The buffer's contents (a copy the caller owns). */
  read(id: DataId): Promise<DataArray>;
  readSync?(id: DataId): DataArray;

  unary(op: UnaryOp, x: TensorInfo, out: TensorInfo): void;
  /** `a` and `b` are already broadcast to `out.shape` (zero strides). */
  binary(op: BinaryOp, a: TensorInfo, b: TensorInfo, out: TensorInfo): void;
  /** `cond`, `a`, `b` are already broadcast to `out.shape`. */
  where(cond: TensorInfo, a: TensorInfo, b: TensorInfo, out: TensorInfo): void;
  /** Reduces the (sorted) `axes` of `x`; `out` has `x`'s shape with those axes set to 1. */
  reduce(op: ReduceOp, x: TensorInfo, axes: readonly number[], out: TensorInfo): void;
  /** Batched `out[b] = op(a[b]) · op(b[b])`: `a` is `[B,M,K]`, `b` is `[B,K,N]` (any strides). */
  matmul(a: TensorInfo, b: TensorInfo, out: TensorInfo): void;
  /** Converts dtype: float→int truncates toward zero and saturates; →bool is `x != 0`. */
  cast(x: TensorInfo, out: TensorInfo): void;
  /** Copies `x` into `out`, which may itself be a strided view of a larger buffer. */
  copy(x: TensorInfo, out: TensorInfo): void;
  /** `out = x.take(indices, axis)`: `indices` int32, already bounds-checked and made non-negative. */
  gather(x: TensorInfo, indices: TensorInfo, axis: number, out: TensorInfo): void;
  /** The transpose of `gather`: `out` (zero-filled by the caller) `[.., indices[i], ..] += dy[.., i, ..]`. */
  scatterAdd(dy: TensorInfo, indices: TensorInfo, axis: number, out: TensorInfo): void;

  /** NCHW conv, weights `[outC, inC/groups, kH, kW]`, optional bias `[outC]`, fused activation. */
  conv2d?(
    x: TensorInfo,
    w: TensorInfo,
    bias: TensorInfo | null,
    out: TensorInfo,
    p: Conv2dParams,
    act: FusedActivation,
  ): void;
  /** Gradient of conv2d with respect to its input (also the forward of convTranspose2d). */
  conv2dBackpropInput?(dy: TensorInfo, w: TensorInfo, out: TensorInfo, p: Conv2dParams): void;
  /** Gradient of conv2d with respect to its weights. */
  conv2dBackpropFilter?(x: TensorInfo, dy: TensorInfo, out: TensorInfo, p: Conv2dParams): void;
  pool?(op: "max" | "avg", x: TensorInfo, out: TensorInfo, p: Pool2dParams): void;
  /** Gradient of `pool` with respect to `x`, given `dy`. */
  poolBackward?(
    op: "max" | "avg",
    x: TensorInfo,
    dy: TensorInfo,
    out: TensorInfo,
    p: Pool2dParams,
  ): void;

  supports(kernel: KernelName, dtype: DType): boolean;
  memory(): BackendMemory;
  /** Releases pooled buffers and resets the peak. */
  reset?(): void;
  /** A short description of what runs where, for `capabilities()`. */
  describe?(): Record<string, unknown>;
}
