import {
  ArgumentError,
  DTypeError,
  dropout,
  Rng,
  type Tensor,
  Tensor as TensorClass,
} from "@edgenn/tensor";
import { Module } from "./module.js";
import { show } from "./show.js";

/** Options of `Dropout`. */
export interface DropoutLayerOptions {
  /** Seed of the layer's private mask generator; without it the global generator (`setSeed`) is used. */
  seed?: number | undefined;
}

/**
 * Inverted dropout: in training mode `y = x · mask / (1 − p)` with `mask[i] ~ Bernoulli(1 − p)`, a
 * new mask each call; in eval mode the identity (a view of `x`, no random numbers drawn).
 * With a `seed`, the layer draws its masks from its own generator, so the sequence of masks is
 * reproducible and independent of other random draws.
 * @example
 * const drop = new Dropout(0.5, { seed: 1 });
 * drop.eval().forward(tensor([1, 2])).toArray(); // [1, 2]
 */
export class Dropout extends Module {
  /** The probability of dropping an element. */
  readonly p: number;
  readonly #rng: Rng | null;

  /**
   * @param p - the probability of dropping an element, in [0, 1) (default 0.5)
   * @param options - `seed`
   * @throws {ArgumentError} for a `p` outside [0, 1) or a seed that is not an integer
   */
  constructor(p = 0.5, options: DropoutLayerOptions = {}) {
    super();
    if (typeof p !== "number" || !(p >= 0 && p < 1)) {
      throw new ArgumentError(`Dropout: p must be in [0, 1) (got ${show(p)})`);
    }
    if (typeof options !== "object" || options === null) {
      throw new ArgumentError(`Dropout: options must be an object (got ${show(options)})`);
    }
    const seed = options.seed;
    if (seed !== undefined && (typeof seed !== "number" || !Number.isInteger(seed))) {
      throw new ArgumentError(`Dropout: seed must be an integer (got ${show(seed)})`);
    }
    this.p = p;
    this.#rng = seed === undefined ? null : new Rng(seed);
  }

  /**
   * @param x - float32 tensor of any shape
   * @returns a new tensor of `x`'s shape (in eval mode a view of `x`), owned by the caller
   * @throws {DTypeError} if `x` is not float32
   */
  forward(x: Tensor): Tensor {
    if (!(x instanceof TensorClass)) {
      throw new ArgumentError(`Dropout: input must be a Tensor (got ${show(x)})`);
    }
    if (x.dtype !== "float32") {
      throw new DTypeError(`Dropout: input must be float32 (got ${x.dtype})`);
    }
    if (!this.isTraining || this.p === 0) return dropout(x, this.p, { training: false });
    // each call draws a fresh mask: the op's seed comes from the layer's own stream
    const seed = this.#rng?.nextUint32();
    return dropout(x, this.p, seed === undefined ? {} : { seed });
  }
}
