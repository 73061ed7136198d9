// Writes fixtures/digits.json once: the first test image of the digits 3, 7 and 0 from the
// reproducible MNIST split of examples/mnist-node (loadMnist), with the digit the int8 model predicts
// under Node and the SHA-256 of the model's raw output bytes (10 float32 logits, little-endian).
// smoke.mjs recomputes both under Node, Deno and Bun; the fixture is committed, so this script only
// needs rerunning when the model file changes: `node make-fixture.mjs`.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { loadModel } from "@edgenn/runtime";
import { int8Ops } from "@edgenn/runtime/ops";
import { loadMnist } from "../mnist-node/data.mjs";

const MODEL_URL = new URL("../mnist-node/models/mnist-mlp-int8.edgenn", import.meta.url);
const WANT = [3, 7, 0];
const PIXELS = 784;

/** @param {ArrayBufferView} view @returns {Promise<string>} lowercase hex SHA-256 of its bytes */
async function sha256Hex(view) {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

const { train, test } = loadMnist();
const x = test.x.dataSync();
const y = test.y.dataSync();
const bytes = readFileSync(MODEL_URL);
const session = loadModel(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
  batchSize: 1,
  ops: [int8Ops],
});

const images = [];
for (const digit of WANT) {
  const index = y.indexOf(digit);
  const image = x.subarray(index * PIXELS, (index + 1) * PIXELS);
  // The package stores pixels with three decimals; written that way, they parse back to the same
  // float32 values bit for bit (checked here), and the fixture stays small.
  const pixels = Array.from(image, (v) => Math.round(v * 1000) / 1000);
  const back = new Float32Array(pixels);
  for (let i = 0; i < PIXELS; i++)
    if (back[i] !== image[i]) throw new Error(`make-fixture: pixel ${i} does not round-trip`);
  const out = session.run(back);
  const logits = out.data.slice();
  let predicted = 0;
  for (let k = 1; k < logits.length; k++) if (logits[k] > logits[predicted]) predicted = k;
  images.push({
    testIndex: index,
    label: digit,
    predicted,
    sha256: await sha256Hex(logits),
    pixels,
  });
}
for (const t of [train.x, train.y, test.x, test.y]) t.dispose();

const fixture = {
  description:
    "3 MNIST test images (loadMnist() test split of examples/mnist-node), the int8 model's predicted digit under Node 20 and the SHA-256 of its output bytes (10 float32 logits, little-endian). Written by make-fixture.mjs.",
  model: "examples/mnist-node/models/mnist-mlp-int8.edgenn",
  modelSha256: await sha256Hex(bytes),
  images,
};
const out = fileURLToPath(new URL("./fixtures/digits.json", import.meta.url));
writeFileSync(out, `${JSON.stringify(fixture)}\n`);
// Formatted the way the repository's `biome check` wants it (the pixel rows filled to 100 columns).
const biome = fileURLToPath(
  new URL("../../node_modules/@biomejs/biome/bin/biome", import.meta.url),
);
execFileSync(process.execPath, [biome, "format", "--write", out], { stdio: "ignore" });
console.log(images.map(({ label, predicted, sha256 }) => ({ label, predicted, sha256 })));
