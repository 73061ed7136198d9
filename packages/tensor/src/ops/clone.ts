import { allocTensor, record } from "../engine.js";
import { asTensor } from "../op-helpers.js";
import type { Tensor } from "../tensor.js";

/**
 * A contiguous copy of `x` in a buffer of its own: `clone(x) = x` elementwise.
 * @param x - any tensor (views are materialised)
 * @returns a new tensor owned by the caller
 * @example
 * clone(transpose(tensor([[1, 2], [3, 4]]))).toArray(); // [[1, 3], [2, 4]]
 */
export function clone(x: Tensor): Tensor {
  const t = asTensor("clone", x);
  const y = allocTensor("clone", t.shape, t.dtype, t.backend);
  t.backend.copy(t, y);
  record("clone", [t], y, (dy) => [dy]);
  return y;
}
