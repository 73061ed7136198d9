import { allocTensor, record } from "../engine.js";
import { ArgumentError } from "../errors.js";
import { asTensor, checkDType, checkNumber, compose, FLOAT } from "../op-helpers.js";
import { globalGenerator, Rng } from "../random.js";
import { describe } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { mul } from "./mul.js";

/** Options of `dropout`. */
export interface DropoutOptions {
  /** Seed of a private generator for the mask; without it the global generator (`setSeed`) is used. */
  seed?: number | undefined;
  /** Drop elements only when true (default); false is the identity (inference). */
  training?: boolean | undefined;
}

/**
 * Inverted dropout (ONNX Dropout): `y = x · mask / (1 − rate)` with `mask[i] ~ Bernoulli(1 − rate)`,
 * so `E[y] = x` and inference needs no rescaling. The mask is a constant tensor, so the gradient is
 * `dy · mask / (1 − rate)`. Mask element i (row-major) is kept when the i-th draw `u ∈ [0, 1)` of the
 * generator satisfies `u ≥ rate`: the same seed gives the same mask.
 * With `training: false` or `rate = 0` the result is the identity: a view of `x` sharing its buffer
 * (no copy; disposing the result leaves `x` alive), and no random numbers are drawn.
 * @param x - float32 tensor
 * @param rate - probability of dropping an element, in [0, 1)
 * @param options - `seed`, `training`
 * @returns a new tensor (or, for the identity, a view of `x`) of `x`'s shape, owned by the caller
 * @throws {DTypeError} if `x` is not float32
 * @throws {ArgumentError} for a rate outside [0, 1), a seed that is not an integer, or a non-boolean `training`
 * @example
 * dropout(ones([2, 3]), 0.5, { seed: 1 }).toArray(); // each element 0 or 2 (kept elements ×2)
 * dropout(ones([2]), 0.5, { training: false }).toArray(); // [1, 1]
 */
export function dropout(x: Tensor, rate: number, options: DropoutOptions = {}): Tensor {
  const op = "dropout";
  const t = asTensor(op, x);
  checkDType(op, t, FLOAT);
  if (typeof rate !== "number" || !(rate >= 0 && rate < 1)) {
    throw new ArgumentError(`${op}: rate must be in [0, 1) (got ${describe(rate)})`);
  }
  if (typeof options !== "object" || options === null) {
    throw new ArgumentError(`${op}: options must be an object (got ${describe(options)})`);
  }
  const training = options.training ?? true;
  if (typeof training !== "boolean") {
    throw new ArgumentError(`${op}: training must be a boolean (got ${describe(training)})`);
  }
  const rng =
    options.seed === undefined
      ? null
      : new Rng(checkNumber(op, "seed", options.seed, { integer: true }));
  if (!training || rate === 0) {
    const y = t.view(t.shape, t.strides, t.offset);
    // d identity = dy
    record(op, [t], y, (dy) => [dy]);
    return y;
  }
  const gen = rng ?? globalGenerator();
  const keepScale = 1 / (1 - rate);
  const values = new Float32Array(t.size);
  for (let i = 0; i < values.length; i++) values[i] = gen.next() >= rate ? keepScale : 0;
  return compose(() => {
    const mask = allocTensor(op, t.shape, "float32");
    mask.backend.write(mask.dataId, values);
    // d(x · m) = m · dx, with m = mask / (1 − rate) constant
    return mul(t, mask);
  });
}
