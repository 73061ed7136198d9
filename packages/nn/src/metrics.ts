/* Metrics: plain numbers computed from model outputs, outside autograd. */
import {
  ArgumentError,
  argmax,
  cast,
  DTypeError,
  equal,
  noGrad,
  ShapeError,
  sum,
  type Tensor,
  Tensor as TensorClass,
  tidy,
} from "@edgenn/tensor";

const fmt = (shape: readonly number[]): string => `[${shape.join(",")}]`;

function checkTensor(name: string, t: unknown): Tensor {
  if (!(t instanceof TensorClass)) {
    throw new ArgumentError(
      `accuracy: ${name} must be a Tensor (got ${t === null ? "null" : typeof t})`,
    );
  }
  t.assertAlive("accuracy");
  return t;
}

/**
 * Classification accuracy: the fraction of positions where `argmax(logits, 1)` equals the label,
 * `accuracy = #{i : argmax_c logits[i, c] = label[i]} / N` (ties go to the first class). Labels may be
 * int32 class indices `[N]`, or one-hot / probabilities of the logits' shape (their argmax is the
 * label). For `[N, C, d1, …]` logits every position counts. Labels outside `[0, C)` count as wrong.
 * @param logits - float32 `[N, C]` or `[N, C, d1, …]` scores (logits or probabilities)
 * @param labels - int32 `[N]` (`[N, d1, …]`), or a float32 tensor of the logits' shape
 * @returns a number in [0, 1]
 * @throws {DTypeError} if the logits are not float32, or the labels are neither int32 nor float32
 * @throws {ShapeError} if the logits have rank < 2, the shapes do not fit, or there are no positions
 * @example
 * accuracy(tensor([[2, 1], [0, 3], [5, 4]]), tensor([0, 1, 1], { dtype: "int32" })); // 0.6666667
 */
export function accuracy(logits: Tensor, labels: Tensor): number {
  const x = checkTensor("logits", logits);
  const y = checkTensor("labels", labels);
  if (x.dtype !== "float32") {
    throw new DTypeError(
      `accuracy: logits have dtype ${x.dtype} (expected float32, shape ${fmt(x.shape)})`,
    );
  }
  if (x.rank < 2) {
    throw new ShapeError(`accuracy: logits must have rank ≥ 2, [N, C, …] (got ${fmt(x.shape)})`);
  }
  const labelShape = [x.shape[0]!, ...x.shape.slice(2)];
  const sameAs = (s: readonly number[]): boolean =>
    y.rank === s.length && y.shape.every((d, i) => d === s[i]);
  if (y.dtype === "int32") {
    if (!sameAs(labelShape)) {
      throw new ShapeError(
        `accuracy: labels must have shape ${fmt(labelShape)} for logits ${fmt(x.shape)} (got ${fmt(y.shape)})`,
      );
    }
  } else if (y.dtype === "float32") {
    if (!sameAs(x.shape)) {
      throw new ShapeError(
        `accuracy: float32 labels (one-hot or probabilities) must have the logits' shape (expected ${fmt(x.shape)}, got ${fmt(y.shape)})`,
      );
    }
  } else {
    throw new DTypeError(
      `accuracy: labels have dtype ${y.dtype} (expected int32 ${fmt(labelShape)} or float32 ${fmt(x.shape)})`,
    );
  }
  const total = labelShape.reduce((a, b) => a * b, 1);
  if (total === 0) {
    throw new ShapeError(`accuracy: no positions to score (got logits ${fmt(x.shape)})`);
  }
  const correct = noGrad(() =>
    tidy(() => {
      const truth = y.dtype === "int32" ? y : argmax(y, 1);
      return sum(cast(equal(argmax(x, 1), truth), "int32")).item();
    }),
  );
  return correct / total;
}
