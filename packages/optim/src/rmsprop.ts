import { add, assign, div, maximum, mul, sqrt, square, sub, type Tensor } from "@edgenn/tensor";
import { checkBoolean, checkNumber, checkOptions } from "./checks.js";
import { Optimizer, type Schedule } from "./optimizer.js";

/**
 * Options of `RMSprop`.
 * @example
 * const options = { lr: 0.01, momentum: 0.9, centered: true };
 * new RMSprop([tensor([1])], options).lr; // 0.01
 */
export interface RMSpropOptions {
  /** Learning rate γ ≥ 0, or a schedule (default 1e-2). */
  readonly lr?: number | Schedule;
  /** Smoothing α ∈ [0, 1) of the squared-gradient average (default 0.99). */
  readonly alpha?: number;
  /** ε ≥ 0 added to the denominator (default 1e-8). */
  readonly epsilon?: number;
  /** Momentum factor μ ≥ 0 (default 0). */
  readonly momentum?: number;
  /** Divide by the estimated variance of the gradient instead of its second moment (default false). */
  readonly centered?: boolean;
  /** L2 penalty λ ≥ 0 added to the gradient (default 0). */
  readonly weightDecay?: number;
}

const OPTIONS = ["lr", "alpha", "epsilon", "momentum", "centered", "weightDecay"] as const;

/**
 * RMSprop, as `torch.optim.RMSprop`. At each step, for each parameter θ with gradient g:
 * `d = g + λθ`, `v_t = α·v_{t−1} + (1 − α)·d²`; centered: `ḡ_t = α·ḡ_{t−1} + (1 − α)·d` and
 * `a = √max(v_t − ḡ_t², 0) + ε`, else `a = √v_t + ε`; with μ ≠ 0: `b_t = μ·b_{t−1} + d/a`,
 * `θ ← θ − γ·b_t`, else `θ ← θ − γ·d/a`. All buffers start at zero. (The `max(·, 0)` only guards
 * against rounding: v_t ≥ ḡ_t² holds exactly.)
 * State buffers: `squareAvg` (v), `momentumBuffer` (b, when μ ≠ 0), `gradAvg` (ḡ, when centered).
 * @example
 * const w = tensor([1, 2]);
 * const opt = new RMSprop([w], { lr: 0.01, alpha: 0.75 });
 * opt.step([tensor([1, -2])]); // v = 0.25·g², θ ← θ − 0.01·g/(0.5·|g|) = θ − 0.02·sign(g)
 * w.toArray(); // [0.98, 2.02]
 */
export class RMSprop extends Optimizer {
  readonly #alpha: number;
  readonly #epsilon: number;
  readonly #momentum: number;
  readonly #centered: boolean;
  readonly #weightDecay: number;

  /**
   * @param params - the float32 tensors to update in place
   * @param options - `lr = 1e-2`, `alpha = 0.99`, `epsilon = 1e-8`, `momentum = 0`,
   *   `centered = false`, `weightDecay = 0`
   * @throws {ArgumentError} for alpha outside [0, 1), a negative or non-finite option, or an
   *   unknown option; see `Optimizer` for `params`
   */
  constructor(params: readonly Tensor[], options: RMSpropOptions = {}) {
    const o = checkOptions("RMSprop", options, OPTIONS);
    const alpha = checkNumber("RMSprop", "alpha", o.alpha, 0.99, {
      min: 0,
      max: 1,
      maxExclusive: true,
    });
    const epsilon = checkNumber("RMSprop", "epsilon", o.epsilon, 1e-8, { min: 0 });
    const momentum = checkNumber("RMSprop", "momentum", o.momentum, 0, { min: 0 });
    const centered = checkBoolean("RMSprop", "centered", o.centered, false);
    const weightDecay = checkNumber("RMSprop", "weightDecay", o.weightDecay, 0, { min: 0 });
    super(params, { lr: (o.lr ?? 1e-2) as number | Schedule });
    this.#alpha = alpha;
    this.#epsilon = epsilon;
    this.#momentum = momentum;
    this.#centered = centered;
    this.#weightDecay = weightDecay;
  }

  protected override get kind(): string {
    return "RMSprop";
  }

  protected get bufferNames(): readonly string[] {
    return [
      "squareAvg",
      ...(this.#momentum !== 0 ? ["momentumBuffer"] : []),
      ...(this.#centered ? ["gradAvg"] : []),
    ];
  }

  protected update(p: Tensor, g: Tensor, buffers: readonly Tensor[], lr: number): void {
    const alpha = this.#alpha;
    const [v, ...rest] = buffers;
    const b = this.#momentum !== 0 ? rest.shift() : undefined;
    const gAvg = this.#centered ? rest.shift() : undefined;
    // d = g + λθ
    const d = this.#weightDecay === 0 ? g : add(g, mul(p, this.#weightDecay));
    // v_t = α·v_{t−1} + (1 − α)·d²
    assign(v!, add(mul(v!, alpha), mul(square(d), 1 - alpha)));
    let variance = v!;
    if (gAvg !== undefined) {
      // ḡ_t = α·ḡ_{t−1} + (1 − α)·d; variance = v_t − ḡ_t² (≥ 0 up to rounding)
      assign(gAvg, add(mul(gAvg, alpha), mul(d, 1 - alpha)));
      variance = maximum(sub(v!, square(gAvg)), 0);
    }
    // a = √variance + ε
    const a = add(sqrt(variance), this.#epsilon);
    if (b !== undefined) {
      // b_t = μ·b_{t−1} + d/a; θ ← θ − γ·b_t
      assign(b, add(mul(b, this.#momentum), div(d, a)));
      assign(p, sub(p, mul(b, lr)));
    } else {
      // θ ← θ − γ·d/a
      assign(p, sub(p, mul(div(d, a), lr)));
    }
  }
}
