import { crossEntropy, evaluate, Linear, Module, mse } from "@edgenn/nn";
import {
  ArgumentError,
  isRecording,
  memory,
  ShapeError,
  sum,
  type Tensor,
  tensor,
} from "@edgenn/tensor";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/** Returns its input (the samples are the logits); records modes, recording and batch sizes. */
class Identity extends Module {
  readonly modes: boolean[] = [];
  readonly recording: boolean[] = [];
  readonly batches: number[] = [];
  forward(x: Tensor): Tensor {
    this.modes.push(this.isTraining);
    this.recording.push(isRecording());
    this.batches.push(x.shape[0]!);
    return x.mul(1);
  }
}

const labels = (v: number[]): Tensor => tensor(v, { dtype: "int32" });

/** Naive mean softmax cross-entropy and arg-max accuracy over rows of logits. */
function reference(rows: number[][], ys: number[]): { loss: number; accuracy: number } {
  let loss = 0;
  let correct = 0;
  rows.forEach((r, i) => {
    const m = Math.max(...r);
    const lse = m + Math.log(r.reduce((s, v) => s + Math.exp(v - m), 0));
    loss += lse - r[ys[i]!]!;
    if (r.indexOf(m) === ys[i]) correct++;
  });
  return { loss: loss / rows.length, accuracy: correct / rows.length };
}

describe("evaluate", () => {
  it("gives the mean loss and accuracy over all samples (golden)", () => {
    // logits [[2,1],[0,3],[5,4],[1,1.5]], labels [0,1,1,0]: argmax [0,1,0,1] ⇒ accuracy 2/4 = 0.5
    // per-row losses log(1+e^(other−own)): log(1+e^−1) = 0.31326, log(1+e^−3) = 0.04859,
    // log(1+e^1) = 1.31326, log(1+e^0.5) = 0.97408 ⇒ mean 0.66230
    const x = tensor([
      [2, 1],
      [0, 3],
      [5, 4],
      [1, 1.5],
    ]);
    const y = labels([0, 1, 1, 0]);
    const r = evaluate(new Identity(), { x, y }, { loss: crossEntropy, batchSize: 3 });
    expect(r.accuracy).toBe(0.5);
    expect(r.loss).toBeCloseTo(0.6623, 4);
    // probability (one-hot) targets give the same numbers
    const onehot = tensor([
      [1, 0],
      [0, 1],
      [0, 1],
      [1, 0],
    ]);
    const r2 = evaluate(new Identity(), { x, y: onehot }, { loss: crossEntropy });
    expect(r2.accuracy).toBe(0.5);
    expect(r2.loss).toBeCloseTo(0.6623, 4);
  });

  fcTest.prop(
    [
      fc.integer({ min: 1, max: 40 }).chain((n) =>
        fc.record({
          rows: fc.array(
            fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 3, maxLength: 3 }),
            {
              minLength: n,
              maxLength: n,
            },
          ),
          ys: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: n, maxLength: n }),
          batchSize: fc.integer({ min: 1, max: 50 }),
        }),
      ),
    ],
    { numRuns: 40 },
  )("matches a naive loop for any batch size", ({ rows, ys, batchSize }) => {
    const model = new Identity();
    const x = tensor(rows.map((r) => r.map(Math.fround)));
    const r = evaluate(model, { x, y: labels(ys) }, { loss: crossEntropy, batchSize });
    const ref = reference(
      rows.map((row) => row.map(Math.fround)),
      ys,
    );
    expect(r.loss).toBeCloseTo(ref.loss, 4);
    expect(r.accuracy).toBe(ref.accuracy);
    expect(model.batches.reduce((a, b) => a + b, 0)).toBe(rows.length);
    expect(model.batches.length).toBe(Math.ceil(rows.length / batchSize));
  });

  it("reports no accuracy for regression targets", () => {
    // mse of x vs 0 over [1, 2, 3] = 14/3, batches of 2 weighted by size
    const x = tensor([[1], [2], [3]]);
    const r = evaluate(
      new Identity(),
      { x, y: tensor([[0], [0], [0]]) },
      { loss: mse, batchSize: 2 },
    );
    expect(r).toEqual({ loss: expect.closeTo(14 / 3, 5) });
    // float targets [N, C] that are not distributions are regression too
    const x2 = tensor([
      [1, 2],
      [3, 4],
    ]);
    const r2 = evaluate(
      new Identity(),
      {
        x: x2,
        y: tensor([
          [1, 2],
          [3, 4],
        ]),
      },
      { loss: mse },
    );
    expect(r2).toEqual({ loss: 0 });
  });

  it("runs in eval mode without recording, restores the mode and frees everything", () => {
    const model = new Identity();
    model.train();
    const x = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const y = labels([1, 1, 0]);
    const before = memory();
    evaluate(model, { x, y }, { loss: crossEntropy, batchSize: 2 });
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
    expect(model.modes).toEqual([false, false]);
    expect(model.recording).toEqual([false, false]);
    expect(model.isTraining).toBe(true);
  });

  it("evaluates a real layer the same in one batch or many", () => {
    const model = new Linear(4, 3, { seed: 5 });
    const x = tensor(
      Array.from({ length: 40 }, (_, i) => Math.sin(i)),
      { shape: [10, 4] },
    );
    const y = labels([0, 1, 2, 0, 1, 2, 0, 1, 2, 0]);
    const one = evaluate(model, { x, y }, { loss: crossEntropy, batchSize: 10 });
    const many = evaluate(model, { x, y }, { loss: crossEntropy, batchSize: 3 });
    expect(many.loss).toBeCloseTo(one.loss, 5);
    expect(many.accuracy).toBe(one.accuracy);
  });

  it("rejects bad input with typed errors", () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    const m = new Identity();
    expect(() => evaluate(m, { x, y: labels([0]) }, { loss: crossEntropy })).toThrow(ShapeError);
    expect(() => evaluate(m, { x, y: labels([0]) }, { loss: crossEntropy })).toThrow(
      /evaluate: data\.x and data\.y .*x \[2,2\] and y \[1\]/,
    );
    expect(() =>
      evaluate(m, { x, y: labels([0, 1]) }, { loss: crossEntropy, batchSize: 0 }),
    ).toThrow(/evaluate: batchSize must be a positive integer/);
    expect(() =>
      evaluate(m, { x, y: labels([0, 1]) }, { loss: undefined as unknown as typeof mse }),
    ).toThrow(ArgumentError);
    expect(() => evaluate({} as Module, { x, y: labels([0, 1]) }, { loss: crossEntropy })).toThrow(
      /model must be a Module/,
    );
    // a loss that does not reduce to one number
    expect(() => evaluate(m, { x, y: labels([0, 1]) }, { loss: (p) => sum(p, 1) })).toThrow(
      /one-element tensor/,
    );
    // labels out of range: the loss says which
    expect(() => evaluate(m, { x, y: labels([0, 5]) }, { loss: crossEntropy })).toThrow(
      /label 5 at position 1/,
    );
  });
});
