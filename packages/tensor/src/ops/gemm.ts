import { ArgumentError, ShapeError } from "../errors.js";
import {
  asTensor,
  checkDType,
  checkNumber,
  compose,
  FLOAT,
  type TensorLike,
} from "../op-helpers.js";
import { broadcastShapes, describe, fmt, shapesEqual } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { add } from "./add.js";
import { matmul } from "./matmul.js";
import { mul } from "./mul.js";
import { transpose } from "./transpose.js";

/** Options of `gemm`. */
export interface GemmOptions {
  /** Scale of the product (default 1). */
  alpha?: number;
  /** Scale of `c` (default 1). */
  beta?: number;
  /** Use `aᵀ` (default false). */
  transA?: boolean;
  /** Use `bᵀ` (default false). */
  transB?: boolean;
}

/**
 * General matrix multiply (ONNX Gemm): `y = alpha·op(a)·op(b) + beta·c`, `op` transposing when
 * `transA`/`transB`; `c` broadcasts to `[M, N]` (one direction only).
 * @param a - float32 matrix, `[M, K]` (`[K, M]` with `transA`)
 * @param b - float32 matrix, `[K, N]` (`[N, K]` with `transB`)
 * @param c - optional float32 tensor or number, broadcastable to `[M, N]`
 * @param options - `alpha`, `beta`, `transA`, `transB`
 * @returns a new `[M, N]` float32 tensor owned by the caller
 * @throws {ShapeError} if `a` or `b` is not 2-D, the inner dims differ, or `c` does not broadcast to `[M, N]`
 * @throws {DTypeError} for non-float32 operands
 * @throws {ArgumentError} for a non-finite `alpha`/`beta` or non-boolean `transA`/`transB`
 * @example
 * gemm(tensor([[1, 2]]), tensor([[3], [4]]), 1, { alpha: 2 }).toArray(); // [[23]]
 */
export function gemm(a: Tensor, b: Tensor, c?: TensorLike, options: GemmOptions = {}): Tensor {
  const x = asTensor("gemm", a, "a");
  const w = asTensor("gemm", b, "b");
  checkDType("gemm", x, FLOAT, "a");
  checkDType("gemm", w, FLOAT, "b");
  if (typeof options !== "object" || options === null) {
    throw new ArgumentError(`gemm: options must be an object (got ${describe(options)})`);
  }
  const alpha = checkNumber("gemm", "alpha", options.alpha ?? 1);
  const beta = checkNumber("gemm", "beta", options.beta ?? 1);
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  for (const [name, v] of [
    ["transA", transA],
    ["transB", transB],
  ] as const) {
    if (typeof v !== "boolean") {
      throw new ArgumentError(`gemm: ${name} must be a boolean (got ${describe(v)})`);
    }
  }
  if (x.rank !== 2 || w.rank !== 2) {
    throw new ShapeError(`gemm: a and b must be 2-D (got ${fmt(x.shape)} and ${fmt(w.shape)})`);
  }
  const [m, ka] = transA ? [x.shape[1]!, x.shape[0]!] : [x.shape[0]!, x.shape[1]!];
  const [kb, n] = transB ? [w.shape[1]!, w.shape[0]!] : [w.shape[0]!, w.shape[1]!];
  if (ka !== kb) {
    throw new ShapeError(
      `gemm: inner dimensions differ (expected op(a)[1] == op(b)[0], got ${fmt(x.shape)}${transA ? "ᵀ" : ""} @ ${fmt(w.shape)}${transB ? "ᵀ" : ""})`,
    );
  }
  return compose(() => {
    let y = matmul(transA ? transpose(x) : x, transB ? transpose(w) : w);
    if (alpha !== 1) y = mul(y, alpha);
    if (c === undefined || c === null) return y;
    const z = asTensor("gemm", c, "c");
    checkDType("gemm", z, FLOAT, "c");
    if (!shapesEqual(broadcastShapes("gemm", z.shape, [m, n]), [m, n])) {
      throw new ShapeError(
        `gemm: c must broadcast to [M, N] (expected a shape broadcastable to ${fmt([m, n])}, got ${fmt(z.shape)})`,
      );
    }
    return add(y, beta === 1 ? z : mul(z, beta));
  });
}
