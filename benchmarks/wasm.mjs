// @ts-check
/**
 * Square GEMM (n = 64 … 1024) through every CPU kernel set of edgenn, next to tfjs-backend-wasm
 * (XNNPACK, SIMD) in the same process and the same benchmark.js suites:
 *   ts       - the plain TypeScript `gemm` (packages/tensor/src/kernels/gemm.ts)
 *   simd     - `gemmWasm`, emitted SIMD mul+add kernels
 *   relaxed  - `gemmWasm`, emitted relaxed-SIMD FMA kernels (only under the V8 flag below)
 *   int8     - `gemmI8Wasm`, int8 × int8 → exact int32, W packed per call (as the f32 kernels)
 *   int8-res - `gemmI8WasmPacked`, W packed once and resident in the wasm memory (the runtime case)
 *   tfjs-wasm - `tf.matMul` on the tfjs wasm backend (tensors created once, result disposed)
 * Then the conv workload of `pnpm bench` (a [32,1,28,28] batch → 3×3×16 'same' → ReLU → 3×3×32
 * 'same'): the TS `conv2d` kernel, the TS im2col + `gemmWasm` per image, `conv2dWasm` (im2col
 * in wasm, same signature as `conv2d`), and tfjs-wasm's fused conv2d.
 * Each size is one Suite holding ROUNDS copies of the cases in alternating order (A B C, C B A),
 * so a shared machine's drifting load falls on all alike; samples are pooled per case and the
 * median time per op gives GFLOP/s (GOP/s for int8) = 2n³ / time. edgenn runs from its TypeScript
 * source (bundled here by esbuild), so no build is needed.
 *
 *   node --expose-gc --experimental-wasm-relaxed-simd benchmarks/wasm.mjs [--sizes 64,256] [--quick]
 */
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import Benchmark from "benchmark";
import { build } from "esbuild";
import { compare, oihwToHwio, uniform } from "./src/data.mjs";
import { median } from "./src/harness.mjs";
import { initPeers, tf, useLib } from "./src/libs.mjs";

const { values: args } = parseArgs({
  options: {
    sizes: { type: "string" },
    quick: { type: "boolean", default: false },
    conv: { type: "boolean", default: true },
  },
});
const SIZES = args.sizes?.split(",").map(Number) ?? [64, 128, 256, 512, 1024];
const ROUNDS = args.quick ? 1 : 2;
const OPTS = args.quick ? { minSamples: 3, maxTime: 0.3 } : { minSamples: 5, maxTime: 0.8 };
/** Cases slower than this run deferred (no benchmark.js pretest, which doubles a slow case). */
const DEFER_MS = 10;

// edgenn's kernels from source: the plain TS gemm and the wasm host, one bundle
const root = fileURLToPath(new URL("..", import.meta.url));
const tensorSrc = path.join(root, "packages", "tensor", "src");
const bundle = await build({
  stdin: {
    contents: `export { gemm } from "./kernels/gemm.ts"; export { conv2d, im2col } from "./kernels/conv.ts"; export * from "./wasm/index.ts";`,
    resolveDir: tensorSrc,
    loader: "ts",
  },
  bundle: true,
  format: "esm",
  platform: "neutral",
  write: false,
  logLevel: "warning",
});
/** @type {any} */
const K = await import(
  `data:text/javascript;base64,${Buffer.from(bundle.outputFiles[0]?.text ?? "").toString("base64")}`
);

const peers = await initPeers();
useLib("tfjs-wasm");
const relaxed = K.setKernelSet("relaxed-simd").kernels === "relaxed-simd";
const simd = K.setKernelSet("simd").kernels === "simd";

/**
 * @typedef {object} Case
 * @property {string} name
 * @property {() => void} fn
 * @property {() => void} [setup] - before each benchmark of the case (kernel set, tfjs backend)
 */

/**
 * @param {number} n
 * @returns {{ cases: Case[], dispose: () => void, checks: Record<string, number> }}
 */
function prepare(n) {
  const a = uniform(n * n, 1000 + n);
  const b = uniform(n * n, 2000 + n);
  const c = new Float32Array(n * n);
  const qa = Int8Array.from(a, (x) => Math.round(x * 127));
  const qb = Int8Array.from(b, (x) => Math.round(x * 127));
  const qc = new Int32Array(n * n);
  /** @type {Case[]} */
  const cases = [];
  /** @type {Record<string, number>} */
  const checks = {};
  // float64 reference on sampled entries: max |got − want| per case
  /** @type {[number, number][]} */
  const picks = Array.from({ length: 64 }, (_, t) => [(t * 37) % n, (t * 101 + 7) % n]);
  const err = (/** @type {ArrayLike<number>} */ got) => {
    let e = 0;
    for (const [i, j] of picks) {
      let s = 0;
      for (let p = 0; p < n; p++)
        s += /** @type {number} */ (a[i * n + p]) * /** @type {number} */ (b[p * n + j]);
      e = Math.max(e, Math.abs(/** @type {number} */ (got[i * n + j]) - s));
    }
    return e;
  };
  const ts = () => K.gemm(false, false, n, n, n, 1, a, 0, n, b, 0, n, 0, c, 0, n);
  const wasmF32 = () => K.gemmWasm(false, false, n, n, n, 1, a, 0, n, b, 0, n, 0, c, 0, n);
  ts();
  checks.ts = err(c);
  cases.push({ name: "ts", fn: ts });
  for (const [name, set, ok] of /** @type {const} */ ([
    ["simd", "simd", simd],
    ["relaxed", "relaxed-simd", relaxed],
  ])) {
    if (!ok) continue;
    K.setKernelSet(set);
    wasmF32();
    checks[name] = err(c);
    cases.push({ name, fn: wasmF32, setup: () => K.setKernelSet(set) });
  }
  if (simd) {
    K.setKernelSet("simd");
    const int8 = () => K.gemmI8Wasm(n, n, n, qa, 0, n, 0, qb, 0, n, qc, 0, n);
    cases.push({ name: "int8", fn: int8 });
    const pw = K.packI8Weights(qb, 0, n, n, n);
    const res = () => K.gemmI8WasmPacked(n, pw, qa, 0, n, 0, qc, 0, n);
    cases.push({ name: "int8-res", fn: res });
    // exactness against a naive int loop on sampled entries (W is used transposed: W[j, p])
    int8();
    let bad = 0;
    for (const [i, j] of picks) {
      let s = 0;
      for (let p = 0; p < n; p++)
        s += /** @type {number} */ (qa[i * n + p]) * /** @type {number} */ (qb[j * n + p]);
      if (qc[i * n + j] !== s) bad++;
    }
    checks.int8Mismatches = bad;
  }
  const ta = tf.tensor2d(a, [n, n]);
  const tb = tf.tensor2d(b, [n, n]);
  const tfCase = () => tf.matMul(ta, tb).dispose();
  {
    const y = tf.matMul(ta, tb);
    checks["tfjs-wasm"] = err(/** @type {Float32Array} */ (y.dataSync()));
    y.dispose();
  }
  cases.push({ name: "tfjs-wasm", fn: tfCase, setup: () => useLib("tfjs-wasm") });
  return { cases, checks, dispose: () => tf.dispose([ta, tb]) };
}

/**
 * @param {Case[]} cases
 * @returns {Promise<Record<string, number>>} median ms per case
 */
async function runSuite(cases) {
  const suite = new Benchmark.Suite();
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of r % 2 ? [...cases].reverse() : cases) {
      const t0 = performance.now();
      c.setup?.();
      c.fn();
      const slow = performance.now() - t0 >= DEFER_MS;
      /** @type {Benchmark.Options} */
      const o = {
        ...OPTS,
        onStart: () => {
          /** @type {{ gc?: () => void }} */ (globalThis).gc?.();
          c.setup?.();
        },
      };
      if (slow) {
        o.defer = true;
        o.fn = (/** @type {Benchmark.Deferred} */ d) => {
          c.fn();
          d.resolve();
        };
      } else o.fn = c.fn;
      suite.add(`${c.name}#${r}`, o);
    }
  }
  /** @type {Record<string, number[]>} */
  const pooled = {};
  await new Promise((resolve) => {
    suite.on("cycle", (/** @type {Benchmark.Event} */ e) => {
      const bm = /** @type {Benchmark} */ (/** @type {unknown} */ (e.target));
      const name = String(bm.name).split("#")[0] ?? "";
      (pooled[name] ??= []).push(...bm.stats.sample);
    });
    suite.on("complete", resolve);
    suite.run({ async: true });
  });
  /** @type {Record<string, number>} */
  const out = {};
  for (const [name, s] of Object.entries(pooled)) out[name] = median(s) * 1e3;
  return out;
}

console.log(
  `node ${process.version}, ${os.cpus()[0]?.model ?? "?"} × ${os.cpus().length}, load ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
console.log(
  `edgenn wasm: simd ${simd}, relaxed ${relaxed} (${K.setKernelSet("auto").reason}); tfjs-wasm SIMD ${peers.wasmSimd}, threads ${peers.wasmThreads}`,
);
const NAMES = ["ts", "simd", "relaxed", "int8", "int8-res", "tfjs-wasm"];
/** @type {string[]} */
const rows = [];
for (const n of SIZES) {
  const p = prepare(n);
  const ms = await runSuite(p.cases);
  p.dispose();
  const rate = (/** @type {string} */ k) => (ms[k] ? (2 * n ** 3) / (ms[k] * 1e6) : Number.NaN);
  const cells = NAMES.map((k) => (ms[k] ? rate(k).toFixed(1) : "–"));
  const ratio = (/** @type {string} */ x, /** @type {string} */ y) =>
    ms[x] && ms[y] ? (rate(x) / rate(y)).toFixed(2) : "–";
  const line = `| ${n} | ${cells.join(" | ")} | ${ratio("simd", "tfjs-wasm")} | ${ratio("relaxed", "tfjs-wasm")} | ${ratio("int8", "simd")} | ${ratio("int8-res", "simd")} | ${ratio("simd", "ts")} |`;
  rows.push(line);
  console.log(`n=${n} checks (max abs err vs float64; int8 mismatches):`, JSON.stringify(p.checks));
  console.log(line);
}
console.log(
  `\nGFLOP/s (int8: GOP/s), medians; load after: ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
console.log(
  `| n | ${NAMES.join(" | ")} | simd/tfjs-wasm | relaxed/tfjs-wasm | int8/simd | int8-res/simd | simd/ts |`,
);
console.log(`|${"---|".repeat(NAMES.length + 6)}`);
for (const r of rows) console.log(r);

/** The conv workload: TS kernel, im2col + gemmWasm, tfjs-wasm. */
function prepareConv() {
  const [N, H, W, C1, C2] = [32, 28, 28, 16, 32];
  const hw = H * W;
  const x = uniform(N * hw, 3000, 0, 1);
  const w1 = uniform(C1 * 9, 3001, -1 / 3, 1 / 3);
  const b1 = uniform(C1, 3002, -0.1, 0.1);
  const w2 = uniform(C2 * C1 * 9, 3003, -1 / 12, 1 / 12);
  const b2 = uniform(C2, 3004, -0.1, 0.1);
  const p = {
    strideH: 1,
    strideW: 1,
    padTop: 1,
    padLeft: 1,
    dilationH: 1,
    dilationW: 1,
    groups: 1,
  };
  const dims = (/** @type {number} */ inC, /** @type {number} */ outC) => ({
    batch: N,
    inC,
    inH: H,
    inW: W,
    outC,
    outH: H,
    outW: W,
    kernelH: 3,
    kernelW: 3,
  });
  const h = new Float32Array(N * C1 * hw);
  const y = new Float32Array(N * C2 * hw);
  const ts = () => {
    K.conv2d(x, 0, w1, 0, b1, 0, h, 0, dims(1, C1), p, "relu");
    K.conv2d(h, 0, w2, 0, b2, 0, y, 0, dims(C1, C2), p, "none");
  };
  const col = new Float32Array(C1 * 9 * hw);
  /** y[n] = act(W·im2col(x[n]) + bias), per image, through gemmWasm. */
  const layer = (
    /** @type {Float32Array} */ src,
    /** @type {number} */ inC,
    /** @type {Float32Array} */ w,
    /** @type {Float32Array} */ b,
    /** @type {number} */ outC,
    /** @type {Float32Array} */ dst,
    /** @type {boolean} */ relu,
  ) => {
    const k = inC * 9;
    for (let n = 0; n < N; n++) {
      K.im2col(src, n * inC * hw, inC, H, W, 3, 3, H, W, p, col, 0);
      const yo = n * outC * hw;
      K.gemmWasm(false, false, outC, hw, k, 1, w, 0, k, col, 0, hw, 0, dst, yo, hw);
      for (let o = 0; o < outC; o++) {
        const bo = /** @type {number} */ (b[o]);
        for (let j = yo + o * hw, e = j + hw; j < e; j++) {
          const v = /** @type {number} */ (dst[j]) + bo;
          dst[j] = relu && v < 0 ? 0 : v;
        }
      }
    }
  };
  const wasm = () => {
    layer(x, 1, w1, b1, C1, h, true);
    layer(h, C1, w2, b2, C2, y, false);
  };
  const conv = () => {
    K.conv2dWasm(x, 0, w1, 0, b1, 0, h, 0, dims(1, C1), p, "relu");
    K.conv2dWasm(h, 0, w2, 0, b2, 0, y, 0, dims(C1, C2), p, "none");
  };
  ts();
  const want = Float32Array.from(y);
  K.setKernelSet("auto");
  wasm();
  const wasmErr = compare(y, want).maxAbsDiff;
  conv();
  const convErr = compare(y, want).maxAbsDiff;
  const tx = tf.tensor4d(x, [N, H, W, 1]);
  const tw1 = tf.tensor4d(oihwToHwio(w1, [C1, 1, 3, 3]), [3, 3, 1, C1]);
  const tw2 = tf.tensor4d(oihwToHwio(w2, [C2, C1, 3, 3]), [3, 3, C1, C2]);
  const tb1 = tf.tensor1d(b1);
  const tb2 = tf.tensor1d(b2);
  const tfForward = () => {
    const t = tf.fused.conv2d({
      x: tx,
      filter: tw1,
      strides: 1,
      pad: "same",
      bias: tb1,
      activation: "relu",
    });
    return tf.fused.conv2d({ x: t, filter: tw2, strides: 1, pad: "same", bias: tb2 });
  };
  /** @type {Case[]} */
  const cases = [
    { name: "ts", fn: ts },
    { name: "wasm", fn: wasm, setup: () => K.setKernelSet("auto") },
    { name: "conv2dWasm", fn: conv, setup: () => K.setKernelSet("auto") },
    { name: "tfjs-wasm", fn: () => tf.tidy(tfForward).dispose(), setup: () => useLib("tfjs-wasm") },
  ];
  const flops = 2 * N * hw * 9 * (C1 * 1 + C2 * C1);
  return {
    cases,
    flops,
    wasmErr,
    convErr,
    dispose: () => tf.dispose([tx, tw1, tw2, tb1, tb2]),
  };
}

if (args.conv) {
  const c = prepareConv();
  const ms = await runSuite(c.cases);
  c.dispose();
  const at = (/** @type {string} */ k) => ms[k] ?? Number.NaN;
  const g = (/** @type {string} */ k) => (c.flops / (at(k) * 1e6)).toFixed(2);
  console.log(
    `\nconv workload (${(c.flops / 1e6).toFixed(0)} MFLOP; max |wasm − ts| = ${c.wasmErr.toExponential(2)}, conv2dWasm ${c.convErr.toExponential(2)}), median ms (GFLOP/s):`,
  );
  console.log(
    "| ts conv2d | im2col + gemmWasm | conv2dWasm | tfjs-wasm | gemmWasm/tfjs-wasm | conv2dWasm/tfjs-wasm | conv2dWasm/ts |\n|---|---|---|---|---|---|---|",
  );
  const cell = (/** @type {string} */ k) => `${ms[k]?.toFixed(2)} (${g(k)})`;
  const r = (/** @type {string} */ a, /** @type {string} */ b) => (at(b) / at(a)).toFixed(2);
  console.log(
    `| ${cell("ts")} | ${cell("wasm")} | ${cell("conv2dWasm")} | ${cell("tfjs-wasm")} | ${r("wasm", "tfjs-wasm")} | ${r("conv2dWasm", "tfjs-wasm")} | ${r("conv2dWasm", "ts")} |`,
  );
}
