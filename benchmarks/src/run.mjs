// @ts-check
/**
 * edgenn vs tfjs-cpu vs tfjs-wasm (and onnxruntime-node for inference), every workload in one run.
 *
 *   node --expose-gc src/run.mjs [--quick] [--only gemm,conv,train,infer,int8] [--sizes 64,128]
 *
 * edgenn is measured through its `dist` build: the root `pnpm bench` builds first; run directly
 * (`pnpm --filter @edgenn/benchmarks bench`), this warns when a package's dist is older than its
 * src. A full run writes `results/latest.json` and `../docs/benchmarks.md`; a run restricted by
 * --only/--sizes writes `results/partial.json` only.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runSuite } from "./harness.mjs";
import { measureBundle, measureRss, runInfer } from "./infer.mjs";
import { runInt8 } from "./int8.mjs";
import { initPeers, liveTensors, versions } from "./libs.mjs";
import { renderMarkdown } from "./report.mjs";
import { prepareTrainCnn, prepareTrainMlp } from "./train.mjs";
import { prepareConv, prepareGemm } from "./workloads.mjs";

/** @typedef {import("./report.mjs").WorkloadResult} WorkloadResult */
/** @typedef {import("./report.mjs").LibEntry} LibEntry */
/** @typedef {import("./libs.mjs").LibName} LibName */

const GEMM_SIZES = [64, 128, 256, 512, 1024];

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    sizes: { type: "string" },
  },
});

/** @type {import("./harness.mjs").RunOptions} */
const options = args.quick
  ? { rounds: 1, minSamples: 3, maxTime: 0.5 }
  : { rounds: 3, minSamples: 2, maxTime: 0.6 };
const WORKLOADS = ["gemm", "conv", "train", "infer", "int8"];
const only = args.only?.split(",") ?? WORKLOADS;
for (const w of only) if (!WORKLOADS.includes(w)) throw new Error(`--only: unknown workload ${w}`);
const sizes = args.sizes?.split(",").map(Number) ?? GEMM_SIZES;
const partial = args.only !== undefined || args.sizes !== undefined;
for (const s of sizes) if (!Number.isInteger(s) || s < 1) throw new Error(`--sizes: bad size ${s}`);

/** @returns {{ gitCommit?: string, gitDirty?: boolean }} */
function gitInfo() {
  try {
    const cwd = fileURLToPath(new URL("..", import.meta.url));
    const git = (/** @type {string[]} */ ...a) =>
      execFileSync("git", a, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    return {
      gitCommit: git("rev-parse", "--short", "HEAD"),
      gitDirty: git("status", "--porcelain") !== "",
    };
  } catch {
    return {};
  }
}

/**
 * Packages whose `dist` is older than their `src` (edgenn is measured through its build, so a stale
 * build measures old code).
 * @returns {string[]}
 */
function staleBuilds() {
  const root = fileURLToPath(new URL("../../packages/", import.meta.url));
  const stale = [];
  for (const pkg of ["tensor", "autograd", "optim", "nn", "edgenn", "runtime", "quant"]) {
    const dist = path.join(root, pkg, "dist", "index.js");
    const src = path.join(root, pkg, "src");
    if (!existsSync(dist)) {
      stale.push(`${pkg} (no dist)`);
      continue;
    }
    const built = statSync(dist).mtimeMs;
    const files = readdirSync(src, { recursive: true, encoding: "utf8" });
    if (files.some((f) => statSync(path.join(src, f)).mtimeMs > built)) stale.push(pkg);
  }
  return stale;
}

/**
 * Prepares (builds inputs, checks agreement), times and disposes one workload.
 * @param {() => import("./workloads.mjs").Prepared | Promise<import("./train.mjs").PreparedTrain>} prepare
 * @returns {Promise<WorkloadResult>}
 */
async function runWorkload(prepare) {
  const before = liveTensors();
  const w = await prepare();
  console.log(`\n${w.title}`);
  for (const c of w.checks) {
    console.log(
      `  check ${c.a} vs ${c.b}: max abs diff ${c.maxAbsDiff.toExponential(2)} (max |value| ${c.maxAbs.toFixed(2)})${c.ok ? "" : "  <-- DISAGREE"}`,
    );
  }
  for (const [lib, why] of Object.entries(w.skipped)) console.log(`  ${lib}: skipped (${why})`);

  const timings = await runSuite(w.id, w.cases, options);
  const train = w.kind === "train" ? w : undefined;
  const sanity = train ? train.sanity() : {};
  w.dispose();
  const after = liveTensors();
  if (after.edgenn !== before.edgenn || after.tfjs !== before.tfjs) {
    console.warn(`  warning: live tensors ${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
  }

  /** @type {Partial<Record<LibName, LibEntry>>} */
  const results = {};
  for (const [lib, r] of Object.entries(timings)) {
    results[/** @type {LibName} */ (lib)] = {
      ...r,
      gflops: w.flops / (r.medianMs * 1e6),
      ...(train ? { samplesPerSecond: (train.batch * 1e3) / r.medianMs } : {}),
    };
  }
  /** @param {LibName} lib */
  const ratio = (lib) => {
    const e = results.edgenn?.medianMs;
    const p = results[lib]?.medianMs;
    return e !== undefined && p !== undefined && Number.isFinite(e / p) ? p / e : null;
  };
  const out = {
    id: w.id,
    kind: w.kind,
    title: w.title,
    params: w.params,
    flops: w.flops,
    checks: w.checks,
    skipped: w.skipped,
    results,
    ratios: { "edgenn/tfjs-cpu": ratio("tfjs-cpu"), "edgenn/tfjs-wasm": ratio("tfjs-wasm") },
    ...(train ? { batch: train.batch, sanity } : {}),
  };
  const summary = Object.entries(results)
    .map(([lib, r]) =>
      r.samplesPerSecond === undefined
        ? `${lib} ${r.medianMs.toPrecision(4)} ms (${r.gflops.toFixed(2)} GFLOP/s)`
        : `${lib} ${r.samplesPerSecond.toFixed(0)} samples/s (${r.medianMs.toPrecision(4)} ms per step)`,
    )
    .join(", ");
  console.log(`  => ${summary}`);
  for (const [lib, s] of Object.entries(sanity)) {
    console.log(
      `  => ${lib} loss over ${s.timedSteps} timed steps: ${s.lossStart.toFixed(4)} -> ${s.lossEnd.toFixed(4)} (means of ${s.window})${s.decreased ? "" : "  <-- DID NOT DECREASE"}`,
    );
  }
  console.log(
    `  => edgenn vs tfjs-cpu ${out.ratios["edgenn/tfjs-cpu"]?.toFixed(2) ?? "—"}×, vs tfjs-wasm ${out.ratios["edgenn/tfjs-wasm"]?.toFixed(2) ?? "—"}× (> 1: edgenn faster)`,
  );
  return out;
}

const t0 = performance.now();
const loadStart = os.loadavg()[0];
const peers = await initPeers();
const cpus = os.cpus();
console.log(
  `edgenn benchmarks (${args.quick ? "quick" : "full"}): ${cpus[0]?.model ?? "unknown CPU"} × ${cpus.length}, Node ${process.version}, load ${loadStart?.toFixed(2)}`,
);
if (typeof (/** @type {{ gc?: unknown }} */ (globalThis).gc) !== "function") {
  console.warn("note: run node with --expose-gc to collect garbage between cases");
}

const stale = staleBuilds();
if (stale.length) {
  console.warn(
    `warning: dist older than src in ${stale.join(", ")}: run \`pnpm build\` at the root first`,
  );
}

/** @type {WorkloadResult[]} */
const workloads = [];
if (only.includes("gemm"))
  for (const n of sizes) workloads.push(await runWorkload(() => prepareGemm(n)));
if (only.includes("conv")) workloads.push(await runWorkload(prepareConv));
if (only.includes("train")) {
  workloads.push(await runWorkload(prepareTrainMlp));
  workloads.push(await runWorkload(prepareTrainCnn));
}
/** @type {import("./report.mjs").Report["runtime"]} */
let runtime;
if (only.includes("infer")) {
  workloads.push(...(await runInfer(options)));
  const rss = measureRss(args.quick ? 3 : 5);
  console.log(
    `  runtime RSS (load + 1,000 inferences): ${rss.runtimeMiB} MiB vs node -e ${rss.plainMiB} MiB: ${rss.overMiB} MiB above (budget 10 MB)`,
  );
  const bundle = await measureBundle();
  console.log(
    `  runtime bundle (${bundle.import}): ${bundle.minBytes} B min, ${bundle.gzipBytes} B gzip (budget ${bundle.limitBytes} B)`,
  );
  runtime = { rss, bundle };
}

// int8 vs float32: GEMM (n = 256, 512; --sizes applies to the gemm workload only) and MLP / CNN
// inference through the runtime, next to onnxruntime-node
if (only.includes("int8")) workloads.push(...(await runInt8(options)));

/** @type {import("./report.mjs").Report} */
const report = {
  date: new Date().toISOString(),
  mode: args.quick ? "quick" : "full",
  options,
  machine: {
    node: process.version,
    v8: process.versions.v8,
    platform: process.platform,
    arch: process.arch,
    cpuModel: cpus[0]?.model ?? "unknown",
    cpuCount: cpus.length,
    totalMemGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    loadStart,
    loadEnd: os.loadavg()[0],
    staleBuilds: stale,
    ...gitInfo(),
  },
  versions: versions(),
  peers,
  durationS: (performance.now() - t0) / 1e3,
  workloads,
  ...(runtime ? { runtime } : {}),
};

const resultsDir = new URL("../results/", import.meta.url);
mkdirSync(resultsDir, { recursive: true });
const jsonFile = new URL(partial ? "partial.json" : "latest.json", resultsDir);
writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
console.log(`\nwrote ${fileURLToPath(jsonFile)}`);
if (!partial) {
  const mdFile = new URL("../../docs/benchmarks.md", import.meta.url);
  writeFileSync(mdFile, renderMarkdown(report));
  console.log(`wrote ${fileURLToPath(mdFile)}`);
}
console.log(`done in ${report.durationS.toFixed(0)} s`);
const failed = workloads.flatMap((w) => [
  ...w.checks.filter((c) => !c.ok).map((c) => `${w.id}: ${c.a} vs ${c.b}`),
  ...Object.entries(w.sanity ?? {})
    .filter(([, s]) => !s.decreased)
    .map(([lib]) => `${w.id}: ${lib} loss did not decrease`),
]);
if (failed.length) {
  console.error(`checks failed: ${failed.join("; ")}`);
  process.exitCode = 1;
}
