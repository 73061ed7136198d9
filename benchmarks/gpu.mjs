// @ts-check
/**
 * The GPU.js backend next to the CPU backend in the same run: first-call (kernel compile + run) and
 * steady-state times of square matmul n = 256, 512, 1024, 2048 and of an MLP training step
 * (784 → 128 ReLU → 10, SGD, mean cross-entropy on one-hot float targets), each without reading the
 * result back (it stays on the device) and with a readback (`dataSync` / `item`).
 *
 *   EDGENN_GPU_MODE=webasm node benchmarks/gpu.mjs [--sizes 256,512] [--batch 32,256] [--budget 10] [--json]
 *
 * EDGENN_GPU_MODE is a synchronous gpu.js mode: webasm (default), cpu, headlessgl (needs the `gl`
 * package built and an X display, e.g. `xvfb-run -a`), webgl2/webgl (browsers only). Steady state is
 * the median of up to 5 runs, fewer when one run takes more than `--budget`/5 seconds. In the GL
 * modes a kernel call may return before the GPU has finished: the "no readback" figures then time
 * the submission only, and the readback figures include the wait. edgenn runs from its TypeScript
 * source (bundled here by esbuild), so no build is needed; gpu.js comes from the backend package's
 * dev dependencies. Installs nothing and reaches no network.
 */
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const { values: args } = parseArgs({
  options: {
    sizes: { type: "string" },
    batch: { type: "string" },
    budget: { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const MODE = process.env.EDGENN_GPU_MODE ?? "webasm";
const SIZES = args.sizes?.split(",").map(Number) ?? [256, 512, 1024, 2048];
const BATCHES = args.batch?.split(",").map(Number) ?? [32, 256];
const BUDGET_MS = Number(args.budget ?? 10) * 1000;

const root = fileURLToPath(new URL("..", import.meta.url));
const src = (/** @type {string} */ p) =>
  JSON.stringify(path.join(root, "packages", p, "src", "index.ts"));
const bundle = await build({
  stdin: {
    contents: [
      `export * from ${src("tensor")};`,
      `export { valueAndGrad } from ${src("autograd")};`,
      `export * as nn from ${src("nn")};`,
      `export * as optim from ${src("optim")};`,
      `export { createGpuJsBackend } from ${src("backend-gpujs")};`,
    ].join("\n"),
    resolveDir: root,
    loader: "ts",
  },
  bundle: true,
  format: "esm",
  platform: "neutral",
  conditions: ["@edgenn/source"],
  mainFields: ["module", "main"],
  write: false,
  logLevel: "warning",
});
/** @type {any} */
const E = await import(
  `data:text/javascript;base64,${Buffer.from(bundle.outputFiles[0]?.text ?? "").toString("base64")}`
);
const { GPU } = createRequire(path.join(root, "packages", "backend-gpujs", "package.json"))(
  "gpu.js",
);

/** @param {() => void} fn */
function time(fn) {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

/** @param {number[]} xs */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

/** Runs `fn` up to 5 times within the budget (at least once); the median ms. @param {() => void} fn @param {number} guess */
function steady(fn, guess) {
  const reps = Math.max(1, Math.min(5, Math.floor(BUDGET_MS / 2 / Math.max(guess, 1))));
  return median(Array.from({ length: reps }, () => time(fn)));
}

/** @param {number} n @param {number} seed */
function uniform(n, seed) {
  let s = seed >>> 0;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 4294967296 - 0.5;
  }
  return a;
}

/** @param {any} backend @param {number} n */
function benchMatmul(backend, n) {
  E.setBackend(backend);
  const a = E.tensor(uniform(n * n, n), { shape: [n, n] });
  const b = E.tensor(uniform(n * n, n + 1), { shape: [n, n] });
  const first = time(() => E.matmul(a, b).dispose());
  const noRead = steady(() => E.matmul(a, b).dispose(), first);
  const read = steady(() => {
    const c = E.matmul(a, b);
    c.dataSync();
    c.dispose();
  }, noRead);
  E.dispose([a, b]);
  return { first, steady: noRead, steadyReadback: read };
}

/** @param {any} backend @param {number} batch */
function benchStep(backend, batch) {
  E.setBackend(backend);
  const model = new E.nn.Sequential(
    new E.nn.Linear(784, 128, { seed: 1 }),
    new E.nn.ReLU(),
    new E.nn.Linear(128, 10, { seed: 2 }),
  );
  const opt = new E.optim.SGD(model.parameters(), { lr: 0.05 });
  const x = E.tensor(
    uniform(batch * 784, 7).map((v) => v + 0.5),
    { shape: [batch, 784] },
  );
  const hot = new Float32Array(batch * 10);
  for (let i = 0; i < batch; i++) hot[i * 10 + (i % 10)] = 1;
  const t = E.tensor(hot, { shape: [batch, 10] });
  const step = () =>
    E.tidy(() => {
      const { value, grads } = E.valueAndGrad(
        () => E.nn.crossEntropy(model.forward(x), t),
        model.parameters(),
      );
      opt.step(grads);
      return value;
    });
  const first = time(() => step().dispose());
  const before = backend.transfers?.();
  const noRead = steady(() => step().dispose(), first);
  const after = backend.transfers?.();
  const read = steady(() => {
    const l = step();
    l.item();
    l.dispose();
  }, noRead);
  model.dispose();
  opt.dispose();
  E.dispose([x, t]);
  return {
    first,
    steady: noRead,
    steadyReadback: read,
    readbacksInSteadySteps: after ? after.readbacks - before.readbacks : 0,
  };
}

const gpu = new GPU({ mode: MODE });
const backends = {
  cpu: new E.CpuBackend(),
  [`gpujs-${MODE}`]: E.createGpuJsBackend({ gpu, name: `gpujs-${MODE}` }),
};
const info = {
  mode: MODE,
  gpujsMode: gpu.mode,
  node: process.version,
  cpu: os.cpus()[0]?.model,
  cores: os.cpus().length,
  loadavg: os.loadavg().map((l) => +l.toFixed(2)),
  date: new Date().toISOString(),
};
console.log(`# edgenn GPU.js backend benchmark (${JSON.stringify(info)})`);
console.log(
  "\n| case | backend | first call ms | steady ms (no readback) | steady ms (with readback) |",
);
console.log("|---|---|---|---|---|");
/** @type {Record<string, unknown>[]} */
const rows = [];
const fmt = (/** @type {number} */ v) => (v >= 100 ? v.toFixed(0) : v.toFixed(2));
for (const n of SIZES) {
  for (const [name, backend] of Object.entries(backends)) {
    const r = benchMatmul(backend, n);
    rows.push({ case: `matmul ${n}`, backend: name, ...r });
    console.log(
      `| matmul ${n} | ${name} | ${fmt(r.first)} | ${fmt(r.steady)} | ${fmt(r.steadyReadback)} |`,
    );
  }
}
for (const b of BATCHES) {
  for (const [name, backend] of Object.entries(backends)) {
    const r = benchStep(backend, b);
    rows.push({ case: `MLP step b=${b}`, backend: name, ...r });
    console.log(
      `| MLP step 784-128-10, batch ${b} | ${name} | ${fmt(r.first)} | ${fmt(r.steady)} | ${fmt(r.steadyReadback)} |`,
    );
  }
}
const g = backends[`gpujs-${MODE}`];
console.log(`\ngpujs transfers: ${JSON.stringify(g.transfers())}`);
if (args.json) console.log(JSON.stringify({ info, rows }, null, 2));
g.dispose();
