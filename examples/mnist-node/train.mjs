// Trains an MLP or a small CNN on the MNIST split of data.mjs with edgenn's `fit`.
//   mlp: 784 → 128 ReLU → 10 (Glorot-uniform weights, zero biases), SGD lr 0.1, batch 32
//   cnn: Conv 8@3×3 "same" (He-uniform, as a ReLU follows) → ReLU → MaxPool 2 → Flatten →
//        Linear 10 (Glorot-uniform), Adam lr 1e-3, batch 64
import { dispose, nn, optim } from "edgenn";
import { loadMnist } from "./data.mjs";

/** The defaults of each model: input layout, batch size, epochs, learning rate and optimizer. */
export const MODELS = {
  mlp: {
    shape: "flat",
    batchSize: 32,
    epochs: 3,
    lr: 0.1,
    optimizer: (params, lr) => new optim.SGD(params, { lr }),
  },
  cnn: {
    shape: "image",
    batchSize: 64,
    epochs: 3,
    lr: 1e-3,
    optimizer: (params, lr) => new optim.Adam(params, { lr }),
  },
};

/**
 * The untrained model, its weights drawn from `seed`.
 * @param {"mlp" | "cnn"} kind
 * @param {number} seed
 */
export function buildModel(kind, seed) {
  if (kind === "mlp") {
    return new nn.Sequential(
      new nn.Linear(784, 128, { seed }),
      new nn.ReLU(),
      new nn.Linear(128, 10, { seed: seed + 1 }),
    );
  }
  if (kind === "cnn") {
    return new nn.Sequential(
      new nn.Conv2d(1, 8, 3, { padding: "same", init: "heUniform", seed }),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Flatten(),
      new nn.Linear(8 * 14 * 14, 10, { seed: seed + 1 }),
    );
  }
  throw new Error(`unknown model '${kind}' (expected mlp or cnn)`);
}

/**
 * Loads the data (unless given), trains, and returns the history with the test accuracy and the
 * training speed. The test set is fit's validation set, so every epoch logs its test accuracy
 * (`valAccuracy`); the model is disposed at the end.
 * @param {{ model?: "mlp" | "cnn", epochs?: number, batchSize?: number, lr?: number,
 *   schedule?: "constant" | "cosine", labelSmoothing?: number, seed?: number,
 *   data?: ReturnType<typeof loadMnist>,
 *   onProgress?: (p: import("edgenn").nn.FitProgress) => void,
 *   onEpochEnd?: (logs: import("edgenn").nn.EpochLogs) => void, signal?: AbortSignal }} [options]
 *   `schedule: "cosine"` anneals the rate from `lr` to 0 over the run; `labelSmoothing` ε trains
 *   against (1 − ε)·onehot + ε/10 (default 0)
 */
export async function train({
  model: kind = "mlp",
  epochs,
  batchSize,
  lr,
  schedule = "constant",
  labelSmoothing = 0,
  seed = 1,
  data,
  onProgress,
  onEpochEnd,
  signal,
} = {}) {
  const spec = MODELS[kind];
  if (!spec) throw new Error(`unknown model '${kind}' (expected mlp or cnn)`);
  const ownsData = data === undefined;
  const { train: trainSet, test } = data ?? loadMnist({ shape: spec.shape });
  const n = trainSet.x.shape[0];
  const runEpochs = epochs ?? spec.epochs;
  const runBatch = batchSize ?? spec.batchSize;
  const lr0 = lr ?? spec.lr;
  const rate =
    schedule === "cosine"
      ? optim.cosineLR(lr0, { totalSteps: runEpochs * Math.ceil(n / runBatch) })
      : lr0;
  const model = buildModel(kind, seed);
  const optimizer = spec.optimizer(model.parameters(), rate);
  const started = performance.now();
  try {
    const history = await nn.fit(model, trainSet, {
      epochs: runEpochs,
      batchSize: runBatch,
      loss:
        labelSmoothing > 0
          ? (logits, labels) => nn.crossEntropy(logits, labels, { labelSmoothing })
          : nn.crossEntropy,
      optimizer,
      validation: test,
      seed,
      onProgress,
      onEpochEnd: (logs) => {
        onEpochEnd?.(logs);
      },
      signal,
    });
    const trainSeconds = history.epochs.reduce((s, e) => s + n / e.samplesPerSecond, 0);
    return {
      history,
      testAccuracy: history.epochs.at(-1)?.valAccuracy ?? Number.NaN,
      samplesPerSecond: (history.epochs.length * n) / trainSeconds,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    optimizer.dispose();
    model.dispose();
    if (ownsData) dispose([trainSet.x, trainSet.y, test.x, test.y]);
  }
}
