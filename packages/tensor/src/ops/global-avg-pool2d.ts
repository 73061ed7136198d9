import { ShapeError } from "../errors.js";
import { asTensor, checkDType, compose, FLOAT } from "../op-helpers.js";
import { fmt } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { checkRank4 } from "./conv2d.js";
import { mul } from "./mul.js";
import { sum } from "./sum.js";

/**
 * Global average pooling, NCHW (ONNX GlobalAveragePool): `y[n, c, 0, 0] = Σ_{i, j} x[n, c, i, j]
 * / (H·W)`, keeping the spatial dims as size 1. Composed of `sum` and `mul`.
 * @param x - float32 input `[N, C, H, W]` with H·W > 0
 * @returns a new float32 tensor `[N, C, 1, 1]`, owned by the caller
 * @throws {ShapeError} if x is not rank 4 or has an empty spatial plane
 * @throws {DTypeError} for a non-float32 input
 * @example
 * globalAvgPool2d(tensor([1, 2, 3, 6], { shape: [1, 1, 2, 2] })).toArray(); // [[[[3]]]]
 */
export function globalAvgPool2d(x: Tensor): Tensor {
  return compose(() => {
    const op = "globalAvgPool2d";
    const xt = asTensor(op, x, "x");
    checkDType(op, xt, FLOAT, "x");
    checkRank4(op, xt, "x", "[N, C, H, W]");
    const hw = xt.shape[2]! * xt.shape[3]!;
    if (hw === 0) {
      throw new ShapeError(
        `${op}: cannot average an empty plane (expected H·W > 0, got shape ${fmt(xt.shape)})`,
      );
    }
    // mean = Σ x · (1 / HW); the gradient is dy/HW at every position (from sum and mul)
    return mul(sum(xt, [2, 3], true), 1 / hw);
  });
}
