import {
  ArgumentError,
  DTypeError,
  noGrad,
  ShapeError,
  setRecorder,
  type Tensor,
  Tensor as TensorClass,
  tidy,
} from "@edgenn/tensor";
import { Tape } from "./tape.js";

function checkSources(op: string, params: unknown): readonly Tensor[] {
  if (!Array.isArray(params)) {
    throw new ArgumentError(
      `${op}: params must be an array of tensors (got ${params === null ? "null" : typeof params})`,
    );
  }
  params.forEach((p, i) => {
    if (!(p instanceof TensorClass)) throw new ArgumentError(`${op}: params[${i}] is not a Tensor`);
    p.assertAlive(op);
    if (p.dtype !== "float32") {
      throw new DTypeError(
        `${op}: params[${i}] has dtype ${p.dtype} (expected float32: only float tensors have gradients)`,
      );
    }
  });
  return params as readonly Tensor[];
}

/**
 * Runs `f` and returns its value and the gradients of that value with respect to `params`:
 * `grads[i] = ∂f/∂params[i]`, each with `params[i]`'s shape. Every intermediate tensor `f` made is
 * disposed; `value` and `grads` belong to the caller (or the enclosing `tidy`). Gradients are values:
 * nothing is stored on the parameters.
 * @param f - a function of no arguments returning a float32 tensor with one element (the loss)
 * @param params - the float32 tensors to differentiate with respect to
 * @returns `{ value, grads }`
 * @throws {ShapeError} if `f` does not return a one-element tensor
 * @throws {DTypeError} if a param or the value is not float32
 * @example
 * const w = tensor([1, 2, 3]);
 * const { value, grads } = valueAndGrad(() => sum(mul(w, w)), [w]); // value 14, grads[0] = 2w
 */
export function valueAndGrad(
  f: () => Tensor,
  params: readonly Tensor[],
): { value: Tensor; grads: Tensor[] } {
  if (typeof f !== "function") throw new ArgumentError("valueAndGrad: f must be a function");
  const sources = checkSources("valueAndGrad", params);
  const tape = new Tape(sources);
  try {
    return tidy(() => {
      const prev = setRecorder(tape);
      let value: unknown;
      try {
        value = f();
      } finally {
        setRecorder(prev);
      }
      if (!(value instanceof TensorClass)) {
        throw new ArgumentError(
          `valueAndGrad: f must return a Tensor (got ${value === null ? "null" : typeof value})`,
        );
      }
      if (value.size !== 1) {
        throw new ShapeError(
          `valueAndGrad: f must return a tensor with one element (got shape [${value.shape.join(",")}]); reduce it, e.g. with sum or mean`,
        );
      }
      if (value.dtype !== "float32") {
        throw new DTypeError(`valueAndGrad: f must return a float32 tensor (got ${value.dtype})`);
      }
      const grads = noGrad(() => tape.backward(value as Tensor, sources));
      return { value: value as Tensor, grads };
    });
  } finally {
    tape.release();
  }
}

/**
 * The gradients of `f()` with respect to `params` (see `valueAndGrad`); the value is discarded.
 * @example
 * const [dw] = grad(() => sum(square(w)), [w]);
 */
export function grad(f: () => Tensor, params: readonly Tensor[]): Tensor[] {
  const { value, grads } = valueAndGrad(f, params);
  value.dispose();
  return grads;
}
