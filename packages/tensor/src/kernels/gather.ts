/*
 * Gather along one axis and its transpose (scatter-add), over contiguous arrays. With
 * `outer` = product of dims before the axis and `inner` = product after it, `x` is
 * [outer, axisSize, inner] and the result is [outer, nIdx, inner].
 */
import type { DataArray } from "../dtype.js";

/** `out[o, i, j] = x[o, idx[i], j]`; indices are non-negative and in range. */
export function gather(
  x: DataArray,
  idx: Int32Array | DataArray,
  out: DataArray,
  outer: number,
  axisSize: number,
  inner: number,
): void {
  const nIdx = idx.length;
  let w = 0;
  for (let o = 0; o < outer; o++) {
    const base = o * axisSize * inner;
    for (let i = 0; i < nIdx; i++) {
      const src = base + idx[i]! * inner;
      if (inner === 1) out[w++] = x[src]!;
      else {
        out.set(x.subarray(src, src + inner), w);
        w += inner;
      }
    }
  }
}

/** `out[o, idx[i], j] += dy[o, i, j]`: the vector-Jacobian product of `gather`. */
export function scatterAdd(
  dy: DataArray,
  idx: Int32Array | DataArray,
  out: DataArray,
  outer: number,
  axisSize: number,
  inner: number,
): void {
  const nIdx = idx.length;
  let r = 0;
  for (let o = 0; o < outer; o++) {
    const base = o * axisSize * inner;
    for (let i = 0; i < nIdx; i++) {
      const dst = base + idx[i]! * inner;
      for (let j = 0; j < inner; j++) out[dst + j]! += dy[r++]!;
    }
  }
}
