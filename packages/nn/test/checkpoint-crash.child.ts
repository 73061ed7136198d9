/*
 * The training process that checkpoint-crash.test.ts kills. It resumes from `<dir>/run.ckpt` when
 * there is one, trains with a checkpoint after every step, and writes the final weights to
 * `<dir>/final.bin`. On stdout it prints "S" before and "E" after each checkpoint write, so the
 * test can tell whether a kill landed inside a write. Usage: node child.mjs <dir> [every]
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Adam } from "@edgenn/optim";
import { Rng, setSeed, tensor } from "@edgenn/tensor";
import { crossEntropy, fit as fitModel, Linear, ReLU, Sequential } from "../src/index.js";
import { fileCheckpoint, readCheckpoint } from "../src/node.js";

const dir = process.argv[2]!;
const every = Number(process.argv[3] ?? 1);
const path = join(dir, "run.ckpt");

const N = 320;
const F = 32;
const rng = new Rng(3);
const xs = new Float32Array(N * F);
const ys = new Int32Array(N);
for (let i = 0; i < N; i++) {
  ys[i] = i % 10;
  for (let k = 0; k < F; k++) xs[i * F + k] = (k % 10 === ys[i] ? 1 : 0) + rng.normal() * 0.5;
}
const data = { x: tensor(xs, { shape: [N, F] }), y: tensor(ys) };

setSeed(1);
const model = new Sequential(
  new Linear(F, 192, { seed: 1 }),
  new ReLU(),
  new Linear(192, 192, { seed: 2 }),
  new ReLU(),
  new Linear(192, 10, { seed: 3 }),
);
const file = fileCheckpoint(path, { every });
await fitModel(model, data, {
  epochs: 3,
  batchSize: 16,
  loss: crossEntropy,
  optimizer: new Adam(model.parameters(), { lr: 1e-3 }),
  seed: 5,
  resume: readCheckpoint(path),
  checkpoint: {
    every,
    save(bytes) {
      process.stdout.write("S");
      file.save(bytes);
      process.stdout.write("E");
    },
  },
});
const out = model.parameters().map((p) => new Uint8Array(new Float32Array(p.dataSync()).buffer));
writeFileSync(join(dir, "final.bin"), Buffer.concat(out));
process.stdout.write("D");
