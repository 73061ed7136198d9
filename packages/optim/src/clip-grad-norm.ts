import {
  ArgumentError,
  add,
  DTypeError,
  mul,
  NonFiniteError,
  noGrad,
  scalar,
  square,
  sum,
  type Tensor,
  Tensor as TensorClass,
  tidy,
} from "@edgenn/tensor";
import { checkNumber, describe } from "./checks.js";

/**
 * Scales gradients so their global L2 norm is at most `maxNorm`, as
 * `torch.nn.utils.clip_grad_norm_`: `‖g‖ = √(Σᵢ Σ gᵢ²)` over all tensors, and every gradient is
 * multiplied by `c = min(1, maxNorm/(‖g‖ + 1e-6))`. The inputs are not modified.
 * @param grads - float32 gradients (e.g. from `valueAndGrad`)
 * @param maxNorm - the largest allowed norm (finite, > 0)
 * @returns `grads`: new tensors `c·gᵢ`, owned by the caller (or the enclosing `tidy`); `norm`:
 *   ‖g‖ before clipping
 * @throws {ArgumentError} if `grads` is not an array of tensors, or `maxNorm` is not finite and > 0
 * @throws {DTypeError} if a gradient is not float32
 * @throws {NonFiniteError} if the norm is NaN or infinite (naming the first gradient at fault)
 * @example
 * const { grads, norm } = clipGradNorm([tensor([3, 4])], 1);
 * norm; // 5
 * grads[0].toArray(); // [0.6, 0.8]
 */
export function clipGradNorm(
  grads: readonly Tensor[],
  maxNorm: number,
): { grads: Tensor[]; norm: number } {
  const op = "clipGradNorm";
  if (!Array.isArray(grads)) {
    throw new ArgumentError(`${op}: grads must be an array of tensors (got ${describe(grads)})`);
  }
  grads.forEach((g: unknown, i) => {
    if (!(g instanceof TensorClass)) {
      throw new ArgumentError(`${op}: grads[${i}] must be a Tensor (got ${describe(g)})`);
    }
    g.assertAlive(op);
    if (g.dtype !== "float32") {
      throw new DTypeError(`${op}: grads[${i}] has dtype ${g.dtype} (expected float32)`);
    }
  });
  checkNumber(op, "maxNorm", maxNorm, undefined);
  if (maxNorm <= 0) throw new ArgumentError(`${op}: maxNorm must be > 0 (got ${maxNorm})`);
  return noGrad(() => {
    // ‖g‖² = Σᵢ Σ gᵢ², accumulated on the backend and read back once
    const squares = tidy(() => grads.reduce((acc, g) => add(acc, sum(square(g))), scalar(0)));
    const norm = Math.sqrt(squares.item());
    squares.dispose();
    if (!Number.isFinite(norm)) {
      const at = grads.findIndex((g) => !tidy(() => Number.isFinite(sum(square(g)).item())));
      throw new NonFiniteError(
        `${op}: the gradient norm is ${norm} (expected a finite number; grads[${at}] holds NaN or ±Infinity, or its squares overflow float32)`,
      );
    }
    const c = Math.min(1, maxNorm / (norm + 1e-6));
    return { grads: tidy(() => grads.map((g) => mul(g, c))), norm };
  });
}
