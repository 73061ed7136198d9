// Predictive maintenance on an IoT gateway, end to end, in one command:
//   node index.mjs [--seed N] [--out DIR] [--epochs N] [--quick] [--csv FILE] [--export-csv FILE]
// Simulates a fleet of rotating machines from a physical model (signal.mjs; no public sensor data
// installs here), trains a 1-D convolutional autoencoder on healthy windows with `fit`, quantizes it
// to int8, loads both models into the runtime and runs them as streaming detectors over a ring
// buffer, choosing thresholds on validation machines and reporting precision / recall / F1 on
// held-out machines. `--csv` also scores a recording of your own (layout in README.md).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { parseCsv, toCsv } from "./csv.mjs";
import { BASELINE, WINDOW } from "./features.mjs";
import { DEFAULT_CONFIG, runPipeline, scoreRecording } from "./pipeline.mjs";
import { FAULT_LABEL_SEVERITY, FS, makeFleet } from "./signal.mjs";

const USAGE = `usage: node index.mjs [--seed N] [--out DIR] [--epochs N] [--quick] [--csv FILE] [--export-csv FILE]
  --seed N           seed of the simulated fleet, the weights and the shuffling (default 1)
  --out DIR          where the float and int8 model files and detector.json go (default out)
  --epochs N         training epochs (default ${DEFAULT_CONFIG.epochs})
  --quick            a smaller fleet and fewer epochs (for a fast look; figures are noisier)
  --csv FILE         also score FILE (header vibration,temperature[,time][,label]; 1024 Hz) with
                     both models and write DIR/scores.csv
  --export-csv FILE  write the first faulty held-out machine as a CSV in that layout (with labels)`;

/** The small configuration of `--quick` and of the tests. */
export const QUICK_CONFIG = {
  durationS: 50,
  train: { healthy: 8, durationS: 50 },
  validation: { healthy: 1, faulty: 2 },
  test: { healthy: 2, faulty: 4 },
  trainHop: 256,
  epochs: 5,
};

/**
 * Parses the command line.
 * @param {string[]} argv
 */
export function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      seed: { type: "string", default: "1" },
      out: { type: "string", default: "out" },
      epochs: { type: "string" },
      quick: { type: "boolean", default: false },
      csv: { type: "string" },
      "export-csv": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return { help: true };
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) {
    throw new Error(`--seed must be a non-negative integer (got ${values.seed})\n${USAGE}`);
  }
  const base = values.quick ? { ...DEFAULT_CONFIG, ...QUICK_CONFIG } : DEFAULT_CONFIG;
  const epochs = values.epochs === undefined ? base.epochs : Number(values.epochs);
  if (!Number.isInteger(epochs) || epochs < 1) {
    throw new Error(`--epochs must be a positive integer (got ${values.epochs})\n${USAGE}`);
  }
  return {
    help: false,
    config: { ...base, seed, epochs },
    out: values.out,
    csv: values.csv ?? null,
    exportCsv: values["export-csv"] ?? null,
  };
}

const f3 = (v) => v.toFixed(3);
const sec = (v) => (v === null || !Number.isFinite(v) ? "—" : `${v.toFixed(1)} s`);

/**
 * Runs the example.
 * @param {string[]} argv
 * @param {{ log?: (line: string) => void }} [io]
 */
export async function main(argv, { log = console.log } = {}) {
  const started = performance.now();
  const options = parseOptions(argv);
  if (options.help) {
    log(USAGE);
    return null;
  }
  const { config, out } = options;
  // read the user's CSV first, so that a malformed file fails before the training
  const recording =
    options.csv === null
      ? null
      : parseCsv(readFileSync(options.csv, "utf8"), { minSamples: BASELINE + WINDOW });
  log(
    `edgenn sensor-anomaly, seed ${config.seed}: signals simulated from a physical model of a rotating machine (README.md), not recorded data`,
  );
  const r = await runPipeline(config, { log });
  log(`int8 graph: ${r.int8Ops.join(" → ")}`);
  log("  (every op between quantizeLinear and dequantizeLinear runs in int8; nothing stays float)");
  const { test } = config;
  log("");
  log(
    `held-out test machines (${test.healthy} healthy, ${test.faulty} faulty, never seen in training or validation); a window is faulty once`,
  );
  log(
    `the fault reaches ${FAULT_LABEL_SEVERITY * 100} % of its final size; thresholds chosen for the best F1 on ${config.validation.healthy + config.validation.faulty} validation machines`,
  );
  log("model  threshold  precision  recall  F1     file bytes  arena bytes  µs/window (run)");
  for (const name of ["float", "int8"]) {
    const m = r[name];
    log(
      `${name.padEnd(5)}  ${f3(m.threshold).padEnd(9)}  ${f3(m.test.precision).padEnd(9)}  ${f3(m.test.recall).padEnd(6)}  ${f3(m.test.f1)}  ${String(m.fileBytes).padEnd(10)}  ${String(m.arenaBytes).padEnd(11)}  ${m.usPerWindow.toFixed(0)}`,
    );
  }
  log("");
  log("per machine (int8): id    fault  onset    labelled  first alarm  recall  false alarms");
  for (const m of r.int8.machines) {
    log(
      `                    ${String(m.id).padEnd(5)} ${m.fault.padEnd(6)} ${sec(m.onsetS).padEnd(8)} ${sec(m.labelS).padEnd(9)} ${sec(m.firstAlarmS).padEnd(12)} ${m.fault === "none" ? "—     " : f3(m.recall).padEnd(6)}  ${m.fp}/${m.fp + m.tn}`,
    );
  }

  mkdirSync(out, { recursive: true });
  const detector = {
    fs: FS,
    window: WINDOW,
    hop: config.hop,
    smooth: config.smooth,
    baselineSamples: BASELINE,
    threshold: { float: r.float.threshold, int8: r.int8.threshold },
    standardize: r.stats,
  };
  writeFileSync(join(out, "sensor-ae-float.edgenn"), r.floatBytes);
  writeFileSync(join(out, "sensor-ae-int8.edgenn"), r.int8Bytes);
  writeFileSync(join(out, "detector.json"), `${JSON.stringify(detector, null, 2)}\n`);
  log("");
  log(
    `wrote ${join(out, "sensor-ae-float.edgenn")}, ${join(out, "sensor-ae-int8.edgenn")} and ${join(out, "detector.json")} (thresholds, standardisation)`,
  );

  let scored = null;
  if (recording) {
    const n = recording.vibration.length;
    log("");
    log(
      `${options.csv}: ${n} samples (${(n / FS).toFixed(1)} s); the first 4 s set the temperature baseline`,
    );
    const lines = ["time_s,score_float,alarm_float,score_int8,alarm_int8"];
    scored = {};
    for (const name of ["float", "int8"]) {
      scored[name] = scoreRecording(
        {
          bytes: name === "float" ? r.floatBytes : r.int8Bytes,
          stats: r.stats,
          threshold: r[name].threshold,
          hop: config.hop,
          smooth: config.smooth,
        },
        recording,
      );
      const s = scored[name];
      const first =
        s.firstAlarm < 0 ? "no alarm" : `first alarm at ${(s.firstAlarm / FS).toFixed(2)} s`;
      const metrics = s.metrics
        ? `; against its labels: precision ${f3(s.metrics.precision)}, recall ${f3(s.metrics.recall)}, F1 ${f3(s.metrics.f1)}`
        : "";
      log(`  ${name.padEnd(5)} ${s.alarms}/${s.scores.length} windows alarmed, ${first}${metrics}`);
    }
    for (let w = 0; w < scored.float.scores.length; w++) {
      const fl = scored.float;
      const q = scored.int8;
      lines.push(
        `${(fl.ends[w] / FS).toFixed(4)},${fl.scores[w].toFixed(4)},${fl.scores[w] > r.float.threshold ? 1 : 0},${q.scores[w].toFixed(4)},${q.scores[w] > r.int8.threshold ? 1 : 0}`,
      );
    }
    writeFileSync(join(out, "scores.csv"), `${lines.join("\n")}\n`);
    log(`  wrote ${join(out, "scores.csv")}`);
  }

  if (options.exportCsv) {
    const machine = makeFleet({
      seed: config.seed,
      ...test,
      durationS: config.durationS,
      firstId: 2000,
    })[test.healthy];
    writeFileSync(options.exportCsv, toCsv(machine, FAULT_LABEL_SEVERITY));
    log(
      `wrote ${options.exportCsv}: held-out machine ${machine.id} (${machine.fault}-race fault from ${machine.onsetS.toFixed(1)} s), try --csv ${options.exportCsv}`,
    );
  }
  log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { ...r, scored };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
