/*
 * fit's non-finite detection (issue 7, item 4): a NaN/±Infinity loss or gradient stops training
 * with NonFiniteError naming the epoch and step (or, with onNonFinite "skip", drops the step),
 * and the bad step changes nothing: not the weights, not the optimizer, not BatchNorm's running
 * statistics (which the forward pass of the bad batch has already touched).
 */
import {
  BatchNorm1d,
  fit as fitModel,
  Linear,
  type LossFn,
  Module,
  mse,
  Sequential,
} from "@edgenn/nn";
import { SGD } from "@edgenn/optim";
import {
  abs,
  mean,
  mul,
  NonFiniteError,
  sqrt,
  sub,
  sum,
  type Tensor,
  tensor,
  zeros,
} from "@edgenn/tensor";
import { describe, expect, it } from "vitest";

const col = (v: number[]): Tensor => tensor(v, { shape: [v.length, 1] });
const line = (): Linear => new Linear(1, 1, { bias: false, init: "zeros" });

// L = mean(√|p − t|): finite wherever p = t (L = 0 there), but dL/dp = sign(p − t)/(2√|p − t|)
// is 0/0 = NaN at p = t. With w = 0, p = 0: a batch whose targets are all 0 has a finite loss
// and a NaN gradient (x = 0 keeps p at 0 whatever w is).
const rootLoss: LossFn = (p, t) => mean(sqrt(abs(sub(p, t))));

const state = (m: { stateDict(): Record<string, Tensor> }): Record<string, number[]> =>
  Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, Array.from(t.dataSync())]));

describe("fit: non-finite gradients", () => {
  it("stops on a NaN gradient under a finite loss, naming the parameter, epoch and step", async () => {
    // batches of 2 in order: step 1 (x [1, 2], t [1, 1]) has a finite gradient; step 2 (x [0, 0],
    // t [0, 0]) has p = w·0 = t
    const data = { x: col([1, 2, 0, 0]), y: col([1, 1, 0, 0]) };
    const model = line();
    const opt = new SGD(model.parameters(), { lr: 0.1 });
    let lossAtStep2 = Number.NaN;
    const err = await fitModel(model, data, {
      epochs: 1,
      batchSize: 2,
      loss: (p, t) => {
        const l = rootLoss(p, t);
        lossAtStep2 = l.item();
        return l;
      },
      optimizer: opt,
      shuffle: false,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteError);
    expect((err as Error).message).toMatch(
      /^fit: the gradient of 'weight' holds NaN or ±Infinity \(shape \[1,1\]\) at epoch 1, step 2 of 2/,
    );
    expect(Number.isFinite(lossAtStep2)).toBe(true); // the loss alone would not have caught it
    expect(opt.stepCount).toBe(1);
    // step 1 alone: p = 0, t = 1 ⇒ dL/dp = −1/(2·1) per sample, dL/dw = mean(−x/2) = −0.75
    // ⇒ w = 0 − 0.1·(−0.75) = 0.075
    expect(model.weight.item()).toBeCloseTo(0.075, 6);
  });

  it('"skip" drops steps with a NaN gradient and counts them', async () => {
    const data = { x: col([1, 2, 0, 0]), y: col([1, 1, 0, 0]) };
    const model = line();
    const opt = new SGD(model.parameters(), { lr: 0.1 });
    const seen: number[] = [];
    const h = await fitModel(model, data, {
      epochs: 1,
      batchSize: 2,
      loss: rootLoss,
      optimizer: opt,
      shuffle: false,
      onNonFinite: "skip",
      onProgress: (p) => void seen.push(p.batchLoss),
    });
    expect(h.skippedSteps).toBe(1);
    expect(opt.stepCount).toBe(1);
    expect(Number.isNaN(seen[1])).toBe(true); // the skipped step reports a NaN batch loss
    // the epoch's loss is the finite step's only: √|0 − 1| = 1
    expect(h.epochs[0]!.loss).toBe(1);
    expect(model.weight.item()).toBeCloseTo(0.075, 6);
  });
});

it("does not flag large finite gradients whose plain sum overflows float32", async () => {
  // L = Σ c·w with c = [3e38, 3e38]: dL/dw = c, finite, but Σ dL/dw = 6e38 > 3.4e38 overflows
  class Huge extends Module {
    readonly w = this.addParameter("w", zeros([2]));
    forward(x: Tensor): Tensor {
      return x;
    }
  }
  const model = new Huge();
  const c = tensor([3e38, 3e38]);
  const opt = new SGD(model.parameters(), { lr: 0 });
  const h = await fitModel(
    model,
    { x: col([1, 2]), y: col([1, 2]) },
    { epochs: 1, batchSize: 1, loss: () => sum(mul(model.w, c)), optimizer: opt },
  );
  expect(h.skippedSteps).toBe(0);
  expect(opt.stepCount).toBe(2);
});

describe("fit: a non-finite step leaves BatchNorm's running statistics as they were", () => {
  const net = (): Sequential =>
    new Sequential(
      new Linear(1, 3, { seed: 4 }),
      new BatchNorm1d(3),
      new Linear(3, 1, { seed: 5 }),
    );
  const xs = [0.1, 0.5, -0.3, 0.9, Number.POSITIVE_INFINITY, 0.2, 0.4, -0.6];
  const ys = xs.map((_, i) => (i % 3) / 2);
  const good = { x: col(xs.slice(0, 4)), y: col(ys.slice(0, 4)) };

  it('"stop": weights and buffers are those after the last finite step', async () => {
    const ref = net();
    await fitModel(ref, good, {
      epochs: 1,
      batchSize: 2,
      loss: mse,
      optimizer: new SGD(ref.parameters(), { lr: 0.1 }),
      shuffle: false,
    });
    const model = net();
    const err = await fitModel(
      model,
      { x: col(xs), y: col(ys) },
      {
        epochs: 1,
        batchSize: 2,
        loss: mse,
        optimizer: new SGD(model.parameters(), { lr: 0.1 }),
        shuffle: false,
      },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteError);
    expect((err as Error).message).toMatch(/loss is NaN at epoch 1, step 3 of 4/);
    const got = state(model);
    expect(got).toEqual(state(ref));
    expect(got["1.runningMean"]!.every(Number.isFinite)).toBe(true);
    expect(got["1.runningVar"]!.every(Number.isFinite)).toBe(true);
  });

  it('"skip": the running statistics stay finite and skip the bad batch', async () => {
    const model = net();
    const h = await fitModel(
      model,
      { x: col(xs), y: col(ys) },
      {
        epochs: 2,
        batchSize: 2,
        loss: mse,
        optimizer: new SGD(model.parameters(), { lr: 0.1 }),
        shuffle: false,
        onNonFinite: "skip",
      },
    );
    expect(h.skippedSteps).toBe(2);
    for (const values of Object.values(state(model)))
      expect(values.every(Number.isFinite)).toBe(true);
  });
});
