/*
 * Naive reference implementations, written independently of the library's kernels: plain loops
 * over flat row-major arrays with explicit multi-indices. Slow on purpose: they are the spec.
 */

/** Product of sizes. */
export function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Flat row-major index → multi-index. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d]!;
    i = Math.floor(i / shape[d]!);
  }
  return idx;
}

/** Multi-index → flat row-major index. */
export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let i = 0;
  for (let d = 0; d < shape.length; d++) i = i * shape[d]! + idx[d]!;
  return i;
}

/** NumPy broadcast of two shapes, or null if they do not broadcast. */
export function refBroadcast(a: readonly number[], b: readonly number[]): number[] | null {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(Math.max(x, y) === 0 || Math.min(x, y) === 0 ? 0 : Math.max(x, y));
  }
  return out;
}

/** Reads `data` (of `shape`) at a multi-index of a broadcast shape. */
export function readBroadcast(
  data: ArrayLike<number>,
  shape: readonly number[],
  outIdx: readonly number[],
): number {
  const off = outIdx.length - shape.length;
  const idx = shape.map((d, i) => (d === 1 ? 0 : outIdx[off + i]!));
  return data[ravel(idx, shape)]!;
}

/** Elementwise binary reference with broadcasting. */
export function refBinary(
  a: ArrayLike<number>,
  aShape: readonly number[],
  b: ArrayLike<number>,
  bShape: readonly number[],
  f: (x: number, y: number) => number,
): { data: number[]; shape: number[] } {
  const shape = refBroadcast(aShape, bShape);
  if (!shape) throw new Error("shapes do not broadcast");
  const n = size(shape);
  const data = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const idx = unravel(i, shape);
    data[i] = f(readBroadcast(a, aShape, idx), readBroadcast(b, bShape, idx));
  }
  return { data, shape };
}

/** Reduction reference: `f` folds the values of each output cell in row-major order. */
export function refReduce(
  x: ArrayLike<number>,
  shape: readonly number[],
  axes: readonly number[],
  keepDims: boolean,
  init: number,
  f: (acc: number, v: number) => number,
): { data: number[]; shape: number[] } {
  const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = new Array<number>(size(kept)).fill(init);
  for (let i = 0; i < size(shape); i++) {
    const idx = unravel(i, shape);
    const o = ravel(
      idx.map((v, d) => (axes.includes(d) ? 0 : v)),
      kept,
    );
    out[o] = f(out[o]!, x[i]!);
  }
  return { data: out, shape: keepDims ? kept : shape.filter((_, i) => !axes.includes(i)) };
}

/** Naive matrix product of row-major `m×k` and `k×n`, accumulated in float64. */
export function refMatmul(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  m: number,
  k: number,
  n: number,
): number[] {
  const out = new Array<number>(m * n).fill(0);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p]! * b[p * n + j]!;
      out[i * n + j] = s;
    }
  }
  return out;
}
