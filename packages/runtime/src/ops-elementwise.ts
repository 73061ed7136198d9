/*
 * Elementwise ops over contiguous float32 buffers: activations (one flat loop each, the switch
 * outside the loop), broadcast arithmetic (a strided walk prepared once), softmax/logSoftmax.
 */
import { coalesce, erf, sigmoid } from "@edgenn/tensor/kernels";
import {
  type Arr,
  axis,
  bad,
  type Ctx,
  constant,
  f32,
  num,
  type OpDef,
  prod,
  str,
  strides,
} from "./op-helpers.js";

type F32 = Float32Array;

/** √(2/π), for gelu's tanh approximation. */
const GELU_C = Math.sqrt(2 / Math.PI);

function unaryLoop(
  kind: string,
  x: F32,
  xo: number,
  y: F32,
  yo: number,
  n: number,
  p: number,
  q: number,
): void {
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
    case "elu":
      // elu(x) = x for x ≥ 0, α(eˣ − 1) below
      for (let i = xo; i < end; i++) {
        const v = x[i]!;
        y[i + d] = v < 0 ? p * Math.expm1(v) : v;
      }
      return;
    case "sigmoid":
      for (let i = xo; i < end; i++) y[i + d] = sigmoid(x[i]!);
      return;
    case "tanh":
      for (let i = xo; i < end; i++) y[i + d] = Math.tanh(x[i]!);
      return;
    case "gelu":
      // gelu(x) = x·Φ(x) = ½x(1 + erf(x/√2)); tanh form: ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
      for (let i = xo; i < end; i++) {
        const v = x[i]!;
        y[i + d] =
          0.5 *
          v *
          (1 + (p ? Math.tanh(GELU_C * (v + 0.044715 * v * v * v)) : erf(v * Math.SQRT1_2)));
      }
      return;
    default:
      // clip: Math.min/max keep NaN, as ONNX Clip
      for (let i = xo; i < end; i++) y[i + d] = Math.min(Math.max(x[i]!, p), q);
  }
}

/** clip's bound: constant input `i` (one float32) or attribute `name`, else `def`. */
function bound(c: Ctx, i: number, name: string, def: number): number {
  if (c.ins[i] === undefined) return num(c, name, def);
  const d = constant(c, i);
  if (d.length !== 1 || !(d instanceof Float32Array))
    bad(c, `${name} (input ${i}) must be one float32`);
  return d[0]!;
}

/** relu, leakyRelu, elu, sigmoid, tanh, gelu, clip: y = f(x) elementwise. */
export function unary(kind: string): OpDef {
  return (c) => {
    const x = f32(c, 0);
    let p = 0;
    let q = 0;
    if (kind === "leakyRelu") p = num(c, "alpha", 0.01);
    else if (kind === "elu") p = num(c, "alpha", 1);
    else if (kind === "gelu") p = str(c, "approximate", ["none", "tanh"]) === "tanh" ? 1 : 0;
    else if (kind === "clip") {
      p = bound(c, 1, "min", -Infinity);
      q = bound(c, 2, "max", Infinity);
    }
    return [
      "float32",
      x.shape,
      (y) => {
        const { arr, off, size } = x;
        const { arr: ya, off: yo } = y;
        return () => unaryLoop(kind, arr as F32, off, ya as F32, yo, size, p, q);
      },
    ];
  };
}

/** One row: y[yo + i] = a[ao + i·as] op b[bo + i·bs]; "copy" ignores b. */
function row(
  op: string,
  a: Arr,
  ao: number,
  as: number,
  b: Arr,
  bo: number,
  bs: number,
  y: Arr,
  yo: number,
  n: number,
): void {
  switch (op) {
    case "add":
      for (let i = 0; i < n; i++) y[yo + i] = a[ao + i * as]! + b[bo + i * bs]!;
      return;
    case "sub":
      for (let i = 0; i < n; i++) y[yo + i] = a[ao + i * as]! - b[bo + i * bs]!;
      return;
    case "mul":
      for (let i = 0; i < n; i++) y[yo + i] = a[ao + i * as]! * b[bo + i * bs]!;
      return;
    case "div":
      for (let i = 0; i < n; i++) y[yo + i] = a[ao + i * as]! / b[bo + i * bs]!;
      return;
    default:
      for (let i = 0; i < n; i++) y[yo + i] = a[ao + i * as]!;
  }
}

/**
 * y (contiguous, of `shape`) = a op b, reading a and b with the given (broadcast or permuted)
 * strides. The dims are coalesced once; each step walks rows of the innermost dim and steps a
 * counter (prepared here, reused) over the outer dims. Its tables take 16 bytes per dim.
 */
export function walk(
  op: string,
  shape: readonly number[],
  a: { arr: Arr; off: number },
  sa: readonly number[],
  b: { arr: Arr; off: number },
  sb: readonly number[],
  y: { arr: Arr; off: number },
): () => void {
  const w = coalesce(shape, [sa, sb, strides(shape)]);
  const dims = Int32Array.from(w.shape);
  const as = Int32Array.from(w.strides[0]!);
  const bs = Int32Array.from(w.strides[1]!);
  const r1 = dims.length - 1;
  const ctr = new Int32Array(r1 + 1);
  const n = dims[r1]!;
  const rows = prod(shape) / n;
  const { arr: aa, off: a0 } = a;
  const { arr: ba, off: b0 } = b;
  const { arr: ya, off: y0 } = y;
  return () => {
    let ao = a0;
    let bo = b0;
    ctr.fill(0);
    for (let r = 0, yo = y0; r < rows; r++, yo += n) {
      row(op, aa, ao, as[r1]!, ba, bo, bs[r1]!, ya, yo, n);
      // advance the counter over dims r1 − 1 … 0
      for (let d = r1 - 1; d >= 0; d--) {
        if (++ctr[d]! < dims[d]!) {
          ao += as[d]!;
          bo += bs[d]!;
          break;
        }
        ctr[d] = 0;
        ao -= as[d]! * (dims[d]! - 1);
        bo -= bs[d]! * (dims[d]! - 1);
      }
    }
  };
}

/** The strides that read `shape` broadcast (NumPy rules) to `out`: 0 along broadcast dims. */
export function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const s = strides(shape);
  const k = out.length - shape.length;
  return out.map((_, d) => (d < k || shape[d - k] === 1 ? 0 : s[d - k]!));
}

/** add, sub, mul, div with NumPy broadcasting. */
export function binary(op: string): OpDef {
  return (c) => {
    const a = f32(c, 0);
    const b = f32(c, 1);
    const r = Math.max(a.shape.length, b.shape.length);
    const out: number[] = [];
    for (let d = 0; d < r; d++) {
      const x = a.shape[d - r + a.shape.length] ?? 1;
      const z = b.shape[d - r + b.shape.length] ?? 1;
      if (x !== z && x !== 1 && z !== 1) {
        bad(c, `shapes do not broadcast ([${a.shape}] and [${b.shape}])`);
      }
      out.push(x === 1 ? z : x);
    }
    c.bytes += 16 * r;
    return [
      "float32",
      out,
      (y) => walk(op, out, a, broadcastStrides(a.shape, out), b, broadcastStrides(b.shape, out), y),
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
              for (let k = 0; k < len; k++)
                s += ya[yb + k * inner] = Math.exp(xa[xb + k * inner]! - m);
              const ls = m + Math.log(s);
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
