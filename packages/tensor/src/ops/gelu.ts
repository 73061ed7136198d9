import { noGrad, record } from "../engine.js";
import { ArgumentError } from "../errors.js";
import { asTensor, checkDType, compose, FLOAT, type TensorLike, unaryOp } from "../op-helpers.js";
import { describe } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { add } from "./add.js";
import { exp } from "./exp.js";
import { mul } from "./mul.js";
import { square } from "./square.js";
import { tanh } from "./tanh.js";

/** Options of `gelu`. */
export interface GeluOptions {
  /** `'none'` (default): the exact form with erf; `'tanh'`: the tanh approximation. */
  approximate?: "none" | "tanh";
}

const SQRT1_2 = Math.SQRT1_2;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** Φ(x) = ½(1 + erf(x/√2)), the standard normal CDF (the backend's `erf` kernel; not recorded). */
function normalCdf(x: Tensor): Tensor {
  return mul(add(unaryOp("gelu", "erf", mul(x, SQRT1_2), FLOAT), 1), 0.5);
}

/**
 * Elementwise Gaussian error linear unit `gelu(x) = x·Φ(x) = ½·x·(1 + erf(x/√2))` (ONNX Gelu);
 * with `approximate: 'tanh'`, `½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`. Finite for all finite x.
 * @param x - float32 tensor or number
 * @param options - `approximate`: `'none'` (default) or `'tanh'`
 * @returns a new tensor of `x`'s shape, owned by the caller
 * @throws {DTypeError} if `x` is not float32
 * @throws {ArgumentError} if `options` is not an object or `approximate` is not `'none'`/`'tanh'`
 * @example
 * gelu(tensor([-1, 0, 1])).toArray(); // [-0.15865526, 0, 0.8413447]
 * gelu(tensor([1]), { approximate: "tanh" }).toArray(); // [0.8411920]
 */
export function gelu(x: TensorLike, options: GeluOptions = {}): Tensor {
  const t = asTensor("gelu", x);
  checkDType("gelu", t, FLOAT);
  if (typeof options !== "object" || options === null) {
    throw new ArgumentError(`gelu: options must be an object (got ${describe(options)})`);
  }
  const approximate: unknown = options.approximate ?? "none";
  if (approximate === "tanh") {
    // x·(1 + 0.044715·x²) rather than x + 0.044715·x³: overflows only for |x| > 1e13; every op
    // records its rule (tanh's 1 − t² is exactly 0 where t = ±1, so large |x| gives finite grads)
    return compose(() => {
      const inner = mul(mul(t, add(mul(square(t), 0.044715), 1)), SQRT_2_OVER_PI);
      return mul(mul(t, 0.5), add(tanh(inner), 1));
    });
  }
  if (approximate !== "none") {
    throw new ArgumentError(
      `gelu: approximate must be 'none' or 'tanh' (got ${describe(approximate)})`,
    );
  }
  const y = compose(() => noGrad(() => mul(t, normalCdf(t))));
  // d gelu = (Φ(x) + x·φ(x))·dx, φ(x) = e^(−x²/2)/√(2π)
  record("gelu", [t], y, (dy) => [
    mul(dy, add(normalCdf(t), mul(t, mul(exp(mul(square(t), -0.5)), INV_SQRT_2PI)))),
  ]);
  return y;
}
