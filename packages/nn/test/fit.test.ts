import * as nn from "@edgenn/nn";
import {
  crossEntropy,
  type EpochLogs,
  type FitProgress,
  Linear,
  Module,
  mse,
  ReLU,
  Sequential,
} from "@edgenn/nn";
import { SGD } from "@edgenn/optim";
import {
  ArgumentError,
  EdgeNNError,
  memory,
  NonFiniteError,
  Rng,
  ShapeError,
  type Tensor,
  tensor,
} from "@edgenn/tensor";
import { describe, expect, it } from "vitest";

/** y = w·x with w starting at 0: a one-weight model whose updates can be computed by hand. */
const line = (): Linear => new Linear(1, 1, { bias: false, init: "zeros" });
const col = (v: number[]): Tensor => tensor(v, { shape: [v.length, 1] });
const labels = (v: number[]): Tensor => tensor(v, { dtype: "int32" });

/** Records the rows it sees (column 0 of each input) and passes x through a 1×1 weight. */
class Spy extends Module {
  readonly seen: number[][] = [];
  readonly modes: boolean[] = [];
  readonly w: Tensor;
  constructor() {
    super();
    this.w = this.addParameter("w", tensor([[1]]));
  }
  forward(x: Tensor): Tensor {
    this.seen.push(Array.from(x.dataSync()));
    this.modes.push(this.isTraining);
    return x.matmul(this.w);
  }
}

/** Two Gaussian blobs in 2-D, labels 0/1, from a seeded generator. */
function blobs(n: number, seed: number): { x: Tensor; y: Tensor } {
  const rng = new Rng(seed);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    xs.push((c ? 1.5 : -1.5) + rng.normal() * 0.7, (c ? -1 : 1) + rng.normal() * 0.7);
    ys.push(c);
  }
  return { x: tensor(xs, { shape: [n, 2] }), y: labels(ys) };
}

const mlp = (seed: number): Sequential =>
  new Sequential(new Linear(2, 8, { seed }), new ReLU(), new Linear(8, 2, { seed: seed + 1 }));

describe("fit", () => {
  it("takes exactly the SGD steps computed by hand (golden)", async () => {
    // y = 2x on x = [1, 2, 3, 4], one full batch, w0 = 0, lr 0.1:
    // loss = mean((w·x − 2x)²) = 4·mean(x²) = 4 · 7.5 = 30; dL/dw = mean(2(wx − 2x)x) = −4·7.5 = −30
    // ⇒ w1 = 0 − 0.1·(−30) = 3; epoch 2: loss = mean((3x − 2x)²) = 7.5, dL/dw = 2·7.5 = 15 ⇒ w2 = 1.5
    const model = line();
    const opt = new SGD(model.parameters(), { lr: 0.1 });
    const h = await nn.fit(
      model,
      { x: col([1, 2, 3, 4]), y: col([2, 4, 6, 8]) },
      { epochs: 2, batchSize: 4, loss: mse, optimizer: opt, shuffle: false },
    );
    expect(h.epochs.map((e) => e.loss)).toEqual([30, 7.5]);
    expect(model.parameters()[0]!.item()).toBeCloseTo(1.5, 6);
    expect(h.stoppedBy).toBe("completed");
    expect(h.epochs[0]).toMatchObject({ epoch: 1, lr: 0.1 });
    expect(h.epochs[0]!.accuracy).toBeUndefined(); // regression: no accuracy
    expect(opt.stepCount).toBe(2);
  });

  it("weights the epoch loss by batch size; keeps the last partial batch", async () => {
    // x = [1, 2, 3], y = 0, w = 1 fixed (lr 0): batches [1, 2] and [3] ⇒ losses 2.5 and 9;
    // epoch loss = (2.5·2 + 9·1)/3 = 14/3
    const model = new Spy();
    const h = await nn.fit(
      model,
      { x: col([1, 2, 3]), y: col([0, 0, 0]) },
      {
        epochs: 1,
        batchSize: 2,
        loss: mse,
        optimizer: new SGD(model.parameters(), { lr: 0 }),
        shuffle: false,
      },
    );
    expect(h.epochs[0]!.loss).toBeCloseTo(14 / 3, 6);
    expect(model.seen.slice(-2)).toEqual([[1, 2], [3]]);
  });

  it("shuffles every epoch by seeded Fisher–Yates; same seed, same order", async () => {
    const n = 10;
    const run = async (seed: number): Promise<number[][]> => {
      const model = new Spy();
      await nn.fit(
        model,
        { x: col([...Array(n).keys()]), y: col(Array(n).fill(0)) },
        {
          epochs: 3,
          batchSize: 4,
          loss: mse,
          optimizer: new SGD(model.parameters(), { lr: 0 }),
          seed,
        },
      );
      // the first forward is fit's eval-mode probe of the first rows; then 3 batches per epoch
      expect(model.seen.slice(1).map((b) => b.length)).toEqual([4, 4, 2, 4, 4, 2, 4, 4, 2]);
      const epochs: number[][] = [];
      for (let e = 0; e < 3; e++) epochs.push(model.seen.slice(1 + 3 * e, 4 + 3 * e).flat());
      return epochs;
    };
    // reference: for i = n−1 … 1 swap(i, ⌊next()·(i+1)⌋) over 0..n−1, with one Rng(seed) per fit
    const reference = (seed: number): number[][] => {
      const rng = new Rng(seed);
      return [0, 1, 2].map(() => {
        const p = [...Array(n).keys()];
        for (let i = n - 1; i > 0; i--) {
          const j = Math.floor(rng.next() * (i + 1));
          [p[i], p[j]] = [p[j]!, p[i]!];
        }
        return p;
      });
    };
    const a = await run(7);
    expect(a).toEqual(reference(7));
    for (const order of a) expect([...order].sort((u, v) => u - v)).toEqual([...Array(n).keys()]);
    expect(a[0]).not.toEqual(a[1]); // reshuffled each epoch
    expect(await run(7)).toEqual(a);
    expect(await run(8)).not.toEqual(a);
  });

  it("trains a small classifier; reports accuracy, validation, lr, speed and progress", async () => {
    const train = blobs(200, 1);
    const val = blobs(100, 2);
    const model = mlp(3);
    const progress: FitProgress[] = [];
    const ends: EpochLogs[] = [];
    const h = await nn.fit(model, train, {
      epochs: 4,
      batchSize: 16,
      loss: crossEntropy,
      optimizer: new SGD(model.parameters(), { lr: 0.2 }),
      validation: val,
      seed: 1,
      onProgress: (p) => progress.push(p),
      onEpochEnd: (logs) => {
        ends.push(logs);
      },
    });
    expect(h.epochs).toHaveLength(4);
    expect(ends).toEqual(h.epochs);
    const last = h.epochs[3]!;
    expect(last.accuracy).toBeGreaterThan(0.9);
    expect(last.valAccuracy).toBeGreaterThan(0.9);
    expect(last.valLoss).toBeLessThan(h.epochs[0]!.valLoss!);
    expect(last.loss).toBeLessThan(0.35);
    for (const e of h.epochs) {
      expect(e.lr).toBe(0.2);
      expect(e.samplesPerSecond).toBeGreaterThan(0);
      expect(e.seconds).toBeGreaterThan(0);
    }
    // 200 / 16 ⇒ 13 steps per epoch (the last of 8 samples), 52 progress reports
    expect(progress).toHaveLength(52);
    expect(progress[0]).toMatchObject({ epoch: 1, epochs: 4, step: 1, stepsPerEpoch: 13 });
    expect(progress[51]).toMatchObject({ epoch: 4, step: 13, etaSeconds: 0 });
    for (const p of progress) {
      expect(Number.isFinite(p.loss) && Number.isFinite(p.batchLoss)).toBe(true);
      expect(p.samplesPerSecond).toBeGreaterThan(0);
      expect(p.etaSeconds).toBeGreaterThanOrEqual(0);
    }
    // the running loss is the batch-size-weighted mean of the epoch's batch losses
    const e1 = progress.slice(0, 13);
    const weighted = e1.reduce((s, p, i) => s + p.batchLoss * (i < 12 ? 16 : 8), 0) / 200;
    expect(e1[12]!.loss).toBeCloseTo(weighted, 6);
    expect(h.epochs[0]!.loss).toBeCloseTo(weighted, 6);
  });

  it("trains in training mode, validates in eval mode and restores every module's mode", async () => {
    const spy = new Spy();
    const model = new Sequential(spy);
    model.eval();
    spy.train(); // mixed: the container in eval mode, the child in training mode
    await nn.fit(
      model,
      { x: col([1, 2, 3, 4]), y: col([0, 0, 0, 0]) },
      {
        epochs: 2,
        batchSize: 2,
        loss: mse,
        optimizer: new SGD(model.parameters(), { lr: 0.01 }),
        validation: { x: col([1, 2, 3]), y: col([0, 0, 0]) },
      },
    );
    // probe (eval), probe of validation (eval), then per epoch: 2 steps (train) + 1 validation batch (eval)
    expect(spy.modes).toEqual([false, false, true, true, false, true, true, false]);
    expect(model.isTraining).toBe(false);
    expect(spy.isTraining).toBe(true);
  });

  it("rejects bad data and options before touching the weights", async () => {
    const model = mlp(1);
    const opt = new SGD(model.parameters(), { lr: 0.1 });
    const { x, y } = blobs(8, 1);
    const base = { epochs: 1, loss: crossEntropy, optimizer: opt };
    const w0 = model.parameters().map((p) => Array.from(p.dataSync()));

    const mismatch = nn.fit(model, { x, y: labels([0, 1, 0]) }, base);
    await expect(mismatch).rejects.toThrow(ShapeError);
    await expect(mismatch).rejects.toThrow(/x \[8,2\] and y \[3\]/);
    const badVal = nn.fit(model, { x, y }, { ...base, validation: { x, y: labels([1]) } });
    await expect(badVal).rejects.toThrow(/validation\.x and validation\.y/);
    // a label out of range fails through the loss before any step, naming the label and position
    const bad = labels([0, 1, 0, 1, 0, 1, 7, 0]);
    await expect(nn.fit(model, { x, y: bad }, base)).rejects.toThrow(/label 7 at position 6/);
    const other = new SGD(mlp(2).parameters(), { lr: 0.1 });
    await expect(nn.fit(model, { x, y }, { ...base, optimizer: other })).rejects.toThrow(
      ArgumentError,
    );
    const partial = new SGD(model.parameters().slice(1), { lr: 0.1 });
    await expect(nn.fit(model, { x, y }, { ...base, optimizer: partial })).rejects.toThrow(
      /exactly model\.parameters\(\)/,
    );
    for (const bad of [0, 1.5, -1, Number.NaN]) {
      await expect(nn.fit(model, { x, y }, { ...base, epochs: bad })).rejects.toThrow(/epochs/);
      await expect(nn.fit(model, { x, y }, { ...base, batchSize: bad })).rejects.toThrow(
        /batchSize/,
      );
    }
    await expect(
      nn.fit(model, { x, y }, { ...base, earlyStopping: { patience: 1 } }),
    ).rejects.toThrow(/no validation data/);
    await expect(
      nn.fit(model, { x, y }, { ...base, onNonFinite: "ignore" as "skip" }),
    ).rejects.toThrow(/onNonFinite/);
    // a model whose output does not fit the targets fails in the loss, before training
    await expect(nn.fit(mlp(1), { x, y: col([1, 2, 3, 4, 5, 6, 7, 8]) }, base)).rejects.toThrow(
      EdgeNNError,
    );
    expect(opt.stepCount).toBe(0);
    expect(model.parameters().map((p) => Array.from(p.dataSync()))).toEqual(w0);
  });

  it('onNonFinite "stop": throws NonFiniteError naming epoch and step; weights are the last good ones', async () => {
    // sample 5 is infinite: with batches of 2 in order, step 3 of epoch 1 sees it
    const xs = [0.1, 0.2, 0.3, 0.4, 0.5, Number.POSITIVE_INFINITY, 0.7, 0.8];
    const data = { x: col(xs), y: col(xs.map(() => 1)) };
    const model = line();
    const opt = new SGD(model.parameters(), { lr: 0.1 });
    const err = await nn
      .fit(model, data, {
        epochs: 2,
        batchSize: 2,
        loss: mse,
        optimizer: opt,
        shuffle: false,
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteError);
    expect((err as NonFiniteError).code).toBe("E_NON_FINITE");
    expect((err as Error).message).toMatch(/epoch 1, step 3 of 4/);
    expect(opt.stepCount).toBe(2);
    // the same two finite steps taken alone give the same weight
    const ref = line();
    await nn.fit(
      ref,
      { x: col(xs.slice(0, 4)), y: col([1, 1, 1, 1]) },
      {
        epochs: 1,
        batchSize: 2,
        loss: mse,
        optimizer: new SGD(ref.parameters(), { lr: 0.1 }),
        shuffle: false,
      },
    );
    expect(model.parameters()[0]!.item()).toBe(ref.parameters()[0]!.item());
    expect(Number.isFinite(model.parameters()[0]!.item())).toBe(true);
    expect(model.isTraining).toBe(true);
  });

  it('onNonFinite "skip": skips the bad steps and keeps training', async () => {
    const xs = [0.1, 0.2, 0.3, 0.4, 0.5, Number.NaN, 0.7, 0.8];
    const model = line();
    const opt = new SGD(model.parameters(), { lr: 0.1 });
    const h = await nn.fit(
      model,
      { x: col(xs), y: col(xs.map(() => 1)) },
      { epochs: 3, batchSize: 2, loss: mse, optimizer: opt, shuffle: false, onNonFinite: "skip" },
    );
    expect(h.skippedSteps).toBe(3);
    expect(opt.stepCount).toBe(9);
    expect(h.epochs.every((e) => Number.isFinite(e.loss))).toBe(true);
    expect(Number.isFinite(model.parameters()[0]!.item())).toBe(true);
  });

  it("stops cleanly after the current step when the signal aborts", async () => {
    const { x, y } = blobs(64, 1);
    const model = mlp(1);
    const opt = new SGD(model.parameters(), { lr: 0.1 });
    const ac = new AbortController();
    const h = await nn.fit(
      model,
      { x, y },
      {
        epochs: 5,
        batchSize: 8,
        loss: crossEntropy,
        optimizer: opt,
        signal: ac.signal,
        onProgress: (p) => {
          if (p.epoch === 2 && p.step === 3) ac.abort();
        },
      },
    );
    expect(h.stoppedBy).toBe("aborted");
    expect(opt.stepCount).toBe(8 + 3);
    expect(h.epochs).toHaveLength(1); // the interrupted epoch is not logged
    expect(model.isTraining).toBe(true);

    // already aborted: no step at all
    const opt2 = new SGD(model.parameters(), { lr: 0.1 });
    const h2 = await nn.fit(
      model,
      { x, y },
      {
        epochs: 2,
        loss: crossEntropy,
        optimizer: opt2,
        signal: AbortSignal.abort(),
      },
    );
    expect(h2).toMatchObject({ stoppedBy: "aborted", epochs: [] });
    expect(opt2.stepCount).toBe(0);
  });

  it("yields to the event loop while training, so a timer can abort it mid-epoch", async () => {
    // one epoch of 20,000 steps (seconds of work): the timer can only fire if fit yields mid-epoch
    const { x, y } = blobs(80000, 1);
    const model = mlp(1);
    const opt = new SGD(model.parameters(), { lr: 0.01 });
    const ac = new AbortController();
    let stepsAtAbort = -1;
    setTimeout(() => {
      stepsAtAbort = opt.stepCount;
      ac.abort();
    }, 100);
    const h = await nn.fit(
      model,
      { x, y },
      { epochs: 1, batchSize: 4, loss: crossEntropy, optimizer: opt, signal: ac.signal },
    );
    expect(h.stoppedBy).toBe("aborted");
    expect(h.epochs).toHaveLength(0);
    expect(stepsAtAbort).toBeGreaterThan(0);
    expect(opt.stepCount).toBe(stepsAtAbort); // the abort is seen right after the yield
  });

  it("onEpochEnd returning false (sync or async) stops after that epoch", async () => {
    const { x, y } = blobs(32, 1);
    for (const cb of [
      (l: EpochLogs) => l.epoch < 2,
      async (l: EpochLogs) => {
        await new Promise((r) => setTimeout(r, 1));
        return l.epoch < 2;
      },
    ]) {
      const model = mlp(1);
      const h = await nn.fit(
        model,
        { x, y },
        {
          epochs: 5,
          loss: crossEntropy,
          optimizer: new SGD(model.parameters(), { lr: 0.1 }),
          onEpochEnd: cb,
        },
      );
      expect(h.stoppedBy).toBe("callback");
      expect(h.epochs).toHaveLength(2);
    }
  });

  it("early stopping: stops after `patience` epochs without improvement and restores the best weights", async () => {
    // train on y = 2x, validate on y = −2x: w climbs from 0 towards 2, so valLoss is lowest after
    // epoch 1 and rises every epoch after it
    const data = { x: col([1, 2, 3, 4]), y: col([2, 4, 6, 8]) };
    const validation = { x: col([1, 2, 3, 4]), y: col([-2, -4, -6, -8]) };
    const run = async (restoreBest: boolean) => {
      const model = line();
      const ws: number[] = [];
      const h = await nn.fit(model, data, {
        epochs: 20,
        batchSize: 4,
        loss: mse,
        optimizer: new SGD(model.parameters(), { lr: 0.01 }),
        validation,
        earlyStopping: { patience: 2, restoreBest },
        onEpochEnd: () => {
          ws.push(model.parameters()[0]!.item());
        },
      });
      return { h, ws, w: model.parameters()[0]!.item() };
    };
    const a = await run(true);
    expect(a.h.stoppedBy).toBe("earlyStopping");
    expect(a.h.epochs).toHaveLength(3);
    expect(a.h.bestEpoch).toBe(1);
    expect(a.h.epochs[1]!.valLoss).toBeGreaterThan(a.h.epochs[0]!.valLoss!);
    expect(a.w).toBe(a.ws[0]);
    const b = await run(false);
    expect(b.h.stoppedBy).toBe("earlyStopping");
    expect(b.w).toBe(b.ws[2]);
    expect(b.w).not.toBe(b.ws[0]);

    // monitor "loss" with minDelta: training loss keeps falling, by less than 1e9
    const model = line();
    const h = await nn.fit(model, data, {
      epochs: 10,
      batchSize: 4,
      loss: mse,
      optimizer: new SGD(model.parameters(), { lr: 0.01 }),
      earlyStopping: { monitor: "loss", patience: 1, minDelta: 1e9 },
    });
    expect(h.epochs).toHaveLength(2);
    expect(h.bestEpoch).toBe(1);
  });

  it("trains on a non-contiguous view the same as on its contiguous copy", async () => {
    const { x, y } = blobs(40, 3);
    const view = x.transpose().clone().transpose(); // [40, 2] with strides [1, 40]
    expect(view.isContiguous).toBe(false);
    const run = async (data: Tensor) => {
      const model = mlp(4);
      const before = memory().tensors;
      const h = await nn.fit(
        model,
        { x: data, y },
        {
          epochs: 2,
          batchSize: 8,
          loss: crossEntropy,
          optimizer: new SGD(model.parameters(), { lr: 0.1 }),
          seed: 3,
        },
      );
      expect(memory().tensors).toBe(before);
      return h.epochs.map((e) => e.loss);
    };
    expect(await run(view)).toEqual(await run(x));
  });

  it("memory stays flat from epoch 2 on and nothing leaks", async () => {
    const train = blobs(100, 1);
    const val = blobs(50, 2);
    const before = memory();
    const model = mlp(1);
    const opt = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
    const bytes: number[] = [];
    const tensors: number[] = [];
    await nn.fit(model, train, {
      epochs: 5,
      batchSize: 16,
      loss: crossEntropy,
      optimizer: opt,
      validation: val,
      earlyStopping: { patience: 100 },
      onEpochEnd: () => {
        bytes.push(memory().bytes);
        tensors.push(memory().tensors);
      },
    });
    for (let e = 2; e < 5; e++) {
      expect(bytes[e]).toBe(bytes[1]);
      expect(tensors[e]).toBe(tensors[1]);
    }
    opt.dispose();
    model.dispose();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
  });
});
