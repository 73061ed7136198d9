/**
 * The base of every error edgenn throws on purpose. `code` is stable and machine-readable;
 * `message` reads `op: what went wrong (expected X, got Y)`.
 */
export class EdgeNNError extends Error {
  /** A stable identifier for the kind of error, e.g. `'E_SHAPE'`. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Shapes that do not fit the op: rank, sizes, broadcasting, axes. */
export class ShapeError extends EdgeNNError {
  constructor(message: string) {
    super("E_SHAPE", message);
  }
}

/** A dtype the op does not accept, or two operands whose dtypes differ. */
export class DTypeError extends EdgeNNError {
  constructor(message: string) {
    super("E_DTYPE", message);
  }
}

/** An argument of the wrong kind or value: a NaN option, an unknown mode, a non-array. */
export class ArgumentError extends EdgeNNError {
  constructor(message: string) {
    super("E_ARGUMENT", message);
  }
}

/** A tensor used after `dispose()` (directly or by an enclosing `tidy`). */
export class DisposedTensorError extends EdgeNNError {
  constructor(message: string) {
    super("E_DISPOSED", message);
  }
}

/** A kernel the active backend does not implement for the given dtype. */
export class UnsupportedOpError extends EdgeNNError {
  constructor(message: string) {
    super("E_UNSUPPORTED", message);
  }
}

/** An allocation over the configured limit: "needed X bytes, available Y". */
export class OutOfMemoryError extends EdgeNNError {
  constructor(message: string) {
    super("E_OOM", message);
  }
}

/** A model file that is malformed, truncated or inconsistent. */
export class ModelFormatError extends EdgeNNError {
  constructor(message: string) {
    super("E_MODEL_FORMAT", message);
  }
}

/** A loss or gradient that became NaN or ±Infinity during training; says where it happened. */
export class NonFiniteError extends EdgeNNError {
  constructor(message: string) {
    super("E_NON_FINITE", message);
  }
}
