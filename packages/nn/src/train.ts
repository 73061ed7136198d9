/*
 * The training loop. `fit` runs epochs of shuffled mini-batches; each step is
 *   tidy(valueAndGrad(() => loss(model.forward(xb), yb), optimizer.params) → optimizer.step(grads))
 * so a step's intermediates are freed when it ends and memory reaches a flat steady state after the
 * first step (the optimizer's state and the early-stopping snapshot are made once). The loss is read
 * after every step (one scalar) and, with the gradients (one more scalar), checked before the
 * optimizer touches the weights. With `checkpoint`, the whole training state is serialised
 * (checkpoint.ts) every few steps or epochs; `resume` restores it, and the run continues exactly
 * where the saved one was: the epoch's shuffle is redrawn from the generator state saved at the
 * epoch's start, and the loop enters that epoch at the saved step. Between steps
 * the loop yields to the event loop about every 50 ms so an AbortSignal, timers and a UI can run.
 * `evaluate` and `predict` run batches in order under noGrad with the model in eval mode.
 */
import { valueAndGrad } from "@edgenn/autograd";
import type { OptimizerState } from "@edgenn/optim";
import {
  ArgumentError,
  add,
  assign,
  clone,
  concat,
  EdgeNNError,
  globalGenerator,
  keep,
  mul,
  NonFiniteError,
  noGrad,
  Rng,
  ShapeError,
  slice,
  sum,
  type Tensor,
  Tensor as TensorClass,
  tensor,
  tidy,
  zeros,
} from "@edgenn/tensor";
import {
  type CheckpointOptions,
  type CheckpointState,
  type CheckpointTensor,
  checkCheckpointOptions,
  decodeCheckpoint,
  encodeCheckpoint,
} from "./checkpoint.js";
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
  /** Its state as plain data (needed for `checkpoint`). */
  state?(): OptimizerState;
  /** Restores a `state()` (needed for `resume`). */
  loadState?(state: OptimizerState): void;
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
  /**
   * A NaN/±Infinity loss or gradient element: "stop" throws `NonFiniteError` (default), "skip"
   * skips that step. Either way the step's update (and any buffer change, such as BatchNorm's
   * running statistics) is not applied.
   */
  onNonFinite?: "stop" | "skip";
  /**
   * Save the training state every `every` steps (or `{ epochs }`) through `save(bytes)`, and when
   * aborted; see `fileCheckpoint` in `@edgenn/nn/node` for crash-safe files. Needs an optimizer
   * with `state()`/`loadState()` (every `@edgenn/optim` optimizer).
   */
  checkpoint?: CheckpointOptions | undefined;
  /**
   * A checkpoint's bytes to continue from: the model, optimizer, schedule position, shuffling and
   * global RNG states, epoch/step and history are restored, and training continues exactly as the
   * interrupted run would have. The data, `batchSize`, `shuffle` and early stopping must be those
   * of the run that wrote it; `epochs` may be larger.
   */
  resume?: Uint8Array | undefined;
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
 * `model.forward(x)`, with an EdgeNNError it throws prefixed by the function called
 * (`predict: Linear: …`), as `Sequential` names its layer.
 */
function forwardAs(op: string, model: Module, x: Tensor): Tensor {
  try {
    return model.forward(x);
  } catch (e) {
    if (e instanceof EdgeNNError && !e.message.startsWith(`${op}:`)) {
      e.message = `${op}: ${e.message}`;
    }
    throw e;
  }
}

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
          const out = forwardAs("evaluate", model, slice(x, [r.start], [r.end], [0]));
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
          tidy(() => forwardAs(op, model, slice(x, [r.start], [r.end], [0]))),
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
      const out = forwardAs("fit", model, slice(x, [0], [m], [0]));
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
 *   onProgress, onEpochEnd, earlyStopping, signal, onNonFinite, checkpoint, resume
 * @returns a promise of the `History` (plain numbers; owns no tensors)
 * @throws {ShapeError} when x and y hold different numbers of samples, or the model's output does
 *   not fit the targets (thrown by the loss before training starts)
 * @throws {ArgumentError} for bad options, an optimizer not over exactly `model.parameters()`, or
 *   a `resume` checkpoint of another model, optimizer, data size, batch size or shuffle setting
 *   (checked before anything changes)
 * @throws {ModelFormatError} for a truncated, corrupt or unknown-version `resume` checkpoint
 * @throws {NonFiniteError} (`onNonFinite: "stop"`) when a step's loss or a gradient element is NaN
 *   or ±Infinity, naming the epoch and step; the weights and buffers are those after the last
 *   finite step
 * @throws whatever `checkpoint.save` throws (training stops after the step it was saving)
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
  const shuffle = options.shuffle ?? true;
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
  const every =
    options.checkpoint === undefined ? null : checkCheckpointOptions(options.checkpoint);
  const resume = options.resume === undefined ? null : decodeResume(options.resume);
  if (
    (every !== null || resume !== null) &&
    (typeof optimizer.state !== "function" || typeof optimizer.loadState !== "function")
  ) {
    throw new ArgumentError(
      `fit: ${every !== null ? "checkpoint" : "resume"} needs an optimizer with state() and loadState() (every @edgenn/optim optimizer has them)`,
    );
  }
  const params = optimizer.params;
  const n = train.x.shape[0]!;
  const ranges = batchRanges(n, batchSize);
  const stepsPerEpoch = ranges.length;

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
    if (resume) checkResume(resume, model, n, batchSize, shuffle, stopper);
    // gather copies whole non-contiguous inputs: make them contiguous once
    const x = train.x.isContiguous ? train.x : keep(clone(train.x));
    const y = train.y.isContiguous ? train.y : keep(clone(train.y));
    if (x !== train.x) owned.push(x);
    if (y !== train.y) owned.push(y);

    // a resumed run draws no seed: its generators continue from the checkpoint's states
    const rng = new Rng(resume ? 0 : (options.seed ?? globalGenerator().nextUint32()));
    const history: {
      epochs: EpochLogs[];
      stoppedBy: StopReason;
      skippedSteps: number;
      bestEpoch?: number;
    } = {
      epochs: resume ? [...resume.epochs] : [],
      stoppedBy: "completed",
      skippedSteps: resume?.skippedSteps ?? 0,
    };
    let trainSeconds = resume?.trainSeconds ?? 0;
    let samplesSeen = resume?.samplesSeen ?? 0;
    if (resume) {
      restoreState(resume, model, optimizer, rng, stopper);
      if (stopper?.bestEpoch !== undefined) history.bestEpoch = stopper.bestEpoch;
    }

    // buffers (BatchNorm running statistics) change in the forward pass: a step found non-finite
    // puts them back from this copy, taken before each step
    const modelBuffers = model.namedBuffers().map(([, t]) => t);
    const backup = noGrad(() => modelBuffers.map((t) => keep(clone(t))));
    owned.push(...backup);
    const names = new Map(model.namedParameters().map(([name, t]) => [t, name]));

    let epochRng = rng.getState();
    let acc: Accumulators = emptyAccumulators();
    let savedAt = -1; // the global step of the last checkpoint
    const save = async (epoch: number, step: number): Promise<void> => {
      const position = (epoch - 1) * stepsPerEpoch + step;
      if (!options.checkpoint || position === savedAt) return;
      const bytes = encodeCheckpoint(
        collectState(model, optimizer, stopper, history, {
          epoch,
          step,
          stepsPerEpoch,
          samples: n,
          batchSize,
          shuffle,
          rng: step === 0 ? rng.getState() : epochRng,
          accumulators: step === 0 ? emptyAccumulators() : acc,
          trainSeconds,
          samplesSeen,
        }),
      );
      await options.checkpoint.save(bytes);
      savedAt = position;
    };
    let lastYield = now();
    let stoppedBy = "completed" as StopReason;
    if (signal?.aborted) stoppedBy = "aborted";
    const firstEpoch = resume?.epoch ?? 1;
    for (let epoch = firstEpoch; epoch <= epochs && stoppedBy === "completed"; epoch++) {
      const epochStart = now();
      const resuming = resume !== null && epoch === firstEpoch;
      epochRng = rng.getState();
      const order = identityIndices(n);
      if (shuffle) shuffleInPlace(order, rng);
      model.train();
      acc = resuming ? { ...resume.accumulators } : emptyAccumulators();
      for (let s = resuming ? resume.step : 0; s < stepsPerEpoch; s++) {
        const r = ranges[s]!;
        const b = r.end - r.start;
        const t0 = now();
        const lr = optimizer.lr;
        let batchCorrect = { correct: 0, positions: 0 };
        copyAll(backup, modelBuffers);
        const batchLoss = tidy(() => {
          const xb = gatherBatch(x, order, r);
          const yb = gatherBatch(y, order, r);
          const { value, grads } = valueAndGrad(() => {
            const out = forwardAs("fit", model, xb);
            if (classify) batchCorrect = countCorrect(out, yb);
            return loss(out, yb);
          }, params);
          const v = value.item();
          // checked before stepping, so a non-finite loss or gradient never reaches the weights
          const bad = !Number.isFinite(v)
            ? `loss is ${v}`
            : nonFiniteGradient(grads, params, names);
          if (bad === null) {
            optimizer.step(grads);
            return v;
          }
          copyAll(modelBuffers, backup);
          if (onNonFinite === "stop") {
            throw new NonFiniteError(
              `fit: ${bad} at epoch ${epoch}, step ${s + 1} of ${stepsPerEpoch} (batch of ${b} samples); the weights are those after the last finite step (pass onNonFinite: "skip" to skip such steps)`,
            );
          }
          return Number.isFinite(v) ? Number.NaN : v;
        });
        acc.lr = lr;
        if (Number.isFinite(batchLoss)) {
          acc.lossSum += batchLoss * b;
          acc.counted += b;
          acc.correct += batchCorrect.correct;
          acc.positions += batchCorrect.positions;
        } else history.skippedSteps++;
        const dt = now() - t0;
        acc.trainMs += dt;
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
            loss: acc.counted > 0 ? acc.lossSum / acc.counted : Number.NaN,
            batchLoss,
            samplesPerSecond,
            etaSeconds: left / samplesPerSecond,
          });
        }
        const globalStep = (epoch - 1) * stepsPerEpoch + s + 1;
        if (every && "steps" in every && globalStep % every.steps === 0) await save(epoch, s + 1);
        if (now() - lastYield >= YIELD_MS) {
          await nextTick();
          lastYield = now();
        }
        if (signal?.aborted) {
          stoppedBy = "aborted";
          await save(epoch, s + 1);
          break;
        }
      }
      if (stoppedBy === "aborted") break;

      let logs: EpochLogs = {
        epoch,
        loss: acc.counted > 0 ? acc.lossSum / acc.counted : Number.NaN,
        ...(classify
          ? { accuracy: acc.positions > 0 ? acc.correct / acc.positions : Number.NaN }
          : {}),
        lr: acc.lr,
        samplesPerSecond: n / Math.max(acc.trainMs / 1000, 1e-9),
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
      if (every && "epochs" in every && epoch % every.epochs === 0) await save(epoch + 1, 0);
      else if (stoppedBy === "aborted") await save(epoch + 1, 0);
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

// ---------------------------------------------------------------------------------------------
// Non-finite steps

/** `to[i] ← from[i]` in place, for every i. */
function copyAll(to: readonly Tensor[], from: readonly Tensor[]): void {
  if (to.length === 0) return;
  noGrad(() =>
    tidy(() => {
      for (let i = 0; i < to.length; i++) assign(to[i]!, from[i]!);
    }),
  );
}

/**
 * Null when every gradient element is finite, else which parameter's gradient is not. Fast path:
 * Σ_i Σ g_i is finite when every element is (one reduction per gradient, one scalar read). Only
 * when it is not, each Σ(g_i · 0) is read: 0 when all of g_i is finite, NaN when an element is NaN
 * or ±Infinity, so a plain sum that merely overflowed on large finite gradients passes.
 */
function nonFiniteGradient(
  grads: readonly Tensor[],
  params: readonly Tensor[],
  names: ReadonlyMap<Tensor, string>,
): string | null {
  return noGrad(() =>
    tidy(() => {
      let total = sum(grads[0]!);
      for (let i = 1; i < grads.length; i++) total = add(total, sum(grads[i]!));
      if (Number.isFinite(total.item())) return null;
      const i = grads.findIndex((g) => sum(mul(g, 0)).item() !== 0);
      if (i < 0) return null;
      const name = names.get(params[i]!) ?? `params[${i}]`;
      return `the gradient of '${name}' holds NaN or ±Infinity (shape ${fmt(grads[i]!.shape)})`;
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Checkpoints: collecting and restoring the training state

/** The running sums of the epoch in progress (saved in checkpoints). */
interface Accumulators {
  /** Σ batch loss · batch size, over finite steps. */
  lossSum: number;
  /** Samples of finite steps. */
  counted: number;
  /** Correctly classified positions, and positions, of finite steps. */
  correct: number;
  positions: number;
  /** The learning rate of the last step. */
  lr: number;
  /** Milliseconds spent in steps. */
  trainMs: number;
}

const emptyAccumulators = (): Accumulators => ({
  lossSum: 0,
  counted: 0,
  correct: 0,
  positions: 0,
  lr: 0,
  trainMs: 0,
});

function tensorsOf(state: Record<string, Tensor>): CheckpointTensor[] {
  return Object.entries(state).map(([name, t]) => ({
    name,
    dtype: t.dtype,
    shape: t.shape,
    data: t.dataSync(),
  }));
}

function collectState(
  model: Module,
  optimizer: FitOptimizer,
  stopper: EarlyStopper | null,
  history: { epochs: EpochLogs[]; skippedSteps: number },
  position: Omit<
    CheckpointState,
    "globalRng" | "epochs" | "skippedSteps" | "stopper" | "optimizer" | "model" | "best"
  >,
): CheckpointState {
  const o = optimizer.state!();
  const buffers: Record<string, Float32Array[]> = {};
  for (const [name, perParam] of Object.entries(o.buffers)) {
    buffers[name] = perParam.map((values) => Float32Array.from(values));
  }
  return {
    ...position,
    globalRng: globalGenerator().getState(),
    epochs: history.epochs,
    skippedSteps: history.skippedSteps,
    stopper: stopper
      ? { best: stopper.best ?? null, bestEpoch: stopper.bestEpoch ?? null, wait: stopper.wait }
      : null,
    optimizer: { kind: o.optimizer, stepCount: o.stepCount, buffers },
    model: tensorsOf(model.stateDict()),
    best: stopper?.snapshot ? tensorsOf(stopper.snapshot) : null,
  };
}

function decodeResume(bytes: unknown): CheckpointState {
  if (!(bytes instanceof Uint8Array)) {
    throw new ArgumentError(
      `fit: resume must be a checkpoint's bytes, a Uint8Array (got ${describeValue(bytes)})`,
    );
  }
  return decodeCheckpoint(bytes, "fit");
}

type TensorSpec = Pick<CheckpointTensor, "name" | "dtype" | "shape">;

const specsOf = (state: Record<string, Tensor>): TensorSpec[] =>
  Object.entries(state).map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape }));

const sameTensors = (a: readonly TensorSpec[], b: readonly TensorSpec[]): boolean =>
  a.length === b.length &&
  a.every(
    (t, i) =>
      t.name === b[i]!.name &&
      t.dtype === b[i]!.dtype &&
      t.shape.length === b[i]!.shape.length &&
      t.shape.every((d, k) => d === b[i]!.shape[k]),
  );

const describeTensors = (ts: readonly TensorSpec[]): string =>
  ts.map((t) => `${t.name} ${t.dtype} ${fmt(t.shape)}`).join(", ");

/** Checks that a decoded checkpoint belongs to this run (before anything is changed). */
function checkResume(
  c: CheckpointState,
  model: Module,
  n: number,
  batchSize: number,
  shuffle: boolean,
  stopper: EarlyStopper | null,
): void {
  if (c.samples !== n || c.batchSize !== batchSize || c.shuffle !== shuffle) {
    throw new ArgumentError(
      `fit: the checkpoint is of another run (expected ${n} samples, batchSize ${batchSize}, shuffle ${shuffle}; got ${c.samples}, ${c.batchSize}, ${c.shuffle})`,
    );
  }
  const own = specsOf(model.stateDict());
  if (!sameTensors(c.model, own)) {
    throw new ArgumentError(
      `fit: the checkpoint does not fit this model (expected [${describeTensors(own)}], got [${describeTensors(c.model)}])`,
    );
  }
  if (
    (c.stopper !== null) !== (stopper !== null) ||
    (c.best !== null && !sameTensors(c.best, own))
  ) {
    throw new ArgumentError(
      `fit: the checkpoint was written ${c.stopper ? "with" : "without"} earlyStopping (resume with the same earlyStopping option)`,
    );
  }
}

/** Loads a checked checkpoint into the model, optimizer, generators and early stopper. */
function restoreState(
  c: CheckpointState,
  model: Module,
  optimizer: FitOptimizer,
  rng: Rng,
  stopper: EarlyStopper | null,
): void {
  const buffers: Record<string, number[][]> = {};
  for (const [name, perParam] of Object.entries(c.optimizer.buffers)) {
    buffers[name] = perParam.map((values) => Array.from(values));
  }
  // loadState checks everything before changing anything, so it goes first
  optimizer.loadState!({ optimizer: c.optimizer.kind, stepCount: c.optimizer.stepCount, buffers });
  const toTensors = (ts: readonly CheckpointTensor[]): Record<string, Tensor> =>
    Object.fromEntries(ts.map((t) => [t.name, tensor(t.data, { dtype: t.dtype, shape: t.shape })]));
  noGrad(() => tidy(() => model.loadStateDict(toTensors(c.model))));
  if (stopper && c.stopper) {
    stopper.best = c.stopper.best ?? undefined;
    stopper.bestEpoch = c.stopper.bestEpoch ?? undefined;
    stopper.wait = c.stopper.wait;
    if (c.best) {
      const snapshot = toTensors(c.best);
      for (const t of Object.values(snapshot)) keep(t);
      stopper.snapshot = snapshot;
    }
  }
  rng.setState(c.rng);
  globalGenerator().setState(c.globalRng);
}
