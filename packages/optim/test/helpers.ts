import type { Optimizer } from "@edgenn/optim";
import { type Tensor, tensor, tidy } from "@edgenn/tensor";

/** The parameter every golden test starts from. */
export const P0 = [1, -2];

/** The gradients of the golden tests' steps 1, 2, 3 (fixed, so the updates are easy to follow). */
export const GRADS = [
  [0.5, 1],
  [-1, 0.5],
  [2, -1],
];

/** The parameter after each of `steps` steps of the optimizer `make` builds over `tensor(P0)`. */
export function trajectory(make: (params: Tensor[]) => Optimizer, steps = 3): number[][] {
  const w = tensor(P0);
  const opt = make([w]);
  const out: number[][] = [];
  for (let t = 0; t < steps; t++) {
    tidy(() => opt.step([tensor(GRADS[t]!)]));
    out.push(Array.from(w.dataSync()));
  }
  opt.dispose();
  w.dispose();
  return out;
}

/** Golden-value tolerance: float32 rounding over a few ops (values are O(1)). */
export const TOL = { rtol: 1e-6, atol: 1e-7 };
