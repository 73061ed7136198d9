import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PassThrough } from "node:stream";
import { dispose, loadModel, memory, type Tensor, tensor } from "edgenn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: the example is plain JavaScript
import { loadMnist } from "../data.mjs";
// @ts-expect-error: the example is plain JavaScript
import { DEFAULT_OUT, main, parseOptions } from "../index.mjs";
import { allElements, parseXml } from "./xml";

const quiet = () => {
  const lines: string[] = [];
  return { lines, io: { log: (s: string) => lines.push(s), stream: new PassThrough() } };
};

/** argmax of each row of `logits` (rows of 10). */
const classes = (logits: ArrayLike<number>) => {
  const out: number[] = [];
  for (let i = 0; i < logits.length; i += 10) {
    let best = 0;
    for (let c = 1; c < 10; c++) if (logits[i + c]! > logits[i + best]!) best = c;
    out.push(best);
  }
  return out;
};

describe("CLI", () => {
  it("parses flags with per-model defaults and rejects bad ones", () => {
    expect(DEFAULT_OUT).toBe(resolve(import.meta.dirname, "..", "out"));
    expect(parseOptions([])).toEqual({
      help: false,
      model: "mlp",
      epochs: 3,
      batchSize: 32,
      lr: 0.1,
      schedule: "constant",
      labelSmoothing: 0,
      seed: 1,
      out: DEFAULT_OUT,
    });
    expect(parseOptions(["--model", "cnn", "--epochs", "5", "--seed", "7"])).toEqual({
      help: false,
      model: "cnn",
      epochs: 5,
      batchSize: 64,
      lr: 1e-3,
      schedule: "constant",
      labelSmoothing: 0,
      seed: 7,
      out: DEFAULT_OUT,
    });
    expect(parseOptions(["--batch-size", "16", "--lr", "0.05"])).toMatchObject({
      batchSize: 16,
      lr: 0.05,
    });
    expect(parseOptions(["--schedule", "cosine", "--label-smoothing", "0.1"])).toMatchObject({
      schedule: "cosine",
      labelSmoothing: 0.1,
    });
    // --out: relative to the working directory, absolute kept
    expect(parseOptions(["--out", "runs/a"]).out).toBe(resolve(process.cwd(), "runs/a"));
    expect(parseOptions(["--out=/tmp/x"]).out).toBe("/tmp/x");
    expect(parseOptions(["--quantize"])).toMatchObject({ quantize: true });
    expect(parseOptions(["-h"])).toEqual({ help: true });
    expect(() => parseOptions(["--schedule", "step"])).toThrow(/--schedule/);
    expect(() => parseOptions(["--label-smoothing", "1"])).toThrow(/--label-smoothing/);
    expect(() => parseOptions(["--model", "rnn"])).toThrow(/--model must be mlp or cnn/);
    expect(() => parseOptions(["--epochs", "0"])).toThrow(/--epochs must be a positive integer/);
    expect(() => parseOptions(["--epochs", "two"])).toThrow(/--epochs .*\(got two\)/);
    expect(() => parseOptions(["--batch-size", "2.5"])).toThrow(/--batch-size/);
    expect(() => parseOptions(["--seed=-1"])).toThrow(/--seed must be a non-negative integer/);
    expect(() => parseOptions(["--lr", "-1"])).toThrow(/--lr/);
    expect(() => parseOptions(["--out", ""])).toThrow(/--out must be a directory path/);
    expect(() => parseOptions(["--out"])).toThrow(/--out/); // no value
    expect(() => parseOptions(["--bogus"])).toThrow();
  });

  it("--help prints the usage with every flag", async () => {
    const { lines, io } = quiet();
    expect(await main(["--help"], io)).toBeNull();
    for (const flag of ["--model", "--epochs", "--batch-size", "--seed", "--out", "--quantize"]) {
      expect(lines.join("\n")).toContain(flag);
    }
  });

  it("an --out that cannot be a directory fails before training", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mnist-cli-"));
    try {
      const file = join(dir, "taken");
      writeFileSync(file, "not a directory");
      const { lines, io } = quiet();
      await expect(main(["--out", file], io)).rejects.toThrow(/--out: cannot make directory/);
      await expect(main(["--out", join(file, "sub")], io)).rejects.toThrow(/--out/);
      expect(lines).toEqual([]); // nothing trained
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("trains one epoch on the real split, draws the chart and writes the files to --out", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mnist-cli-"));
    try {
      const { lines, io } = quiet();
      const r = await main(["--epochs", "1", "--out", dir], io);
      expect(lines[0]).toMatch(/mlp, 1 epochs, batch 32, lr 0.1, seed 1/);
      expect(lines.some((l) => /^epoch 1\/1 .*test acc 0\.\d{4} .*samples\/s/.test(l))).toBe(true);
      expect(lines).toContainEqual(
        expect.stringMatching(/^final test accuracy 0\.\d{4}; training speed \d+ samples\/s/),
      );
      // 250 steps in 60 columns
      expect(lines).toContain("training loss, mean of ≈ 4.2 steps a column:");
      expect(lines).toContain("test accuracy (after each epoch):");
      expect(lines).toContainEqual(expect.stringMatching(/^ +└─{58}┴$/));
      expect(lines.at(-1)).toBe(
        `wrote ${r.files.float} (407,888 B), ${r.files.int8} (${readFileSync(r.files.int8).byteLength.toLocaleString("en-US")} B), ${r.files.chart}`,
      );
      expect(r.testAccuracy).toBeGreaterThan(0.85);
      expect(r.files).toEqual({
        float: join(dir, "mnist-mlp-float.edgenn"),
        int8: join(dir, "mnist-mlp-int8.edgenn"),
        chart: join(dir, "training.svg"),
      });
      const svg = parseXml(readFileSync(r.files.chart, "utf8"));
      const lines2 = allElements(svg).filter((e) => e.name === "polyline");
      expect(lines2.map((e) => e.attrs.class)).toEqual(["series-loss", "series-accuracy"]);
      expect(lines2[0]!.attrs.points!.split(" ")).toHaveLength(100); // 250 steps → 100 points
      expect(lines2[1]!.attrs.points!.split(" ")).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  describe("on a few hundred images (the `data` option)", () => {
    type Split = { train: { x: Tensor; y: Tensor }; test: { x: Tensor; y: Tensor } };
    let full: Split;
    let small: Split;
    let dir: string;
    beforeAll(() => {
      full = loadMnist();
      const take = (x: Tensor, y: Tensor, n: number) => ({
        x: tensor(x.dataSync().slice(0, n * 784), { shape: [n, 784] }),
        y: tensor(y.dataSync().slice(0, n)),
      });
      small = {
        train: take(full.train.x, full.train.y, 640),
        test: take(full.test.x, full.test.y, 200),
      };
      dir = mkdtempSync(join(tmpdir(), "mnist-cli-"));
    });
    afterAll(() => {
      const all = [full, small].flatMap((d) => [d.train.x, d.train.y, d.test.x, d.test.y]);
      dispose(all);
      rmSync(dir, { recursive: true, force: true });
    });

    it("--out writes float and int8 files that load into the runtime and agree", async () => {
      const before = memory().tensors;
      const { lines, io } = quiet();
      const out = join(dir, "plain", "nested"); // made with its parents
      const r = await main(["--epochs", "2", "--batch-size", "64", "--seed", "3", "--out", out], {
        ...io,
        data: small,
      });
      expect(memory().tensors).toBe(before); // the given data stays, everything else is disposed
      expect(lines[1]).toBe("data: 640 train / 200 test images (given)");
      expect(r.quantized).toBeUndefined();
      expect(lines.some((l) => l.startsWith("|"))).toBe(false); // no table without --quantize
      // 2 epochs of 10 steps: 20 columns, epoch ticks under columns 10 and 20
      expect(lines).toContain("training loss, per step a column:");
      expect(lines).toContain(`         └${"─".repeat(8)}┴${"─".repeat(9)}┴`);
      expect(lines).toContain(`   epoch ${" ".repeat(9)}1${" ".repeat(9)}2`);
      const x = small.test.x.dataSync();
      const y = small.test.y.dataSync();
      const float = loadModel(readFileSync(r.files.float), { batchSize: 200 });
      const int8 = loadModel(readFileSync(r.files.int8), { batchSize: 200 });
      expect(float.inputs[0]).toMatchObject({ shape: [200, 784], dtype: "float32" });
      expect(int8.inputs[0]).toMatchObject({ shape: [200, 784], dtype: "float32" });
      const pf = classes(float.run(x).data);
      const pq = classes(int8.run(x).data);
      // the float file reproduces the accuracy fit reported on these 200 images
      const acc = pf.filter((c, i) => c === y[i]).length / 200;
      expect(acc).toBeCloseTo(r.testAccuracy, 10);
      expect(acc).toBeGreaterThan(0.5); // 20 steps on 640 images (measured 0.7–0.8)
      // int8 and float agree on nearly every image
      expect(pq.filter((c, i) => c === pf[i]).length).toBeGreaterThanOrEqual(190);
      const svg = parseXml(readFileSync(r.files.chart, "utf8"));
      const poly = allElements(svg).filter((e) => e.name === "polyline");
      expect(poly.map((e) => e.attrs.points!.split(" ").length)).toEqual([20, 2]);
    }, 30_000);

    it("--model cnn writes image-input files named after the model", async () => {
      const { io } = quiet();
      const out = join(dir, "cnn");
      const image = (t: Tensor) =>
        tensor(t.dataSync().slice(), { shape: [t.shape[0]!, 1, 28, 28] });
      const data = {
        train: { x: image(small.train.x), y: small.train.y },
        test: { x: image(small.test.x), y: small.test.y },
      };
      try {
        const r = await main(["--model", "cnn", "--epochs", "1", "--out", out], { ...io, data });
        expect(r.files.int8).toBe(join(out, "mnist-cnn-int8.edgenn"));
        for (const file of [r.files.float, r.files.int8]) {
          const session = loadModel(readFileSync(file), { batchSize: 2 });
          expect(session.inputs[0].shape).toEqual([2, 1, 28, 28]);
          const logits = session.run(small.test.x.dataSync().slice(0, 2 * 784)).data;
          expect(logits).toHaveLength(20);
          expect(Array.from(logits).every(Number.isFinite)).toBe(true);
        }
      } finally {
        dispose([data.train.x, data.test.x]);
      }
    }, 30_000);

    it("--quantize prints the float vs int8 table and writes the files it measured", async () => {
      const { lines, io } = quiet();
      const out = join(dir, "quantized");
      const r = await main(["--epochs", "1", "--quantize", "--out", out], { ...io, data: small });
      const table = lines.filter((l) => l.startsWith("|"));
      expect(table).toHaveLength(5);
      expect(table[2]).toMatch(/^\| float32 \| 0\.\d{4} \| 407,888 \| /);
      expect(table[3]).toMatch(/^\| int8 \| /);
      expect(lines.some((l) => /test accuracy on the 200 test images/.test(l))).toBe(true);
      expect(new Uint8Array(readFileSync(r.files.float))).toEqual(r.quantized.bytes.float);
      expect(new Uint8Array(readFileSync(r.files.int8))).toEqual(r.quantized.bytes.int8);
      expect(r.quantized.rows[0].accuracy).toBeCloseTo(r.testAccuracy, 10);
      expect(existsSync(join(out, "training.svg"))).toBe(true);
    }, 30_000);
  });
});
