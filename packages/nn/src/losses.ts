/*
 * Loss functions, composed from tensor ops: each gets its gradient from the ops' rules and runs on
 * every backend. Every loss checks its arguments first (dtypes, shapes, label ranges) and then
 * computes inside a `tidy`, so only the result survives.
 */
import {
  ArgumentError,
  abs,
  broadcastShapes,
  DTypeError,
  div,
  logSoftmax,
  mean,
  minimum,
  mul,
  neg,
  ShapeError,
  softplus,
  square,
  sub,
  sum,
  type Tensor,
  Tensor as TensorClass,
  tensor,
  tidy,
} from "@edgenn/tensor";

/** How a loss reduces its elementwise values: their mean, their sum, or none (elementwise). */
export type Reduction = "mean" | "sum" | "none";

/** Options every loss takes. */
export interface LossOptions {
  /** `"mean"` (default), `"sum"`, or `"none"` for the elementwise losses. */
  reduction?: Reduction | undefined;
}

/** Options of `crossEntropy`. */
export interface CrossEntropyOptions extends LossOptions {
  /**
   * ε in [0, 1]: the target becomes `(1 − ε)·target + ε/C` (PyTorch `label_smoothing`). Default 0.
   */
  labelSmoothing?: number | undefined;
  /**
   * A label value whose positions contribute nothing; `"mean"` divides by the number of the other
   * positions. Only with int32 labels. Default: none (every label must be a class).
   */
  ignoreIndex?: number | undefined;
}

/** Options of `binaryCrossEntropy`. */
export interface BinaryCrossEntropyOptions extends LossOptions {
  /**
   * Weight p of the positive term, `p·t·log σ(x)`: a number or a float32 tensor broadcastable to
   * the logits (usually `[C]`, one per class). Default 1.
   */
  posWeight?: Tensor | number | undefined;
}

/** Options of `huber`. */
export interface HuberOptions extends LossOptions {
  /** δ > 0: where the loss turns from quadratic to linear. Default 1. */
  delta?: number | undefined;
}

const fmt = (shape: readonly number[]): string => `[${shape.join(",")}]`;

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return `array(${v.length})`;
  if (typeof v === "object") return (v as object).constructor?.name ?? "object";
  if (typeof v === "string") return JSON.stringify(v);
  return String(v);
}

function checkTensor(op: string, name: string, t: unknown): Tensor {
  if (!(t instanceof TensorClass)) {
    throw new ArgumentError(`${op}: ${name} must be a Tensor (got ${describe(t)})`);
  }
  t.assertAlive(op);
  return t;
}

function checkFloat(op: string, name: string, t: Tensor): void {
  if (t.dtype !== "float32") {
    throw new DTypeError(
      `${op}: ${name} has dtype ${t.dtype} (expected float32, shape ${fmt(t.shape)})`,
    );
  }
}

function checkSameShape(op: string, a: Tensor, b: Tensor, an: string, bn: string): void {
  if (a.rank !== b.rank || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError(
      `${op}: ${bn} must have the shape of ${an} (expected ${fmt(a.shape)}, got ${fmt(b.shape)})`,
    );
  }
}

function checkNotEmpty(op: string, name: string, t: Tensor): void {
  if (t.size === 0) {
    throw new ShapeError(
      `${op}: ${name} is empty (expected at least one element, got shape ${fmt(t.shape)})`,
    );
  }
}

function checkReduction(op: string, r: unknown): Reduction {
  if (r !== "mean" && r !== "sum" && r !== "none") {
    throw new ArgumentError(
      `${op}: reduction must be "mean", "sum" or "none" (got ${describe(r)})`,
    );
  }
  return r;
}

function checkOptions(op: string, options: unknown): void {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new ArgumentError(`${op}: options must be an object (got ${describe(options)})`);
  }
}

function reduce(loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === "none") return loss;
  return reduction === "sum" ? sum(loss) : mean(loss);
}

/**
 * Cross-entropy of softmax(logits) against a target, over the class axis 1:
 * `loss = −Σ_c q_c · logSoftmax(logits)_c`, with `q = (1 − ε)·onehot(label) + ε/C` for int32
 * labels, or `q = (1 − ε)·target + ε/C` for float32 class probabilities (PyTorch `cross_entropy`).
 * Computed through `logSoftmax`, so logits of ±1e4 give finite, exact losses. With `ignoreIndex`,
 * those positions give 0 and `"mean"` averages over the others (0 when every label is ignored,
 * where PyTorch gives NaN).
 * @param logits - float32 `[N, C]`, or `[N, C, d1, …]` for per-position classes (e.g. segmentation)
 * @param target - int32 labels `[N]` (or `[N, d1, …]`) in `[0, C)`, or float32 probabilities of
 *   the logits' shape
 * @param options - `labelSmoothing` (default 0), `ignoreIndex`, `reduction` (default `"mean"`)
 * @returns a scalar (`"mean"`, `"sum"`) or `[N, d1, …]` (`"none"`), owned by the caller
 * @throws {DTypeError} if the logits are not float32 or the target is neither int32 nor float32
 * @throws {ShapeError} if the logits have rank < 2 or are empty, or the target's shape does not
 *   fit them
 * @throws {ArgumentError} for a label out of range (naming it and its position) or a bad option
 * @example
 * crossEntropy(tensor([[2, 1, 0]]), tensor([0], { dtype: "int32" })).item(); // 0.40760597
 */
export function crossEntropy(
  logits: Tensor,
  target: Tensor,
  options: CrossEntropyOptions = {},
): Tensor {
  const op = "crossEntropy";
  checkOptions(op, options);
  const x = checkTensor(op, "logits", logits);
  const t = checkTensor(op, "target", target);
  checkFloat(op, "logits", x);
  if (x.rank < 2) {
    throw new ShapeError(
      `${op}: logits must have rank ≥ 2, [N, C, …] (got ${fmt(x.shape)}); add a batch dim with unsqueeze(x, 0)`,
    );
  }
  checkNotEmpty(op, "logits", x);
  const reduction = checkReduction(op, options.reduction ?? "mean");
  const eps = options.labelSmoothing ?? 0;
  if (typeof eps !== "number" || !(eps >= 0 && eps <= 1)) {
    throw new ArgumentError(`${op}: labelSmoothing must be in [0, 1] (got ${describe(eps)})`);
  }
  const ignore = options.ignoreIndex;
  if (ignore !== undefined && !Number.isInteger(ignore)) {
    throw new ArgumentError(`${op}: ignoreIndex must be an integer (got ${describe(ignore)})`);
  }
  const n = x.shape[0]!;
  const c = x.shape[1]!;
  const inner = x.shape.slice(2).reduce((a, b) => a * b, 1); // positions per sample
  const labelShape = [n, ...x.shape.slice(2)];

  if (t.dtype === "float32") {
    checkSameShape(op, x, t, "logits", "target probabilities");
    if (ignore !== undefined) {
      throw new ArgumentError(
        `${op}: ignoreIndex applies to int32 labels only (got float32 probabilities ${fmt(t.shape)})`,
      );
    }
    return tidy(() => {
      const q = eps === 0 ? t : sub(t, mul(t, eps)).add(eps / c);
      return reduce(neg(sum(mul(logSoftmax(x, 1), q), 1)), reduction);
    });
  }
  if (t.dtype !== "int32") {
    throw new DTypeError(
      `${op}: target has dtype ${t.dtype} (expected int32 labels ${fmt(labelShape)} or float32 probabilities ${fmt(x.shape)})`,
    );
  }
  if (t.rank !== labelShape.length || t.shape.some((d, i) => d !== labelShape[i])) {
    throw new ShapeError(
      `${op}: labels must have shape ${fmt(labelShape)} for logits ${fmt(x.shape)} (got ${fmt(t.shape)})`,
    );
  }
  // −q as a constant of the logits' shape: (1 − ε) at the label, plus ε/C everywhere; 0 where ignored
  const labels = t.dataSync();
  const negQ = new Float32Array(x.size);
  let count = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (y === ignore) continue;
    if (y < 0 || y >= c) {
      const pos = t.rank === 1 ? `${i}` : fmt(unravel(i, t.shape));
      throw new ArgumentError(
        `${op}: label ${y} at position ${pos} is out of range (expected in [0, ${c - 1}] for ${c} classes${ignore === undefined ? "" : ` or ignoreIndex ${ignore}`})`,
      );
    }
    count++;
    const base = Math.floor(i / inner) * c * inner + (i % inner);
    if (eps > 0) for (let k = 0; k < c; k++) negQ[base + k * inner] = -eps / c;
    negQ[base + y * inner]! -= 1 - eps;
  }
  return tidy(() => {
    const q = tensor(negQ, { shape: x.shape });
    const loss = sum(mul(logSoftmax(x, 1), q), 1);
    if (reduction === "mean" && ignore !== undefined) return div(sum(loss), Math.max(count, 1));
    return reduce(loss, reduction);
  });
}

function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d]!;
    i = Math.floor(i / shape[d]!);
  }
  return idx;
}

/**
 * Binary cross-entropy of sigmoid(logits) against targets in [0, 1], computed from the logits:
 * `loss = p·t·softplus(−x) + (1 − t)·softplus(x)`, which for `p = 1` is
 * `max(x, 0) − x·t + log(1 + e^−|x|)` (PyTorch `binary_cross_entropy_with_logits`); stable for any x.
 * @param logits - float32 tensor of any shape
 * @param target - float32 tensor of the logits' shape (values in [0, 1])
 * @param options - `posWeight` p (number or tensor broadcastable to the logits; default 1),
 *   `reduction` (default `"mean"`)
 * @returns a scalar, or the elementwise losses (`"none"`), owned by the caller
 * @throws {DTypeError} for non-float32 logits, target or posWeight
 * @throws {ShapeError} if the logits are empty, the target's shape differs or posWeight does not
 *   broadcast to the logits
 * @throws {ArgumentError} for a bad option
 * @example
 * binaryCrossEntropy(tensor([0]), tensor([1])).item(); // 0.69314718
 */
export function binaryCrossEntropy(
  logits: Tensor,
  target: Tensor,
  options: BinaryCrossEntropyOptions = {},
): Tensor {
  const op = "binaryCrossEntropy";
  checkOptions(op, options);
  const x = checkTensor(op, "logits", logits);
  const t = checkTensor(op, "target", target);
  checkFloat(op, "logits", x);
  checkFloat(op, "target", t);
  checkSameShape(op, x, t, "logits", "target");
  checkNotEmpty(op, "logits", x);
  const reduction = checkReduction(op, options.reduction ?? "mean");
  const p = options.posWeight;
  if (typeof p === "number") {
    if (!Number.isFinite(p)) {
      throw new ArgumentError(`${op}: posWeight must be finite (got ${p})`);
    }
  } else if (p !== undefined) {
    checkTensor(op, "posWeight", p);
    checkFloat(op, "posWeight", p);
    const b = broadcastShapes(op, p.shape, x.shape);
    if (b.length !== x.rank || b.some((d, i) => d !== x.shape[i])) {
      throw new ShapeError(
        `${op}: posWeight must broadcast to the logits' shape (expected to fit ${fmt(x.shape)}, got ${fmt(p.shape)})`,
      );
    }
  }
  return tidy(() => {
    // softplus(x) − x·t = (1 − t)·softplus(x) + t·softplus(−x), as softplus(−x) = softplus(x) − x
    if (p === undefined) return reduce(sub(softplus(x), mul(x, t)), reduction);
    // (1 − t)·x + (1 + (p − 1)·t)·softplus(−x), PyTorch's form
    const w = mul(sub(p, 1), t).add(1);
    return reduce(mul(sub(1, t), x).add(mul(w, softplus(neg(x)))), reduction);
  });
}

/**
 * Mean squared error: `loss = (pred − target)²`, averaged (or summed) over every element.
 * @param pred - float32 tensor
 * @param target - float32 tensor of `pred`'s shape
 * @param options - `reduction` (default `"mean"`)
 * @returns a scalar, or the elementwise losses (`"none"`), owned by the caller
 * @throws {DTypeError} for non-float32 operands
 * @throws {ShapeError} if the shapes differ (no broadcasting: it usually hides a bug), or they are empty
 * @throws {ArgumentError} for a bad option
 * @example
 * mse(tensor([1, 2]), tensor([0, 4])).item(); // 2.5
 */
export function mse(pred: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const op = "mse";
  checkOptions(op, options);
  const x = checkTensor(op, "pred", pred);
  const t = checkTensor(op, "target", target);
  checkFloat(op, "pred", x);
  checkFloat(op, "target", t);
  checkSameShape(op, x, t, "pred", "target");
  checkNotEmpty(op, "pred", x);
  const reduction = checkReduction(op, options.reduction ?? "mean");
  return tidy(() => reduce(square(sub(x, t)), reduction));
}

/**
 * Huber loss (PyTorch `HuberLoss`): with `d = pred − target`, `loss = ½d²` where `|d| < δ` and
 * `δ·(|d| − ½δ)` elsewhere; computed as `½c² + δ·(|d| − c)` with `c = min(|d|, δ)`.
 * @param pred - float32 tensor
 * @param target - float32 tensor of `pred`'s shape
 * @param options - `delta` δ > 0 (default 1), `reduction` (default `"mean"`)
 * @returns a scalar, or the elementwise losses (`"none"`), owned by the caller
 * @throws {DTypeError} for non-float32 operands
 * @throws {ShapeError} if the shapes differ, or they are empty
 * @throws {ArgumentError} for δ ≤ 0 or a bad option
 * @example
 * huber(tensor([0.5, 3]), tensor([0, 0])).item(); // 1.3125
 */
export function huber(pred: Tensor, target: Tensor, options: HuberOptions = {}): Tensor {
  const op = "huber";
  checkOptions(op, options);
  const x = checkTensor(op, "pred", pred);
  const t = checkTensor(op, "target", target);
  checkFloat(op, "pred", x);
  checkFloat(op, "target", t);
  checkSameShape(op, x, t, "pred", "target");
  checkNotEmpty(op, "pred", x);
  const reduction = checkReduction(op, options.reduction ?? "mean");
  const delta = options.delta ?? 1;
  if (typeof delta !== "number" || !Number.isFinite(delta) || delta <= 0) {
    throw new ArgumentError(`${op}: delta must be a finite number > 0 (got ${describe(delta)})`);
  }
  return tidy(() => {
    const a = abs(sub(x, t));
    const c = minimum(a, delta);
    return reduce(mul(square(c), 0.5).add(mul(sub(a, c), delta)), reduction);
  });
}
