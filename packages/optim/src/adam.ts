import { add, assign, div, mul, sqrt, square, sub, type Tensor } from "@edgenn/tensor";
import { pow } from "@edgenn/tensor/kernels";
import { checkNumber, checkOptions } from "./checks.js";
import { Optimizer, type Schedule } from "./optimizer.js";

/**
 * Options of `Adam`.
 * @example
 * const options = { lr: 1e-3, beta1: 0.9, beta2: 0.999 };
 * new Adam([tensor([1])], options).lr; // 0.001
 */
export interface AdamOptions {
  /** Learning rate γ ≥ 0, or a schedule (default 1e-3). */
  readonly lr?: number | Schedule;
  /** Decay β₁ ∈ [0, 1) of the first-moment estimate (default 0.9). */
  readonly beta1?: number;
  /** Decay β₂ ∈ [0, 1) of the second-moment estimate (default 0.999). */
  readonly beta2?: number;
  /** ε ≥ 0 added to the denominator (default 1e-8). */
  readonly epsilon?: number;
  /** L2 penalty λ ≥ 0 added to the gradient (default 0); `AdamW` decouples it instead. */
  readonly weightDecay?: number;
}

/** @internal Adam's hyperparameters after checking. */
export interface AdamHyper {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
}

/** @internal Checks Adam/AdamW options; returns lr and the hyperparameters. */
export function adamOptions(
  op: string,
  options: unknown,
  defaultWeightDecay: number,
): { lr: number | Schedule; hyper: AdamHyper } {
  const o = checkOptions(op, options, ["lr", "beta1", "beta2", "epsilon", "weightDecay"]);
  const beta = { min: 0, max: 1, maxExclusive: true };
  return {
    lr: (o.lr ?? 1e-3) as number | Schedule,
    hyper: {
      beta1: checkNumber(op, "beta1", o.beta1, 0.9, beta),
      beta2: checkNumber(op, "beta2", o.beta2, 0.999, beta),
      epsilon: checkNumber(op, "epsilon", o.epsilon, 1e-8, { min: 0 }),
      weightDecay: checkNumber(op, "weightDecay", o.weightDecay, defaultWeightDecay, { min: 0 }),
    },
  };
}

/**
 * @internal The Adam moment update and parameter step for gradient `d` (weight decay already
 * applied): `m ← β₁m + (1 − β₁)d`, `v ← β₂v + (1 − β₂)d²`,
 * `θ ← θ − (γ/(1 − β₁ᵗ))·m/(√v/√(1 − β₂ᵗ) + ε)`.
 */
export function adamStep(
  p: Tensor,
  d: Tensor,
  m: Tensor,
  v: Tensor,
  lr: number,
  t: number,
  { beta1, beta2, epsilon }: AdamHyper,
): void {
  assign(m, add(mul(m, beta1), mul(d, 1 - beta1)));
  assign(v, add(mul(v, beta2), mul(square(d), 1 - beta2)));
  // the portable pow: `**` rounds differently across engines (0.9 ** 4 on Deno vs Node)
  const bc1 = 1 - pow(beta1, t);
  const bc2 = 1 - pow(beta2, t);
  const denom = add(div(sqrt(v), Math.sqrt(bc2)), epsilon);
  assign(p, sub(p, mul(div(m, denom), lr / bc1)));
}

/**
 * Adam, as `torch.optim.Adam` (amsgrad off). At step t (1-based), for each parameter θ with
 * gradient g: `d = g + λθ`, `m_t = β₁·m_{t−1} + (1 − β₁)·d`, `v_t = β₂·v_{t−1} + (1 − β₂)·d²`,
 * `θ ← θ − γ/(1 − β₁ᵗ) · m_t / (√v_t / √(1 − β₂ᵗ) + ε)`, with m₀ = v₀ = 0.
 * State buffers: `expAvg` (m), `expAvgSq` (v).
 * @example
 * const w = tensor([1, -1]);
 * const opt = new Adam([w], { lr: 0.1 });
 * opt.step([tensor([2, -3])]); // the first step moves each element by ≈ lr·sign(g)
 * w.toArray(); // [0.9, -0.9]
 */
export class Adam extends Optimizer {
  readonly #hyper: AdamHyper;

  /**
   * @param params - the float32 tensors to update in place
   * @param options - `lr = 1e-3`, `beta1 = 0.9`, `beta2 = 0.999`, `epsilon = 1e-8`,
   *   `weightDecay = 0` (L2, added to the gradient)
   * @throws {ArgumentError} for a beta outside [0, 1), a negative or non-finite option, or an
   *   unknown option; see `Optimizer` for `params`
   */
  constructor(params: readonly Tensor[], options: AdamOptions = {}) {
    const { lr, hyper } = adamOptions("Adam", options, 0);
    super(params, { lr });
    this.#hyper = hyper;
  }

  protected override get kind(): string {
    return "Adam";
  }

  protected get bufferNames(): readonly string[] {
    return ["expAvg", "expAvgSq"];
  }

  protected update(p: Tensor, g: Tensor, buffers: readonly Tensor[], lr: number, t: number): void {
    const h = this.#hyper;
    // d = g + λθ (L2 penalty coupled with the gradient)
    const d = h.weightDecay === 0 ? g : add(g, mul(p, h.weightDecay));
    adamStep(p, d, buffers[0]!, buffers[1]!, lr, t, h);
  }
}
