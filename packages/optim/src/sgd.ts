import { ArgumentError, add, assign, mul, sub, type Tensor } from "@edgenn/tensor";
import { checkBoolean, checkNumber, checkOptions } from "./checks.js";
import { Optimizer, type Schedule } from "./optimizer.js";

/**
 * Options of `SGD`. `lr` has no default.
 * @example
 * const options = { lr: 0.1, momentum: 0.9, nesterov: true };
 * new SGD([tensor([1])], options).lr; // 0.1
 */
export interface SGDOptions {
  /** Learning rate γ ≥ 0, or a schedule. */
  readonly lr: number | Schedule;
  /** Momentum factor μ ≥ 0 (default 0: plain gradient descent). */
  readonly momentum?: number;
  /** Dampening τ ∈ [0, 1] of the gradient added to the momentum buffer (default 0). */
  readonly dampening?: number;
  /** Nesterov momentum (default false; needs μ > 0 and τ = 0). */
  readonly nesterov?: boolean;
  /** L2 penalty λ ≥ 0 added to the gradient (default 0). */
  readonly weightDecay?: number;
}

const OPTIONS = ["lr", "momentum", "dampening", "nesterov", "weightDecay"] as const;

/**
 * Stochastic gradient descent with momentum, as `torch.optim.SGD`. At step t, for each parameter θ
 * with gradient g:
 * `d = g + λθ`; with μ ≠ 0: `b₁ = d`, `b_t = μ·b_{t−1} + (1 − τ)·d`, then `d = d + μ·b_t`
 * (Nesterov) or `d = b_t`; finally `θ ← θ − γ·d`.
 * State buffer (μ ≠ 0): `momentumBuffer`.
 * @example
 * const w = tensor([1, 2]);
 * const opt = new SGD([w], { lr: 0.1, momentum: 0.9 });
 * opt.step([tensor([1, 1])]); // b = g = [1, 1]; w = w − 0.1·b
 * w.toArray(); // [0.9, 1.9]
 * opt.step([tensor([1, 1])]); // b = 0.9·[1, 1] + [1, 1] = [1.9, 1.9]; w = w − 0.1·b
 * w.toArray(); // [0.71, 1.71]
 */
export class SGD extends Optimizer {
  readonly #momentum: number;
  readonly #dampening: number;
  readonly #nesterov: boolean;
  readonly #weightDecay: number;

  /**
   * @param params - the float32 tensors to update in place
   * @param options - `lr` (required), `momentum = 0`, `dampening = 0`, `nesterov = false`,
   *   `weightDecay = 0`
   * @throws {ArgumentError} for a missing, negative or non-finite option, an unknown option, or
   *   Nesterov without momentum or with dampening; see `Optimizer` for `params`
   */
  constructor(params: readonly Tensor[], options: SGDOptions) {
    const o = checkOptions("SGD", options, OPTIONS);
    const momentum = checkNumber("SGD", "momentum", o.momentum, 0, { min: 0 });
    const dampening = checkNumber("SGD", "dampening", o.dampening, 0, { min: 0, max: 1 });
    const nesterov = checkBoolean("SGD", "nesterov", o.nesterov, false);
    const weightDecay = checkNumber("SGD", "weightDecay", o.weightDecay, 0, { min: 0 });
    if (nesterov && (momentum <= 0 || dampening !== 0)) {
      throw new ArgumentError(
        `SGD: Nesterov momentum needs momentum > 0 and dampening 0 (got momentum ${momentum}, dampening ${dampening})`,
      );
    }
    super(params, { lr: o.lr as number | Schedule });
    this.#momentum = momentum;
    this.#dampening = dampening;
    this.#nesterov = nesterov;
    this.#weightDecay = weightDecay;
  }

  protected override get kind(): string {
    return "SGD";
  }

  protected get bufferNames(): readonly string[] {
    return this.#momentum === 0 ? [] : ["momentumBuffer"];
  }

  protected update(p: Tensor, g: Tensor, buffers: readonly Tensor[], lr: number, t: number): void {
    const mu = this.#momentum;
    // d = g + λθ
    let d = this.#weightDecay === 0 ? g : add(g, mul(p, this.#weightDecay));
    if (mu !== 0) {
      const b = buffers[0]!;
      // b₁ = d; b_t = μ·b_{t−1} + (1 − τ)·d
      if (t === 1) assign(b, d);
      else assign(b, add(mul(b, mu), this.#dampening === 0 ? d : mul(d, 1 - this.#dampening)));
      // Nesterov: d + μ·b_t; else b_t
      d = this.#nesterov ? add(d, mul(b, mu)) : b;
    }
    // θ ← θ − γ·d
    assign(p, sub(p, mul(d, lr)));
  }
}
