import { record } from "../engine.js";
import { ShapeError } from "../errors.js";
import { asTensor, describeList, normalizeAxis } from "../op-helpers.js";
import { describe } from "../shape.js";
import type { Tensor } from "../tensor.js";

/**
 * Permutes the dims: `y.shape[i] = x.shape[perm[i]]`; without `perm`, reverses them (ONNX
 * Transpose). A view: no data moves.
 * @param x - any tensor
 * @param perm - a permutation of `0 … rank-1` (negative axes allowed)
 * @returns a view owned by the caller
 * @throws {ShapeError} if `perm` is not a permutation of the dims
 * @example
 * transpose(zeros([2, 3, 4]), [2, 0, 1]).shape; // [4, 2, 3]
 */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  const t = asTensor("transpose", x);
  const rank = t.rank;
  if (perm !== undefined && !Array.isArray(perm)) {
    throw new ShapeError(`transpose: perm must be an array of axes (got ${describe(perm)})`);
  }
  const p =
    perm === undefined
      ? Array.from({ length: rank }, (_, i) => rank - 1 - i)
      : perm.map((a) => normalizeAxis("transpose", a, rank));
  if (p.length !== rank || new Set(p).size !== rank) {
    throw new ShapeError(
      `transpose: perm must be a permutation of the ${rank} dims (got ${describeList(perm)})`,
    );
  }
  const y = t.view(
    p.map((a) => t.shape[a]!),
    p.map((a) => t.strides[a]!),
    t.offset,
  );
  // the inverse permutation carries dy back: inv[p[i]] = i
  const inv = new Array<number>(rank);
  for (let i = 0; i < rank; i++) inv[p[i]!] = i;
  record("transpose", [t], y, (dy) => [transpose(dy, inv)]);
  return y;
}
