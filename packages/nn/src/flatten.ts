import {
  ArgumentError,
  reshape,
  ShapeError,
  type Tensor,
  Tensor as TensorClass,
} from "@edgenn/tensor";
import { Module } from "./module.js";
import { show } from "./show.js";

/**
 * Flattens the dims `startDim … endDim` into one (PyTorch's `nn.Flatten`): `[N, C, H, W]` →
 * `[N, C·H·W]` with the defaults. A view when `x` is contiguous, else a copy.
 * @example
 * new Flatten().forward(zeros([2, 3, 4, 5])).shape; // [2, 60]
 * new Flatten(0, 1).forward(zeros([2, 3, 4])).shape; // [6, 4]
 */
export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;

  /**
   * @param startDim - first dim to flatten (default 1; negative counts from the end)
   * @param endDim - last dim to flatten (default −1; negative counts from the end)
   * @throws {ArgumentError} if a dim is not an integer
   */
  constructor(startDim = 1, endDim = -1) {
    super();
    for (const [name, v] of [
      ["startDim", startDim],
      ["endDim", endDim],
    ] as const) {
      if (typeof v !== "number" || !Number.isInteger(v)) {
        throw new ArgumentError(`Flatten: ${name} must be an integer (got ${show(v)})`);
      }
    }
    this.startDim = startDim;
    this.endDim = endDim;
  }

  /**
   * @param x - a tensor with `startDim` and `endDim` in `[−rank, rank)`, `startDim ≤ endDim`
   * @returns a tensor of the flattened shape (a view when `x` is contiguous), owned by the caller
   * @throws {ShapeError} if a dim is out of range for `x` or `startDim > endDim`
   */
  forward(x: Tensor): Tensor {
    if (!(x instanceof TensorClass)) {
      throw new ArgumentError(`Flatten: input must be a Tensor (got ${show(x)})`);
    }
    const r = x.rank;
    const s = this.startDim < 0 ? this.startDim + r : this.startDim;
    const e = this.endDim < 0 ? this.endDim + r : this.endDim;
    if (s < 0 || s >= r || e < 0 || e >= r || s > e) {
      throw new ShapeError(
        `Flatten: dims ${this.startDim}…${this.endDim} do not fit the input (expected 0 ≤ startDim ≤ endDim < rank after wrapping, got shape [${x.shape.join(",")}])`,
      );
    }
    const inner = x.shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
    return reshape(x, [...x.shape.slice(0, s), inner, ...x.shape.slice(e + 1)]);
  }
}
