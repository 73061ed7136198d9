import { allocTensor, backendFor, record } from "../engine.js";
import { ArgumentError, DTypeError } from "../errors.js";
import { asTensor, broadcastInfo, checkDType, type TensorLike } from "../op-helpers.js";
import { broadcastShapes, describe, fmt } from "../shape.js";
import { Tensor } from "../tensor.js";

/**
 * Elementwise select: `where(cond, a, b) = cond ? a : b`, all three broadcast together (ONNX Where).
 * @param cond - bool tensor (or a boolean)
 * @param a - values where `cond` is true (tensor or number)
 * @param b - values where `cond` is false (tensor or number, same dtype as `a`)
 * @returns a new tensor of the broadcast shape, owned by the caller
 * @throws {ShapeError} if the shapes do not broadcast
 * @throws {DTypeError} if `cond` is not bool or `a` and `b` differ in dtype
 * @throws {ArgumentError} if `cond` is neither a Tensor nor a boolean
 * @example
 * where(tensor([true, false]), tensor([1, 2]), 0).toArray(); // [1, 0]
 */
export function where(cond: Tensor | boolean, a: TensorLike, b: TensorLike): Tensor {
  // a number would be stored into a bool scalar unchecked (0.5 → false, 2 → a non-0/1 byte)
  if (typeof cond !== "boolean" && !(cond instanceof Tensor)) {
    throw new ArgumentError(
      `where: cond must be a bool Tensor or a boolean (got ${describe(cond)})`,
    );
  }
  const c = asTensor("where", cond, "cond", "bool");
  checkDType("where", c, ["bool"], "cond");
  const x = asTensor("where", a, "a", b instanceof Tensor ? b.dtype : "float32");
  const y = asTensor("where", b, "b", x.dtype);
  if (x.dtype !== y.dtype) {
    throw new DTypeError(
      `where: a and b have different dtypes (expected equal, got ${x.dtype} ${fmt(x.shape)} and ${y.dtype} ${fmt(y.shape)})`,
    );
  }
  const shape = broadcastShapes("where", broadcastShapes("where", c.shape, x.shape), y.shape);
  const be = backendFor("where", "where", x.dtype);
  const out = allocTensor("where", shape, x.dtype, be);
  be.where(broadcastInfo(c, shape), broadcastInfo(x, shape), broadcastInfo(y, shape), out);
  // d where(c, a, b) = where(c, dy, 0) for a and where(c, 0, dy) for b; none for c
  record("where", [c, x, y], out, (dy, needs) => [
    null,
    needs[1] ? where(c, dy, 0) : null,
    needs[2] ? where(c, 0, dy) : null,
  ]);
  return out;
}
