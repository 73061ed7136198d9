import { memory } from "edgenn";
import { describe, expect, it } from "vitest";
// @ts-expect-error: the example is plain JavaScript
import { loadMnist } from "../data.mjs";
// @ts-expect-error: the example is plain JavaScript
import { train } from "../train.mjs";

interface Logs {
  valAccuracy: number;
  accuracy: number;
}

// Reference (DATA.md, TensorFlow.js 4.22, five seeds): MLP 0.887, 0.911, 0.920 ± 0.003 after
// epochs 1–3; the small CNN with Adam lr 1e-3 0.926–0.928 after 3 epochs.
describe("MNIST training", () => {
  it("MLP 784-128-10, SGD lr 0.1, batch 32: test accuracy ≥ 0.91 after 3 epochs", async () => {
    const before = memory().tensors;
    const r = await train({ model: "mlp", epochs: 3, seed: 1 });
    const acc = r.history.epochs.map((e: Logs) => e.valAccuracy);
    console.log(
      `MLP test accuracy per epoch ${acc.join(", ")}; ${Math.round(r.samplesPerSecond)} samples/s; ${r.seconds.toFixed(1)} s`,
    );
    expect(r.history.stoppedBy).toBe("completed");
    expect(acc).toHaveLength(3);
    expect(r.testAccuracy).toBeGreaterThanOrEqual(0.91);
    expect(acc[2]).toBeGreaterThan(acc[0]);
    expect(memory().tensors).toBe(before); // data, model and optimizer all disposed
  }, 120_000);

  it("CNN, Adam (lr 5e-3, cosine to 0), label smoothing 0.1, batch 64: test accuracy ≥ 0.96 after 8 epochs", async () => {
    // Measured (seeds 1/2/3, 8 epochs, ≈ 37 s each): 0.9695 / 0.968 / 0.965. Without label
    // smoothing the model overfits (train accuracy 0.99+) and stalls at the 0.96 line: constant
    // Adam 1e-3 gives 0.951 after 15 epochs, 5e-3 cosine 0.9605–0.967 after 8–10 epochs.
    const data = loadMnist({ shape: "image" });
    const r = await train({
      model: "cnn",
      epochs: 8,
      lr: 5e-3,
      schedule: "cosine",
      labelSmoothing: 0.1,
      seed: 1,
      data,
    });
    const acc = r.history.epochs.map((e: Logs) => e.valAccuracy);
    console.log(
      `CNN test accuracy per epoch ${acc.join(", ")}; ${Math.round(r.samplesPerSecond)} samples/s; ${r.seconds.toFixed(1)} s`,
    );
    expect(r.testAccuracy).toBeGreaterThanOrEqual(0.96);
    for (const t of [data.train.x, data.train.y, data.test.x, data.test.y]) t.dispose();
  }, 240_000);
});
