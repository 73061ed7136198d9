// The int8 pipeline of the demo (issue 5, item 6): a trained model → its runtime graph (toGraph) →
// static int8 quantization calibrated on 256 training images (@edgenn/quant's quantizeGraph, TFLite's
// scheme: weights symmetric per output channel, activations asymmetric per tensor) → both model files
// → both loaded into runtime sessions → test accuracy (batched), file bytes, arena bytes and batch-1
// latency of each.
import { quantizeGraph, quantizeTensor } from "@edgenn/quant";
import { loadModel, nn, optim, saveModel, toGraph } from "edgenn";
import { buildModel, MODELS } from "./train.mjs";

/**
 * Builds and trains a model with the recipe of `train.mjs` (same defaults, same seeds), and returns
 * it alive (unlike `train`, which disposes it): the caller disposes `model`.
 * @param {{ model?: "mlp" | "cnn", epochs?: number, batchSize?: number, lr?: number,
 *   schedule?: "constant" | "cosine", labelSmoothing?: number, seed?: number,
 *   data: { train: { x: any, y: any }, test: { x: any, y: any } },
 *   onProgress?: (p: any) => void, onEpochEnd?: (logs: any) => void, signal?: AbortSignal }} options
 * @returns {Promise<{ model: import("edgenn").nn.Sequential,
 *   history: import("edgenn").nn.FitHistory, seconds: number }>}
 */
export async function trainModel({
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
}) {
  const spec = MODELS[kind];
  if (!spec) throw new Error(`unknown model '${kind}' (expected mlp or cnn)`);
  const n = data.train.x.shape[0];
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
    const history = await nn.fit(model, data.train, {
      epochs: runEpochs,
      batchSize: runBatch,
      loss:
        labelSmoothing > 0
          ? (logits, labels) => nn.crossEntropy(logits, labels, { labelSmoothing })
          : nn.crossEntropy,
      optimizer,
      validation: data.test,
      seed,
      onProgress,
      onEpochEnd,
      signal,
    });
    return { model, history, seconds: (performance.now() - started) / 1000 };
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    optimizer.dispose();
  }
}

/**
 * Accuracy of a model file over `x` (float32 or int8 pixels, `n` samples of `per` values) against
 * labels `y`, run in batches of `batch` (a second session of the remainder's size if needed).
 * @param {Uint8Array} bytes - the model file
 * @param {Float32Array | Int8Array} x
 * @param {ArrayLike<number>} y
 * @param {number} batch
 */
function accuracyOf(bytes, x, y, batch) {
  const n = y.length;
  const per = x.length / n;
  let session = loadModel(bytes, { batchSize: Math.min(batch, n) });
  let correct = 0;
  for (let start = 0; start < n; start += batch) {
    const m = Math.min(batch, n - start);
    if (m !== session.inputs[0].shape[0]) session = loadModel(bytes, { batchSize: m });
    const logits = session.run(x.subarray(start * per, (start + m) * per)).data;
    const classes = logits.length / m;
    for (let i = 0; i < m; i++) {
      let best = 0;
      for (let c = 1; c < classes; c++) {
        if (logits[i * classes + c] > logits[i * classes + best]) best = c;
      }
      if (best === y[start + i]) correct++;
    }
  }
  return correct / n;
}

/**
 * Median batch-1 latency in µs of `runs` runs (after `warmup` runs), cycling through test images.
 * @param {import("edgenn").Session} session - planned for batch 1
 * @param {Float32Array | Int8Array} x
 * @param {number} runs
 * @param {number} warmup
 */
function latencyOf(session, x, runs, warmup) {
  const per = session.inputs[0].shape.reduce((a, b) => a * b, 1);
  const images = x.length / per;
  const times = new Float64Array(runs);
  for (let i = 0; i < warmup + runs; i++) {
    const k = i % images;
    const t0 = performance.now();
    session.run(x.subarray(k * per, (k + 1) * per));
    const t = performance.now() - t0;
    if (i >= warmup) times[i - warmup] = t;
  }
  times.sort();
  const mid = runs >> 1;
  return ((runs % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2) ?? 0) * 1000;
}

/**
 * Exports a trained model's graph and its static int8 version calibrated on the first
 * `calibration` training images, and both as model files (float input and output in both).
 * @param {{ model: import("edgenn").nn.Module, inputShape: number[], trainX: any,
 *   calibration?: number, observer?: "minmax" | "moving-average" | "percentile" }} options -
 *   `inputShape` with batch −1; `calibration` images (256); `observer` ("minmax")
 * @returns {{ graph: import("edgenn").Graph, qGraph: import("edgenn").Graph,
 *   int8InputGraph: import("edgenn").Graph, bytes: { float: Uint8Array, int8: Uint8Array } }}
 *   (`int8InputGraph`: the same with `inputType: "int8"`, whose input declares its quantization)
 */
export function quantizeModel({
  model,
  inputShape,
  trainX,
  calibration = 256,
  observer = "minmax",
}) {
  const per = inputShape.slice(1).reduce((a, b) => a * b, 1);
  const graph = toGraph(model, { inputShape });
  const calib = trainX.dataSync().slice(0, calibration * per); // the first `calibration` images
  const qGraph = quantizeGraph(graph, { calibration: calib, observer });
  // TFLite's integer-only input: the caller quantizes the pixels, no float input in the arena
  const int8InputGraph = quantizeGraph(graph, { calibration: calib, observer, inputType: "int8" });
  return {
    graph,
    qGraph,
    int8InputGraph,
    bytes: { float: saveModel(graph), int8: saveModel(qGraph) },
  };
}

/**
 * Runs the int8 pipeline on a trained model: exports its graph, quantizes it with the first
 * `calibration` training images, saves both files, loads both into runtime sessions and measures
 * them on the test set. Nothing passed in is disposed; everything made here is.
 * @param {{ model: import("edgenn").nn.Module, inputShape: number[], trainX: any, testX: any,
 *   testY: any, calibration?: number, observer?: "minmax" | "moving-average" | "percentile",
 *   evalBatch?: number, latencyRuns?: number }} options - `inputShape` with batch −1 (e.g.
 *   `[-1, 784]`, `[-1, 1, 28, 28]`); `calibration` images (256); `observer` ("minmax");
 *   `evalBatch` (250); `latencyRuns` (501, after 50 warm-up runs)
 * @returns {{ rows: { name: string, accuracy: number, fileBytes: number, arenaBytes: number,
 *   weightBytes: number, latencyUs: number }[], ratios: { file: number, arena: number,
 *   latency: number }, int8InputRatios: { file: number, arena: number, latency: number },
 *   accuracyDrop: number, bytes: { float: Uint8Array, int8: Uint8Array, int8Input: Uint8Array },
 *   quantizeSeconds: number }} rows float32, int8 (float input and output, as quantizeGraph makes
 *   it) and int8 with an int8 input (`inputType: "int8"`; its accuracy and latency are measured on
 *   pre-quantized pixels); ratios are int8 / float32; accuracyDrop is float − int8 in points
 */
export function quantizePipeline({
  model,
  inputShape,
  trainX,
  testX,
  testY,
  calibration = 256,
  observer = "minmax",
  evalBatch = 250,
  latencyRuns = 501,
}) {
  const t0 = performance.now();
  const { int8InputGraph, bytes: files } = quantizeModel({
    model,
    inputShape,
    trainX,
    calibration,
    observer,
  });
  const { scale, zeroPoint } = int8InputGraph.inputs[0].quant;
  const bytes = { ...files, int8Input: saveModel(int8InputGraph) };
  const quantizeSeconds = (performance.now() - t0) / 1000;
  const x = testX.dataSync();
  const y = testY.dataSync();
  const xq = quantizeTensor(x, scale[0], zeroPoint[0]);
  const names = { float: "float32", int8: "int8", int8Input: "int8, int8 input" };
  const rows = Object.entries(bytes).map(([key, file]) => {
    const one = loadModel(file, { batchSize: 1 });
    const data = key === "int8Input" ? xq : x;
    return {
      name: names[key],
      accuracy: accuracyOf(file, data, y, evalBatch),
      fileBytes: file.byteLength,
      arenaBytes: one.arenaBytes,
      weightBytes: one.weightBytes,
      latencyUs: latencyOf(one, data, latencyRuns, 50),
    };
  });
  const [f, q, qi] = rows;
  const ratio = (r) => ({
    file: r.fileBytes / f.fileBytes,
    arena: r.arenaBytes / f.arenaBytes,
    latency: r.latencyUs / f.latencyUs,
  });
  return {
    rows,
    ratios: ratio(q),
    int8InputRatios: ratio(qi),
    accuracyDrop: (f.accuracy - q.accuracy) * 100,
    bytes,
    quantizeSeconds,
  };
}

/**
 * The result of `quantizePipeline` as a Markdown table (plus a ratio row).
 * @param {ReturnType<typeof quantizePipeline>} result
 * @returns {string[]} the lines
 */
export function formatTable({ rows }) {
  const fmt = (n) => n.toLocaleString("en-US");
  const [f] = rows;
  const pct = (a, b) => `${((a / b) * 100).toFixed(1)} %`;
  return [
    "| model | test accuracy | file bytes | arena bytes (batch 1) | batch-1 latency µs |",
    "| --- | --- | --- | --- | --- |",
    ...rows.map((r) => {
      if (r === f) {
        return `| ${r.name} | ${r.accuracy.toFixed(4)} | ${fmt(r.fileBytes)} | ${fmt(r.arenaBytes)} | ${r.latencyUs.toFixed(1)} |`;
      }
      const d = (r.accuracy - f.accuracy) * 100;
      return `| ${r.name} | ${r.accuracy.toFixed(4)} (${d >= 0 ? "+" : ""}${d.toFixed(2)} pt) | ${fmt(r.fileBytes)} (${pct(r.fileBytes, f.fileBytes)}) | ${fmt(r.arenaBytes)} (${pct(r.arenaBytes, f.arenaBytes)}) | ${r.latencyUs.toFixed(1)} (${(r.latencyUs / f.latencyUs).toFixed(2)}×) |`;
    }),
  ];
}
