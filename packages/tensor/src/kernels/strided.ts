/*
 * Strided iteration shared by the elementwise kernels. Dims that are laid out back to back in
 * every operand are merged first ("coalesced"), so a contiguous tensor is walked as one flat row;
 * then the innermost dim is handed to a row function, and outer dims are stepped by a counter.
 */

/**
 * Merges adjacent dims `i`, `i+1` whenever, for every operand, `stride[i] == stride[i+1]·shape[i+1]`,
 * and drops size-1 dims. Returns the reduced shape and each operand's reduced strides.
 */
export function coalesce(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
): {
  shape: number[];
  strides: number[][];
} {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d]!;
    if (n === 1) continue;
    const last = outShape.length - 1;
    let merge = last >= 0;
    if (merge) {
      for (let k = 0; k < strides.length; k++) {
        if (outStrides[k]![last] !== strides[k]![d]! * n) {
          merge = false;
          break;
        }
      }
    }
    if (merge) {
      outShape[last] = outShape[last]! * n;
      for (let k = 0; k < strides.length; k++) outStrides[k]![last] = strides[k]![d]!;
    } else {
      outShape.push(n);
      for (let k = 0; k < strides.length; k++) outStrides[k]!.push(strides[k]![d]!);
    }
  }
  if (outShape.length === 0) {
    outShape.push(1);
    for (const s of outStrides) s.push(1);
  }
  return { shape: outShape, strides: outStrides };
}

/** Row callback: `n` elements starting at the given offsets, stepping by the given strides. */
export type RowFn = (offsets: Int32Array | number[], steps: readonly number[], n: number) => void;

/**
 * Walks the elements of `shape` for several operands at once (each with its own strides and base
 * offset), calling `row` once per innermost row with the operands' offsets and steps.
 */
export function forEachRow(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
  offsets: readonly number[],
  row: RowFn,
): void {
  const total = shape.reduce((a, b) => a * b, 1);
  if (total === 0) return;
  const c = coalesce(shape, strides);
  const rank = c.shape.length;
  const k = strides.length;
  const n = c.shape[rank - 1]!;
  const steps = c.strides.map((s) => s[rank - 1]!);
  const offs = offsets.slice();
  if (rank === 1) {
    row(offs, steps, n);
    return;
  }
  const counter = new Array<number>(rank - 1).fill(0);
  const rows = total / n;
  const cur = offs.slice();
  for (let r = 0; r < rows; r++) {
    row(cur, steps, n);
    // advance the counter over dims rank-2 … 0
    for (let d = rank - 2; d >= 0; d--) {
      counter[d]!++;
      if (counter[d]! < c.shape[d]!) {
        for (let j = 0; j < k; j++) cur[j] = cur[j]! + c.strides[j]![d]!;
        break;
      }
      counter[d] = 0;
      for (let j = 0; j < k; j++) cur[j] = cur[j]! - c.strides[j]![d]! * (c.shape[d]! - 1);
    }
  }
}
