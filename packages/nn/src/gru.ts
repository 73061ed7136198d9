/*
 * GRU: a gated recurrent layer with PyTorch's equations (linear_before_reset, separate input and
 * hidden biases, gate order r, z, n), composed from tensor ops so autograd does backpropagation
 * through time. Each step projects its own input slice x[:, t] rather than slicing one projection
 * of the whole sequence: a slice's gradient is a zero tensor of the sliced tensor's full shape, so
 * slicing a [N, T, 3H] projection would cost O(T²·N·H) in the backward pass, while slicing the input
 * costs nothing when the input is data (not tracked) and O(T²·N·F) when it is not.
 */
import {
  ArgumentError,
  add,
  DTypeError,
  globalGenerator,
  matmul,
  mul,
  OutOfMemoryError,
  Rng,
  ShapeError,
  setLimits,
  sigmoid,
  slice,
  squeeze,
  stack,
  sub,
  type Tensor,
  Tensor as TensorClass,
  tanh,
  tensor,
  tidy,
  transpose,
  zeros,
} from "@edgenn/tensor";
import { Module } from "./module.js";
import { show } from "./show.js";

/** Options of `GRU`. */
export interface GRUOptions {
  /** Return every step's hidden state `[N, T, H]` instead of the last one `[N, H]`. Default false. */
  returnSequences?: boolean | undefined;
  /** Seed for the initial weights; without it they draw from `globalGenerator()`. */
  seed?: number | undefined;
}

const fmt = (shape: readonly number[]): string => `[${shape.join(",")}]`;

function checkSize(name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1) {
    throw new ArgumentError(`GRU: ${name} must be an integer ≥ 1 (got ${show(v)})`);
  }
  return v;
}

/** A float32 tensor of `shape` with samples uniform in [−bound, bound). */
function uniform(shape: readonly number[], bound: number, rng: Rng): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  // the values are built here before `tensor` sees them: check the size ceiling first
  const { maxTensorBytes } = setLimits({});
  if (size * 4 > maxTensorBytes) {
    throw new OutOfMemoryError(
      `GRU: weight too large: needed ${size * 4} bytes, available ${maxTensorBytes} (shape [${shape.join(",")}], float32; raise it with setLimits)`,
    );
  }
  const values = new Float32Array(size);
  for (let i = 0; i < values.length; i++) values[i] = (2 * rng.next() - 1) * bound;
  return tensor(values, { shape });
}

/**
 * A gated recurrent unit over batch-first sequences (PyTorch `nn.GRU`, one layer,
 * `batch_first=True`). For each step t, with `x = x[:, t]` and `h` the previous state:
 * `r = σ(x·W_irᵀ + b_ir + h·W_hrᵀ + b_hr)`, `z = σ(x·W_izᵀ + b_iz + h·W_hzᵀ + b_hz)`,
 * `n = tanh(x·W_inᵀ + b_in + r ⊙ (h·W_hnᵀ + b_hn))`, `h' = (1 − z) ⊙ n + z ⊙ h`.
 * Parameters (gate rows in the order r, z, n, as PyTorch stores them): `weightIh [3H, F]`,
 * `weightHh [3H, H]`, `biasIh [3H]`, `biasHh [3H]`, all initialised uniform in [−1/√H, 1/√H].
 * @example
 * const gru = new GRU(3, 4, { seed: 1 });
 * gru.forward(zeros([2, 5, 3])).shape; // [2, 4]
 */
export class GRU extends Module {
  /** F: features per step of the input. */
  readonly inputSize: number;
  /** H: size of the hidden state. */
  readonly hiddenSize: number;
  /** Whether `forward` returns every step's state `[N, T, H]` (else the last, `[N, H]`). */
  readonly returnSequences: boolean;
  /** `[W_ir; W_iz; W_in]`, shape `[3H, F]`. */
  readonly weightIh: Tensor;
  /** `[W_hr; W_hz; W_hn]`, shape `[3H, H]`. */
  readonly weightHh: Tensor;
  /** `[b_ir; b_iz; b_in]`, shape `[3H]`. */
  readonly biasIh: Tensor;
  /** `[b_hr; b_hz; b_hn]`, shape `[3H]`. */
  readonly biasHh: Tensor;

  /**
   * @param inputSize - F, features per step
   * @param hiddenSize - H, size of the hidden state
   * @param options - `returnSequences` (default false), `seed`
   * @throws {ArgumentError} for sizes that are not integers ≥ 1, or a bad option
   */
  constructor(inputSize: number, hiddenSize: number, options: GRUOptions = {}) {
    super();
    const f = checkSize("inputSize", inputSize);
    const h = checkSize("hiddenSize", hiddenSize);
    if (options === null || typeof options !== "object") {
      throw new ArgumentError(`GRU: options must be an object (got ${show(options)})`);
    }
    const { returnSequences = false, seed } = options;
    if (typeof returnSequences !== "boolean") {
      throw new ArgumentError(
        `GRU: returnSequences must be a boolean (got ${show(returnSequences)})`,
      );
    }
    if (seed !== undefined && (typeof seed !== "number" || !Number.isFinite(seed))) {
      throw new ArgumentError(`GRU: seed must be a finite number (got ${show(seed)})`);
    }
    this.inputSize = f;
    this.hiddenSize = h;
    this.returnSequences = returnSequences;
    const rng = seed === undefined ? globalGenerator() : new Rng(seed);
    const bound = 1 / Math.sqrt(h); // PyTorch: every weight and bias ~ U(−1/√H, 1/√H)
    this.weightIh = this.addParameter("weightIh", uniform([3 * h, f], bound, rng));
    this.weightHh = this.addParameter("weightHh", uniform([3 * h, h], bound, rng));
    this.biasIh = this.addParameter("biasIh", uniform([3 * h], bound, rng));
    this.biasHh = this.addParameter("biasHh", uniform([3 * h], bound, rng));
  }

  /**
   * Runs the sequence through the GRU.
   * @param x - float32 `[N, T, F]` with T ≥ 1
   * @param h0 - optional float32 initial state `[N, H]` (default zeros)
   * @returns `[N, H]` (the last state) or `[N, T, H]` with `returnSequences`, owned by the caller
   * @throws {DTypeError} for non-float32 inputs
   * @throws {ShapeError} if `x` is not `[N, T, F]` with T ≥ 1, or `h0` is not `[N, H]`
   */
  override forward(x: Tensor, h0?: Tensor): Tensor {
    const H = this.hiddenSize;
    if (!(x instanceof TensorClass)) {
      throw new ArgumentError(`GRU: x must be a Tensor (got ${x === null ? "null" : typeof x})`);
    }
    x.assertAlive("GRU");
    if (x.dtype !== "float32") {
      throw new DTypeError(`GRU: x has dtype ${x.dtype} (expected float32, shape ${fmt(x.shape)})`);
    }
    if (x.rank !== 3 || x.shape[2] !== this.inputSize || x.shape[1] === 0) {
      throw new ShapeError(
        `GRU: x must be [N, T, F] with F = ${this.inputSize} and T ≥ 1 (got ${fmt(x.shape)})`,
      );
    }
    const [n, steps] = x.shape as [number, number, number];
    if (h0 !== undefined) {
      if (!(h0 instanceof TensorClass)) {
        throw new ArgumentError(
          `GRU: h0 must be a Tensor (got ${h0 === null ? "null" : typeof h0})`,
        );
      }
      h0.assertAlive("GRU");
      if (h0.dtype !== "float32") {
        throw new DTypeError(`GRU: h0 has dtype ${h0.dtype} (expected float32)`);
      }
      if (h0.rank !== 2 || h0.shape[0] !== n || h0.shape[1] !== H) {
        throw new ShapeError(
          `GRU: h0 must have shape [N, H] = ${fmt([n, H])} (got ${fmt(h0.shape)})`,
        );
      }
    }
    return tidy(() => {
      const wIhT = transpose(this.weightIh); // [F, 3H]
      const wHhT = transpose(this.weightHh); // [H, 3H]
      let h = h0 ?? zeros([n, H]);
      const states: Tensor[] = [];
      for (let t = 0; t < steps; t++) {
        const xt = squeeze(slice(x, [t], [t + 1], [1]), 1); // [N, F]
        const gi = add(matmul(xt, wIhT), this.biasIh); // x·W_iᵀ + b_i, [N, 3H]
        const gh = add(matmul(h, wHhT), this.biasHh); // h·W_hᵀ + b_h, [N, 3H]
        const rz = sigmoid(add(slice(gi, [0], [2 * H], [1]), slice(gh, [0], [2 * H], [1])));
        const r = slice(rz, [0], [H], [1]);
        const z = slice(rz, [H], [2 * H], [1]);
        const cand = tanh(
          add(slice(gi, [2 * H], [3 * H], [1]), mul(r, slice(gh, [2 * H], [3 * H], [1]))),
        );
        h = add(cand, mul(z, sub(h, cand))); // (1 − z) ⊙ n + z ⊙ h = n + z ⊙ (h − n)
        states.push(h);
      }
      return this.returnSequences ? stack(states, 1) : h;
    });
  }
}
