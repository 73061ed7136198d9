/*
 * Optimizer: the base of SGD, Adam, AdamW and RMSprop. It owns the bookkeeping every optimizer
 * shares: argument checks, the learning rate (a number or a schedule of the step), the step count,
 * and per-parameter state tensors ("buffers": momentum, moment estimates, …). Buffers are created
 * once, on the first step (or by `loadState`), kept out of every `tidy`, and updated in place with
 * `assign`, so a step allocates nothing that outlives it. A subclass names its buffers and writes
 * one parameter's update.
 */
import {
  ArgumentError,
  assign,
  DisposedTensorError,
  DTypeError,
  dispose,
  keep,
  noGrad,
  ShapeError,
  type Tensor,
  Tensor as TensorClass,
  tensor,
  tidy,
  zerosLike,
} from "@edgenn/tensor";
import { checkNumber, describe } from "./checks.js";

/**
 * A learning-rate schedule: the rate used at optimizer step `step` (0-based).
 * @example
 * const halve = (step) => 0.1 * 0.5 ** step;
 * const opt = new SGD([tensor([1])], { lr: halve });
 * opt.lr; // 0.1
 */
export type Schedule = (step: number) => number;

/**
 * Options every optimizer takes: `lr`, a fixed learning rate or a `Schedule` of the step.
 * @example
 * const options = { lr: cosineLR(0.1, { totalSteps: 100 }) };
 * new SGD([tensor([1])], options).lr; // 0.1
 */
export interface OptimizerOptions {
  /** The learning rate (≥ 0), or a schedule giving it per step. */
  readonly lr: number | Schedule;
}

/**
 * An optimizer's state as plain JSON-serialisable data: which optimizer wrote it, the steps taken,
 * and each state buffer per parameter, flattened row-major (`buffers.expAvg[i]` ↔ `params[i]`).
 * Hyperparameters are not part of it: they come from the constructor. Signed zeros in the buffers
 * read back as `+0` after `JSON.stringify`/`JSON.parse`.
 * @example
 * const opt = new SGD([tensor([1, 2])], { lr: 0.1, momentum: 0.9 });
 * opt.step([tensor([1, 1])]);
 * const s = opt.state();
 * s.optimizer; // "SGD"
 * s.stepCount; // 1
 * s.buffers.momentumBuffer; // [[1, 1]]
 */
export interface OptimizerState {
  /** The optimizer that wrote it: `"SGD"`, `"Adam"`, `"AdamW"` or `"RMSprop"`. */
  readonly optimizer: string;
  /** Steps taken. */
  readonly stepCount: number;
  /** State buffers by name, one flat array per parameter (empty before the first step). */
  readonly buffers: { readonly [name: string]: readonly (readonly number[])[] };
}

/**
 * The base class of optimizers: updates float32 parameters in place from gradients,
 * `step(grads)` with `grads[i]` the gradient of `params[i]` (as `valueAndGrad` returns them). Each
 * step runs under `noGrad` inside `tidy`; its state tensors are created once and reused.
 * Subclasses name their state buffers (`bufferNames`) and implement `update` for one parameter.
 * @example
 * const w = tensor([1, 2]);
 * const opt = new SGD([w], { lr: 0.5 });
 * opt instanceof Optimizer; // true
 * opt.step([tensor([2, 2])]);
 * w.toArray(); // [0, 1]
 * opt.stepCount; // 1
 */
export abstract class Optimizer {
  /** The tensors this optimizer updates, in the order `step` expects their gradients. */
  readonly params: readonly Tensor[];
  readonly #lr: number | Schedule;
  #stepCount = 0;
  /** `#buffers[k][i]`: buffer `bufferNames[k]` of `params[i]`; null until the first step. */
  #buffers: Tensor[][] | null = null;
  #disposed = false;

  /**
   * @param params - distinct, live float32 tensors, updated in place
   * @param options - `lr`: a number ≥ 0 or a `Schedule`
   * @throws {ArgumentError} for an empty or non-array `params`, a repeated tensor, or a bad `lr`
   * @throws {DTypeError} if a parameter is not float32
   * @throws {DisposedTensorError} if a parameter is disposed
   */
  constructor(params: readonly Tensor[], options: OptimizerOptions) {
    const op = this.kind;
    if (!Array.isArray(params)) {
      throw new ArgumentError(
        `${op}: params must be an array of tensors (got ${describe(params)})`,
      );
    }
    if (params.length === 0) {
      throw new ArgumentError(`${op}: params is empty (expected at least one tensor to optimize)`);
    }
    const seen = new Set<Tensor>();
    params.forEach((p: unknown, i) => {
      if (!(p instanceof TensorClass)) {
        throw new ArgumentError(`${op}: params[${i}] must be a Tensor (got ${describe(p)})`);
      }
      checkAlive(op, p, `params[${i}]`);
      if (p.dtype !== "float32") {
        throw new DTypeError(
          `${op}: params[${i}] has dtype ${p.dtype} (expected float32, shape [${p.shape.join(",")}])`,
        );
      }
      if (p.strides.some((s, d) => s === 0 && p.shape[d]! > 1)) {
        throw new ArgumentError(
          `${op}: params[${i}] is a broadcast view (strides [${p.strides.join(",")}]); it cannot be updated in place`,
        );
      }
      if (seen.has(p)) throw new ArgumentError(`${op}: params[${i}] appears twice in params`);
      seen.add(p);
    });
    this.params = Object.freeze(params.slice());
    const lr = (options as Partial<OptimizerOptions> | undefined)?.lr;
    if (typeof lr !== "function") checkNumber(op, "lr", lr, undefined, { min: 0 });
    this.#lr = lr as number | Schedule;
  }

  /**
   * The optimizer's name in messages and in `state().optimizer`, e.g. `"Adam"`. Subclasses
   * override it (the class name is the fallback, which minifiers may change).
   */
  protected get kind(): string {
    return this.constructor.name;
  }

  /** The names of the per-parameter state buffers, fixed by the options (e.g. `["expAvg", "expAvgSq"]`). */
  protected abstract get bufferNames(): readonly string[];

  /**
   * Updates one parameter in place (with `assign`) and its buffers. Runs under `noGrad` inside a
   * `tidy`, so intermediates are freed.
   * @param param - the parameter
   * @param grad - its gradient (same shape)
   * @param buffers - its state buffers, in `bufferNames` order (zeros before the first step)
   * @param lr - the learning rate of this step
   * @param t - the 1-based number of this step
   */
  protected abstract update(
    param: Tensor,
    grad: Tensor,
    buffers: readonly Tensor[],
    lr: number,
    t: number,
  ): void;

  /** The learning rate the next `step` uses (the schedule's value at `stepCount`). */
  get lr(): number {
    const lr = this.#lr;
    if (typeof lr === "number") return lr;
    const v = lr(this.#stepCount);
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
      throw new ArgumentError(
        `${this.kind}: the learning-rate schedule returned ${describe(v)} at step ${this.#stepCount} (expected a finite number ≥ 0)`,
      );
    }
    return v;
  }

  /** Steps taken so far. */
  get stepCount(): number {
    return this.#stepCount;
  }

  /**
   * Applies one update to every parameter, in place.
   * @param grads - `grads[i]` is the gradient of `params[i]`: float32, same shape; not modified
   * @throws {ArgumentError} if `grads` is not an array of `params.length` tensors, or the schedule
   *   returns a bad rate
   * @throws {ShapeError} if a gradient's shape differs from its parameter's
   * @throws {DTypeError} if a gradient is not float32
   * @throws {DisposedTensorError} if a parameter or gradient is disposed, or the optimizer is
   */
  step(grads: readonly Tensor[]): void {
    const op = `${this.kind}.step`;
    this.#checkUsable(op);
    if (!Array.isArray(grads)) {
      throw new ArgumentError(`${op}: grads must be an array of tensors (got ${describe(grads)})`);
    }
    if (grads.length !== this.params.length) {
      throw new ArgumentError(
        `${op}: one gradient per parameter (expected ${this.params.length}, got ${grads.length})`,
      );
    }
    this.params.forEach((p, i) => {
      const g: unknown = grads[i];
      checkAlive(op, p, `params[${i}]`);
      if (!(g instanceof TensorClass)) {
        throw new ArgumentError(`${op}: grads[${i}] must be a Tensor (got ${describe(g)})`);
      }
      checkAlive(op, g, `grads[${i}]`);
      if (g.dtype !== "float32") {
        throw new DTypeError(`${op}: grads[${i}] has dtype ${g.dtype} (expected float32)`);
      }
      if (!sameShape(g.shape, p.shape)) {
        throw new ShapeError(
          `${op}: grads[${i}] does not match params[${i}] (expected shape [${p.shape.join(",")}], got [${g.shape.join(",")}])`,
        );
      }
    });
    const lr = this.lr;
    const t = this.#stepCount + 1;
    noGrad(() => {
      const buffers = this.#ensureBuffers();
      this.params.forEach((p, i) => {
        tidy(() =>
          this.update(
            p,
            grads[i]!,
            buffers.map((b) => b[i]!),
            lr,
            t,
          ),
        );
      });
    });
    this.#stepCount = t;
  }

  /**
   * The optimizer's state as plain data (numbers and arrays of numbers), for `JSON.stringify`.
   * @returns a new object owned by the caller
   * @throws {DisposedTensorError} if the optimizer was disposed
   */
  state(): OptimizerState {
    this.#checkUsable(`${this.kind}.state`);
    const buffers: Record<string, number[][]> = {};
    if (this.#buffers !== null) {
      const names = this.bufferNames;
      this.#buffers.forEach((perParam, k) => {
        buffers[names[k]!] = perParam.map((b) => Array.from(b.dataSync()));
      });
    }
    return { optimizer: this.kind, stepCount: this.#stepCount, buffers };
  }

  /**
   * Restores a state from `state()` (possibly after a JSON round trip): later steps give exactly
   * the parameters an uninterrupted run would. Checks everything before changing anything.
   * @param s - a state written by an optimizer of the same kind, options and parameter shapes
   * @throws {ArgumentError} if `s` was written by another optimizer or holds the wrong buffers,
   *   counts, sizes or non-finite values
   * @throws {DisposedTensorError} if the optimizer was disposed
   * @example
   * const w = tensor([1]);
   * const opt = new Adam([w], { lr: 0.1 });
   * opt.step([tensor([1])]);
   * const saved = JSON.stringify(opt.state());
   * const resumed = new Adam([w], { lr: 0.1 });
   * resumed.loadState(JSON.parse(saved));
   * resumed.stepCount; // 1
   * resumed.state().buffers.expAvg; // [[0.1]]
   */
  loadState(s: OptimizerState): void {
    const op = `${this.kind}.loadState`;
    this.#checkUsable(op);
    if (s === null || typeof s !== "object") {
      throw new ArgumentError(`${op}: state must be an object (got ${describe(s)})`);
    }
    if (s.optimizer !== this.kind) {
      throw new ArgumentError(
        `${op}: state was written by another optimizer (expected ${JSON.stringify(this.kind)}, got ${describe(s.optimizer)})`,
      );
    }
    const stepCount = checkNumber(op, "stepCount", s.stepCount, undefined, {
      min: 0,
      integer: true,
    });
    const buffers: unknown = s.buffers;
    if (buffers === null || typeof buffers !== "object" || Array.isArray(buffers)) {
      throw new ArgumentError(`${op}: buffers must be an object (got ${describe(buffers)})`);
    }
    const expected = stepCount === 0 ? [] : this.bufferNames;
    const got = Object.keys(buffers);
    if (got.length !== expected.length || !expected.every((n) => got.includes(n))) {
      throw new ArgumentError(
        `${op}: state buffers do not fit this optimizer's options after ${stepCount} steps (expected [${expected.join(", ")}], got [${got.join(", ")}])`,
      );
    }
    const data = expected.map((name) => {
      const perParam: unknown = (buffers as Record<string, unknown>)[name];
      if (!Array.isArray(perParam) || perParam.length !== this.params.length) {
        throw new ArgumentError(
          `${op}: buffers.${name} must hold one array per parameter (expected ${this.params.length}, got ${Array.isArray(perParam) ? perParam.length : describe(perParam)})`,
        );
      }
      return this.params.map((p, i) => {
        const values: unknown = perParam[i];
        if (!Array.isArray(values) || values.length !== p.size) {
          throw new ArgumentError(
            `${op}: buffers.${name}[${i}] must hold params[${i}].size numbers (expected ${p.size}, got ${Array.isArray(values) ? values.length : describe(values)})`,
          );
        }
        const j = values.findIndex((v) => typeof v !== "number" || !Number.isFinite(v));
        if (j >= 0) {
          throw new ArgumentError(
            `${op}: buffers.${name}[${i}][${j}] must be a finite number (got ${describe(values[j])})`,
          );
        }
        return values as number[];
      });
    });
    if (data.length === 0) {
      dispose(this.#buffers);
      this.#buffers = null;
    } else {
      noGrad(() => {
        const target = this.#ensureBuffers();
        data.forEach((perParam, k) => {
          perParam.forEach((values, i) => {
            const b = target[k]![i]!;
            tidy(() => {
              assign(b, tensor(Float32Array.from(values), { shape: b.shape }));
            });
          });
        });
      });
    }
    this.#stepCount = stepCount;
  }

  /**
   * Frees the optimizer's state tensors (not the parameters). Using the optimizer afterwards
   * throws `DisposedTensorError`. Idempotent.
   */
  dispose(): void {
    dispose(this.#buffers);
    this.#buffers = null;
    this.#disposed = true;
  }

  #ensureBuffers(): Tensor[][] {
    if (this.#buffers === null) {
      this.#buffers = this.bufferNames.map(() => this.params.map((p) => keep(zerosLike(p))));
    }
    return this.#buffers;
  }

  #checkUsable(op: string): void {
    if (this.#disposed) throw new DisposedTensorError(`${op}: optimizer used after dispose()`);
  }
}

function checkAlive(op: string, t: Tensor, name: string): void {
  if (t.isDisposed) {
    throw new DisposedTensorError(
      `${op}: ${name} is disposed (shape [${t.shape.join(",")}], ${t.dtype})`,
    );
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
