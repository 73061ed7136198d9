/*
 * Elementwise ops: one strided walk, prepared once, runs broadcast arithmetic, activations
 * (a one-row walk), per-channel affine maps (batchNorm, conv bias) and the copies of transpose and
 * concat, with one loop per op (the switch outside the loop); and softmax/logSoftmax.
 */
import { erf, exp, expm1, log, sigmoid, tanh } from "@edgenn/tensor/kernels";
import {
  type Arr,
  axis,
  bad,
  constant,
  f32,
  num,
  type OpDef,
  prod,
  type Step,
  str,
  strides,
} from "./op-helpers.js";

/** √(2/π), for gelu's tanh approximation. */
const GELU_C = Math.sqrt(2 / Math.PI);

/**
 * One row: y[yo + i·ys] = f(a[ao + i·as], b[bo + i·bs]) for i < n, the switch outside the loop:
 * add, sub, mul, div; max, min (a reduction's running value, a = y; NaN wins, as NumPy);
 * "affine" max(a·s + t, q) with s = b[j], t = b[j + p] (per-channel scale and shift: batchNorm, a
 * conv's bias and fused relu); "copy" (the default) y = a. The activations have their own loop
 * function: one this large would not inline sigmoid and erf, and would box their doubles.
 */
function row(
  op: string,
  p: number,
  q: number,
  a: Arr,
  ao: number,
  as: number,
  b: Arr,
  bo: number,
  bs: number,
  y: Arr,
  yo: number,
  ys: number,
  n: number,
): void {
  switch (op) {
    case "add":
      for (let i = 0; i < n; i++) y[yo + i * ys] = a[ao + i * as]! + b[bo + i * bs]!;
      return;
    case "sub":
      for (let i = 0; i < n; i++) y[yo + i * ys] = a[ao + i * as]! - b[bo + i * bs]!;
      return;
    case "mul":
      for (let i = 0; i < n; i++) y[yo + i * ys] = a[ao + i * as]! * b[bo + i * bs]!;
      return;
    case "div":
      for (let i = 0; i < n; i++) y[yo + i * ys] = a[ao + i * as]! / b[bo + i * bs]!;
      return;
    case "max":
      for (let i = 0; i < n; i++) {
        const v = b[bo + i * bs]!;
        const m = a[ao + i * as]!;
        y[yo + i * ys] = v > m || v !== v ? v : m;
      }
      return;
    case "min":
      for (let i = 0; i < n; i++) {
        const v = b[bo + i * bs]!;
        const m = a[ao + i * as]!;
        y[yo + i * ys] = v < m || v !== v ? v : m;
      }
      return;
    case "affine":
      // Math.max keeps NaN; q = −∞ for no relu
      for (let i = 0; i < n; i++) {
        const j = bo + i * bs;
        y[yo + i * ys] = Math.max(a[ao + i * as]! * b[j]! + b[j + p]!, q);
      }
      return;
    default:
      for (let i = 0; i < n; i++) y[yo + i * ys] = a[ao + i * as]!;
  }
}

/** A unary loop: y[yo + i] = f(x[xo + i]) for i < n, with the op's parameters p and q. */
export type UnaryLoop = (
  kind: string,
  x: Arr,
  xo: number,
  y: Arr,
  yo: number,
  n: number,
  p: number,
  q: number,
) => void;

/** The core activations: relu, leakyRelu (alpha p), sigmoid, clip to [p, q]. */
const unaryLoop: UnaryLoop = (kind, x, xo, y, yo, n, p, q) => {
  const d = yo - xo;
  const end = xo + n;
  switch (kind) {
    case "relu":
      // Math.max keeps NaN: NaN passes through, as ONNX Relu
      for (let i = xo; i < end; i++) y[i + d] = Math.max(x[i]!, 0);
      return;
    case "leakyRelu":
      for (let i = xo; i < end; i++) {
        const v = x[i]!;
        y[i + d] = v < 0 ? p * v : v;
      }
      return;
    case "sigmoid":
      for (let i = xo; i < end; i++) y[i + d] = sigmoid(x[i]!);
      return;
    default:
      // clip: Math.min/max keep NaN, as ONNX Clip
      for (let i = xo; i < end; i++) y[i + d] = Math.min(Math.max(x[i]!, p), q);
  }
};

/**
 * The smooth activations of the `activationOps` set (kept out of the core: their tanh, erf and
 * expm1 weigh as much as the rest of the core's math): elu (alpha p), tanh, gelu (tanh form when p).
 */
export const smoothLoop: UnaryLoop = (kind, x, xo, y, yo, n, p) => {
  const d = yo - xo;
  const end = xo + n;
  switch (kind) {
    case "elu":
      // elu(x) = x for x ≥ 0, α(eˣ − 1) below
      for (let i = xo; i < end; i++) {
        const v = x[i]!;
        y[i + d] = v < 0 ? p * expm1(v) : v;
      }
      return;
    case "tanh":
      for (let i = xo; i < end; i++) y[i + d] = tanh(x[i]!);
      return;
    default:
      // gelu(x) = x·Φ(x) = ½x(1 + erf(x/√2)); tanh form: ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
      for (let i = xo; i < end; i++) {
        const v = x[i]!;
        y[i + d] =
          0.5 * v * (1 + (p ? tanh(GELU_C * (v + 0.044715 * v * v * v)) : erf(v * Math.SQRT1_2)));
      }
  }
};

/** Where a walk reads or writes: a value's array and offset, its strides, an extra offset. */
type Operand = readonly [{ readonly arr: Arr; readonly off: number }, readonly number[], number?];

/**
 * y[i] = a[i] op b[i] (`row`'s ops, with its p and q) over every index i of `shape`, each
 * operand read or written with its own (broadcast, permuted or sub-block) strides from its
 * value's offset plus the operand's extra offset. Each step walks rows of the innermost dim and
 * steps a counter (prepared here, reused) over the outer dims. Its tables take 24 bytes per dim.
 */
export function walk(
  op: string,
  shape: readonly number[],
  [A, sa, ea = 0]: Operand,
  [B, sb, eb = 0]: Operand,
  [Y, sy, ey = 0]: Operand,
  p = 0,
  q = 0,
): Step {
  // a scalar walks as one element; dims are not merged (rows are the innermost dim)
  const dims = shape[0] === undefined ? [1] : shape;
  const [as, bs, ys] = [sa, sb, sy].map((s) => (s[0] === undefined ? [0] : s)) as [
    readonly number[],
    readonly number[],
    readonly number[],
  ];
  const r1 = dims.length - 1;
  const ctr = new Int32Array(r1 + 1);
  const n = dims[r1]!;
  const rows = prod(shape) / n;
  const { arr: a, off: a0 } = A;
  const { arr: b, off: b0 } = B;
  const { arr: y, off: y0 } = Y;
  return () => {
    let ao = a0 + ea;
    let bo = b0 + eb;
    let yo = y0 + ey;
    ctr.fill(0);
    for (let r = 0; r < rows; r++) {
      row(op, p, q, a, ao, as[r1]!, b, bo, bs[r1]!, y, yo, ys[r1]!, n);
      // advance the counter over dims r1 − 1 … 0
      for (let d = r1 - 1; d >= 0; d--) {
        if (++ctr[d]! < dims[d]!) {
          ao += as[d]!;
          bo += bs[d]!;
          yo += ys[d]!;
          break;
        }
        ctr[d] = 0;
        ao -= as[d]! * (dims[d]! - 1);
        bo -= bs[d]! * (dims[d]! - 1);
        yo -= ys[d]! * (dims[d]! - 1);
      }
    }
  };
}

/** relu, leakyRelu, elu, sigmoid, tanh, gelu, clip: y = f(x) elementwise. */
export function unary(kind: string, loop: UnaryLoop = unaryLoop): OpDef {
  return (c) => {
    const x = f32(c, 0);
    // clip's bounds: constant input 1/2 (one float32) or attribute min/max
    const bound = (i: number, name: string, def: number): number => {
      if (!c.ins[i]) return num(c, name, def);
      const d = constant(c, i);
      if (d.length !== 1 || !(d instanceof Float32Array))
        bad(c, `${name} (input ${i}) must be one float32`);
      return d[0]!;
    };
    const p =
      kind === "clip"
        ? bound(1, "min", -Infinity)
        : kind === "gelu"
          ? +(str(c, "approximate", ["none", "tanh"]) === "tanh")
          : kind === "elu" || kind === "leakyRelu"
            ? num(c, "alpha", kind === "elu" ? 1 : 0.01)
            : 0;
    const q = kind === "clip" ? bound(2, "max", Infinity) : 0;
    return ["float32", x.shape, (y) => () => loop(kind, x.arr, x.off, y.arr, y.off, x.size, p, q)];
  };
}

/** The strides that read `shape` broadcast (NumPy rules) to `out`: 0 along broadcast dims. */
export function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const s = strides(shape);
  const k = out.length - shape.length;
  return out.map((_, d) => (d < k || shape[d - k] === 1 ? 0 : s[d - k]!));
}

/**
 * The NumPy broadcast of shapes `a` and `b` (a `k`-dim suffix of each when `k` is given: matmul's
 * batch dims), or bad() naming them with `what`.
 */
export function broadcast(
  c: Parameters<OpDef>[0],
  a: readonly number[],
  b: readonly number[],
  what = "shapes",
): number[] {
  const r = Math.max(a.length, b.length);
  return Array.from({ length: r }, (_, d) => {
    const x = a[d - r + a.length] ?? 1;
    const z = b[d - r + b.length] ?? 1;
    if (x !== z && x !== 1 && z !== 1) bad(c, `${what} do not broadcast ([${a}] and [${b}])`);
    return x === 1 ? z : x;
  });
}

/** add, sub, mul, div with NumPy broadcasting. */
export function binary(op: string): OpDef {
  return (c) => {
    const a = f32(c, 0);
    const b = f32(c, 1);
    const out = broadcast(c, a.shape, b.shape);
    c.bytes += 24 * out.length;
    return [
      "float32",
      out,
      (y) =>
        walk(
          op,
          out,
          [a, broadcastStrides(a.shape, out)],
          [b, broadcastStrides(b.shape, out)],
          [y, strides(out)],
        ),
    ];
  };
}

/** softmax / logSoftmax along `axis` (default −1): y = e^(x − max) / Σ e^(x − max), or its log. */
export function softmax(isLog: boolean): OpDef {
  return (c) => {
    const x = f32(c, 0);
    const ax = axis(c, num(c, "axis", -1, true), x.shape.length);
    const outer = prod(x.shape, 0, ax);
    const len = x.shape[ax]!;
    const inner = prod(x.shape, ax + 1);
    return [
      "float32",
      x.shape,
      (y) => {
        const { arr: xa, off: xo } = x;
        const { arr: ya, off: yo } = y;
        return () => {
          for (let o = 0; o < outer; o++) {
            for (let i = 0; i < inner; i++) {
              // the axis is strided by `inner`; subtracting the max keeps every exp ≤ 1
              const xb = xo + o * len * inner + i;
              const yb = yo + o * len * inner + i;
              let m = Number.NEGATIVE_INFINITY;
              for (let k = 0; k < len; k++) m = Math.max(m, xa[xb + k * inner]!);
              let s = 0;
              for (let k = 0; k < len; k++) s += ya[yb + k * inner] = exp(xa[xb + k * inner]! - m);
              const ls = m + log(s);
              for (let k = 0; k < len; k++) {
                ya[yb + k * inner] = isLog ? xa[xb + k * inner]! - ls : ya[yb + k * inner]! / s;
              }
            }
          }
        };
      },
    ];
  };
}
