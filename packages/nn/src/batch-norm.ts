import {
  ArgumentError,
  add,
  assign,
  batchNorm,
  DTypeError,
  div,
  mean,
  mul,
  noGrad,
  ones,
  reshape,
  ShapeError,
  sqrt,
  square,
  sub,
  type Tensor,
  Tensor as TensorClass,
  tidy,
  zeros,
} from "@edgenn/tensor";
import { Module } from "./module.js";
import { show } from "./show.js";

/** Options of `BatchNorm1d` and `BatchNorm2d`. */
export interface BatchNormLayerOptions {
  /** Weight of the new batch statistic in the running ones, in [0, 1] (default 0.1, PyTorch's convention). */
  momentum?: number | undefined;
  /** Added to the variance before the square root (default 1e-5). */
  epsilon?: number | undefined;
  /** Learn a per-channel scale γ (`weight`, starts at 1) and shift β (`bias`, starts at 0) (default true). */
  affine?: boolean | undefined;
}

/**
 * @internal The shared implementation of BatchNorm1d and BatchNorm2d (they differ only in the
 * input ranks they accept).
 * Training: μ, σ² = mean and biased variance over every axis but 1 (two passes: σ² = mean((x − μ)²));
 * y = (x − μ)/√(σ² + ε)·γ + β, differentiated through μ and σ². Then, under noGrad and in place:
 * running ← (1 − momentum)·running + momentum·batch, with the unbiased σ²·n/(n − 1) for the
 * running variance (PyTorch). Eval: the same formula with the running statistics (the batchNorm op).
 */
export abstract class BatchNormBase extends Module {
  readonly numFeatures: number;
  readonly momentum: number;
  readonly epsilon: number;
  /** γ `[numFeatures]`, or null when not affine. */
  readonly weight: Tensor | null;
  /** β `[numFeatures]`, or null when not affine. */
  readonly bias: Tensor | null;
  /** Running mean `[numFeatures]` (a buffer; starts at 0). */
  readonly runningMean: Tensor;
  /** Running unbiased variance `[numFeatures]` (a buffer; starts at 1). */
  readonly runningVar: Tensor;
  readonly #layer: string;

  constructor(layer: string, numFeatures: number, options: BatchNormLayerOptions) {
    super();
    this.#layer = layer;
    if (typeof numFeatures !== "number" || !Number.isSafeInteger(numFeatures) || numFeatures < 1) {
      throw new ArgumentError(
        `${layer}: numFeatures must be an integer ≥ 1 (got ${show(numFeatures)})`,
      );
    }
    if (typeof options !== "object" || options === null) {
      throw new ArgumentError(`${layer}: options must be an object (got ${show(options)})`);
    }
    const momentum = options.momentum ?? 0.1;
    if (typeof momentum !== "number" || !(momentum >= 0 && momentum <= 1)) {
      throw new ArgumentError(`${layer}: momentum must be in [0, 1] (got ${show(momentum)})`);
    }
    const epsilon = options.epsilon ?? 1e-5;
    if (typeof epsilon !== "number" || !Number.isFinite(epsilon) || epsilon < 0) {
      throw new ArgumentError(
        `${layer}: epsilon must be a finite number ≥ 0 (got ${show(epsilon)})`,
      );
    }
    const affine = options.affine ?? true;
    if (typeof affine !== "boolean") {
      throw new ArgumentError(`${layer}: affine must be a boolean (got ${show(affine)})`);
    }
    this.numFeatures = numFeatures;
    this.momentum = momentum;
    this.epsilon = epsilon;
    this.weight = affine ? this.addParameter("weight", ones([numFeatures])) : null;
    this.bias = affine ? this.addParameter("bias", zeros([numFeatures])) : null;
    this.runningMean = this.addBuffer("runningMean", zeros([numFeatures]));
    this.runningVar = this.addBuffer("runningVar", ones([numFeatures]));
  }

  /** The input ranks this layer accepts, and how to name them in an error. */
  protected abstract get ranks(): { ranks: readonly number[]; layout: string };

  /**
   * Normalises `x` per channel (axis 1): with the batch statistics in training mode (updating the
   * running ones in place), with the running statistics in eval mode.
   * @param x - float32 `[N, C, …]` with C = numFeatures
   * @returns a new float32 tensor of `x`'s shape, owned by the caller
   * @throws {ShapeError} for a rank the layer does not take, a channel count other than
   *   numFeatures, or (in training) a single value per channel
   * @throws {DTypeError} if `x` is not float32
   */
  forward(x: Tensor): Tensor {
    const layer = this.#layer;
    if (!(x instanceof TensorClass)) {
      throw new ArgumentError(`${layer}: input must be a Tensor (got ${show(x)})`);
    }
    if (x.dtype !== "float32") {
      throw new DTypeError(`${layer}: input must be float32 (got ${x.dtype})`);
    }
    const { ranks, layout } = this.ranks;
    if (!ranks.includes(x.rank)) {
      throw new ShapeError(
        `${layer}: input must have rank ${ranks.join(" or ")} (expected ${layout}, got shape [${x.shape.join(",")}])`,
      );
    }
    const c = this.numFeatures;
    if (x.shape[1] !== c) {
      throw new ShapeError(
        `${layer}: input has ${x.shape[1]} channels (expected ${c}, got shape [${x.shape.join(",")}])`,
      );
    }
    if (!this.isTraining) {
      return batchNorm(x, {
        mean: this.runningMean,
        variance: this.runningVar,
        scale: this.weight ?? undefined,
        bias: this.bias ?? undefined,
        epsilon: this.epsilon,
      });
    }
    const n = x.size / c;
    if (n < 2) {
      throw new ShapeError(
        `${layer}: training needs more than one value per channel (expected N·spatial > 1, got shape [${x.shape.join(",")}])`,
      );
    }
    const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
    // [C] parameters broadcast along axis 1 as [1, C, 1, …]
    const pshape = x.shape.map((d, i) => (i === 1 ? d : 1));
    return tidy(() => {
      const mu = mean(x, axes, true);
      const d = sub(x, mu);
      const variance = mean(square(d), axes, true);
      this.#updateRunning(mu, variance, n);
      const inv = div(1, sqrt(add(variance, this.epsilon)));
      const k = this.weight ? mul(inv, reshape(this.weight, pshape)) : inv;
      const y = mul(d, k);
      return this.bias ? add(y, reshape(this.bias, pshape)) : y;
    });
  }

  // running ← (1 − m)·running + m·batch; the variance unbiased: σ²·n/(n − 1)
  #updateRunning(mu: Tensor, variance: Tensor, n: number): void {
    const m = this.momentum;
    const c = [this.numFeatures];
    noGrad(() =>
      tidy(() => {
        assign(this.runningMean, add(mul(this.runningMean, 1 - m), mul(reshape(mu, c), m)));
        assign(
          this.runningVar,
          add(mul(this.runningVar, 1 - m), mul(reshape(variance, c), (m * n) / (n - 1))),
        );
      }),
    );
  }
}

/**
 * Batch normalization over `[N, C]` or `[N, C, L]` (per channel C): `y = (x − μ)/√(σ² + ε)·γ + β`.
 * Training mode uses the batch's mean and biased variance and updates `runningMean`/`runningVar`
 * in place (`momentum`, unbiased running variance: PyTorch's convention); eval mode uses the
 * running statistics.
 * @example
 * const bn = new BatchNorm1d(1, { epsilon: 0 });
 * bn.forward(tensor([[1], [3]])).toArray(); // [[-1], [1]]
 * bn.runningMean.toArray(); // [0.2]
 * bn.runningVar.toArray(); // [1.1]
 */
export class BatchNorm1d extends BatchNormBase {
  /**
   * @param numFeatures - channels C
   * @param options - `momentum` (0.1), `epsilon` (1e-5), `affine` (true)
   * @throws {ArgumentError} for a numFeatures that is not an integer ≥ 1, a momentum outside
   *   [0, 1], a negative epsilon or a non-boolean affine
   */
  constructor(numFeatures: number, options: BatchNormLayerOptions = {}) {
    super("BatchNorm1d", numFeatures, options);
  }

  protected get ranks(): { ranks: readonly number[]; layout: string } {
    return { ranks: [2, 3], layout: "[N, C] or [N, C, L]" };
  }
}

/**
 * Batch normalization over `[N, C, H, W]` (per channel C): `y = (x − μ)/√(σ² + ε)·γ + β`, with μ
 * and σ² over N, H, W. Training mode uses the batch's statistics and updates the running ones in
 * place (PyTorch's convention); eval mode uses the running statistics.
 * @example
 * const bn = new BatchNorm2d(1, { epsilon: 0 }).eval();
 * bn.forward(tensor([2, 4], { shape: [1, 1, 1, 2] })).toArray(); // [[[[2, 4]]]]
 */
export class BatchNorm2d extends BatchNormBase {
  /**
   * @param numFeatures - channels C
   * @param options - `momentum` (0.1), `epsilon` (1e-5), `affine` (true)
   * @throws {ArgumentError} for a numFeatures that is not an integer ≥ 1, a momentum outside
   *   [0, 1], a negative epsilon or a non-boolean affine
   */
  constructor(numFeatures: number, options: BatchNormLayerOptions = {}) {
    super("BatchNorm2d", numFeatures, options);
  }

  protected get ranks(): { ranks: readonly number[]; layout: string } {
    return { ranks: [4], layout: "[N, C, H, W]" };
  }
}
