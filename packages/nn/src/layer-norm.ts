import {
  ArgumentError,
  DTypeError,
  layerNorm,
  ones,
  ShapeError,
  type Tensor,
  Tensor as TensorClass,
  zeros,
} from "@edgenn/tensor";
import { Module } from "./module.js";
import { show, showJson } from "./show.js";

/** Options of `LayerNorm`. */
export interface LayerNormLayerOptions {
  /** Added to the variance before the square root (default 1e-5). */
  epsilon?: number | undefined;
  /** Learn a scale γ (`weight`, starts at 1) and shift β (`bias`, starts at 0) of `normalizedShape` (default true). */
  elementwiseAffine?: boolean | undefined;
}

/**
 * Layer normalization over the last dims: `y = (x − μ)/√(σ² + ε)·γ + β`, with μ and the biased σ²
 * taken over the trailing `normalizedShape` dims of each sample (the same in training and eval).
 * @example
 * const ln = new LayerNorm(2);
 * ln.forward(tensor([[1, 3], [2, 2]])).toArray(); // [[-1, 1], [0, 0]]
 */
export class LayerNorm extends Module {
  /** The trailing dims normalised together. */
  readonly normalizedShape: readonly number[];
  readonly epsilon: number;
  /** γ of `normalizedShape`, or null without `elementwiseAffine`. */
  readonly weight: Tensor | null;
  /** β of `normalizedShape`, or null without `elementwiseAffine`. */
  readonly bias: Tensor | null;

  /**
   * @param normalizedShape - the trailing dims to normalise: n | [d1, d2, …] (integers ≥ 1)
   * @param options - `epsilon` (1e-5), `elementwiseAffine` (true)
   * @throws {ArgumentError} for a bad normalizedShape, a negative epsilon or a non-boolean flag
   */
  constructor(normalizedShape: number | readonly number[], options: LayerNormLayerOptions = {}) {
    super();
    const shape = typeof normalizedShape === "number" ? [normalizedShape] : normalizedShape;
    if (
      !Array.isArray(shape) ||
      shape.length === 0 ||
      shape.some((d) => typeof d !== "number" || !Number.isSafeInteger(d) || d < 1)
    ) {
      throw new ArgumentError(
        `LayerNorm: normalizedShape must be an integer ≥ 1 or a non-empty array of them (got ${showJson(normalizedShape)})`,
      );
    }
    if (typeof options !== "object" || options === null) {
      throw new ArgumentError(`LayerNorm: options must be an object (got ${show(options)})`);
    }
    const epsilon = options.epsilon ?? 1e-5;
    if (typeof epsilon !== "number" || !Number.isFinite(epsilon) || epsilon < 0) {
      throw new ArgumentError(
        `LayerNorm: epsilon must be a finite number ≥ 0 (got ${show(epsilon)})`,
      );
    }
    const affine = options.elementwiseAffine ?? true;
    if (typeof affine !== "boolean") {
      throw new ArgumentError(
        `LayerNorm: elementwiseAffine must be a boolean (got ${show(affine)})`,
      );
    }
    this.normalizedShape = shape.slice();
    this.epsilon = epsilon;
    this.weight = affine ? this.addParameter("weight", ones(shape)) : null;
    this.bias = affine ? this.addParameter("bias", zeros(shape)) : null;
  }

  /**
   * @param x - float32 `[..., ...normalizedShape]`
   * @returns a new float32 tensor of `x`'s shape, owned by the caller
   * @throws {ShapeError} if the trailing dims of `x` are not `normalizedShape`
   * @throws {DTypeError} if `x` is not float32
   */
  forward(x: Tensor): Tensor {
    if (!(x instanceof TensorClass)) {
      throw new ArgumentError(`LayerNorm: input must be a Tensor (got ${show(x)})`);
    }
    if (x.dtype !== "float32") {
      throw new DTypeError(`LayerNorm: input must be float32 (got ${x.dtype})`);
    }
    const k = this.normalizedShape.length;
    const tail = x.shape.slice(x.rank - k);
    if (x.rank < k || tail.some((d, i) => d !== this.normalizedShape[i])) {
      throw new ShapeError(
        `LayerNorm: input's last dims must be [${this.normalizedShape.join(",")}] (got shape [${x.shape.join(",")}])`,
      );
    }
    return layerNorm(x, {
      axis: x.rank - k,
      scale: this.weight ?? undefined,
      bias: this.bias ?? undefined,
      epsilon: this.epsilon,
    });
  }
}
