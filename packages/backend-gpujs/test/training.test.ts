/*
 * Training on the gpujs backend: the MNIST MLP (784 → 128 ReLU → 10, SGD 0.1, batch 32) reaches the
 * CPU backend's accuracy, a training step reads nothing back and compiles nothing after the first,
 * and device memory stays flat across steps.
 *
 * The umbrella `edgenn` source is imported by path: this package does not depend on nn/optim (only
 * its tests use them).
 */
import { createGpuJsBackend, type GpuJsBackend } from "@edgenn/backend-gpujs";
import {
  type Backend,
  CpuBackend,
  dispose,
  memory,
  nn,
  optim,
  setBackend,
  type Tensor,
  tensor,
  tidy,
  valueAndGrad,
} from "edgenn";
import { GPU } from "gpu.js";
import { afterEach, describe, expect, it } from "vitest";
import { loadMnistArrays } from "./mnist.js";
import { MODES } from "./modes.js";

const data = loadMnistArrays();
// the smallest convincing run on a busy 2-core box: 2,000 training digits, 2 epochs (126 steps),
// tested on all 2,000 test digits (the full 8,000 × 3 epochs takes ~53 s per epoch in webasm here)
const TRAIN = 2000;
const EPOCHS = 2;

function mlp(): nn.Sequential {
  return new nn.Sequential(
    new nn.Linear(784, 128, { seed: 1 }),
    new nn.ReLU(),
    new nn.Linear(128, 10, { seed: 2 }),
  );
}

/** Trains the MLP on `backend` with `fit`; returns the test accuracy after the last epoch. */
async function trainAccuracy(backend: Backend): Promise<number> {
  setBackend(backend);
  const x = tensor(data.train.x.subarray(0, TRAIN * 784), { shape: [TRAIN, 784] });
  const y = tensor(data.train.y.subarray(0, TRAIN));
  const tx = tensor(data.test.x, { shape: [data.test.y.length, 784] });
  const ty = tensor(data.test.y);
  const model = mlp();
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.1 });
  try {
    const history = await nn.fit(
      model,
      { x, y },
      {
        epochs: EPOCHS,
        batchSize: 32,
        loss: nn.crossEntropy,
        optimizer,
        validation: { x: tx, y: ty },
        seed: 1,
      },
    );
    // predict runs on the backend too: its argmax must agree with fit's validation accuracy
    const logits = nn.predict(model, tx, { batchSize: 500 });
    const predicted = tidy(() => logits.argmax(1)).dataSync();
    let hits = 0;
    predicted.forEach((p, i) => {
      if (p === data.test.y[i]) hits++;
    });
    expect(hits / predicted.length).toBeCloseTo(history.epochs.at(-1)!.valAccuracy!, 3);
    dispose(logits);
    return history.epochs.at(-1)!.valAccuracy!;
  } finally {
    model.dispose();
    optimizer.dispose();
    dispose([x, y, tx, ty]);
  }
}

afterEach(() => {
  setBackend("cpu");
});

describe("MNIST MLP training", () => {
  let cpuAccuracy = Number.NaN;

  it("reaches a sane accuracy on the CPU backend (the reference)", async () => {
    cpuAccuracy = await trainAccuracy(new CpuBackend());
    expect(cpuAccuracy).toBeGreaterThan(0.8);
  });

  it.each(MODES)("reaches the CPU backend's accuracy ±1 point in gpu.js mode %s", async (mode) => {
    const backend = createGpuJsBackend({ gpu: new GPU({ mode }), name: `gpujs-${mode}` });
    const accuracy = await trainAccuracy(backend);
    expect(Math.abs(accuracy - cpuAccuracy)).toBeLessThanOrEqual(0.01);
    backend.dispose();
  });
});

describe.each(MODES)("a training step in gpu.js mode %s", (mode) => {
  const labels = data.train.y.subarray(0, 32);
  const oneHot = new Float32Array(32 * 10);
  labels.forEach((l, i) => {
    oneHot[i * 10 + l] = 1;
  });

  /** Runs two warm-up steps and then 5 counted ones with targets `target()`; returns the counts. */
  function countSteps(target: () => Tensor) {
    const backend: GpuJsBackend = createGpuJsBackend({
      gpu: new GPU({ mode }),
      name: `gpujs-${mode}`,
    });
    setBackend(backend);
    const model = mlp();
    const optimizer = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const x = tensor(data.train.x.subarray(0, 32 * 784), { shape: [32, 784] });
    const y = target();
    const step = (): Tensor =>
      tidy(() => {
        const { value, grads } = valueAndGrad(
          () => nn.crossEntropy(model.forward(x), y),
          model.parameters(),
        );
        optimizer.step(grads);
        return value;
      });
    try {
      // warm-up: step 1 compiles the kernels and creates the momentum buffers, step 2 compiles the
      // momentum update (v = μ·v + g)
      dispose(step());
      dispose(step());
      const before = backend.transfers();
      const bytes = memory().backends[backend.name]!.bytes;
      const losses: Tensor[] = [];
      for (let i = 0; i < 5; i++) losses.push(step());
      const after = backend.transfers();
      const grown = memory().backends[backend.name]!.bytes - bytes;
      // reading the losses back is explicit: one readback each
      const values = losses.map((l) => l.item());
      const explicitReads = backend.transfers().readbacks - after.readbacks;
      dispose(losses);
      model.dispose();
      optimizer.dispose();
      return {
        readbacks: after.readbacks - before.readbacks,
        compiles: after.compiles - before.compiles,
        runs: after.runs - before.runs,
        grown,
        explicitReads,
        values,
      };
    } finally {
      dispose([x, y]);
    }
  }

  it("reads nothing back, compiles nothing once warm, and keeps device memory flat", () => {
    const r = countSteps(() => tensor(oneHot, { shape: [32, 10] }));
    expect(r.readbacks).toBe(0);
    expect(r.compiles).toBe(0);
    expect(r.runs).toBeGreaterThan(5 * 20);
    // the 5 kept losses are the only growth: 5 scalars of 4 bytes
    expect(r.grown).toBe(5 * 4);
    expect(r.explicitReads).toBe(5);
    expect(r.values.at(-1)!).toBeLessThan(r.values[0]!);
  });

  it("with int32 labels reads back only the labels (nn's crossEntropy checks them on the host)", () => {
    const r = countSteps(() => tensor(labels));
    expect(r.readbacks).toBe(5);
    expect(r.compiles).toBe(0);
  });
});
