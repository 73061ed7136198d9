import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadModel } from "edgenn";
import { describe, expect, it } from "vitest";
// @ts-expect-error: the example is plain JavaScript
import { toCsv } from "../csv.mjs";
// @ts-expect-error: the example is plain JavaScript
import { streamScores } from "../detector.mjs";
// @ts-expect-error: the example is plain JavaScript
import { BASELINE, FEATURES, standardize, WINDOW } from "../features.mjs";
// @ts-expect-error: the example is plain JavaScript
import { main, parseOptions } from "../index.mjs";
// @ts-expect-error: the example is plain JavaScript
import { windowFeatures } from "../pipeline.mjs";
// @ts-expect-error: the example is plain JavaScript
import { simulateMachine } from "../signal.mjs";

interface Metrics {
  precision: number;
  recall: number;
  f1: number;
}

describe("CLI options", () => {
  it("parses flags and rejects bad ones", () => {
    const o = parseOptions(["--seed", "3", "--out", "x", "--quick"]);
    expect(o).toMatchObject({ help: false, out: "x", csv: null, exportCsv: null });
    expect(o.config).toMatchObject({ seed: 3, epochs: 5, test: { healthy: 2, faulty: 4 } });
    expect(parseOptions([]).config).toMatchObject({ seed: 1, epochs: 8 });
    expect(parseOptions(["--epochs", "2"]).config.epochs).toBe(2);
    expect(parseOptions(["-h"])).toEqual({ help: true });
    expect(() => parseOptions(["--seed=-1"])).toThrow(/--seed must be a non-negative integer/);
    expect(() => parseOptions(["--epochs", "0"])).toThrow(/--epochs must be a positive integer/);
    expect(() => parseOptions(["--bogus"])).toThrow(/bogus/);
  });

  it("a malformed --csv fails before any training, naming the line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sensor-anomaly-"));
    const file = join(dir, "bad.csv");
    writeFileSync(file, "vibration,temperature\n0.1,25\n0.2,oops\n");
    await expect(main(["--csv", file, "--out", dir], { log: () => {} })).rejects.toThrow(
      /line 3, column "temperature": not a finite number \("oops"\)/,
    );
  });
});

describe("pipeline (the --quick configuration, seed 1)", () => {
  it("detects faults on held-out machines with float and int8 models, streams a CSV, writes the files", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sensor-anomaly-"));
    // a user recording: a machine of a seed the fleet never uses, as CSV with labels
    const machine = simulateMachine({ seed: 987654, fault: "inner", durationS: 40 });
    const csv = join(dir, "rec.csv");
    writeFileSync(csv, toCsv(machine));
    const lines: string[] = [];
    const r = await main(["--quick", "--out", dir, "--csv", csv], {
      log: (l: string) => lines.push(l),
    });
    const out = lines.join("\n");
    // Measured (seed 1, --quick): float P 0.993 R 0.790 F1 0.880; int8 P 0.993 R 0.790 F1 0.880.
    // Floors with margin: precision ≥ 0.90, recall ≥ 0.70, F1 ≥ 0.80; int8 within 0.05 F1 of float.
    for (const name of ["float", "int8"]) {
      const m: Metrics = r[name].test;
      expect(m.precision, `${name} precision`).toBeGreaterThanOrEqual(0.9);
      expect(m.recall, `${name} recall`).toBeGreaterThanOrEqual(0.7);
      expect(m.f1, `${name} F1`).toBeGreaterThanOrEqual(0.8);
    }
    expect(Math.abs(r.int8.test.f1 - r.float.test.f1)).toBeLessThan(0.05);
    // held out: 2 healthy + 4 faulty machines, each scored window by window
    expect(r.int8.machines).toHaveLength(6);
    // everything between quantizeLinear and dequantizeLinear is int8
    expect(r.int8Ops[0]).toBe("quantizeLinear");
    expect(r.int8Ops.at(-1)).toBe("dequantizeLinear");
    expect(r.int8Ops.filter((op: string) => /^(conv2d|gemm|maxPool2d)$/.test(op))).toEqual([]);
    expect(r.int8.fileBytes).toBeLessThan(0.8 * r.float.fileBytes);
    expect(r.int8.arenaBytes).toBeLessThan(r.float.arenaBytes);
    expect(out).toMatch(/held-out test machines/);
    // the CSV was streamed by both models; its fault was found (measured: float P 0.989 R 0.866,
    // int8 P 1.000 R 0.866), and scores.csv written
    for (const name of ["float", "int8"]) {
      const s = r.scored[name];
      expect(s.metrics.recall, `${name} csv recall`).toBeGreaterThan(0.5);
      expect(s.metrics.precision, `${name} csv precision`).toBeGreaterThan(0.8);
    }
    const scores = readFileSync(join(dir, "scores.csv"), "utf8").trim().split("\n");
    expect(scores[0]).toBe("time_s,score_float,alarm_float,score_int8,alarm_int8");
    expect(scores).toHaveLength(r.scored.int8.scores.length + 1);
    const detector = JSON.parse(readFileSync(join(dir, "detector.json"), "utf8"));
    expect(detector.threshold.int8).toBeCloseTo(r.int8.threshold, 6);
    const int8File = readFileSync(join(dir, "sensor-ae-int8.edgenn"));
    expect(int8File.subarray(0, 4).toString()).toBe("ENN1");

    // The streaming path (ring buffers, one sample at a time) scores exactly what an offline
    // pass over the same windows computes: mean of the last 8 reconstruction errors.
    const session = loadModel(r.floatBytes);
    const m = simulateMachine({ seed: 4242, fault: "outer", durationS: 8 });
    const streamed = streamScores({ session, stats: r.stats, hop: 64, smooth: 8 }, m);
    const rows = windowFeatures([m], 64);
    standardize(rows, r.stats);
    const errors: number[] = [];
    for (let j = 0; j < rows.length / FEATURES; j++) {
      const x = rows.subarray(j * FEATURES, (j + 1) * FEATURES);
      const y = session.run(x).data;
      let e = 0;
      for (let i = 0; i < FEATURES; i++) e += (y[i] - x[i]) ** 2;
      errors.push(e / FEATURES);
    }
    expect(streamed.scores.length).toBeGreaterThan(10);
    for (let w = 0; w < streamed.scores.length; w++) {
      const end = streamed.ends[w];
      const j = (end + 1 - WINDOW) / 64; // the offline window ending at the same sample
      expect(end + 1).toBeGreaterThanOrEqual(BASELINE + 8 * 64);
      const mean = errors.slice(j - 7, j + 1).reduce((a, b) => a + b, 0) / 8;
      expect(Math.abs(streamed.scores[w] - mean)).toBeLessThan(1e-5 * (1 + mean));
    }
  }, 120_000);
});
