/*
 * `instanceof` on these classes checks a brand and the error's `code`, not the prototype chain: a
 * bundle may hold two copies of this module (the main entry and `@edgenn/tensor/errors`, which the
 * runtime imports without the rest of the package), and an error from either copy must match both.
 */
const BRAND = Symbol.for("edgenn.error");

/**
 * The base of every error edgenn throws on purpose. `code` is stable and machine-readable;
 * `message` reads `op: what went wrong (expected X, got Y)`.
 */
export class EdgeNNError extends Error {
  /** The `code` of this class's errors; undefined on the base class, which matches every code. */
  static readonly CODE: string | undefined = undefined;
  /** A stable identifier for the kind of error, e.g. `'E_SHAPE'`. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
    Object.defineProperty(this, BRAND, { value: true });
  }

  static override [Symbol.hasInstance](
    this: { readonly CODE: string | undefined },
    v: unknown,
  ): boolean {
    if (typeof v !== "object" || v === null || (v as Record<symbol, unknown>)[BRAND] !== true)
      return false;
    // `this` is the class being tested (a subclass inherits this method), so it must not be EdgeNNError
    // biome-ignore lint/complexity/noThisInStatic: deliberate, see above
    const code = this.CODE;
    return code === undefined || (v as EdgeNNError).code === code;
  }
}

/** Shapes that do not fit the op: rank, sizes, broadcasting, axes. */
export class ShapeError extends EdgeNNError {
  static override readonly CODE: string | undefined = "E_SHAPE";
  constructor(message: string) {
    super("E_SHAPE", message);
  }
}

/** A dtype the op does not accept, or two operands whose dtypes differ. */
export class DTypeError extends EdgeNNError {
  static override readonly CODE: string | undefined = "E_DTYPE";
  constructor(message: string) {
    super("E_DTYPE", message);
  }
}

/** An argument of the wrong kind or value: a NaN option, an unknown mode, a non-array. */
export class ArgumentError extends EdgeNNError {
  static override readonly CODE: string | undefined = "E_ARGUMENT";
  constructor(message: string) {
    super("E_ARGUMENT", message);
  }
}

/** A tensor used after `dispose()` (directly or by an enclosing `tidy`). */
export class DisposedTensorError extends EdgeNNError {
  static override readonly CODE: string | undefined = "E_DISPOSED";
  constructor(message: string) {
    super("E_DISPOSED", message);
  }
}

/** A kernel the active backend does not implement for the given dtype. */
export class UnsupportedOpError extends EdgeNNError {
  static override readonly CODE: string | undefined = "E_UNSUPPORTED";
  constructor(message: string) {
    super("E_UNSUPPORTED", message);
  }
}

/** An allocation over the configured limit: "needed X bytes, available Y". */
export class OutOfMemoryError extends EdgeNNError {
  static override readonly CODE: string | undefined = "E_OOM";
  constructor(message: string) {
    super("E_OOM", message);
  }
}

/** A model file that is malformed, truncated or inconsistent. */
export class ModelFormatError extends EdgeNNError {
  static override readonly CODE: string | undefined = "E_MODEL_FORMAT";
  constructor(message: string) {
    super("E_MODEL_FORMAT", message);
  }
}

/** A loss or gradient that became NaN or ±Infinity during training; says where it happened. */
export class NonFiniteError extends EdgeNNError {
  static override readonly CODE: string | undefined = "E_NON_FINITE";
  constructor(message: string) {
    super("E_NON_FINITE", message);
  }
}
