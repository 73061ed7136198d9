// The MNIST demo: `node index.mjs [--model mlp|cnn] [--epochs N] [--batch-size N] [--seed N]`
// (and `--lr X`, `--schedule constant|cosine`, `--label-smoothing E` to change the recipe).
// Trains on 8,000 real digits with a progress bar (loss, samples/s, ETA) and reports the test
// accuracy on the other 2,000 after every epoch. Ctrl-C stops cleanly after the current step.
// `--quantize` then runs the int8 pipeline (quantize.mjs) and prints float vs int8.
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import { dispose } from "edgenn";
import { loadMnist } from "./data.mjs";
import { formatTable, quantizePipeline, trainModel } from "./quantize.mjs";
import { MODELS, train } from "./train.mjs";

const USAGE = `usage: node index.mjs [--model mlp|cnn] [--epochs N] [--batch-size N] [--seed N]
                     [--lr X] [--schedule constant|cosine] [--label-smoothing E] [--quantize]
  mlp (default): 784 → 128 ReLU → 10, SGD lr 0.1, batch 32, 3 epochs
  cnn:           Conv 8@3×3 → ReLU → MaxPool 2 → Linear 10, Adam lr 1e-3, batch 64, 3 epochs
  ≥ 0.96 with the cnn: --model cnn --epochs 8 --lr 5e-3 --schedule cosine --label-smoothing 0.1
  --quantize: after training, quantize to int8 (256 calibration images, per-channel weights), save
              and load both files into the runtime, print accuracy, file/arena bytes, latency`;

/**
 * Parses the command line into options of `train`.
 * @param {string[]} argv - the arguments after `node index.mjs`
 * @returns {{ help: true } | { help: false, model: "mlp" | "cnn", epochs: number, batchSize: number,
 *   lr: number, schedule: "constant" | "cosine", labelSmoothing: number, seed: number,
 *   quantize?: true }} (`quantize` only when `--quantize` is given)
 */
export function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: "string", default: "mlp" },
      epochs: { type: "string" },
      "batch-size": { type: "string" },
      lr: { type: "string" },
      schedule: { type: "string", default: "constant" },
      "label-smoothing": { type: "string", default: "0" },
      seed: { type: "string", default: "1" },
      quantize: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return { help: true };
  const spec = MODELS[values.model];
  if (!spec) throw new Error(`--model must be mlp or cnn (got ${values.model})\n${USAGE}`);
  const int = (name, v, fallback) => {
    const n = v === undefined ? fallback : Number(v);
    if (!Number.isInteger(n) || n < (name === "seed" ? 0 : 1)) {
      throw new Error(
        `--${name} must be a ${name === "seed" ? "non-negative" : "positive"} integer (got ${v})`,
      );
    }
    return n;
  };
  const lr = values.lr === undefined ? spec.lr : Number(values.lr);
  if (!(lr > 0) || !Number.isFinite(lr))
    throw new Error(`--lr must be a positive number (got ${values.lr})`);
  if (values.schedule !== "constant" && values.schedule !== "cosine") {
    throw new Error(`--schedule must be constant or cosine (got ${values.schedule})`);
  }
  const labelSmoothing = Number(values["label-smoothing"]);
  if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
    throw new Error(`--label-smoothing must be in [0, 1) (got ${values["label-smoothing"]})`);
  }
  return {
    help: false,
    model: values.model,
    epochs: int("epochs", values.epochs, spec.epochs),
    batchSize: int("batch-size", values["batch-size"], spec.batchSize),
    lr,
    schedule: values.schedule,
    labelSmoothing,
    seed: int("seed", values.seed, 1),
    ...(values.quantize && { quantize: /** @type {const} */ (true) }),
  };
}

/**
 * Runs the demo.
 * @param {string[]} argv
 * @param {{ log?: (line: string) => void, stream?: NodeJS.WritableStream }} [io] - where lines and the bar go
 * @returns {Promise<{ testAccuracy: number, samplesPerSecond: number,
 *   quantized?: ReturnType<typeof quantizePipeline> } | null>} (`quantized` with `--quantize`)
 */
export async function main(argv, { log = console.log, stream = process.stderr } = {}) {
  const options = parseOptions(argv);
  if (options.help) {
    log(USAGE);
    return null;
  }
  const { model, epochs, batchSize, lr, schedule, labelSmoothing, seed, quantize } = options;
  const extras = `${schedule === "cosine" ? " (cosine)" : ""}${labelSmoothing > 0 ? `, label smoothing ${labelSmoothing}` : ""}`;
  log(
    `edgenn MNIST demo: ${model}, ${epochs} epochs, batch ${batchSize}, lr ${lr}${extras}, seed ${seed}`,
  );
  log("data: 10,000 digits of the mnist package, split 8,000 train / 2,000 test (mulberry32(42))");

  const bar = new cliProgress.SingleBar(
    {
      format:
        "epoch {epoch}/{epochs} [{bar}] {value}/{total} | loss {loss} | {speed} samples/s | ETA {etaText}",
      barsize: 30,
      hideCursor: true,
      stream,
    },
    cliProgress.Presets.shades_classic,
  );
  let barOpen = false;
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once("SIGINT", onSigint);
  const trainOptions = {
    model,
    epochs,
    batchSize,
    lr,
    schedule,
    labelSmoothing,
    seed,
    signal: controller.signal,
    onProgress: (p) => {
      const payload = {
        epoch: p.epoch,
        epochs: p.epochs,
        loss: p.loss.toFixed(4),
        speed: Math.round(p.samplesPerSecond),
        etaText: `${p.etaSeconds.toFixed(0)} s`,
      };
      if (!barOpen) {
        bar.start(p.stepsPerEpoch, p.step, payload);
        barOpen = true;
      } else bar.update(p.step, payload);
      if (p.step === p.stepsPerEpoch) {
        bar.stop();
        barOpen = false;
      }
    },
    onEpochEnd: (e) => {
      log(
        `epoch ${e.epoch}/${epochs}  loss ${e.loss.toFixed(4)}  train acc ${e.accuracy?.toFixed(4)}  test acc ${e.valAccuracy?.toFixed(4)}  ${Math.round(e.samplesPerSecond)} samples/s  ${e.seconds.toFixed(1)} s`,
      );
    },
  };
  try {
    if (quantize) return await trainAndQuantize(trainOptions, log);
    const result = await train(trainOptions);
    if (barOpen) bar.stop();
    const { history, testAccuracy, samplesPerSecond, seconds } = result;
    if (history.stoppedBy === "aborted") log(`stopped after ${history.epochs.length} epochs`);
    log(
      `final test accuracy ${testAccuracy.toFixed(4)}; training speed ${Math.round(samplesPerSecond)} samples/s; ${seconds.toFixed(1)} s in all`,
    );
    return { testAccuracy, samplesPerSecond };
  } finally {
    if (barOpen) bar.stop();
    process.off("SIGINT", onSigint);
  }
}

/**
 * `--quantize`: trains like `train` but keeps the model, then runs the int8 pipeline and prints the
 * float vs int8 table.
 * @param {Parameters<typeof trainModel>[0]} options - `trainModel`'s options without `data`
 * @param {(line: string) => void} log
 */
async function trainAndQuantize(options, log) {
  const data = loadMnist({ shape: MODELS[options.model].shape });
  let model;
  try {
    const trained = await trainModel({ ...options, data });
    model = trained.model;
    const { history, seconds } = trained;
    const n = data.train.x.shape[0];
    const testAccuracy = history.epochs.at(-1)?.valAccuracy ?? Number.NaN;
    const trainSeconds = history.epochs.reduce((s, e) => s + n / e.samplesPerSecond, 0);
    const samplesPerSecond = (history.epochs.length * n) / trainSeconds;
    if (history.stoppedBy === "aborted") log(`stopped after ${history.epochs.length} epochs`);
    log(
      `final test accuracy ${testAccuracy.toFixed(4)}; training speed ${Math.round(samplesPerSecond)} samples/s; ${seconds.toFixed(1)} s in all`,
    );
    const quantized = quantizePipeline({
      model,
      inputShape: options.model === "mlp" ? [-1, 784] : [-1, 1, 28, 28],
      trainX: data.train.x,
      testX: data.test.x,
      testY: data.test.y,
    });
    log(
      `int8 (static, per-channel weights, 256 calibration images; quantized in ${quantized.quantizeSeconds.toFixed(2)} s), both files loaded into the runtime; test accuracy on the 2,000 test images, batch-1 latency the median of 501 runs:`,
    );
    for (const line of formatTable(quantized)) log(line);
    return { testAccuracy, samplesPerSecond, quantized };
  } finally {
    model?.dispose();
    dispose([data.train.x, data.train.y, data.test.x, data.test.y]);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
