/*
 * Test helpers: small graph builders, a seeded generator, and naive reference loops written
 * independently of the runtime (plain nested loops over number arrays, float64).
 */
import type { AttrValue, Graph, GraphNode, Initializer, ValueInfo } from "../src/index.js";

/** A deterministic generator (mulberry32) of floats in [−1, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

/** `n` seeded values in [−scale, scale). */
export function randArray(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r() * scale);
}

export function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A float32 value info. */
export function f32(name: string, shape: number[]): ValueInfo {
  return { name, dtype: "float32", shape };
}

/** A float32 initializer (random when `data` is a seed). */
export function init(name: string, shape: number[], data: number | ArrayLike<number>): Initializer {
  const d = typeof data === "number" ? randArray(size(shape), data) : Float32Array.from(data);
  return { name, dtype: "float32", shape, data: d };
}

/** An int32 initializer (shape constants, axes). */
export function ints(name: string, values: number[]): Initializer {
  return { name, dtype: "int32", shape: [values.length], data: Int32Array.from(values) };
}

export function node(
  op: string,
  inputs: string[],
  output: string,
  attrs: Record<string, AttrValue> = {},
  name?: string,
): GraphNode {
  return name === undefined
    ? { op, inputs, outputs: [output], attrs }
    : { op, name, inputs, outputs: [output], attrs };
}

/** A one-node graph: inputs `x0…` (or the given names) → op → "y". */
export function oneOp(
  op: string,
  inputShapes: number[][],
  outShape: number[],
  attrs: Record<string, AttrValue> = {},
  initializers: Initializer[] = [],
  extraInputs: string[] = [],
): Graph {
  const inputs = inputShapes.map((s, i) => f32(`x${i}`, s));
  return {
    inputs,
    outputs: [{ name: "y", dtype: "float32", shape: outShape.map(() => -1) }],
    nodes: [node(op, [...inputs.map((v) => v.name), ...extraInputs], "y", attrs)],
    initializers,
  };
}

/** Flat index → multi-index for `shape`. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d]!;
    i = Math.floor(i / shape[d]!);
  }
  return idx;
}

/** Multi-index → flat index for `shape`. */
export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let i = 0;
  for (let d = 0; d < shape.length; d++) i = i * shape[d]! + idx[d]!;
  return i;
}

/** Naive C[m,n] = Σ_k A[m,k]·B[k,n], row-major number arrays. */
export function refMatmul(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  m: number,
  k: number,
  n: number,
): number[] {
  const c = new Array<number>(m * n).fill(0);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p]! * b[p * n + j]!;
      c[i * n + j] = s;
    }
  }
  return c;
}

/** Naive NCHW convolution with explicit pads [t, l, b, r], strides, dilations and groups. */
export function refConv(
  x: ArrayLike<number>,
  xs: number[],
  w: ArrayLike<number>,
  ws: number[],
  bias: ArrayLike<number> | null,
  pads: number[],
  strides: number[],
  dil: number[],
  group: number,
): { y: number[]; shape: number[] } {
  const [n, c, h, wd] = xs as [number, number, number, number];
  const [o, cg, kh, kw] = ws as [number, number, number, number];
  const oh = Math.floor((h + pads[0]! + pads[2]! - dil[0]! * (kh - 1) - 1) / strides[0]!) + 1;
  const ow = Math.floor((wd + pads[1]! + pads[3]! - dil[1]! * (kw - 1) - 1) / strides[1]!) + 1;
  const y: number[] = [];
  const og = o / group;
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < o; oc++) {
      const g = Math.floor(oc / og);
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) {
          let s = bias ? bias[oc]! : 0;
          for (let ic = 0; ic < cg; ic++) {
            for (let p = 0; p < kh; p++) {
              for (let q = 0; q < kw; q++) {
                const ih = i * strides[0]! - pads[0]! + p * dil[0]!;
                const iw = j * strides[1]! - pads[1]! + q * dil[1]!;
                if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                s +=
                  x[((b * c + g * cg + ic) * h + ih) * wd + iw]! *
                  w[((oc * cg + ic) * kh + p) * kw + q]!;
              }
            }
          }
          y.push(s);
        }
      }
    }
  }
  return { y, shape: [n, o, oh, ow] };
}

/** Asserts |a − b| ≤ atol + rtol·|b| elementwise, with the first offending index in the message. */
export function close(a: ArrayLike<number>, b: ArrayLike<number>, atol = 1e-5, rtol = 1e-4): void {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    if (!(Math.abs(x - y) <= atol + rtol * Math.abs(y))) {
      throw new Error(`element ${i}: got ${x}, expected ${y}`);
    }
  }
}

/** The MLP 784-128-64-10 (gemm + relu ×2, gemm, softmax), weights seeded. */
export function mlp(batch: number | -1 = -1): Graph {
  return {
    inputs: [f32("x", [batch, 784])],
    outputs: [f32("probs", [batch, 10])],
    nodes: [
      node("gemm", ["x", "w1", "b1"], "h1", { transB: 1 }, "fc1"),
      node("relu", ["h1"], "a1"),
      node("gemm", ["a1", "w2", "b2"], "h2", { transB: 1 }, "fc2"),
      node("relu", ["h2"], "a2"),
      node("gemm", ["a2", "w3", "b3"], "logits", { transB: 1 }, "fc3"),
      node("softmax", ["logits"], "probs", { axis: -1 }),
    ],
    initializers: [
      init("w1", [128, 784], 1),
      init("b1", [128], 2),
      init("w2", [64, 128], 3),
      init("b2", [64], 4),
      init("w3", [10, 64], 5),
      init("b3", [10], 6),
    ],
  };
}
