import {
  ArgumentError,
  DTypeError,
  gelu,
  leakyRelu,
  relu,
  ShapeError,
  sigmoid,
  softmax,
  type Tensor,
  Tensor as TensorClass,
  tanh,
} from "@edgenn/tensor";
import { Module } from "./module.js";
import { show } from "./show.js";

function checkInput(layer: string, x: unknown): Tensor {
  if (!(x instanceof TensorClass)) {
    throw new ArgumentError(`${layer}: input must be a Tensor (got ${show(x)})`);
  }
  if (x.dtype !== "float32") {
    throw new DTypeError(
      `${layer}: input must be float32 (got ${x.dtype}, shape [${x.shape.join(",")}])`,
    );
  }
  return x;
}

/**
 * `relu(x) = max(x, 0)`, elementwise.
 * @example
 * new ReLU().forward(tensor([-1, 2])).toArray(); // [0, 2]
 */
export class ReLU extends Module {
  /**
   * @param x - float32 tensor of any shape
   * @returns a new tensor of `x`'s shape, owned by the caller
   * @throws {DTypeError} if `x` is not float32
   */
  forward(x: Tensor): Tensor {
    return relu(checkInput("ReLU", x));
  }
}

/**
 * `leakyRelu(x) = x` for `x ≥ 0`, `α·x` for `x < 0`, elementwise.
 * @example
 * new LeakyReLU(0.5).forward(tensor([-2, 3])).toArray(); // [-1, 3]
 */
export class LeakyReLU extends Module {
  /** The slope for negative inputs. */
  readonly alpha: number;

  /**
   * @param alpha - the slope for negative inputs (default 0.01, as PyTorch)
   * @throws {ArgumentError} if `alpha` is not a finite number
   */
  constructor(alpha = 0.01) {
    super();
    if (typeof alpha !== "number" || !Number.isFinite(alpha)) {
      throw new ArgumentError(`LeakyReLU: alpha must be a finite number (got ${show(alpha)})`);
    }
    this.alpha = alpha;
  }

  /**
   * @param x - float32 tensor of any shape
   * @returns a new tensor of `x`'s shape, owned by the caller
   * @throws {DTypeError} if `x` is not float32
   */
  forward(x: Tensor): Tensor {
    return leakyRelu(checkInput("LeakyReLU", x), this.alpha);
  }
}

/** Options of `GELU`. */
export interface GELUOptions {
  /** `"none"` (default): `x·Φ(x)` with erf; `"tanh"`: the tanh approximation. */
  approximate?: "none" | "tanh" | undefined;
}

/**
 * `gelu(x) = x·Φ(x)` (or its tanh approximation), elementwise.
 * @example
 * new GELU().forward(tensor([0, 1])).toArray(); // [0, 0.8413447]
 */
export class GELU extends Module {
  readonly approximate: "none" | "tanh";

  /**
   * @param options - `approximate`: `"none"` (default) or `"tanh"`
   * @throws {ArgumentError} for another `approximate`
   */
  constructor(options: GELUOptions = {}) {
    super();
    if (typeof options !== "object" || options === null) {
      throw new ArgumentError(`GELU: options must be an object (got ${show(options)})`);
    }
    const a = options.approximate ?? "none";
    if (a !== "none" && a !== "tanh") {
      throw new ArgumentError(`GELU: approximate must be "none" or "tanh" (got ${show(a)})`);
    }
    this.approximate = a;
  }

  /**
   * @param x - float32 tensor of any shape
   * @returns a new tensor of `x`'s shape, owned by the caller
   * @throws {DTypeError} if `x` is not float32
   */
  forward(x: Tensor): Tensor {
    return gelu(checkInput("GELU", x), { approximate: this.approximate });
  }
}

/**
 * `sigmoid(x) = 1 / (1 + e^−x)`, elementwise.
 * @example
 * new Sigmoid().forward(tensor([0])).toArray(); // [0.5]
 */
export class Sigmoid extends Module {
  /**
   * @param x - float32 tensor of any shape
   * @returns a new tensor of `x`'s shape, owned by the caller
   * @throws {DTypeError} if `x` is not float32
   */
  forward(x: Tensor): Tensor {
    return sigmoid(checkInput("Sigmoid", x));
  }
}

/**
 * `tanh(x)`, elementwise.
 * @example
 * new Tanh().forward(tensor([0])).toArray(); // [0]
 */
export class Tanh extends Module {
  /**
   * @param x - float32 tensor of any shape
   * @returns a new tensor of `x`'s shape, owned by the caller
   * @throws {DTypeError} if `x` is not float32
   */
  forward(x: Tensor): Tensor {
    return tanh(checkInput("Tanh", x));
  }
}

/**
 * `softmax(x)ᵢ = e^xᵢ / Σⱼ e^xⱼ` along `axis` (computed stably).
 * @example
 * new Softmax().forward(tensor([[0, 0]])).toArray(); // [[0.5, 0.5]]
 */
export class Softmax extends Module {
  readonly axis: number;

  /**
   * @param axis - the axis to normalise over (negative counts from the end; default −1)
   * @throws {ArgumentError} if `axis` is not an integer
   */
  constructor(axis = -1) {
    super();
    if (typeof axis !== "number" || !Number.isInteger(axis)) {
      throw new ArgumentError(`Softmax: axis must be an integer (got ${show(axis)})`);
    }
    this.axis = axis;
  }

  /**
   * @param x - float32 tensor with `axis` in `[−rank, rank)`
   * @returns a new tensor of `x`'s shape, owned by the caller
   * @throws {ShapeError} if `axis` is out of range for `x`
   * @throws {DTypeError} if `x` is not float32
   */
  forward(x: Tensor): Tensor {
    const t = checkInput("Softmax", x);
    if (this.axis < -t.rank || this.axis >= t.rank) {
      throw new ShapeError(
        `Softmax: axis ${this.axis} is out of range (expected an integer in [${-t.rank}, ${t.rank}), got shape [${t.shape.join(",")}])`,
      );
    }
    return softmax(t, this.axis);
  }
}
