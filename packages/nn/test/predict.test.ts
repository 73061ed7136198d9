import { valueAndGrad } from "@edgenn/autograd";
import { Flatten, Linear, Module, predict, ReLU, Sequential } from "@edgenn/nn";
import {
  ArgumentError,
  isRecording,
  memory,
  ShapeError,
  sum,
  type Tensor,
  tensor,
  tidy,
} from "@edgenn/tensor";
import { expectClose } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/** y = 2x in training mode, x in eval mode (a stand-in for Dropout-like layers). */
class ModeScale extends Module {
  readonly recording: boolean[] = [];
  forward(x: Tensor): Tensor {
    this.recording.push(isRecording());
    return x.mul(this.isTraining ? 2 : 1);
  }
}

describe("predict", () => {
  it("gives the eval-mode outputs for every sample, in order (golden)", () => {
    // eval mode ⇒ y = x; batches of 2 over 5 rows are concatenated back in order
    const model = new ModeScale();
    const x = tensor([[1], [2], [3], [4], [5]]);
    const y = predict(model, x, { batchSize: 2 });
    expect(y.toArray()).toEqual([[1], [2], [3], [4], [5]]);
    expect(model.recording).toEqual([false, false, false]);
    expect(model.isTraining).toBe(true);
    y.dispose();
  });

  fcTest.prop(
    [
      fc.integer({ min: 1, max: 30 }),
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 0, max: 1000 }),
    ],
    { numRuns: 25 },
  )("equals one forward over all samples for any batch size", (n, batchSize, seed) => {
    tidy(() => {
      const model = new Sequential(
        new Flatten(),
        new Linear(6, 5, { seed }),
        new ReLU(),
        new Linear(5, 3, { seed: seed + 1 }),
      );
      const values = Array.from({ length: n * 6 }, (_, i) => Math.cos(i + seed));
      const x = tensor(values, { shape: [n, 2, 3] });
      const y = predict(model, x, { batchSize });
      expect(y.shape).toEqual([n, 3]);
      expectClose(y, Array.from(model.eval().forward(x).dataSync()), { atol: 1e-6, rtol: 1e-5 });
      model.dispose();
    });
  });

  it("records nothing even inside valueAndGrad, and leaves nothing but its result", () => {
    const model = new ModeScale();
    const x = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const before = memory();
    const y = predict(model, x, { batchSize: 1 });
    expect(memory().tensors).toBe(before.tensors + 1);
    y.dispose();
    expect(memory().bytes).toBe(before.bytes);
    const w = tensor([1]);
    const { value } = valueAndGrad(() => {
      predict(model, x).dispose();
      return sum(w);
    }, [w]);
    expect(value.item()).toBe(1);
    expect(model.recording.slice(-1)).toEqual([false]);
  });

  it("rejects bad input with typed errors", () => {
    const model = new ModeScale();
    expect(() => predict(model, tensor([[1]]), { batchSize: 0 })).toThrow(ArgumentError);
    expect(() => predict(model, tensor([[1]]), { batchSize: 2.5 })).toThrow(
      /predict: batchSize must be a positive integer/,
    );
    expect(() => predict(model, [[1]] as unknown as Tensor)).toThrow(/predict: x must be a Tensor/);
    expect(() => predict(model, tensor([]))).toThrow(ShapeError);
    expect(() => predict(null as unknown as Module, tensor([[1]]))).toThrow(
      /model must be a Module/,
    );
  });
});
