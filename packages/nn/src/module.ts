/*
 * Module: the base of every layer and model. A module owns named parameters (trainable float32
 * tensors), named buffers (state that is saved but not trained, e.g. BatchNorm's running statistics)
 * and named child modules, all registered explicitly in the constructor. Parameters keep their
 * identity for the module's life: optimizers update them in place with `assign`.
 */
import {
  ArgumentError,
  assign,
  DTypeError,
  keep,
  ShapeError,
  type Tensor,
  Tensor as TensorClass,
} from "@edgenn/tensor";
import { show, showJson } from "./show.js";

/** Parameters and buffers by dotted name (`"0.weight"`, `"fc1.bias"`), as `stateDict()` returns them. */
export type StateDict = Record<string, Tensor>;

/** The base class of layers and models. Subclasses register state in their constructor and implement `forward`. */
export abstract class Module {
  readonly #params = new Map<string, Tensor>();
  readonly #buffers = new Map<string, Tensor>();
  readonly #children = new Map<string, Module>();
  #training = true;

  /** Computes the module's output. Called directly: `model.forward(x)`. */
  abstract forward(...inputs: Tensor[]): Tensor;

  /** True in training mode (the default): Dropout drops, BatchNorm uses batch statistics. */
  get isTraining(): boolean {
    return this.#training;
  }

  /** Registers a trainable parameter (kept out of every `tidy`); returns it. */
  protected addParameter(name: string, t: Tensor): Tensor {
    this.#checkName(name);
    if (!(t instanceof TensorClass) || t.dtype !== "float32") {
      throw new ArgumentError(
        `${this.constructor.name}.addParameter: '${name}' must be a float32 Tensor`,
      );
    }
    this.#params.set(name, keep(t));
    return t;
  }

  /** Registers a buffer: saved with the state but not trained (e.g. running statistics); returns it. */
  protected addBuffer(name: string, t: Tensor): Tensor {
    this.#checkName(name);
    if (!(t instanceof TensorClass)) {
      throw new ArgumentError(`${this.constructor.name}.addBuffer: '${name}' must be a Tensor`);
    }
    this.#buffers.set(name, keep(t));
    return t;
  }

  /** Registers a child module; returns it. */
  protected addModule<M extends Module>(name: string, m: M): M {
    this.#checkName(name);
    if (!(m instanceof Module))
      throw new ArgumentError(`${this.constructor.name}.addModule: '${name}' must be a Module`);
    this.#children.set(name, m);
    return m;
  }

  #checkName(name: string): void {
    if (typeof name !== "string" || name === "" || name.includes(".")) {
      throw new ArgumentError(
        `${this.constructor.name}: state names must be non-empty and contain no '.' (got ${showJson(name)})`,
      );
    }
    if (this.#params.has(name) || this.#buffers.has(name) || this.#children.has(name)) {
      throw new ArgumentError(`${this.constructor.name}: '${name}' is registered twice`);
    }
  }

  /** The direct child modules, by name, in registration order. */
  children(): [string, Module][] {
    return [...this.#children];
  }

  /** Every trainable parameter, depth first in registration order (the order optimizers see). */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Every parameter with its dotted name. */
  namedParameters(prefix = ""): [string, Tensor][] {
    checkPrefix(this, "namedParameters", prefix);
    const out: [string, Tensor][] = [...this.#params].map(([n, t]) => [prefix + n, t]);
    for (const [n, m] of this.#children) out.push(...m.namedParameters(`${prefix}${n}.`));
    return out;
  }

  /** Every buffer with its dotted name. */
  namedBuffers(prefix = ""): [string, Tensor][] {
    checkPrefix(this, "namedBuffers", prefix);
    const out: [string, Tensor][] = [...this.#buffers].map(([n, t]) => [prefix + n, t]);
    for (const [n, m] of this.#children) out.push(...m.namedBuffers(`${prefix}${n}.`));
    return out;
  }

  /** Sets training mode on this module and every descendant; returns `this`. */
  train(mode = true): this {
    this.#training = mode;
    for (const m of this.#children.values()) m.train(mode);
    return this;
  }

  /** Inference mode: `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /** Parameters and buffers by dotted name: the live tensors (not copies). */
  stateDict(): StateDict {
    return Object.fromEntries([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /**
   * Copies values into this module's parameters and buffers, in place (their identity is kept, so
   * an optimizer built on them stays valid). Every entry is checked before any is written: a
   * failed load leaves the module unchanged.
   * @throws {ShapeError} for a shape mismatch; {DTypeError} for a dtype mismatch; {ArgumentError}
   *   for a value that is not a Tensor, or for missing or unexpected names when `strict`
   */
  loadStateDict(state: Record<string, Tensor>, options: { strict?: boolean } = {}): void {
    if (typeof state !== "object" || state === null || Array.isArray(state)) {
      throw new ArgumentError(
        `loadStateDict: state must be an object of tensors by name (got ${state === null ? "null" : Array.isArray(state) ? "array" : typeof state})`,
      );
    }
    if (typeof options !== "object" || options === null) {
      throw new ArgumentError(`loadStateDict: options must be an object (got ${show(options)})`);
    }
    const strict = options.strict ?? true;
    if (typeof strict !== "boolean") {
      throw new ArgumentError(`loadStateDict: strict must be a boolean (got ${typeof strict})`);
    }
    const own = new Map(Object.entries(this.stateDict()));
    const given = Object.entries(state);
    if (strict) {
      const missing = [...own.keys()].filter((k) => !Object.hasOwn(state, k));
      const unexpected = given.map(([k]) => k).filter((k) => !own.has(k));
      if (missing.length || unexpected.length) {
        throw new ArgumentError(
          `loadStateDict: names differ (missing [${missing.join(", ")}], unexpected [${unexpected.join(", ")}])`,
        );
      }
    }
    const writes: [Tensor, Tensor][] = [];
    for (const [name, t] of given) {
      const target = own.get(name);
      if (!target) continue;
      if (!(t instanceof TensorClass)) {
        throw new ArgumentError(`loadStateDict: '${name}' must be a Tensor (got ${typeof t})`);
      }
      if (t.shape.length !== target.shape.length || t.shape.some((d, i) => d !== target.shape[i])) {
        throw new ShapeError(
          `loadStateDict: '${name}' has shape [${t.shape.join(",")}] (expected [${target.shape.join(",")}])`,
        );
      }
      if (t.dtype !== target.dtype) {
        throw new DTypeError(
          `loadStateDict: '${name}' has dtype ${t.dtype} (expected ${target.dtype})`,
        );
      }
      writes.push([target, t]);
    }
    for (const [target, t] of writes) assign(target, t);
  }

  /** Number of trainable elements. */
  parameterCount(): number {
    return this.parameters().reduce((n, t) => n + t.size, 0);
  }

  /** Disposes every parameter and buffer of this module and its descendants. */
  dispose(): void {
    for (const [, t] of [...this.namedParameters(), ...this.namedBuffers()]) t.dispose();
  }
}

function checkPrefix(m: Module, method: string, prefix: unknown): void {
  if (typeof prefix !== "string") {
    throw new ArgumentError(
      `${m.constructor.name}.${method}: prefix must be a string (got ${show(prefix)})`,
    );
  }
}
