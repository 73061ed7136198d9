import {
  ArgumentError,
  add,
  DTypeError,
  matmul,
  reshape,
  ShapeError,
  type Tensor,
  Tensor as TensorClass,
  tidy,
  transpose,
  zeros,
} from "@edgenn/tensor";
import { type Initializer, type InitName, initWeight } from "./init.js";
import { Module } from "./module.js";
import { show } from "./show.js";

/** Options of `Linear`. */
export interface LinearOptions {
  /** Add a learned bias `b` (default true). */
  bias?: boolean | undefined;
  /** Weight initializer, by name or as a function (default `"glorotUniform"`). Biases start at zero. */
  init?: InitName | Initializer | undefined;
  /** Seed of the weight initializer; without it the global generator is used. */
  seed?: number | undefined;
}

/**
 * A fully connected layer: `y = x·Wᵀ + b`, with `weight` `[outFeatures, inFeatures]` (PyTorch's
 * layout) and `bias` `[outFeatures]`. The input is `[..., inFeatures]`; the output `[..., outFeatures]`.
 * @example
 * const fc = new Linear(3, 2, { seed: 1 });
 * fc.forward(tensor([[1, 2, 3]])).shape; // [1, 2]
 * fc.weight.shape; // [2, 3]
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** `[outFeatures, inFeatures]`. */
  readonly weight: Tensor;
  /** `[outFeatures]`, or null without a bias. */
  readonly bias: Tensor | null;

  /**
   * @param inFeatures - size of the input's last dim
   * @param outFeatures - size of the output's last dim
   * @param options - `bias` (true), `init` ("glorotUniform"), `seed`
   * @throws {ArgumentError} for sizes that are not integers ≥ 1, an unknown init or a bad seed
   */
  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    for (const [name, v] of [
      ["inFeatures", inFeatures],
      ["outFeatures", outFeatures],
    ] as const) {
      if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1) {
        throw new ArgumentError(`Linear: ${name} must be an integer ≥ 1 (got ${show(v)})`);
      }
    }
    if (typeof options !== "object" || options === null) {
      throw new ArgumentError(`Linear: options must be an object (got ${show(options)})`);
    }
    const hasBias = options.bias ?? true;
    if (typeof hasBias !== "boolean") {
      throw new ArgumentError(`Linear: bias must be a boolean (got ${show(hasBias)})`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const w = initWeight(
      "Linear",
      options.init ?? "glorotUniform",
      [outFeatures, inFeatures],
      options.seed,
    );
    this.weight = this.addParameter("weight", w);
    this.bias = hasBias ? this.addParameter("bias", zeros([outFeatures])) : null;
  }

  /**
   * `y = x·Wᵀ + b`.
   * @param x - float32 `[..., inFeatures]` (rank ≥ 1)
   * @returns a new float32 tensor `[..., outFeatures]`, owned by the caller
   * @throws {ShapeError} if the last dim of `x` is not `inFeatures`
   * @throws {DTypeError} if `x` is not float32
   */
  forward(x: Tensor): Tensor {
    if (!(x instanceof TensorClass)) {
      throw new ArgumentError(`Linear: input must be a Tensor (got ${show(x)})`);
    }
    if (x.dtype !== "float32") {
      throw new DTypeError(`Linear: input must be float32 (got ${x.dtype})`);
    }
    const f = x.shape[x.rank - 1];
    if (x.rank === 0 || f !== this.inFeatures) {
      throw new ShapeError(
        `Linear: input has ${f ?? 0} features (expected ${this.inFeatures}, got shape [${x.shape.join(",")}])`,
      );
    }
    return tidy(() => {
      // [..., in] → [rows, in]: one matrix product, and dW = dyᵀ·x needs no batch sum
      const x2 = x.rank === 2 ? x : reshape(x, [-1, this.inFeatures]);
      const y = matmul(x2, transpose(this.weight));
      const yb = this.bias ? add(y, this.bias) : y;
      return x.rank === 2 ? yb : reshape(yb, [...x.shape.slice(0, -1), this.outFeatures]);
    });
  }
}
