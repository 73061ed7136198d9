/*
 * Elementwise CPU kernels over strided typed-array views. Each op's loop is written out once per
 * row (the switch is outside the loop), so the per-element body is a single expression.
 */
import type { BinaryOp, UnaryOp } from "../backend.js";
import type { DataArray } from "../dtype.js";
import { erf, exp, expm1, log, log1p, pow, tanh } from "./math.js";
import { forEachRow } from "./strided.js";

// The transcendental functions come from ./math.js, never from Math: Math.exp and friends are not
// bit-identical across engines, and the same seed must give the same model on every runtime.
export { erf };

/** A strided view of a typed array: element `(i…)` is `data[offset + Σ i·strides]`. */
export interface ArrayView {
  readonly data: DataArray;
  readonly offset: number;
  readonly strides: readonly number[];
}

/** Rounds half to even, as ONNX Round and QuantizeLinear: 0.5 → 0, 1.5 → 2, −2.5 → −2. */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Numerically stable logistic: never evaluates exp of a large positive number. */
export function sigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + exp(-v));
  const e = exp(v);
  return e / (1 + e);
}

/** softplus(x) = log(1 + eˣ) = max(x, 0) + log1p(e^−|x|), exact for large |x|. */
export function softplus(v: number): number {
  return Math.max(v, 0) + log1p(exp(-Math.abs(v)));
}

function unaryRow(
  op: UnaryOp,
  x: DataArray,
  xo: number,
  xs: number,
  o: DataArray,
  oo: number,
  os: number,
  n: number,
): void {
  switch (op) {
    case "neg":
      for (let i = 0; i < n; i++) o[oo + i * os] = -x[xo + i * xs]!;
      return;
    case "abs":
      for (let i = 0; i < n; i++) o[oo + i * os] = Math.abs(x[xo + i * xs]!);
      return;
    case "exp":
      for (let i = 0; i < n; i++) o[oo + i * os] = exp(x[xo + i * xs]!);
      return;
    case "log":
      for (let i = 0; i < n; i++) o[oo + i * os] = log(x[xo + i * xs]!);
      return;
    case "sqrt":
      for (let i = 0; i < n; i++) o[oo + i * os] = Math.sqrt(x[xo + i * xs]!);
      return;
    case "square":
      if (o instanceof Int32Array) {
        for (let i = 0; i < n; i++) o[oo + i * os] = Math.imul(x[xo + i * xs]!, x[xo + i * xs]!);
        return;
      }
      for (let i = 0; i < n; i++) {
        const v = x[xo + i * xs]!;
        o[oo + i * os] = v * v;
      }
      return;
    case "sign":
      for (let i = 0; i < n; i++) o[oo + i * os] = Math.sign(x[xo + i * xs]!);
      return;
    case "relu":
      // NaN passes through: NaN < 0 is false
      for (let i = 0; i < n; i++) {
        const v = x[xo + i * xs]!;
        o[oo + i * os] = Math.max(v, 0);
      }
      return;
    case "sigmoid":
      for (let i = 0; i < n; i++) o[oo + i * os] = sigmoid(x[xo + i * xs]!);
      return;
    case "tanh":
      for (let i = 0; i < n; i++) o[oo + i * os] = tanh(x[xo + i * xs]!);
      return;
    case "softplus":
      for (let i = 0; i < n; i++) o[oo + i * os] = softplus(x[xo + i * xs]!);
      return;
    case "erf":
      for (let i = 0; i < n; i++) o[oo + i * os] = erf(x[xo + i * xs]!);
      return;
    case "log1p":
      for (let i = 0; i < n; i++) o[oo + i * os] = log1p(x[xo + i * xs]!);
      return;
    case "expm1":
      for (let i = 0; i < n; i++) o[oo + i * os] = expm1(x[xo + i * xs]!);
      return;
    case "round":
      for (let i = 0; i < n; i++) o[oo + i * os] = roundHalfEven(x[xo + i * xs]!);
      return;
    case "floor":
      for (let i = 0; i < n; i++) o[oo + i * os] = Math.floor(x[xo + i * xs]!);
      return;
    case "ceil":
      for (let i = 0; i < n; i++) o[oo + i * os] = Math.ceil(x[xo + i * xs]!);
      return;
    case "reciprocal":
      for (let i = 0; i < n; i++) o[oo + i * os] = 1 / x[xo + i * xs]!;
      return;
    case "not":
      for (let i = 0; i < n; i++) o[oo + i * os] = x[xo + i * xs] ? 0 : 1;
      return;
  }
}

/** `out = op(x)` elementwise over `shape`. */
export function unary(op: UnaryOp, x: ArrayView, out: ArrayView, shape: readonly number[]): void {
  const xd = x.data;
  const od = out.data;
  forEachRow(shape, [x.strides, out.strides], [x.offset, out.offset], (offs, steps, n) =>
    unaryRow(op, xd, offs[0]!, steps[0]!, od, offs[1]!, steps[1]!, n),
  );
}

function binaryRow(
  op: BinaryOp,
  a: DataArray,
  ao: number,
  as: number,
  b: DataArray,
  bo: number,
  bs: number,
  o: DataArray,
  oo: number,
  os: number,
  n: number,
): void {
  switch (op) {
    case "add":
      for (let i = 0; i < n; i++) o[oo + i * os] = a[ao + i * as]! + b[bo + i * bs]!;
      return;
    case "sub":
      for (let i = 0; i < n; i++) o[oo + i * os] = a[ao + i * as]! - b[bo + i * bs]!;
      return;
    case "mul":
      // int32 products wrap modulo 2³² (Math.imul); a double product loses the low bits past 2⁵³
      if (o instanceof Int32Array) {
        for (let i = 0; i < n; i++) o[oo + i * os] = Math.imul(a[ao + i * as]!, b[bo + i * bs]!);
      } else for (let i = 0; i < n; i++) o[oo + i * os] = a[ao + i * as]! * b[bo + i * bs]!;
      return;
    case "div":
      // integer outputs truncate toward zero on store; x/0 stores 0 in integer arrays
      for (let i = 0; i < n; i++) o[oo + i * os] = a[ao + i * as]! / b[bo + i * bs]!;
      return;
    case "pow":
      // C/NumPy pow (1^y = 1 for any y, even NaN; (−1)^±∞ = 1), portable unlike JavaScript's **
      for (let i = 0; i < n; i++) o[oo + i * os] = pow(a[ao + i * as]!, b[bo + i * bs]!);
      return;
    case "maximum":
      for (let i = 0; i < n; i++) o[oo + i * os] = Math.max(a[ao + i * as]!, b[bo + i * bs]!);
      return;
    case "minimum":
      for (let i = 0; i < n; i++) o[oo + i * os] = Math.min(a[ao + i * as]!, b[bo + i * bs]!);
      return;
    case "equal":
      for (let i = 0; i < n; i++) o[oo + i * os] = a[ao + i * as] === b[bo + i * bs] ? 1 : 0;
      return;
    case "greater":
      for (let i = 0; i < n; i++) o[oo + i * os] = a[ao + i * as]! > b[bo + i * bs]! ? 1 : 0;
      return;
    case "less":
      for (let i = 0; i < n; i++) o[oo + i * os] = a[ao + i * as]! < b[bo + i * bs]! ? 1 : 0;
      return;
    case "greaterEqual":
      for (let i = 0; i < n; i++) o[oo + i * os] = a[ao + i * as]! >= b[bo + i * bs]! ? 1 : 0;
      return;
    case "lessEqual":
      for (let i = 0; i < n; i++) o[oo + i * os] = a[ao + i * as]! <= b[bo + i * bs]! ? 1 : 0;
      return;
    case "and":
      for (let i = 0; i < n; i++) o[oo + i * os] = a[ao + i * as] && b[bo + i * bs] ? 1 : 0;
      return;
    case "or":
      for (let i = 0; i < n; i++) o[oo + i * os] = a[ao + i * as] || b[bo + i * bs] ? 1 : 0;
      return;
  }
}

/** `out = a op b` elementwise; `a` and `b` carry broadcast (zero) strides for `shape`. */
export function binary(
  op: BinaryOp,
  a: ArrayView,
  b: ArrayView,
  out: ArrayView,
  shape: readonly number[],
): void {
  const ad = a.data;
  const bd = b.data;
  const od = out.data;
  forEachRow(
    shape,
    [a.strides, b.strides, out.strides],
    [a.offset, b.offset, out.offset],
    (offs, steps, n) =>
      binaryRow(op, ad, offs[0]!, steps[0]!, bd, offs[1]!, steps[1]!, od, offs[2]!, steps[2]!, n),
  );
}

/** `out = cond ? a : b` elementwise (all broadcast to `shape`). */
export function where(
  cond: ArrayView,
  a: ArrayView,
  b: ArrayView,
  out: ArrayView,
  shape: readonly number[],
): void {
  const cd = cond.data;
  const ad = a.data;
  const bd = b.data;
  const od = out.data;
  forEachRow(
    shape,
    [cond.strides, a.strides, b.strides, out.strides],
    [cond.offset, a.offset, b.offset, out.offset],
    (offs, steps, n) => {
      const [co, ao, bo, oo] = offs as [number, number, number, number];
      const [cs, as, bs, os] = steps as [number, number, number, number];
      for (let i = 0; i < n; i++)
        od[oo + i * os] = cd[co + i * cs] ? ad[ao + i * as]! : bd[bo + i * bs]!;
    },
  );
}

/** `out = x` elementwise, between any two strided views of the same shape and dtype family. */
export function copy(x: ArrayView, out: ArrayView, shape: readonly number[]): void {
  const xd = x.data;
  const od = out.data;
  forEachRow(shape, [x.strides, out.strides], [x.offset, out.offset], (offs, steps, n) => {
    const xo = offs[0]!;
    const oo = offs[1]!;
    const xs = steps[0]!;
    const os = steps[1]!;
    if (xs === 1 && os === 1) od.set(xd.subarray(xo, xo + n), oo);
    else for (let i = 0; i < n; i++) od[oo + i * os] = xd[xo + i * xs]!;
  });
}

/**
 * Converts between dtypes: to an integer type truncates toward zero and saturates at the type's
 * range (NaN → 0); to bool is `x != 0`; to float32 is exact for integers up to 2^24.
 */
export function cast(
  x: ArrayView,
  out: ArrayView,
  shape: readonly number[],
  lo: number,
  hi: number,
  toBool: boolean,
): void {
  const xd = x.data;
  const od = out.data;
  forEachRow(shape, [x.strides, out.strides], [x.offset, out.offset], (offs, steps, n) => {
    const xo = offs[0]!;
    const oo = offs[1]!;
    const xs = steps[0]!;
    const os = steps[1]!;
    if (toBool) {
      for (let i = 0; i < n; i++) od[oo + i * os] = xd[xo + i * xs] !== 0 ? 1 : 0;
    } else {
      for (let i = 0; i < n; i++) {
        const v = Math.trunc(xd[xo + i * xs]!);
        od[oo + i * os] = v < lo ? lo : v > hi ? hi : v === v ? v : 0;
      }
    }
  });
}
