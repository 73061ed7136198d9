// The whole example as one function: simulate a fleet → cut healthy training windows → train a 1-D
// convolutional autoencoder with `fit` → export (float) and `quantize` (int8) → load both into the
// runtime → stream validation machines through the ring-buffer detector and choose each model's
// threshold (best F1) → stream the held-out test machines and report precision / recall / F1.
import { fit, loadModel, nn, optim, quantize, saveModel, setSeed, tensor } from "edgenn";
import { chooseThreshold, confusion, streamScores } from "./detector.mjs";
import {
  BASELINE,
  FEATURES,
  FeatureExtractor,
  fitStandardizer,
  standardize,
  WINDOW,
} from "./features.mjs";
import { FAULT_LABEL_SEVERITY, makeFleet } from "./signal.mjs";

export const INPUT_SHAPE = [-1, 2, 1, FEATURES / 2];

/** The default run of `node index.mjs`. */
export const DEFAULT_CONFIG = {
  seed: 1,
  durationS: 60,
  train: { healthy: 12, durationS: 60 },
  validation: { healthy: 2, faulty: 2 },
  test: { healthy: 3, faulty: 6 },
  trainHop: 256,
  hop: 64,
  smooth: 8,
  epochs: 8,
  batchSize: 32,
  lr: 2e-3,
  calibration: 256,
};

/**
 * The autoencoder: two 1-D convolutions along the 64 bands (as Conv2d with 1 × 5 kernels over a
 * [2, 1, 64] map) with 1 × 2 max pooling, a 16-unit bottleneck and a linear decoder back to the
 * 128 features. Every layer has an int8 form.
 * @param {number} seed
 */
export function makeModel(seed) {
  return new nn.Sequential(
    new nn.Conv2d(2, 8, [1, 5], { padding: "same", seed }),
    new nn.ReLU(),
    new nn.MaxPool2d([1, 2]),
    new nn.Conv2d(8, 8, [1, 5], { padding: "same", seed: seed + 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d([1, 2]),
    new nn.Flatten(),
    new nn.Linear(8 * 16, 16, { seed: seed + 2 }),
    new nn.ReLU(),
    new nn.Linear(16, FEATURES, { seed: seed + 3 }),
  );
}

/**
 * Raw features of every `hop`-th window of the machines (window ends at WINDOW − 1 + k·hop), the
 * temperature relative to each machine's baseline (its mean over the first BASELINE samples).
 * @param {import("./signal.mjs").Machine[]} machines
 * @param {number} hop
 * @returns {Float32Array} n × FEATURES
 */
export function windowFeatures(machines, hop) {
  const extractor = new FeatureExtractor();
  const counts = machines.map((m) => Math.floor((m.vibration.length - WINDOW) / hop) + 1);
  const out = new Float32Array(counts.reduce((a, b) => a + b, 0) * FEATURES);
  let row = 0;
  machines.forEach((m, i) => {
    let baseline = 0;
    for (let s = 0; s < BASELINE; s++) baseline += m.temperature[s];
    baseline /= BASELINE;
    for (let k = 0; k < counts[i]; k++, row++) {
      const s = k * hop;
      extractor.extract(
        m.vibration.subarray(s, s + WINDOW),
        m.temperature.subarray(s, s + WINDOW),
        out,
        row * FEATURES,
        baseline,
      );
    }
  });
  return out;
}

/**
 * Streams machines through a session; returns every window's score and label (severity at the
 * window's last sample ≥ FAULT_LABEL_SEVERITY) and per-machine slices.
 */
function streamFleet(session, stats, machines, hop, smooth) {
  const scores = [];
  const labels = [];
  const perMachine = [];
  let runSeconds = 0;
  for (const m of machines) {
    const r = streamScores({ session, stats, hop, smooth }, m);
    runSeconds += r.runSeconds;
    const from = scores.length;
    for (let w = 0; w < r.scores.length; w++) {
      scores.push(r.scores[w]);
      labels.push(m.severity[r.ends[w]] >= FAULT_LABEL_SEVERITY ? 1 : 0);
    }
    perMachine.push({ machine: m, from, to: scores.length, ends: r.ends });
  }
  return { scores, labels, perMachine, runSeconds };
}

/**
 * Runs the pipeline.
 * @param {Partial<typeof DEFAULT_CONFIG>} [overrides]
 * @param {{ log?: (line: string) => void }} [io]
 */
export async function runPipeline(overrides = {}, { log = () => {} } = {}) {
  const config = { ...DEFAULT_CONFIG, ...overrides };
  const { seed, durationS, hop } = config;
  const t0 = performance.now();
  // three disjoint fleets (different id ranges → different machine seeds)
  const train = makeFleet({
    seed,
    healthy: config.train.healthy,
    faulty: 0,
    durationS: config.train.durationS,
  });
  const validation = makeFleet({
    seed,
    ...config.validation,
    durationS,
    firstId: 1000,
  });
  const test = makeFleet({ seed, ...config.test, durationS, firstId: 2000 });
  log(
    `simulated ${train.length} training (healthy), ${validation.length} validation and ${test.length} held-out test machines (${config.train.durationS} s / ${durationS} s / ${durationS} s at 1024 Hz) (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
  );

  const raw = windowFeatures(train, config.trainHop);
  const stats = fitStandardizer(raw);
  standardize(raw, stats);
  const n = raw.length / FEATURES;
  setSeed(seed);
  const model = makeModel(seed);
  const x = tensor(raw, { shape: [n, 2, 1, FEATURES / 2] });
  const y = tensor(raw, { shape: [n, FEATURES] });
  const tFit = performance.now();
  const history = await fit(
    model,
    { x, y },
    {
      epochs: config.epochs,
      batchSize: config.batchSize,
      seed,
      loss: nn.mse,
      optimizer: new optim.Adam(model.parameters(), { lr: config.lr }),
    },
  );
  const fitSeconds = (performance.now() - tFit) / 1000;
  log(
    `trained the autoencoder on ${n} healthy windows: ${config.epochs} epochs in ${fitSeconds.toFixed(1)} s, reconstruction MSE ${history.epochs[0].loss.toFixed(3)} → ${history.epochs.at(-1).loss.toFixed(3)}`,
  );

  const floatBytes = saveModel(model, { inputShape: INPUT_SHAPE });
  // calibration: `config.calibration` windows spread evenly over every training machine; in every
  // other one the temperature channel is doubled, so that int8 ranges cover twice the temperature
  // excursions seen in training (a held-out machine drifts further; int8 would clip there where
  // the float model extrapolates)
  const picks = Math.min(n, config.calibration);
  const calibration = new Float32Array(picks * FEATURES);
  for (let i = 0; i < picks; i++) {
    const row = Math.floor((i * n) / picks);
    calibration.set(raw.subarray(row * FEATURES, (row + 1) * FEATURES), i * FEATURES);
    if (i % 2 === 1) {
      for (let f = FEATURES / 2; f < FEATURES; f++) calibration[i * FEATURES + f] *= 2;
    }
  }
  const quantized = quantize(model, {
    calibration: tensor(calibration, { shape: [picks, 2, 1, FEATURES / 2] }),
    inputShape: INPUT_SHAPE,
  });
  const int8Bytes = saveModel(quantized);
  const int8Ops = quantized.graph.nodes.map((node) => node.op);
  x.dispose();
  y.dispose();

  const results = {};
  for (const [name, bytes] of [
    ["float", floatBytes],
    ["int8", int8Bytes],
  ]) {
    const session = loadModel(bytes);
    const val = streamFleet(session, stats, validation, hop, config.smooth);
    const threshold = chooseThreshold(val.scores, val.labels);
    const held = streamFleet(session, stats, test, hop, config.smooth);
    const metrics = confusion(held.scores, held.labels, threshold);
    const machines = held.perMachine.map(({ machine, from, to, ends }) => {
      const c = confusion(held.scores.slice(from, to), held.labels.slice(from, to), threshold);
      const first = held.scores.slice(from, to).findIndex((s) => s > threshold);
      return {
        id: machine.id,
        fault: machine.fault,
        onsetS: machine.onsetS,
        labelS:
          machine.fault === "none"
            ? Number.POSITIVE_INFINITY
            : machine.severity.findIndex((s) => s >= FAULT_LABEL_SEVERITY) / machine.fs,
        firstAlarmS: first < 0 ? null : ends[first] / machine.fs,
        ...c,
      };
    });
    results[name] = {
      threshold,
      validation: confusion(val.scores, val.labels, threshold),
      test: metrics,
      machines,
      fileBytes: bytes.length,
      arenaBytes: session.arenaBytes,
      usPerWindow: (held.runSeconds / (held.scores.length || 1)) * 1e6,
      windows: held.scores.length,
    };
  }
  return {
    config,
    stats,
    history,
    fitSeconds,
    model,
    floatBytes,
    int8Bytes,
    int8Ops,
    float: results.float,
    int8: results.int8,
    seconds: (performance.now() - t0) / 1000,
  };
}

/**
 * Scores a recording (e.g. a user's CSV) with a model file, streaming it through the detector.
 * @param {{ bytes: Uint8Array, stats: { mean: number[], std: number[] }, threshold: number,
 *   hop?: number, smooth?: number }} detector
 * @param {{ vibration: Float32Array, temperature: Float32Array, label?: Uint8Array | null }} recording
 * @returns {{ scores: Float32Array, ends: Int32Array, alarms: number, firstAlarm: number,
 *   metrics: ReturnType<typeof confusion> | null }} (`firstAlarm`: sample index, −1 for none;
 *   `metrics` when the recording has labels)
 */
export function scoreRecording({ bytes, stats, threshold, hop = 64, smooth = 8 }, recording) {
  const session = loadModel(bytes);
  const { scores, ends } = streamScores({ session, stats, hop, smooth }, recording);
  let alarms = 0;
  let firstAlarm = -1;
  for (let w = 0; w < scores.length; w++) {
    if (scores[w] > threshold) {
      alarms++;
      if (firstAlarm < 0) firstAlarm = ends[w];
    }
  }
  const metrics = recording.label
    ? confusion(
        scores,
        Array.from(ends, (e) => recording.label[e]),
        threshold,
      )
    : null;
  return { scores, ends, alarms, firstAlarm, metrics };
}
