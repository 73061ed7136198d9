// The runtime-matrix smoke test: loads the saved int8 MNIST model with @edgenn/runtime (the built
// dist), runs it on the 3 fixed test images of fixtures/digits.json, and prints one line of JSON:
// the runtime, the predicted digits, the SHA-256 of each output's bytes and whether all of them
// match the fixture (written under Node by make-fixture.mjs). The same file runs unchanged under
//   node smoke.mjs  ·  npx deno run --allow-read smoke.mjs  ·  npx bun smoke.mjs
// It exits 1 on any mismatch. File reading uses node:fs (all three runtimes provide it); the
// library itself imports no Node built-ins.
import { readFileSync } from "node:fs";
import process from "node:process";
import { loadModel } from "@edgenn/runtime";
import { int8Ops } from "@edgenn/runtime/ops";

const MODEL_URL = new URL("../mnist-node/models/mnist-mlp-int8.edgenn", import.meta.url);
const FIXTURE_URL = new URL("./fixtures/digits.json", import.meta.url);
const WARMUP_RUNS = 100;
const TIMED_RUNS = 1000;

/** Which JavaScript runtime this is, and its version. */
function host() {
  const g = /** @type {any} */ (globalThis);
  if (g.Deno)
    return { runtime: "deno", version: g.Deno.version.deno, engine: `v8 ${g.Deno.version.v8}` };
  if (g.Bun) return { runtime: "bun", version: g.Bun.version, engine: "javascriptcore" };
  return { runtime: "node", version: process.versions.node, engine: `v8 ${process.versions.v8}` };
}

/** @param {ArrayBufferView} view @returns {Promise<string>} lowercase hex SHA-256 of its bytes */
async function sha256Hex(view) {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** @param {Float32Array} v @returns {number} index of the largest value (first on ties) */
function argmax(v) {
  let best = 0;
  for (let k = 1; k < v.length; k++) if (v[k] > v[best]) best = k;
  return best;
}

const fixture = JSON.parse(readFileSync(FIXTURE_URL, "utf8"));
const file = readFileSync(MODEL_URL);
const bytes = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
const modelOk = (await sha256Hex(bytes)) === fixture.modelSha256;

let t0 = performance.now();
const session = loadModel(bytes, { batchSize: 1, ops: [int8Ops] });
const loadMs = performance.now() - t0;

const inputs = fixture.images.map(
  (/** @type {{ pixels: number[] }} */ im) => new Float32Array(im.pixels),
);
const results = [];
for (let i = 0; i < inputs.length; i++) {
  const want = fixture.images[i];
  const logits = session.run(inputs[i]).data.slice(); // the Output belongs to the session: copy it
  const predicted = argmax(logits);
  const sha256 = await sha256Hex(logits);
  results.push({
    label: want.label,
    predicted,
    sha256,
    match: predicted === want.predicted && sha256 === want.sha256,
  });
}

for (let r = 0; r < WARMUP_RUNS; r++) session.run(inputs[r % inputs.length]);
t0 = performance.now();
for (let r = 0; r < TIMED_RUNS; r++) session.run(inputs[r % inputs.length]);
const inferUs = ((performance.now() - t0) / TIMED_RUNS) * 1000;

// Not part of `ok`: Math.exp is not specified to the last bit, and engines differ. The hash of e^x
// over 1,000 fixed points shows it; this int8 MLP's kernels never call Math.exp (integer GEMMs,
// correctly rounded float ops), which is why its outputs are bit-identical everywhere.
const expPoints = Float64Array.from({ length: 1000 }, (_, i) => Math.exp(-20 + i * 0.0213));
const mathExpSha256 = (await sha256Hex(expPoints)).slice(0, 16);

const ok = modelOk && results.every((r) => r.match);
console.log(
  JSON.stringify({
    ...host(),
    ok,
    modelOk,
    loadMs: Math.round(loadMs * 100) / 100,
    inferUs: Math.round(inferUs * 10) / 10,
    results,
    mathExpSha256,
  }),
);
if (!ok) process.exitCode = 1;
