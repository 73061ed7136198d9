import { ArgumentError, type Tensor, Tensor as TensorClass, tensor, tidy } from "@edgenn/tensor";
import { valueAndGrad } from "./value-and-grad.js";

/** Options of `checkGrad`. */
export interface CheckGradOptions {
  /** Central-difference step (default 1e-3). */
  eps?: number;
  /** Relative tolerance (default 2e-2). */
  rtol?: number;
  /** Absolute tolerance (default 2e-3). */
  atol?: number;
  /** Check at most this many elements per input, spread evenly (default 64). */
  maxElements?: number;
}

/** What `checkGrad` found: the worst element and whether all were within tolerance. */
export interface CheckGradResult {
  readonly ok: boolean;
  readonly maxAbsError: number;
  readonly checked: number;
  /** The worst element: which input, flat index, analytic and numeric derivative. */
  readonly worst: { input: number; index: number; analytic: number; numeric: number } | null;
}

/**
 * Compares the gradients autograd computes for `f` with central differences
 * `(f(x + ε·eᵢ) − f(x − ε·eᵢ)) / 2ε`, evaluated in float64 from `f`'s float32 value.
 * Element i passes when `|analytic − numeric| ≤ atol + rtol·max(|analytic|, |numeric|)`.
 * @param f - a function of the inputs returning a one-element float32 tensor
 * @param inputs - float32 tensors (left unchanged)
 * @returns the comparison; `ok` is false if any checked element is out of tolerance
 * @example
 * checkGrad((x) => sum(exp(x)), [tensor([0.5, -1])]).ok; // true
 */
export function checkGrad(
  f: (...xs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  options: CheckGradOptions = {},
): CheckGradResult {
  if (typeof f !== "function") {
    throw new ArgumentError(
      `checkGrad: f must be a function (got ${f === null ? "null" : typeof f})`,
    );
  }
  const eps = options.eps ?? 1e-3;
  const rtol = options.rtol ?? 2e-2;
  const atol = options.atol ?? 2e-3;
  const maxElements = options.maxElements ?? 64;
  if (!Array.isArray(inputs) || inputs.some((x) => !(x instanceof TensorClass))) {
    throw new ArgumentError("checkGrad: inputs must be an array of tensors");
  }
  const { value, grads } = valueAndGrad(() => f(...inputs), inputs);
  value.dispose();
  const analytic = grads.map((g) => g.dataSync());
  for (const g of grads) g.dispose();
  const base = inputs.map((x) => x.dataSync() as Float32Array);
  const evalAt = (i: number, data: Float32Array): number =>
    tidy(() => {
      const xs = inputs.map((x, j) => (j === i ? tensor(data, { shape: x.shape }) : x));
      return f(...xs).item();
    });
  let maxAbsError = 0;
  let worst: CheckGradResult["worst"] = null;
  let ok = true;
  let checked = 0;
  let worstScore = -1;
  base.forEach((data, i) => {
    const n = data.length;
    const step = Math.max(1, Math.ceil(n / maxElements));
    for (let e = 0; e < n; e += step) {
      const orig = data[e]!;
      const probe = data.slice();
      probe[e] = orig + eps;
      const up = evalAt(i, probe);
      probe[e] = orig - eps;
      const down = evalAt(i, probe);
      // the float32 rounding of x ± ε shifts the true step; divide by the step actually taken
      const h = Math.fround(orig + eps) - Math.fround(orig - eps);
      const numeric = (up - down) / h;
      const a = analytic[i]![e]!;
      const err = Math.abs(a - numeric);
      const tol = atol + rtol * Math.max(Math.abs(a), Math.abs(numeric));
      const score = err / tol;
      checked++;
      if (err > maxAbsError) maxAbsError = err;
      if (score > worstScore) {
        worstScore = score;
        worst = { input: i, index: e, analytic: a, numeric };
      }
      if (!(err <= tol)) ok = false;
    }
  });
  return { ok, maxAbsError, checked, worst };
}
