// The MNIST demo: `node index.mjs [--model mlp|cnn] [--epochs N] [--batch-size N] [--seed N]
// [--out DIR]` (and `--lr X`, `--schedule constant|cosine`, `--label-smoothing E` to change the
// recipe). Trains on 8,000 real digits with a progress bar (loss, samples/s, ETA) and reports the
// test accuracy on the other 2,000 after every epoch. Ctrl-C stops cleanly after the current step.
// Then draws the loss and accuracy in the terminal, and writes the float and int8 model files and
// the chart as SVG to the out directory. `--quantize` also measures float vs int8 (quantize.mjs).
import { mkdirSync, writeFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import { dispose } from "edgenn";
import { downsample, stepsPer, svgChart, terminalChart } from "./chart.mjs";
import { loadMnist } from "./data.mjs";
import { formatTable, quantizeModel, quantizePipeline, trainModel } from "./quantize.mjs";
import { MODELS } from "./train.mjs";

/** Where the files go without `--out`: `out/` next to this file (git-ignored). */
export const DEFAULT_OUT = join(import.meta.dirname, "out");

const USAGE = `usage: node index.mjs [--model mlp|cnn] [--epochs N] [--batch-size N] [--seed N]
                     [--out DIR] [--lr X] [--schedule constant|cosine] [--label-smoothing E]
                     [--quantize]
  mlp (default): 784 → 128 ReLU → 10, SGD lr 0.1, batch 32, 3 epochs
  cnn:           Conv 8@3×3 → ReLU → MaxPool 2 → Linear 10, Adam lr 1e-3, batch 64, 3 epochs
  ≥ 0.96 with the cnn: --model cnn --epochs 8 --lr 5e-3 --schedule cosine --label-smoothing 0.1
  --out DIR: where mnist-<model>-float.edgenn, mnist-<model>-int8.edgenn (static int8, 256
             calibration images) and training.svg go (default: out/ next to index.mjs)
  --quantize: also load both files into the runtime and print accuracy, file/arena bytes, latency`;

/**
 * Parses the command line into options of `train`.
 * @param {string[]} argv - the arguments after `node index.mjs`
 * @returns {{ help: true } | { help: false, model: "mlp" | "cnn", epochs: number, batchSize: number,
 *   lr: number, schedule: "constant" | "cosine", labelSmoothing: number, seed: number, out: string,
 *   quantize?: true }} (`out` an absolute path; `quantize` only when `--quantize` is given)
 * @throws {Error} on an unknown flag or a bad value, naming the flag
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
      out: { type: "string" },
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
  if (values.out !== undefined && values.out.trim() === "") {
    throw new Error(`--out must be a directory path (got "${values.out}")`);
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
    out: values.out === undefined ? DEFAULT_OUT : resolve(values.out),
    ...(values.quantize && { quantize: /** @type {const} */ (true) }),
  };
}

/**
 * Runs the demo: trains, draws the chart, writes the files to `out`, and with `--quantize` measures
 * float vs int8.
 * @param {string[]} argv
 * @param {{ log?: (line: string) => void, stream?: NodeJS.WritableStream,
 *   data?: ReturnType<typeof loadMnist> }} [io] - where lines and the bar go; `data` replaces the
 *   MNIST split (tests train on a few hundred images with it; the caller keeps ownership)
 * @returns {Promise<{ testAccuracy: number, samplesPerSecond: number,
 *   history: import("edgenn").nn.FitHistory, files: { float: string, int8: string, chart: string },
 *   quantized?: ReturnType<typeof quantizePipeline> } | null>} (`quantized` with `--quantize`;
 *   null for `--help`)
 * @throws {Error} on a bad flag, or when the out directory cannot be made (before training)
 */
export async function main(argv, { log = console.log, stream = process.stderr, data: given } = {}) {
  const options = parseOptions(argv);
  if (options.help) {
    log(USAGE);
    return null;
  }
  const { model, epochs, batchSize, lr, schedule, labelSmoothing, seed, out, quantize } = options;
  try {
    mkdirSync(out, { recursive: true });
  } catch (e) {
    throw new Error(`--out: cannot make directory ${out} (${e instanceof Error ? e.message : e})`);
  }
  const extras = `${schedule === "cosine" ? " (cosine)" : ""}${labelSmoothing > 0 ? `, label smoothing ${labelSmoothing}` : ""}`;
  const title = `edgenn MNIST demo: ${model}, ${epochs} epochs, batch ${batchSize}, lr ${lr}${extras}, seed ${seed}`;
  log(title);
  const data = given ?? loadMnist({ shape: MODELS[model].shape });
  const nTrain = data.train.x.shape[0];
  const nTest = data.test.x.shape[0];
  const count = (k) => k.toLocaleString("en-US");
  log(
    given
      ? `data: ${count(nTrain)} train / ${count(nTest)} test images (given)`
      : "data: 10,000 digits of the mnist package, split 8,000 train / 2,000 test (mulberry32(42))",
  );

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
  /** @type {{ x: number, y: number }[]} each step's batch loss, x in epochs */
  const stepLoss = [];
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once("SIGINT", onSigint);
  let trained;
  try {
    trained = await trainModel({
      model,
      epochs,
      batchSize,
      lr,
      schedule,
      labelSmoothing,
      seed,
      data,
      signal: controller.signal,
      onProgress: (p) => {
        if (Number.isFinite(p.batchLoss)) {
          stepLoss.push({ x: p.epoch - 1 + p.step / p.stepsPerEpoch, y: p.batchLoss });
        }
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
    });
    if (barOpen) bar.stop();
    barOpen = false;
    const { history, seconds } = trained;
    const n = nTrain;
    const testAccuracy = history.epochs.at(-1)?.valAccuracy ?? Number.NaN;
    const trainSeconds = history.epochs.reduce((s, e) => s + n / e.samplesPerSecond, 0);
    const samplesPerSecond = (history.epochs.length * n) / trainSeconds;
    if (history.stoppedBy === "aborted") log(`stopped after ${history.epochs.length} epochs`);
    log(
      `final test accuracy ${testAccuracy.toFixed(4)}; training speed ${Math.round(samplesPerSecond)} samples/s; ${seconds.toFixed(1)} s in all`,
    );

    // the chart: x over the epochs that ran (all of them unless stopped early)
    const accuracy = history.epochs
      .filter((e) => e.valAccuracy !== undefined)
      .map((e) => ({ x: e.epoch, y: /** @type {number} */ (e.valAccuracy) }));
    const chartEpochs = Math.max(1, Math.ceil((stepLoss.at(-1)?.x ?? 1) - 1e-9));
    for (const line of terminalChart({ loss: stepLoss, accuracy, epochs: chartEpochs })) log(line);

    const inputShape = model === "mlp" ? [-1, 784] : [-1, 1, 28, 28];
    let quantized;
    let bytes;
    if (quantize) {
      quantized = quantizePipeline({
        model: trained.model,
        inputShape,
        trainX: data.train.x,
        testX: data.test.x,
        testY: data.test.y,
      });
      bytes = quantized.bytes;
      log(
        `int8 (static, per-channel weights, 256 calibration images; quantized in ${quantized.quantizeSeconds.toFixed(2)} s), both files loaded into the runtime; test accuracy on the ${count(nTest)} test images, batch-1 latency the median of 501 runs:`,
      );
      for (const line of formatTable(quantized)) log(line);
    } else {
      bytes = quantizeModel({ model: trained.model, inputShape, trainX: data.train.x }).bytes;
    }
    const svg = svgChart({
      loss: downsample(stepLoss, 100),
      accuracy,
      epochs: chartEpochs,
      title,
      lossLabel: `training loss (${stepsPer(stepLoss.length, 100)})`,
    });
    const files = {
      float: join(out, `mnist-${model}-float.edgenn`),
      int8: join(out, `mnist-${model}-int8.edgenn`),
      chart: join(out, "training.svg"),
    };
    writeFileSync(files.float, bytes.float);
    writeFileSync(files.int8, bytes.int8);
    writeFileSync(files.chart, svg);
    const shown = (path) => {
      const rel = relative(process.cwd(), path);
      return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
    };
    const fmt = (b) => b.byteLength.toLocaleString("en-US");
    log(
      `wrote ${shown(files.float)} (${fmt(bytes.float)} B), ${shown(files.int8)} (${fmt(bytes.int8)} B), ${shown(files.chart)}`,
    );
    return {
      testAccuracy,
      samplesPerSecond,
      history,
      files,
      ...(quantized && { quantized }),
    };
  } finally {
    if (barOpen) bar.stop();
    process.off("SIGINT", onSigint);
    trained?.model.dispose();
    if (!given) dispose([data.train.x, data.train.y, data.test.x, data.test.y]);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
