import { assign, mul, type Tensor } from "@edgenn/tensor";
import { type AdamHyper, adamOptions, adamStep } from "./adam.js";
import { Optimizer, type Schedule } from "./optimizer.js";

/**
 * Options of `AdamW`: those of `Adam`, with `weightDecay` decoupled and defaulting to 1e-2.
 * @example
 * const options = { lr: 1e-3, weightDecay: 0.05 };
 * new AdamW([tensor([1])], options).lr; // 0.001
 */
export interface AdamWOptions {
  /** Learning rate γ ≥ 0, or a schedule (default 1e-3). */
  readonly lr?: number | Schedule;
  /** Decay β₁ ∈ [0, 1) of the first-moment estimate (default 0.9). */
  readonly beta1?: number;
  /** Decay β₂ ∈ [0, 1) of the second-moment estimate (default 0.999). */
  readonly beta2?: number;
  /** ε ≥ 0 added to the denominator (default 1e-8). */
  readonly epsilon?: number;
  /** Decoupled weight decay λ ≥ 0: θ shrinks by γλθ each step (default 1e-2). */
  readonly weightDecay?: number;
}

/**
 * Adam with decoupled weight decay, as `torch.optim.AdamW`. At step t (1-based), for each
 * parameter θ with gradient g: `θ ← θ·(1 − γλ)`, then the Adam step on g without an L2 term:
 * `m_t = β₁·m_{t−1} + (1 − β₁)·g`, `v_t = β₂·v_{t−1} + (1 − β₂)·g²`,
 * `θ ← θ − γ/(1 − β₁ᵗ) · m_t / (√v_t / √(1 − β₂ᵗ) + ε)`, with m₀ = v₀ = 0.
 * State buffers: `expAvg` (m), `expAvgSq` (v).
 * @example
 * const w = tensor([1, -1]);
 * const opt = new AdamW([w], { lr: 0.1, weightDecay: 0.5 });
 * opt.step([tensor([2, -3])]); // θ·(1 − 0.05) = [0.95, −0.95], then the Adam step ≈ −0.1·sign(g)
 * w.toArray(); // [0.85, -0.85]
 */
export class AdamW extends Optimizer {
  readonly #hyper: AdamHyper;

  /**
   * @param params - the float32 tensors to update in place
   * @param options - `lr = 1e-3`, `beta1 = 0.9`, `beta2 = 0.999`, `epsilon = 1e-8`,
   *   `weightDecay = 1e-2` (decoupled)
   * @throws {ArgumentError} for a beta outside [0, 1), a negative or non-finite option, or an
   *   unknown option; see `Optimizer` for `params`
   */
  constructor(params: readonly Tensor[], options: AdamWOptions = {}) {
    const { lr, hyper } = adamOptions("AdamW", options, 1e-2);
    super(params, { lr });
    this.#hyper = hyper;
  }

  protected override get kind(): string {
    return "AdamW";
  }

  protected get bufferNames(): readonly string[] {
    return ["expAvg", "expAvgSq"];
  }

  protected update(p: Tensor, g: Tensor, buffers: readonly Tensor[], lr: number, t: number): void {
    const h = this.#hyper;
    // θ ← θ·(1 − γλ) (decoupled decay, before the Adam step)
    if (h.weightDecay !== 0) assign(p, mul(p, 1 - lr * h.weightDecay));
    adamStep(p, g, buffers[0]!, buffers[1]!, lr, t, h);
  }
}
