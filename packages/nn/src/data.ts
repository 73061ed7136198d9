/*
 * Batching for the training loop (internal to @edgenn/nn): seeded shuffles of sample indices and the batches they cut into.
 * Samples are rows along axis 0; a batch is gathered from a permutation, so the data itself is
 * never reordered or copied whole.
 */
import { ArgumentError, gather, type Rng, type Tensor, tensor } from "@edgenn/tensor";

/** A half-open range `[start, end)` of positions in an index permutation. */
export interface BatchRange {
  readonly start: number;
  readonly end: number;
}

/**
 * Shuffles `indices` in place by Fisher–Yates: for i = n−1 … 1, swap i with j uniform in [0, i].
 * Every permutation is equally likely; the same generator state gives the same order.
 * @param indices - the array to shuffle (changed in place)
 * @param rng - a seeded generator (`Rng`); advanced by n − 1 draws
 * @returns `indices`
 */
export function shuffleInPlace(indices: Int32Array, rng: Rng): Int32Array {
  for (let i = indices.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = indices[i]!;
    indices[i] = indices[j]!;
    indices[j] = t;
  }
  return indices;
}

/**
 * The identity permutation `[0, 1, …, n−1]`.
 * @param n - the number of samples
 * @returns a new Int32Array the caller owns
 */
export function identityIndices(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

/**
 * Cuts `n` samples into consecutive batches of `batchSize`; the last one keeps the remainder
 * (`⌈n / batchSize⌉` batches in all).
 * @param n - the number of samples
 * @param batchSize - a positive integer
 * @returns the batch ranges in order, e.g. n = 5, batchSize = 2 → [0, 2), [2, 4), [4, 5)
 */
export function batchRanges(n: number, batchSize: number): BatchRange[] {
  const out: BatchRange[] = [];
  for (let start = 0; start < n; start += batchSize) {
    out.push({ start, end: Math.min(n, start + batchSize) });
  }
  return out;
}

/**
 * The rows `data[order[start]], …, data[order[end−1]]` stacked along axis 0 (a gather).
 * @param data - the samples, rows along axis 0
 * @param order - a permutation of the sample indices
 * @param range - which positions of `order` to take
 * @returns a new tensor `[end − start, ...data.shape.slice(1)]` owned by the caller
 */
export function gatherBatch(data: Tensor, order: Int32Array, range: BatchRange): Tensor {
  const idx = tensor(order.subarray(range.start, range.end));
  try {
    return gather(data, idx, 0);
  } finally {
    idx.dispose();
  }
}

/**
 * Checks that `value` is a positive integer, else throws an `ArgumentError` naming `op` and `name`.
 * @throws {ArgumentError}
 */
export function checkPositiveInteger(op: string, name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw new ArgumentError(
      `${op}: ${name} must be a positive integer (got ${typeof value === "number" ? value : typeof value})`,
    );
  }
  return value;
}
