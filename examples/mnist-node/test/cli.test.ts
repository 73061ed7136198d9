import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
// @ts-expect-error: the example is plain JavaScript
import { main, parseOptions } from "../index.mjs";

describe("CLI", () => {
  it("parses flags with per-model defaults and rejects bad ones", () => {
    expect(parseOptions([])).toEqual({
      help: false,
      model: "mlp",
      epochs: 3,
      batchSize: 32,
      lr: 0.1,
      schedule: "constant",
      labelSmoothing: 0,
      seed: 1,
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
    });
    expect(parseOptions(["--batch-size", "16", "--lr", "0.05"])).toMatchObject({
      batchSize: 16,
      lr: 0.05,
    });
    expect(parseOptions(["--schedule", "cosine", "--label-smoothing", "0.1"])).toMatchObject({
      schedule: "cosine",
      labelSmoothing: 0.1,
    });
    expect(parseOptions(["-h"])).toEqual({ help: true });
    expect(() => parseOptions(["--schedule", "step"])).toThrow(/--schedule/);
    expect(() => parseOptions(["--label-smoothing", "1"])).toThrow(/--label-smoothing/);
    expect(() => parseOptions(["--model", "rnn"])).toThrow(/--model must be mlp or cnn/);
    expect(() => parseOptions(["--epochs", "0"])).toThrow(/--epochs must be a positive integer/);
    expect(() => parseOptions(["--batch-size", "2.5"])).toThrow(/--batch-size/);
    expect(() => parseOptions(["--lr", "-1"])).toThrow(/--lr/);
    expect(() => parseOptions(["--bogus"])).toThrow();
  });

  it("trains one epoch and prints the epoch's and the final test accuracy and speed", async () => {
    const lines: string[] = [];
    const r = await main(["--epochs", "1"], {
      log: (s: string) => lines.push(s),
      stream: new PassThrough(),
    });
    expect(lines[0]).toMatch(/mlp, 1 epochs, batch 32, lr 0.1, seed 1/);
    expect(lines.some((l) => /^epoch 1\/1 .*test acc 0\.\d{4} .*samples\/s/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/^final test accuracy 0\.\d{4}; training speed \d+ samples\/s/);
    expect(r.testAccuracy).toBeGreaterThan(0.85);
  }, 60_000);
});
