/*
 * The training loop. `fit` runs epochs of shuffled mini-batches; each step is
 *   tidy(valueAndGrad(() => loss(model.forward(xb), yb), optimizer.params) → optimizer.step(grads))
 * so a step's intermediates are freed when it ends and memory reaches a flat steady state after the
 * first step (the optimizer's state and the early-stopping snapshot are made once). The loss is read
 * after every step (one scalar) and checked before the optimizer touches the weights. Between steps
 * the loop yields to the event loop about every 50 ms so an AbortSignal, timers and a UI can run.
 * `evaluate` and `predict` run batches in order under noGrad with the model in eval mode.
 */
import { valueAndGrad } from "@edgenn/autograd";
import {
  ArgumentError,
  assign,
  clone,
  concat,
  globalGenerator,
  keep,
  NonFiniteError,
  noGrad,
  Rng,
  ShapeError,
  slice,
  type Tensor,
  Tensor as TensorClass,
  tidy,
  zeros,
} from "@edgenn/tensor";
import {
  batchRanges,
  checkPositiveInteger,
  gatherBatch,
  identityIndices,
  shuffleInPlace,
} from "./data.js";
import { accuracy } from "./metrics.js";
import { Module } from "./module.js";

/** A loss: predictions and targets of a batch → a scalar float32 tensor (the batch mean). */
export type LossFn = (prediction: Tensor, target: Tensor) => Tensor;

/** What `fit` needs of an optimizer (every `@edgenn/optim` optimizer is one). */
export interface FitOptimizer {
  /** The tensors it updates in place; `fit` requires exactly `model.parameters()`. */
  readonly params: readonly Tensor[];
  /** The learning rate the next step uses. */
  readonly lr: number;
  /** Updates `params[i]` from `grads[i]`. */
  step(grads: readonly Tensor[]): void;
}

/** What `fit` reads of an `AbortSignal` (any object with `aborted` works). */
export interface AbortSignalLike {
  readonly aborted: boolean;
}

/** Samples (rows along axis 0 of `x`) and their targets (rows along axis 0 of `y`). */
export interface Dataset {
  readonly x: Tensor;
  readonly y: Tensor;
}

/** Reported by `fit` after every step. `epoch` and `step` count from 1. */
export interface FitProgress {
  /** The current epoch, 1 … `epochs`. */
  readonly epoch: number;
  readonly epochs: number;
  /** Steps done in this epoch, 1 … `stepsPerEpoch`. */
  readonly step: number;
  readonly stepsPerEpoch: number;
  /** Mean loss over this epoch's steps so far (skipped non-finite steps excluded). */
  readonly loss: number;
  /** This step's batch loss (may be non-finite when the step was skipped). */
  readonly batchLoss: number;
  /** Training samples per second since `fit` started (validation time excluded). */
  readonly samplesPerSecond: number;
  /** Seconds of training left at that rate (validation time excluded). */
  readonly etaSeconds: number;
}

/** What one epoch did. `accuracy`/`valAccuracy` are present for classification (see `evaluate`). */
export interface EpochLogs {
  /** The epoch, counting from 1. */
  readonly epoch: number;
  /** Mean training loss over the epoch's samples (weighted by batch size). */
  readonly loss: number;
  readonly accuracy?: number;
  readonly valLoss?: number;
  readonly valAccuracy?: number;
  /** The learning rate of the epoch's last step. */
  readonly lr: number;
  /** Training samples per second in this epoch (validation excluded). */
  readonly samplesPerSecond: number;
  /** Wall-clock seconds of the epoch, validation included. */
  readonly seconds: number;
}

/** Why `fit` returned. */
export type StopReason = "completed" | "aborted" | "earlyStopping" | "callback";

/** What `fit` returns. */
export interface History {
  /** One entry per completed epoch. */
  readonly epochs: EpochLogs[];
  readonly stoppedBy: StopReason;
  /** Steps skipped because their loss was not finite (`onNonFinite: "skip"`). */
  readonly skippedSteps: number;
  /** With early stopping: the epoch whose weights are the best seen (restored when `restoreBest`). */
  readonly bestEpoch?: number;
}

/** Stops training when a monitored quantity stops improving. */
export interface EarlyStoppingOptions {
  /** What to watch (default "valLoss"): losses must fall, accuracies must rise. */
  monitor?: "loss" | "accuracy" | "valLoss" | "valAccuracy";
  /** Stop once this many epochs in a row brought no improvement (0 or 1: at the first such epoch). */
  patience: number;
  /** The least change that counts as an improvement (default 0). */
  minDelta?: number;
  /** On stopping, load the weights of the best epoch back into the model (default true). */
  restoreBest?: boolean;
}

/** Options of `fit`. */
export interface FitOptions {
  /** Passes over the data (a positive integer). */
  epochs: number;
  /** Samples per step (default 32); the last batch of an epoch keeps the remainder. */
  batchSize?: number;
  loss: LossFn;
  /** An optimizer over exactly `model.parameters()`. */
  optimizer: FitOptimizer;
  /** Evaluated at the end of every epoch in eval mode, in batches of max(batchSize, 256). */
  validation?: Dataset;
  /** Reshuffle the samples every epoch (default true). */
  shuffle?: boolean;
  /** Seed of the shuffle (default: drawn from the global generator, see `setSeed`). */
  seed?: number;
  onProgress?: (progress: FitProgress) => void;
  /** Called after each epoch; returning (or resolving to) `false` stops training. */
  // biome-ignore lint/suspicious/noConfusingVoidType: the callback may return nothing
  onEpochEnd?: (logs: EpochLogs) => boolean | void | Promise<boolean | void>;
  earlyStopping?: EarlyStoppingOptions;
  /** Aborting stops training after the current step (`stoppedBy: "aborted"`). */
  signal?: AbortSignalLike;
  /** A NaN/±Infinity loss: "stop" throws `NonFiniteError` (default), "skip" skips that step. */
  onNonFinite?: "stop" | "skip";
}

/** Options of `evaluate`. */
export interface EvaluateOptions {
  loss: LossFn;
  /** Samples per forward pass (default 256). */
  batchSize?: number;
}

/** What `evaluate` returns. */
export interface EvaluateResult {
  /** Mean loss over the samples (the batch losses weighted by batch size). */
  readonly loss: number;
  /** Fraction of samples whose arg-max prediction is the target class (classification only). */
  readonly accuracy?: number;
}

/** Options of `predict`. */
export interface PredictOptions {
  /** Samples per forward pass (default 256). */
  batchSize?: number;
}

// ---------------------------------------------------------------------------------------------
// Checks

const fmt = (s: readonly number[]): string => `[${s.join(",")}]`;

function checkModel(op: string, model: unknown): Module {
  if (!(model instanceof Module)) {
    throw new ArgumentError(`${op}: model must be a Module (got ${describeValue(model)})`);
  }
  return model;
}

function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "object") return (v as object).constructor?.name ?? "object";
  return typeof v;
}

function checkTensor(op: string, name: string, t: unknown): Tensor {
  if (!(t instanceof TensorClass)) {
    throw new ArgumentError(`${op}: ${name} must be a Tensor (got ${describeValue(t)})`);
  }
  t.assertAlive(op);
  if (t.rank < 1 || t.shape[0] === 0) {
    throw new ShapeError(
      `${op}: ${name} must hold at least one sample along axis 0 (got shape ${fmt(t.shape)})`,
    );
  }
  return t;
}

function checkDataset(op: string, name: string, data: unknown): Dataset {
  if (typeof data !== "object" || data === null) {
    throw new ArgumentError(`${op}: ${name} must be { x, y } (got ${describeValue(data)})`);
  }
  const { x, y } = data as Dataset;
  checkTensor(op, `${name}.x`, x);
  checkTensor(op, `${name}.y`, y);
  if (x.shape[0] !== y.shape[0]) {
    throw new ShapeError(
      `${op}: ${name}.x and ${name}.y hold different numbers of samples (expected x.shape[0] == y.shape[0], got x ${fmt(x.shape)} and y ${fmt(y.shape)})`,
    );
  }
  return { x, y };
}

function checkLoss(op: string, loss: unknown): LossFn {
  if (typeof loss !== "function") {
    throw new ArgumentError(`${op}: loss must be a function (got ${describeValue(loss)})`);
  }
  return loss as LossFn;
}

function lossValue(op: string, l: unknown): number {
  if (!(l instanceof TensorClass) || l.size !== 1) {
    throw new ArgumentError(
      `${op}: loss must return a one-element tensor (got ${l instanceof TensorClass ? `shape ${fmt(l.shape)}` : describeValue(l)}); use reduction "mean"`,
    );
  }
  return l.item();
}

// ---------------------------------------------------------------------------------------------
// Modes: train()/eval() set a whole subtree, so the saved modes are restored parent first.

function saveModes(model: Module): () => void {
  const saved: [Module, boolean][] = [];
  const walk = (m: Module): void => {
    saved.push([m, m.isTraining]);
    for (const [, c] of m.children()) walk(c);
  };
  walk(model);
  return () => {
    for (const [m, mode] of saved) m.train(mode);
  };
}

// ---------------------------------------------------------------------------------------------
// Accuracy (metrics.ts) is reported for classification: outputs [N, C ≥ 2, …] with int32 labels
// [N, …], or float32 targets [N, C] whose rows are probability distributions (e.g. one-hot).

/** Whether `y` holds class targets for outputs of `outShape` (reads a float `y` once). */
function isClassification(outShape: readonly number[], y: Tensor): boolean {
  const c = outShape[1];
  if (outShape.length < 2 || c === undefined || c < 2) return false;
  const rest = outShape.slice(2);
  if (y.dtype === "int32") {
    return y.rank === 1 + rest.length && rest.every((d, i) => y.shape[i + 1] === d);
  }
  if (y.dtype !== "float32" || outShape.length !== 2 || y.rank !== 2 || y.shape[1] !== c) {
    return false;
  }
  const v = y.dataSync();
  for (let row = 0; row < v.length; row += c) {
    let total = 0;
    for (let k = 0; k < c; k++) {
      const p = v[row + k]!;
      if (!(p >= 0)) return false;
      total += p;
    }
    if (Math.abs(total - 1) > 1e-3) return false;
  }
  return true;
}

/** Correctly classified positions of a batch: accuracy × positions (int labels: every element). */
function countCorrect(out: Tensor, target: Tensor): { correct: number; positions: number } {
  const positions = target.dtype === "int32" ? target.size : target.shape[0]!;
  return { correct: Math.round(accuracy(out, target) * positions), positions };
}

// ---------------------------------------------------------------------------------------------
// evaluate / predict

/**
 * The mean loss `Σ_b loss_b · n_b / N` over batches b of the data (and, for classification, the
 * accuracy: the fraction of rows whose arg-max output equals the label, or the arg-max of a
 * probability target), with the model in eval mode and no gradients recorded.
 * @param model - the model; its training/eval modes are restored afterwards
 * @param data - `{ x, y }`, samples along axis 0
 * @param options - `loss` (returning the batch mean) and `batchSize` (default 256)
 * @returns `{ loss, accuracy? }` (plain numbers; accuracy for outputs [N, C ≥ 2] with int32 labels
 *   [N] or float32 targets [N, C])
 * @throws {ShapeError} when x and y hold different numbers of samples, or none
 * @throws {ArgumentError} for a bad model, loss or batch size, or a loss that is not one number
 * @example
 * const model = new Linear(2, 3, { init: "zeros" }); // every logit 0: loss log 3, argmax class 0
 * const data = { x: tensor([[1, 2], [3, 4], [5, 6]]), y: tensor([0, 1, 2], { dtype: "int32" }) };
 * evaluate(model, data, { loss: crossEntropy }).loss; // 1.0986123
 * evaluate(model, data, { loss: crossEntropy, batchSize: 2 }).accuracy; // 0.33333333
 */
export function evaluate(model: Module, data: Dataset, options: EvaluateOptions): EvaluateResult {
  const op = "evaluate";
  checkModel(op, model);
  if (typeof options !== "object" || options === null) {
    throw new ArgumentError(`${op}: options { loss } are required`);
  }
  const loss = checkLoss(op, options.loss);
  const batchSize = checkPositiveInteger(op, "batchSize", options.batchSize ?? 256);
  const { x, y } = checkDataset(op, "data", data);
  return evaluateChecked(model, x, y, loss, batchSize);
}

function evaluateChecked(
  model: Module,
  x: Tensor,
  y: Tensor,
  loss: LossFn,
  batchSize: number,
): EvaluateResult {
  const n = x.shape[0]!;
  const restore = saveModes(model);
  model.eval();
  let total = 0;
  let correct = 0;
  let positions = 0;
  let classify: boolean | undefined;
  try {
    noGrad(() => {
      for (const r of batchRanges(n, batchSize)) {
        tidy(() => {
          const out = model.forward(slice(x, [r.start], [r.end], [0]));
          const yb = slice(y, [r.start], [r.end], [0]);
          total += lossValue("evaluate", loss(out, yb)) * (r.end - r.start);
          classify ??= isClassification(out.shape, y);
          if (classify) {
            const c = countCorrect(out, yb);
            correct += c.correct;
            positions += c.positions;
          }
        });
      }
    });
  } finally {
    restore();
  }
  return classify ? { loss: total / n, accuracy: correct / positions } : { loss: total / n };
}

/**
 * The model's outputs for every sample of `x`, computed in batches in eval mode without recording
 * gradients: `predict(model, x)[i] = model.forward(x[i:i+1])[0]`.
 * @param model - the model; its training/eval modes are restored afterwards
 * @param x - samples along axis 0
 * @param options - `batchSize` (default 256)
 * @returns a new tensor `[N, ...]` owned by the caller
 * @throws {ArgumentError} for a bad model or batch size
 * @throws {ShapeError} for an `x` without samples (rank 0 or `x.shape[0] = 0`)
 * @example
 * const x = tensor([[[1, 2]], [[3, 4]], [[5, 6]]]); // [3, 1, 2]
 * predict(new Flatten(), x, { batchSize: 2 }).toArray(); // [[1, 2], [3, 4], [5, 6]]
 */
export function predict(model: Module, x: Tensor, options: PredictOptions = {}): Tensor {
  const op = "predict";
  checkModel(op, model);
  checkTensor(op, "x", x);
  const batchSize = checkPositiveInteger(op, "batchSize", options?.batchSize ?? 256);
  const n = x.shape[0]!;
  const restore = saveModes(model);
  model.eval();
  try {
    return noGrad(() =>
      tidy(() => {
        const outs = batchRanges(n, batchSize).map((r) =>
          tidy(() => model.forward(slice(x, [r.start], [r.end], [0]))),
        );
        // one batch: its output is returned as is, unless the model handed out a kept tensor
        if (outs.length === 1) return outs[0]!.isKept ? clone(outs[0]!) : outs[0]!;
        return concat(outs, 0);
      }),
    );
  } finally {
    restore();
  }
}

// ---------------------------------------------------------------------------------------------
// fit

// host APIs outside ES2022 that every target runtime (browsers, Node, Deno, Bun) has
const host = globalThis as unknown as {
  performance?: { now(): number };
  setTimeout(callback: () => void, ms: number): unknown;
};
const now = (): number => (host.performance ? host.performance.now() : Date.now());
const YIELD_MS = 50;
const nextTick = (): Promise<void> => new Promise((resolve) => host.setTimeout(resolve, 0));

interface EarlyStopper {
  readonly key: "loss" | "accuracy" | "valLoss" | "valAccuracy";
  readonly patience: number;
  readonly minDelta: number;
  readonly restoreBest: boolean;
  best: number | undefined;
  bestEpoch: number | undefined;
  wait: number;
  snapshot: Record<string, Tensor> | null;
}

/** Copies the model's parameters and buffers into `into` (made once, kept, then reused). */
function snapshotInto(into: Record<string, Tensor> | null, model: Module): Record<string, Tensor> {
  const state = model.stateDict();
  return noGrad(() => {
    if (into === null) {
      return Object.fromEntries(Object.entries(state).map(([k, t]) => [k, keep(clone(t))]));
    }
    for (const [k, t] of Object.entries(state)) assign(into[k]!, t);
    return into;
  });
}

function checkFitOptions(options: FitOptions): void {
  if (typeof options !== "object" || options === null) {
    throw new ArgumentError("fit: options { epochs, loss, optimizer } are required");
  }
  checkPositiveInteger("fit", "epochs", options.epochs);
  checkPositiveInteger("fit", "batchSize", options.batchSize ?? 32);
  checkLoss("fit", options.loss);
  if (options.onNonFinite !== undefined && !["stop", "skip"].includes(options.onNonFinite)) {
    throw new ArgumentError(
      `fit: onNonFinite must be "stop" or "skip" (got ${JSON.stringify(options.onNonFinite)})`,
    );
  }
  for (const name of ["onProgress", "onEpochEnd"] as const) {
    if (options[name] !== undefined && typeof options[name] !== "function") {
      throw new ArgumentError(`fit: ${name} must be a function`);
    }
  }
  if (options.seed !== undefined && !Number.isFinite(options.seed)) {
    throw new ArgumentError(`fit: seed must be a finite number (got ${options.seed})`);
  }
}

function checkOptimizer(model: Module, optimizer: unknown): FitOptimizer {
  const o = optimizer as FitOptimizer;
  if (
    typeof o !== "object" ||
    o === null ||
    !Array.isArray(o.params) ||
    typeof o.step !== "function"
  ) {
    throw new ArgumentError(
      `fit: optimizer must be an optimizer with params and step() (got ${describeValue(optimizer)})`,
    );
  }
  const own = model.parameters();
  const mine = new Set(own);
  const theirs = new Set(o.params);
  const missing = own.filter((p) => !theirs.has(p)).length;
  const foreign = o.params.filter((p) => !mine.has(p)).length;
  if (missing > 0 || foreign > 0 || o.params.length !== own.length) {
    throw new ArgumentError(
      `fit: the optimizer must update exactly model.parameters() (expected ${own.length} tensors, got ${o.params.length}: ${missing} of the model's missing, ${foreign} not the model's); build it with new Optimizer(model.parameters(), …)`,
    );
  }
  return o;
}

function makeEarlyStopper(
  es: EarlyStoppingOptions | undefined,
  hasValidation: boolean,
): EarlyStopper | null {
  if (es === undefined) return null;
  if (typeof es !== "object" || es === null) {
    throw new ArgumentError(
      "fit: earlyStopping must be { patience, monitor?, minDelta?, restoreBest? }",
    );
  }
  const key = es.monitor ?? "valLoss";
  if (!["loss", "accuracy", "valLoss", "valAccuracy"].includes(key)) {
    throw new ArgumentError(
      `fit: earlyStopping.monitor must be "loss", "accuracy", "valLoss" or "valAccuracy" (got ${JSON.stringify(key)})`,
    );
  }
  if ((key === "valLoss" || key === "valAccuracy") && !hasValidation) {
    throw new ArgumentError(
      `fit: earlyStopping monitors ${key} but no validation data was given (pass validation: { x, y } or monitor "loss")`,
    );
  }
  if (typeof es.patience !== "number" || !Number.isSafeInteger(es.patience) || es.patience < 0) {
    throw new ArgumentError(
      `fit: earlyStopping.patience must be a non-negative integer (got ${es.patience})`,
    );
  }
  const minDelta = es.minDelta ?? 0;
  if (typeof minDelta !== "number" || !(minDelta >= 0) || !Number.isFinite(minDelta)) {
    throw new ArgumentError(
      `fit: earlyStopping.minDelta must be a finite number ≥ 0 (got ${minDelta})`,
    );
  }
  return {
    key,
    patience: es.patience,
    minDelta,
    restoreBest: es.restoreBest ?? true,
    best: undefined,
    bestEpoch: undefined,
    wait: 0,
    snapshot: null,
  };
}

/**
 * Probes the model on the first batch (eval mode, no gradients) and returns its output shape; for
 * int32 labels, runs the loss once over all labels (against zero outputs) so a label the loss
 * rejects fails here, naming its position, before any weight changes.
 */
function probe(model: Module, data: Dataset, loss: LossFn, batchSize: number): readonly number[] {
  return noGrad(() =>
    tidy(() => {
      const { x, y } = data;
      const m = Math.min(x.shape[0]!, batchSize);
      const out = model.forward(slice(x, [0], [m], [0]));
      if (!(out instanceof TensorClass) || out.rank < 1 || out.shape[0] !== m) {
        throw new ShapeError(
          `fit: model.forward must return one row per sample (expected a tensor [${m}, …] for x ${fmt(x.shape)}, got ${out instanceof TensorClass ? fmt(out.shape) : describeValue(out)})`,
        );
      }
      if (y.dtype === "int32") {
        lossValue("fit", loss(zeros([y.shape[0]!, ...out.shape.slice(1)]), y));
      } else {
        lossValue("fit", loss(out, slice(y, [0], [m], [0])));
      }
      return [...out.shape];
    }),
  );
}

/**
 * Trains `model` on `data` by mini-batch gradient descent: every epoch the samples are shuffled
 * (seeded Fisher–Yates) and cut into batches; each step computes `loss(model.forward(xb), yb)`,
 * its gradients with respect to the model's parameters, and `optimizer.step(grads)`. The model is
 * in training mode during steps and in eval mode for validation; its modes are restored at the end.
 * @param model - the model to train (its parameters are updated in place)
 * @param data - `{ x, y }`: samples along axis 0 (e.g. x [N, 1, 28, 28] float32, y [N] int32)
 * @param options - see `FitOptions`: epochs, batchSize, loss, optimizer, validation, shuffle, seed,
 *   onProgress, onEpochEnd, earlyStopping, signal, onNonFinite
 * @returns a promise of the `History` (plain numbers; owns no tensors)
 * @throws {ShapeError} when x and y hold different numbers of samples, or the model's output does
 *   not fit the targets (thrown by the loss before training starts)
 * @throws {ArgumentError} for bad options, or an optimizer not over exactly `model.parameters()`
 * @throws {NonFiniteError} (`onNonFinite: "stop"`) when a step's loss is NaN or ±Infinity, naming
 *   the epoch and step; the weights are those after the last finite step
 * @example
 * // y = w·x from w = 0 on y = 2x: loss = mean((0 − 2x)²) = 30, dL/dw = −30 ⇒ w = 0.1·30 = 3
 * const model = new Linear(1, 1, { bias: false, init: "zeros" });
 * const data = { x: tensor([[1], [2], [3], [4]]), y: tensor([[2], [4], [6], [8]]) };
 * const optimizer = new SGD(model.parameters(), { lr: 0.1 });
 * const history = await fit(model, data, { epochs: 1, batchSize: 4, loss: mse, optimizer });
 * history.epochs[0].loss; // 30
 * model.weight.item(); // 3
 */
export async function fit(model: Module, data: Dataset, options: FitOptions): Promise<History> {
  checkModel("fit", model);
  checkFitOptions(options);
  const epochs = options.epochs;
  const batchSize = options.batchSize ?? 32;
  const loss = options.loss;
  const onNonFinite = options.onNonFinite ?? "stop";
  const { signal, onProgress, onEpochEnd } = options;
  const train = checkDataset("fit", "data", data);
  const validation =
    options.validation === undefined
      ? undefined
      : checkDataset("fit", "validation", options.validation);
  const optimizer = checkOptimizer(model, options.optimizer);
  const stopper = makeEarlyStopper(options.earlyStopping, validation !== undefined);
  const params = optimizer.params;
  const n = train.x.shape[0]!;

  const restoreModes = saveModes(model);
  const owned: Tensor[] = [];
  try {
    model.eval();
    const outShape = probe(model, train, loss, batchSize);
    if (validation) probe(model, validation, loss, batchSize);
    const classify = isClassification(outShape, train.y);
    if (stopper && (stopper.key === "accuracy" || stopper.key === "valAccuracy") && !classify) {
      throw new ArgumentError(
        `fit: earlyStopping monitors ${stopper.key} but it is only defined for outputs [N, C ≥ 2] with int32 labels [N] or float32 targets [N, C] (got output ${fmt(outShape)}, y ${fmt(train.y.shape)} ${train.y.dtype})`,
      );
    }
    // gather copies whole non-contiguous inputs: make them contiguous once
    const x = train.x.isContiguous ? train.x : keep(clone(train.x));
    const y = train.y.isContiguous ? train.y : keep(clone(train.y));
    if (x !== train.x) owned.push(x);
    if (y !== train.y) owned.push(y);

    const rng = new Rng(options.seed ?? globalGenerator().nextUint32());
    const ranges = batchRanges(n, batchSize);
    const stepsPerEpoch = ranges.length;
    const history: {
      epochs: EpochLogs[];
      stoppedBy: StopReason;
      skippedSteps: number;
      bestEpoch?: number;
    } = {
      epochs: [],
      stoppedBy: "completed",
      skippedSteps: 0,
    };
    let trainSeconds = 0;
    let samplesSeen = 0;
    let lastYield = now();

    let stoppedBy = "completed" as StopReason;
    if (signal?.aborted) stoppedBy = "aborted";
    for (let epoch = 1; epoch <= epochs && stoppedBy === "completed"; epoch++) {
      const epochStart = now();
      const order = identityIndices(n);
      if (options.shuffle ?? true) shuffleInPlace(order, rng);
      model.train();
      let lossSum = 0; // Σ batch loss · batch size, over finite steps
      let counted = 0; // samples of finite steps
      let correct = 0;
      let positions = 0;
      let lr = optimizer.lr;
      let epochTrainMs = 0;
      for (let s = 0; s < stepsPerEpoch; s++) {
        const r = ranges[s]!;
        const b = r.end - r.start;
        const t0 = now();
        lr = optimizer.lr;
        let batchCorrect = { correct: 0, positions: 0 };
        const batchLoss = tidy(() => {
          const xb = gatherBatch(x, order, r);
          const yb = gatherBatch(y, order, r);
          const { value, grads } = valueAndGrad(() => {
            const out = model.forward(xb);
            if (classify) batchCorrect = countCorrect(out, yb);
            return loss(out, yb);
          }, params);
          const v = value.item();
          // checked before stepping, so a non-finite loss never reaches the weights
          if (Number.isFinite(v)) optimizer.step(grads);
          else if (onNonFinite === "stop") {
            throw new NonFiniteError(
              `fit: loss is ${v} at epoch ${epoch}, step ${s + 1} of ${stepsPerEpoch} (batch of ${b} samples); the weights are those after the last finite step (pass onNonFinite: "skip" to skip such steps)`,
            );
          }
          return v;
        });
        if (Number.isFinite(batchLoss)) {
          lossSum += batchLoss * b;
          counted += b;
          correct += batchCorrect.correct;
          positions += batchCorrect.positions;
        } else history.skippedSteps++;
        const dt = now() - t0;
        epochTrainMs += dt;
        trainSeconds += dt / 1000;
        samplesSeen += b;
        if (onProgress) {
          const samplesPerSecond = samplesSeen / Math.max(trainSeconds, 1e-9);
          const left = n - r.end + (epochs - epoch) * n;
          onProgress({
            epoch,
            epochs,
            step: s + 1,
            stepsPerEpoch,
            loss: counted > 0 ? lossSum / counted : Number.NaN,
            batchLoss,
            samplesPerSecond,
            etaSeconds: left / samplesPerSecond,
          });
        }
        if (now() - lastYield >= YIELD_MS) {
          await nextTick();
          lastYield = now();
        }
        if (signal?.aborted) {
          stoppedBy = "aborted";
          break;
        }
      }
      if (stoppedBy === "aborted") break;

      let logs: EpochLogs = {
        epoch,
        loss: counted > 0 ? lossSum / counted : Number.NaN,
        ...(classify ? { accuracy: positions > 0 ? correct / positions : Number.NaN } : {}),
        lr,
        samplesPerSecond: n / Math.max(epochTrainMs / 1000, 1e-9),
        seconds: 0,
      };
      if (validation) {
        const v = evaluateChecked(
          model,
          validation.x,
          validation.y,
          loss,
          Math.max(batchSize, 256),
        );
        logs = {
          ...logs,
          valLoss: v.loss,
          ...(v.accuracy !== undefined ? { valAccuracy: v.accuracy } : {}),
        };
      }
      logs = { ...logs, seconds: (now() - epochStart) / 1000 };
      history.epochs.push(logs);

      if (stopper) {
        const value = logs[stopper.key]!;
        const lower = stopper.key === "loss" || stopper.key === "valLoss";
        const improved =
          stopper.best === undefined ||
          (lower
            ? value < stopper.best - stopper.minDelta
            : value > stopper.best + stopper.minDelta);
        if (improved) {
          stopper.best = value;
          stopper.bestEpoch = epoch;
          stopper.wait = 0;
          if (stopper.restoreBest) stopper.snapshot = snapshotInto(stopper.snapshot, model);
        } else if (++stopper.wait >= stopper.patience) {
          stoppedBy = "earlyStopping";
        }
        if (stopper.bestEpoch !== undefined) history.bestEpoch = stopper.bestEpoch;
      }
      const keepGoing = onEpochEnd ? await onEpochEnd(logs) : true;
      if (stoppedBy === "completed" && keepGoing === false) stoppedBy = "callback";
      if (stoppedBy === "completed" && signal?.aborted) stoppedBy = "aborted";
      await nextTick();
      lastYield = now();
    }
    if (stoppedBy === "earlyStopping" && stopper?.snapshot) model.loadStateDict(stopper.snapshot);
    history.stoppedBy = stoppedBy;
    return history;
  } finally {
    restoreModes();
    for (const t of owned) t.dispose();
    if (stopper?.snapshot) for (const t of Object.values(stopper.snapshot)) t.dispose();
  }
}
