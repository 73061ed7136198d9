import { record } from "../engine.js";
import { asTensor, checkDType, NUMERIC, reduceKernel } from "../op-helpers.js";
import type { Tensor } from "../tensor.js";
import { expand } from "./expand.js";
import { reshape } from "./reshape.js";

/**
 * Sum over `axes` (all by default): `sum(x)_j = Σᵢ x_ij`. Integer and bool inputs sum into int32.
 * @param x - tensor of any dtype (bool counts as 0/1)
 * @param axes - one axis or several (negative allowed); undefined reduces all
 * @param keepDims - keep reduced dims as size 1
 * @returns a new tensor owned by the caller
 * @throws {ShapeError} for an axis out of range or repeated
 * @example
 * sum(tensor([[1, 2], [3, 4]]), 0).toArray(); // [4, 6]
 */
export function sum(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const t = asTensor("sum", x);
  checkDType("sum", t, [...NUMERIC, "bool"]);
  const { y, keptShape } = reduceKernel(
    "sum",
    "sum",
    t,
    axes,
    keepDims,
    t.dtype === "float32" ? "float32" : "int32",
  );
  // d(Σx) = broadcast(dy) back over the reduced dims
  record("sum", [t], y, (dy) => [expand(reshape(dy, keptShape), t.shape)]);
  return y;
}
