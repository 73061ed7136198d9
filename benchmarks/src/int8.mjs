// @ts-check
/**
 * int8 against float32, in one run (issue 5, item 7):
 *
 * 1. GEMM, n × n (n = 256, 512): y = A·Wᵀ with A [n, n], W [n, n] (the fully-connected layout):
 *    - edgenn TS int8: `linearQ8Int32` on a `prepareLinearQ8` plan (weights packed once), exact
 *      int32 accumulators, input zero point 3;
 *    - edgenn wasm int8: `gemmI8Wasm` (W packed on every call) and `gemmI8WasmPacked` (W packed
 *      once by `packI8Weights`, resident in the wasm memory);
 *    - edgenn float32: the TS `gemm` and `gemmWasm` (transB);
 *    - onnxruntime-node (native, one intra-op thread): MatMulInteger int8×int8 → int32,
 *      QLinearMatMul int8 and uint8 activations × int8 weights (per-column weight scales) → int8,
 *      float MatMul. W is an initializer (ORT pre-packs it); A is fed per call.
 *    edgenn's kernels come from `@edgenn/tensor/kernels` (its dist build, reached through the
 *    `edgenn` package's dependency). GOP/s = 2n³ / time.
 * 2. Inference through `@edgenn/runtime` (`loadModel(bytes, { ops: allOps, batchSize })`, a call is
 *    `session.run(x)`), batch 1 and 64, of an MLP 784-128-64-10 (ReLU, logits out) and a small CNN
 *    (conv 8@3×3 'same' → ReLU → max-pool 2 → flatten → linear 10), seeded weights and biases:
 *    float32 against int8 (`quantizeGraph` with 256 random calibration images in [0, 1],
 *    static, per-channel), next to onnxruntime-node running the same two graphs exported as ONNX:
 *    float (Gemm / Conv) and int8 (QuantizeLinear → QLinearConv → MaxPool (int8) → Flatten →
 *    com.microsoft QGemm → DequantizeLinear: ONNX's QLinearMatMul has no bias input, QGemm is
 *    QLinearMatMul with the int32 bias, as ORT's own quantizer emits it), with int8 activations
 *    ("ORT int8", the same tensors as edgenn's) and with uint8 activations ("ORT u8": zero points
 *    + 128, weights int8; identical results, the form ORT's x86 kernels are fastest at).
 * Checks, before timing: the int32 GEMM results agree exactly; QLinearMatMul's int8 outputs
 * within one int8 step of `@edgenn/quant`'s `referenceLinear`; the runtime's int8 model output
 * equals a reference run of the quantized graph written with `@edgenn/quant`'s reference kernels
 * (exactly), and ORT's int8 output is reported in output steps (ok when ≤ 1); float outputs as the
 * other workloads (1e-4 relative).
 */
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { compare, uniform } from "./data.mjs";
import { median } from "./harness.mjs";
import { edgenn } from "./libs.mjs";
import { f32, i8, onnxModel, T, u8 } from "./onnx-build.mjs";
import { TOLERANCE } from "./workloads.mjs";

/** @typedef {import("./workloads.mjs").Check} Check */
/** @typedef {import("./harness.mjs").RunOptions} RunOptions */
/** @typedef {import("./report.mjs").WorkloadResult} WorkloadResult */

/** A sample lasts at least this long (ms). */
const SAMPLE_MS = 4;

/**
 * A module of one of edgenn's workspace packages (its dist build), resolved from the `edgenn`
 * package, which depends on all of them (this package lists only `edgenn` and the runtime).
 * @param {string} spec - e.g. "@edgenn/tensor/kernels"
 * @returns {Promise<any>}
 */
async function importWorkspace(spec) {
  const require = createRequire(import.meta.url);
  const edgennDir = path.dirname(require.resolve("edgenn/package.json"));
  const fromEdgenn = createRequire(path.join(edgennDir, "package.json"));
  // the require condition resolves to the .cjs file: use its ESM twin (same dist, same instance)
  const cjs = fromEdgenn.resolve(spec);
  return import(pathToFileURL(cjs.replace(/\.cjs$/, ".js")).href);
}

/**
 * @typedef {object} TimedCase
 * @property {string} name
 * @property {() => unknown} run - one op (may return a Promise: ORT)
 * @property {boolean} [async]
 */

/** Collects garbage when node runs with --expose-gc. */
function collectGarbage() {
  const gc = /** @type {{ gc?: () => void }} */ (globalThis).gc;
  if (gc) gc();
}

/**
 * Samples of `c` for about `maxTime` s (at least `minSamples`): each the mean of enough calls to
 * last ≥ SAMPLE_MS.
 * @param {TimedCase} c
 * @param {number} maxTime
 * @param {number} minSamples
 * @returns {Promise<number[]>} ms per call
 */
async function timeCase(c, maxTime, minSamples) {
  collectGarbage();
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) await c.run();
    const ms = performance.now() - t0;
    if (ms >= SAMPLE_MS) break;
    reps *= ms > 0 ? Math.min(10, Math.ceil((1.2 * SAMPLE_MS) / ms)) : 10;
  }
  /** @type {number[]} */
  const samples = [];
  const end = performance.now() + maxTime * 1e3;
  while (samples.length < minSamples || performance.now() < end) {
    const t0 = performance.now();
    if (c.async) for (let i = 0; i < reps; i++) await c.run();
    else for (let i = 0; i < reps; i++) c.run();
    samples.push((performance.now() - t0) / reps);
  }
  return samples;
}

/**
 * Times the cases in interleaved rounds (A B C, C B A, …), pools each case's samples.
 * @param {string} id
 * @param {TimedCase[]} cases
 * @param {RunOptions} opts
 * @param {number} ops - operations per call (for GOP/s)
 * @returns {Promise<Record<string, import("./report.mjs").LibEntry>>}
 */
async function timeAll(id, cases, opts, ops) {
  /** @type {Map<string, number[]>} */
  const pooled = new Map();
  for (let r = 0; r < opts.rounds; r++) {
    for (const c of r % 2 ? [...cases].reverse() : cases) {
      const s = await timeCase(c, opts.maxTime, opts.minSamples);
      pooled.set(c.name, [...(pooled.get(c.name) ?? []), ...s]);
      console.log(`  ${id} ${c.name}#${r + 1}: ${fmt(median(s))} (${s.length} samples)`);
    }
  }
  /** @type {Record<string, import("./report.mjs").LibEntry>} */
  const res = {};
  for (const [name, ms] of pooled) {
    const med = median(ms);
    res[name] = {
      medianMs: med,
      minMs: Math.min(...ms),
      maxMs: Math.max(...ms),
      samples: ms.length,
      sampleMs: ms.map((v) => Number(v.toPrecision(5))),
      mode: cases.find((c) => c.name === name)?.async ? "defer" : "sync",
      gflops: ops / (med * 1e6),
    };
  }
  return res;
}

/** @param {number} ms */
const fmt = (ms) => (ms >= 1 ? `${ms.toFixed(3)} ms` : `${(ms * 1e3).toFixed(1)} µs`);

/**
 * @param {string} a
 * @param {string} b
 * @param {ArrayLike<number>} x
 * @param {ArrayLike<number>} y
 * @param {number} tol - absolute tolerance (scaled by max(1, max |y|) when `relative`)
 * @param {boolean} [relative]
 * @returns {Check}
 */
function check(a, b, x, y, tol, relative = false) {
  const { maxAbsDiff, maxAbs } = compare(x, y);
  return {
    a,
    b,
    maxAbsDiff,
    maxAbs,
    ok: maxAbsDiff <= (relative ? tol * Math.max(1, maxAbs) : tol),
  };
}

/** @param {Check} c */
function printCheck(c) {
  console.log(
    `  check ${c.a} vs ${c.b}: max abs diff ${c.maxAbsDiff.toExponential(2)} (max |value| ${c.maxAbs.toFixed(2)})${c.ok ? "" : "  <-- DISAGREE"}`,
  );
}

/** `n` seeded integers in [lo, hi]. @param {number} n @param {number} seed @param {number} lo @param {number} hi */
function ints(n, seed, lo, hi) {
  return Int8Array.from(uniform(n, seed, 0, 1), (u) =>
    Math.min(hi, lo + Math.floor(u * (hi - lo + 1))),
  );
}

/** An ORT session on one thread. @param {any} ort @param {Uint8Array} bytes */
function ortSession(ort, bytes) {
  return ort.InferenceSession.create(bytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: "sequential",
  });
}

// ---------------------------------------------------------------------------------------------
// GEMM
// ---------------------------------------------------------------------------------------------

/** The GEMM case names, in timing order. */
export const GEMM_CASES = [
  "edgenn TS int8",
  "edgenn wasm int8",
  "edgenn wasm int8 packed",
  "edgenn TS f32",
  "edgenn wasm f32",
  "ORT MatMulInteger s8",
  "ORT QLinearMatMul s8",
  "ORT QLinearMatMul u8",
  "ORT MatMul f32",
];

/**
 * @param {number} n
 * @param {RunOptions} opts
 * @param {any} K - `@edgenn/tensor/kernels`
 * @param {any} Q - `@edgenn/quant`
 * @param {any} ort
 * @returns {Promise<WorkloadResult>}
 */
async function gemmWorkload(n, opts, K, Q, ort) {
  const title = `int8 vs float32 GEMM ${n}×${n}`;
  console.log(`\n${title}`);
  const nn = n * n;
  const AZ = 3;
  const a8 = ints(nn, 7000 + n, -128, 127);
  const w8 = ints(nn, 7100 + n, -127, 127);
  const af = uniform(nn, 1000 + n);
  const wf = uniform(nn, 2000 + n);
  // QLinearMatMul's quantization: per-column weight scales, an output scale that spreads y
  const AS = Math.fround(0.02);
  const ws = Float32Array.from({ length: n }, (_, j) => 0.01 * (1 + (j % 5) / 10));
  const YS = Math.fround((AS * 0.01 * 3 * Math.sqrt(n) * 74 * 74) / 127);
  const YZ = -2;

  // edgenn, int8
  const rq = {
    ...Q.requantMultipliers(AS, ws, YS),
    outZeroPoint: YZ,
    actMin: -128,
    actMax: 127,
  };
  const plan = K.prepareLinearQ8(w8, 0, n, n, null, 0, AZ, rq);
  const yTs = new Int32Array(nn);
  const yW = new Int32Array(nn);
  const yWp = new Int32Array(nn);
  const pw = K.packI8Weights(w8, 0, n, n, n);
  const yF = new Float32Array(nn);
  const yFw = new Float32Array(nn);
  /** @type {TimedCase[]} */
  const cases = [
    { name: "edgenn TS int8", run: () => K.linearQ8Int32(plan, n, a8, 0, AZ, yTs, 0) },
    {
      name: "edgenn wasm int8",
      run: () => K.gemmI8Wasm(n, n, n, a8, 0, n, AZ, w8, 0, n, yW, 0, n),
    },
    {
      name: "edgenn wasm int8 packed",
      run: () => K.gemmI8WasmPacked(n, pw, a8, 0, n, AZ, yWp, 0, n),
    },
    {
      name: "edgenn TS f32",
      run: () => K.gemm(false, true, n, n, n, 1, af, 0, n, wf, 0, n, 0, yF, 0, n),
    },
    {
      name: "edgenn wasm f32",
      run: () => K.gemmWasm(false, true, n, n, n, 1, af, 0, n, wf, 0, n, 0, yFw, 0, n),
    },
  ];

  // ORT: W as the [K, N] initializer (B = Wᵀ)
  const wT8 = new Int8Array(nn);
  const wTf = new Float32Array(nn);
  for (let j = 0; j < n; j++) {
    for (let p = 0; p < n; p++) {
      wT8[p * n + j] = /** @type {number} */ (w8[j * n + p]);
      wTf[p * n + j] = /** @type {number} */ (wf[j * n + p]);
    }
  }
  const a8u = Uint8Array.from(a8, (v) => v + 128);
  /** @param {number} at @param {number} yt @param {import("./onnx-build.mjs").NodeSpec} node @param {any[]} inits */
  const mm = (at, yt, node, inits) =>
    onnxModel({
      nodes: [node],
      inits,
      inputs: [{ name: "a", type: at, dims: [n, n] }],
      outputs: [{ name: "y", type: yt, dims: [n, n] }],
    });
  const qlmm = {
    op: "QLinearMatMul",
    inputs: ["a", "as", "az", "b", "bs", "bz", "ys", "yz"],
    outputs: ["y"],
  };
  const qInits = [i8("b", [n, n], wT8), f32("bs", [n], ws), i8("bz", [n], new Int8Array(n))];
  const ortModels = {
    "ORT MatMulInteger s8": {
      bytes: mm(
        T.INT8,
        T.INT32,
        { op: "MatMulInteger", inputs: ["a", "b", "az"], outputs: ["y"] },
        [i8("b", [n, n], wT8), i8("az", [], [AZ])],
      ),
      feed: new ort.Tensor("int8", a8, [n, n]),
    },
    "ORT QLinearMatMul s8": {
      bytes: mm(T.INT8, T.INT8, qlmm, [
        f32("as", [], [AS]),
        i8("az", [], [AZ]),
        ...qInits,
        f32("ys", [], [YS]),
        i8("yz", [], [YZ]),
      ]),
      feed: new ort.Tensor("int8", a8, [n, n]),
    },
    "ORT QLinearMatMul u8": {
      bytes: mm(T.UINT8, T.UINT8, qlmm, [
        f32("as", [], [AS]),
        u8("az", [], [AZ + 128]),
        ...qInits,
        f32("ys", [], [YS]),
        u8("yz", [], [YZ + 128]),
      ]),
      feed: new ort.Tensor("uint8", a8u, [n, n]),
    },
    "ORT MatMul f32": {
      bytes: mm(T.FLOAT, T.FLOAT, { op: "MatMul", inputs: ["a", "b"], outputs: ["y"] }, [
        f32("b", [n, n], wTf),
      ]),
      feed: new ort.Tensor("float32", af, [n, n]),
    },
  };
  /** @type {any[]} */
  const sessions = [];
  /** @type {Record<string, ArrayLike<number>>} */
  const ortOut = {};
  for (const [name, { bytes, feed }] of Object.entries(ortModels)) {
    const s = await ortSession(ort, bytes);
    sessions.push(s);
    ortOut[name] = (await s.run({ a: feed })).y.data;
    cases.push({ name, async: true, run: () => s.run({ a: feed }) });
  }

  // checks (each case run once: also a warm-up)
  for (const c of cases) await c.run();
  /** @type {Check[]} */
  const checks = [
    check("edgenn wasm int8", "edgenn TS int8 (int32)", yW, yTs, 0),
    check("edgenn wasm int8 packed", "edgenn TS int8 (int32)", yWp, yTs, 0),
    check(
      "ORT MatMulInteger s8",
      "edgenn TS int8 (int32)",
      /** @type {Int32Array} */ (ortOut["ORT MatMulInteger s8"]),
      yTs,
      0,
    ),
  ];
  // the first rows against @edgenn/quant's reference: int32 exactly, int8 within one step
  const rows = Math.min(n, 8);
  const refAcc = Q.referenceLinearAcc(a8.subarray(0, rows * n), AZ, w8, null, rows, n, n);
  const ref8 = Q.referenceLinear(a8.subarray(0, rows * n), AZ, w8, null, rows, n, n, rq);
  checks.push(
    check(
      "edgenn TS int8 (int32)",
      "quant referenceLinearAcc",
      yTs.subarray(0, rows * n),
      refAcc,
      0,
    ),
  );
  const yTs8 = new Int8Array(rows * n);
  K.linearQ8(plan, rows, a8, 0, yTs8, 0);
  checks.push(check("edgenn linearQ8 (int8)", "quant referenceLinear", yTs8, ref8, 0));
  const qs8 = /** @type {Int8Array} */ (ortOut["ORT QLinearMatMul s8"]).subarray(0, rows * n);
  checks.push(check("ORT QLinearMatMul s8", "quant referenceLinear (steps)", qs8, ref8, 1));
  const qu8 = Int8Array.from(
    /** @type {Uint8Array} */ (ortOut["ORT QLinearMatMul u8"]).subarray(0, rows * n),
    (v) => v - 128,
  );
  checks.push(check("ORT QLinearMatMul u8 (−128)", "quant referenceLinear (steps)", qu8, ref8, 1));
  // float: sampled entries against float64, then the others against the TS kernel
  const picks = 256;
  const ref = new Float64Array(picks);
  const got = new Float64Array(picks);
  for (let q = 0; q < picks; q++) {
    const flat = Math.floor((((q * 2654435761) % 4294967296) / 4294967296) * nn);
    const i = Math.floor(flat / n);
    const j = flat % n;
    let s = 0;
    for (let p = 0; p < n; p++)
      s += /** @type {number} */ (af[i * n + p]) * /** @type {number} */ (wf[j * n + p]);
    ref[q] = s;
    got[q] = /** @type {number} */ (yF[flat]);
  }
  checks.push(check("edgenn TS f32", "float64", got, ref, TOLERANCE, true));
  checks.push(check("edgenn wasm f32", "edgenn TS f32", yFw, yF, TOLERANCE, true));
  checks.push(
    check(
      "ORT MatMul f32",
      "edgenn TS f32",
      /** @type {Float32Array} */ (ortOut["ORT MatMul f32"]),
      yF,
      TOLERANCE,
      true,
    ),
  );
  for (const c of checks) printCheck(c);

  const ops = 2 * n ** 3;
  const results = await timeAll(`int8-gemm-${n}`, cases, opts, ops);
  K.releaseWeights(pw);
  for (const s of sessions) await s.release();
  /** @param {string} f @param {string} i */
  const speed = (f, i) => {
    const a = results[f]?.medianMs;
    const b = results[i]?.medianMs;
    return a !== undefined && b !== undefined ? a / b : null;
  };
  const ratios = {
    "TS int8/TS f32": speed("edgenn TS f32", "edgenn TS int8"),
    "wasm int8/wasm f32": speed("edgenn wasm f32", "edgenn wasm int8"),
    "wasm int8 packed/wasm f32": speed("edgenn wasm f32", "edgenn wasm int8 packed"),
    "ORT QLinearMatMul s8/ORT f32": speed("ORT MatMul f32", "ORT QLinearMatMul s8"),
    "ORT MatMulInteger/ORT f32": speed("ORT MatMul f32", "ORT MatMulInteger s8"),
    "edgenn wasm int8 packed/ORT QLinearMatMul s8": speed(
      "ORT QLinearMatMul s8",
      "edgenn wasm int8 packed",
    ),
  };
  console.log(
    `  => ${Object.entries(results)
      .map(([k, r]) => `${k} ${fmt(r.medianMs)} (${r.gflops.toFixed(2)} GOP/s)`)
      .join(", ")}`,
  );
  console.log(
    `  => speed ratios (> 1: the first is faster): ${Object.entries(ratios)
      .map(([k, v]) => `${k} ${v?.toFixed(2) ?? "—"}×`)
      .join(", ")}`,
  );
  return /** @type {WorkloadResult} */ (
    /** @type {unknown} */ ({
      id: `int8-gemm-${n}`,
      kind: "int8",
      title,
      params: { n, ortThreads: 1 },
      flops: ops,
      checks,
      skipped: {},
      results,
      ratios,
    })
  );
}

// ---------------------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------------------

/** @typedef {import("@edgenn/runtime").Graph} Graph */

/** @param {string} name @param {number[]} shape @param {number} seed @param {number} a */
const fInit = (name, shape, seed, a) => ({
  name,
  dtype: /** @type {const} */ ("float32"),
  shape,
  data: uniform(
    shape.reduce((p, d) => p * d, 1),
    seed,
    -a,
    a,
  ),
});

/** The MLP 784-128-64-10 (ReLU hidden layers, logits out), Glorot-uniform weights. @returns {Graph} */
function mlpGraph() {
  const sizes = [784, 128, 64, 10];
  /** @type {Graph["nodes"][number][]} */
  const nodes = [];
  /** @type {Graph["initializers"][number][]} */
  const initializers = [];
  let x = "input";
  for (let l = 0; l < 3; l++) {
    const [inF, outF] = [/** @type {number} */ (sizes[l]), /** @type {number} */ (sizes[l + 1])];
    initializers.push(fInit(`w${l}`, [outF, inF], 8000 + l, Math.sqrt(6 / (inF + outF))));
    initializers.push(fInit(`b${l}`, [outF], 8100 + l, 0.1));
    const h = l < 2 ? `h${l}` : "output";
    nodes.push({ op: "gemm", inputs: [x, `w${l}`, `b${l}`], outputs: [h], attrs: { transB: 1 } });
    if (l < 2) {
      nodes.push({ op: "relu", inputs: [h], outputs: [`a${l}`], attrs: {} });
      x = `a${l}`;
    }
  }
  return {
    inputs: [{ name: "input", dtype: "float32", shape: [-1, 784] }],
    outputs: [{ name: "output", dtype: "float32", shape: [-1, 10] }],
    nodes,
    initializers,
  };
}

/** The small CNN: conv 8@3×3 'same' → ReLU → max-pool 2 → flatten → linear 10. @returns {Graph} */
function cnnGraph() {
  return {
    inputs: [{ name: "input", dtype: "float32", shape: [-1, 1, 28, 28] }],
    outputs: [{ name: "output", dtype: "float32", shape: [-1, 10] }],
    nodes: [
      {
        op: "conv2d",
        inputs: ["input", "cw", "cb"],
        outputs: ["c"],
        attrs: {
          kernel_shape: [3, 3],
          strides: [1, 1],
          pads: [1, 1, 1, 1],
          dilations: [1, 1],
          group: 1,
        },
      },
      { op: "relu", inputs: ["c"], outputs: ["r"], attrs: {} },
      {
        op: "maxPool2d",
        inputs: ["r"],
        outputs: ["p"],
        attrs: {
          kernel_shape: [2, 2],
          strides: [2, 2],
          pads: [0, 0, 0, 0],
          ceil_mode: 0,
          dilations: [1, 1],
        },
      },
      { op: "flatten", inputs: ["p"], outputs: ["f"], attrs: { axis: 1 } },
      { op: "gemm", inputs: ["f", "lw", "lb"], outputs: ["output"], attrs: { transB: 1 } },
    ],
    initializers: [
      fInit("cw", [8, 1, 3, 3], 8200, 1 / 3),
      fInit("cb", [8], 8201, 0.1),
      fInit("lw", [10, 8 * 14 * 14], 8202, Math.sqrt(6 / (8 * 14 * 14 + 10))),
      fInit("lb", [10], 8203, 0.1),
    ],
  };
}

/**
 * The runtime graph (float or quantized) as ONNX: gemm → Gemm, conv2d → Conv, relu → Relu,
 * maxPool2d / qmaxPool2d → MaxPool, flatten → Flatten, quantizeLinear / dequantizeLinear →
 * QuantizeLinear / DequantizeLinear, qlinearConv → QLinearConv, qlinearGemm → com.microsoft QGemm
 * (transB, int32 bias); a fused ReLU whose clamp is not a no-op (output zero point above −128)
 * becomes DequantizeLinear → Relu → QuantizeLinear (the same clamp, exactly).
 * With `u8`, activations are uint8 with zero point + 128 (the same values shifted: identical
 * results), weights stay int8: the u8 × s8 form ORT's x86 kernels are fastest at.
 * @param {Graph} g
 * @param {boolean} [u8acts]
 * @returns {Uint8Array}
 */
function toOnnx(g, u8acts = false) {
  /** @type {import("./onnx-build.mjs").NodeSpec[]} */
  const nodes = [];
  /** @type {import("./onnx-build.mjs").TensorSpec[]} */
  const inits = [];
  for (const t of g.initializers) {
    const type = t.dtype === "int8" ? T.INT8 : t.dtype === "int32" ? T.INT32 : T.FLOAT;
    inits.push({ name: t.name, dims: t.shape, type, data: /** @type {any} */ (t.data) });
  }
  let k = 0;
  /**
   * Quantization parameter initializers: scale(s) and zero point(s), int8 (weights, or every one
   * without `u8acts`) or uint8 (activations with `u8acts`).
   * @param {number | number[]} s @param {number | number[]} z @param {boolean} [weights]
   */
  const qp = (s, z, weights = false) => {
    const id = k++;
    const sv = Array.isArray(s) ? s : [s];
    const zv = Array.isArray(z) ? z : [z];
    const zt = u8acts && !weights ? u8 : i8;
    inits.push(f32(`s${id}`, Array.isArray(s) ? [sv.length] : [], sv));
    inits.push(
      zt(`z${id}`, Array.isArray(z) ? [zv.length] : [], zt === u8 ? zv.map((v) => v + 128) : zv),
    );
    return [`s${id}`, `z${id}`];
  };
  for (const n of g.nodes) {
    const a = /** @type {Record<string, any>} */ (n.attrs ?? {});
    const [x] = n.inputs;
    const [y] = n.outputs;
    const pool = () => ({
      kernel_shape: a.kernel_shape,
      strides: a.strides,
      pads: a.pads,
      ...(a.ceil_mode ? { ceil_mode: a.ceil_mode } : {}),
    });
    const conv = () => ({
      kernel_shape: a.kernel_shape,
      strides: a.strides,
      pads: a.pads,
      dilations: a.dilations,
      group: a.group,
    });
    switch (n.op) {
      case "gemm":
        nodes.push({
          op: "Gemm",
          inputs: n.inputs,
          outputs: n.outputs,
          attrs: { transB: a.transB ?? 0 },
        });
        break;
      case "conv2d":
        nodes.push({ op: "Conv", inputs: n.inputs, outputs: n.outputs, attrs: conv() });
        break;
      case "relu":
        nodes.push({ op: "Relu", inputs: n.inputs, outputs: n.outputs });
        break;
      case "maxPool2d":
      case "qmaxPool2d":
        nodes.push({ op: "MaxPool", inputs: n.inputs, outputs: n.outputs, attrs: pool() });
        break;
      case "flatten":
        nodes.push({
          op: "Flatten",
          inputs: n.inputs,
          outputs: n.outputs,
          attrs: { axis: a.axis ?? 1 },
        });
        break;
      case "quantizeLinear":
      case "dequantizeLinear":
        nodes.push({
          op: n.op === "quantizeLinear" ? "QuantizeLinear" : "DequantizeLinear",
          inputs: [/** @type {string} */ (x), ...qp(a.scale, a.zeroPoint)],
          outputs: n.outputs,
        });
        break;
      case "qlinearGemm":
      case "qlinearConv": {
        const [w, b] = n.inputs.slice(1);
        const xq = qp(a.xScale, a.xZeroPoint);
        const wq = qp(
          a.wScales,
          a.wScales.map(() => 0),
          true,
        );
        const yq = qp(a.yScale, a.yZeroPoint);
        if (a.activation === "relu6") throw new Error(`toOnnx: relu6 not exported (${y})`);
        const clamp = a.activation === "relu" && a.yZeroPoint > -128;
        const out = clamp ? `${y}:preact` : /** @type {string} */ (y);
        if (n.op === "qlinearGemm") {
          nodes.push({
            op: "QGemm",
            domain: "com.microsoft",
            inputs: [
              /** @type {string} */ (x),
              ...xq,
              /** @type {string} */ (w),
              ...wq,
              b ?? "",
              ...yq,
            ],
            outputs: [out],
            attrs: { transB: 1 },
          });
        } else {
          nodes.push({
            op: "QLinearConv",
            inputs: [
              /** @type {string} */ (x),
              ...xq,
              /** @type {string} */ (w),
              ...wq,
              ...yq,
              ...(b ? [b] : []),
            ],
            outputs: [out],
            attrs: conv(),
          });
        }
        if (clamp) {
          nodes.push({ op: "DequantizeLinear", inputs: [out, ...yq], outputs: [`${y}:f`] });
          nodes.push({ op: "Relu", inputs: [`${y}:f`], outputs: [`${y}:r`] });
          nodes.push({
            op: "QuantizeLinear",
            inputs: [`${y}:r`, ...yq],
            outputs: [/** @type {string} */ (y)],
          });
        }
        break;
      }
      default:
        throw new Error(`toOnnx: no ONNX form for ${n.op}`);
    }
  }
  /** @param {Graph["inputs"][number]} v */
  const vi = (v) => ({
    name: v.name,
    type: v.dtype === "int8" ? (u8acts ? T.UINT8 : T.INT8) : T.FLOAT,
    dims: v.shape.map((d) => (d < 0 ? "N" : d)),
  });
  return onnxModel({ nodes, inits, inputs: g.inputs.map(vi), outputs: g.outputs.map(vi) });
}

/**
 * The quantized graph run with `@edgenn/quant`'s reference kernels (plain loops, the spec), for
 * the ops these two models use. Returns the float output.
 * @param {Graph} g
 * @param {Float32Array} x
 * @param {number} batch
 * @param {any} Q
 * @returns {Float32Array}
 */
function referenceRun(g, x, batch, Q) {
  /** @type {Map<string, { data: ArrayLike<number>, shape: number[] }>} */
  const vals = new Map();
  const inShape = [batch, ...(g.inputs[0]?.shape.slice(1) ?? [])];
  vals.set(/** @type {string} */ (g.inputs[0]?.name), { data: x, shape: inShape });
  const init = new Map(g.initializers.map((t) => [t.name, t]));
  for (const n of g.nodes) {
    const a = /** @type {Record<string, any>} */ (n.attrs ?? {});
    const v = /** @type {{ data: ArrayLike<number>, shape: number[] }} */ (
      vals.get(/** @type {string} */ (n.inputs[0]))
    );
    const w = n.inputs[1] === undefined ? undefined : init.get(n.inputs[1]);
    const b = n.inputs[2] === undefined ? null : (init.get(n.inputs[2])?.data ?? null);
    const rqOf = () => {
      const r = Q.activationRange(a.activation, a.yScale, a.yZeroPoint);
      return {
        ...Q.requantMultipliers(a.xScale, a.wScales, a.yScale),
        outZeroPoint: a.yZeroPoint,
        actMin: r.min,
        actMax: r.max,
      };
    };
    /** @type {{ data: ArrayLike<number>, shape: number[] }} */
    let out;
    if (n.op === "quantizeLinear")
      out = { data: Q.quantizeTensor(v.data, a.scale, a.zeroPoint), shape: v.shape };
    else if (n.op === "dequantizeLinear")
      out = { data: Q.dequantizeTensor(v.data, a.scale, a.zeroPoint), shape: v.shape };
    else if (n.op === "flatten") {
      const [b0, ...rest] = v.shape;
      out = { data: v.data, shape: [/** @type {number} */ (b0), rest.reduce((p, d) => p * d, 1)] };
    } else if (n.op === "qlinearGemm" && w) {
      const [outF, inF] = /** @type {[number, number]} */ (w.shape);
      const m = /** @type {number} */ (v.shape[0]);
      out = {
        data: Q.referenceLinear(v.data, a.xZeroPoint, w.data, b, m, outF, inF, rqOf()),
        shape: [m, outF],
      };
    } else if (n.op === "qlinearConv" && w) {
      const [N, C, H, W] = /** @type {number[]} */ (v.shape);
      const [O, , kH, kW] = /** @type {[number, number, number, number]} */ (w.shape);
      const [pt, pl, pb, pr] = a.pads;
      const oh = Math.floor((H + pt + pb - a.dilations[0] * (kH - 1) - 1) / a.strides[0]) + 1;
      const ow = Math.floor((W + pl + pr - a.dilations[1] * (kW - 1) - 1) / a.strides[1]) + 1;
      const d = {
        batch: N,
        inC: C,
        inH: H,
        inW: W,
        outC: O,
        outH: oh,
        outW: ow,
        kernelH: kH,
        kernelW: kW,
      };
      const p = {
        strideH: a.strides[0],
        strideW: a.strides[1],
        padTop: pt,
        padLeft: pl,
        dilationH: a.dilations[0],
        dilationW: a.dilations[1],
        groups: a.group,
      };
      out = {
        data: Q.referenceConv2d(v.data, a.xZeroPoint, w.data, b, d, p, rqOf()),
        shape: [/** @type {number} */ (N), /** @type {number} */ (O), oh, ow],
      };
    } else if (n.op === "qmaxPool2d") {
      const [N, C, H, W] = /** @type {number[]} */ (v.shape);
      const [kH, kW] = a.kernel_shape;
      const oh = Math.floor((H + a.pads[0] + a.pads[2] - kH) / a.strides[0]) + 1;
      const ow = Math.floor((W + a.pads[1] + a.pads[3] - kW) / a.strides[1]) + 1;
      const d = {
        planes: /** @type {number} */ (N) * /** @type {number} */ (C),
        inH: H,
        inW: W,
        outH: oh,
        outW: ow,
      };
      const p = {
        kernelH: kH,
        kernelW: kW,
        strideH: a.strides[0],
        strideW: a.strides[1],
        padTop: a.pads[0],
        padLeft: a.pads[1],
        dilationH: 1,
        dilationW: 1,
        countIncludePad: false,
      };
      out = {
        data: Q.referenceMaxPool2d(v.data, d, p, -128, 127),
        shape: [/** @type {number} */ (N), /** @type {number} */ (C), oh, ow],
      };
    } else throw new Error(`referenceRun: ${n.op} not supported`);
    vals.set(/** @type {string} */ (n.outputs[0]), out);
  }
  return Float32Array.from(
    /** @type {ArrayLike<number>} */ (vals.get(/** @type {string} */ (g.outputs[0]?.name))?.data),
  );
}

/** The model case names, in timing order. */
export const MODEL_CASES = ["edgenn f32", "edgenn int8", "ORT f32", "ORT int8", "ORT u8"];

/**
 * @param {"MLP" | "CNN"} kind
 * @param {RunOptions} opts
 * @param {any} ort
 * @param {any} Q
 * @param {any} allOps
 * @returns {Promise<WorkloadResult[]>}
 */
async function modelWorkloads(kind, opts, ort, Q, allOps) {
  const { loadModel, saveModel } = await import("@edgenn/runtime");
  const g = kind === "MLP" ? mlpGraph() : cnnGraph();
  const sample = kind === "MLP" ? [784] : [1, 28, 28];
  const calibration = uniform(256 * 784, 8300, 0, 1);
  const q = edgenn.quantizeGraph(g, { calibration });
  const fBytes = saveModel(g);
  const qBytes = saveModel(q);
  const onnxF = toOnnx(g);
  const onnxQ = toOnnx(/** @type {Graph} */ (q));
  const name = kind === "MLP" ? "MLP 784-128-64-10" : "CNN conv8@3×3-pool2-fc10";
  const outScale = /** @type {number} */ (
    /** @type {any} */ (q.nodes.find((n) => n.op === "dequantizeLinear")?.attrs)?.scale
  );
  const ortF = await ortSession(ort, onnxF);
  const ortQ = await ortSession(ort, onnxQ);
  const ortU = await ortSession(ort, toOnnx(/** @type {Graph} */ (q), true));
  const flops =
    2 *
    g.initializers
      .filter((t) => t.name.includes("w"))
      .reduce((s, t) => {
        const size = t.shape.reduce((p, d) => p * d, 1);
        return s + (t.shape.length === 2 ? size : size * 28 * 28); // 'same' conv: every output pixel
      }, 0);
  /** @type {WorkloadResult[]} */
  const results = [];
  for (const batch of [1, 64]) {
    const title = `${name} inference, batch ${batch}, float32 vs int8`;
    console.log(`\n${title}`);
    const x = uniform(batch * 784, 8400 + batch, 0, 1);
    const sF = loadModel(fBytes, { ops: allOps, batchSize: batch });
    const sQ = loadModel(qBytes, { ops: allOps, batchSize: batch });
    const feed = { input: new ort.Tensor("float32", x, [batch, ...sample]) };
    /** @type {TimedCase[]} */
    const cases = [
      { name: "edgenn f32", run: () => sF.run(x) },
      { name: "edgenn int8", run: () => sQ.run(x) },
      { name: "ORT f32", async: true, run: () => ortF.run(feed) },
      { name: "ORT int8", async: true, run: () => ortQ.run(feed) },
      { name: "ORT u8", async: true, run: () => ortU.run(feed) },
    ];
    const eF = Float32Array.from(sF.run(x).data);
    const eQ = Float32Array.from(sQ.run(x).data);
    const oF = /** @type {Float32Array} */ ((await ortF.run(feed)).output.data);
    const oQ = /** @type {Float32Array} */ ((await ortQ.run(feed)).output.data);
    const oU = /** @type {Float32Array} */ ((await ortU.run(feed)).output.data);
    const ref = referenceRun(/** @type {Graph} */ (q), x, batch, Q);
    // the outputs are (q − zeroPoint)·scale: back to integer steps (int8 ones, and float's in steps)
    const steps = (/** @type {Float32Array} */ v, round = true) =>
      Float64Array.from(v, (e) => (round ? Math.round(e / outScale) : e / outScale));
    /** @type {Check[]} */
    const checks = [
      check("edgenn f32", "ORT f32", eF, oF, TOLERANCE, true),
      check("edgenn int8 (output steps)", "quant reference kernels", steps(eQ), steps(ref), 0),
      check("edgenn int8 (output steps)", "ORT int8", steps(eQ), steps(oQ), 1),
      check("edgenn int8 (output steps)", "ORT u8", steps(eQ), steps(oU), 1),
      // how far int8 is from float, in output steps (information: not a pass/fail)
      {
        ...check("edgenn int8 (output steps)", "edgenn f32 (info)", steps(eQ), steps(eF, false), 0),
        ok: true,
      },
    ];
    for (const c of checks) printCheck(c);
    const res = await timeAll(`int8-${kind.toLowerCase()}-b${batch}`, cases, opts, batch * flops);
    /** @param {string} f @param {string} i */
    const speed = (f, i) => {
      const a = res[f]?.medianMs;
      const b = res[i]?.medianMs;
      return a !== undefined && b !== undefined ? a / b : null;
    };
    const ratios = {
      "edgenn int8/edgenn f32": speed("edgenn f32", "edgenn int8"),
      "ORT int8/ORT f32": speed("ORT f32", "ORT int8"),
      "ORT u8/ORT f32": speed("ORT f32", "ORT u8"),
      "edgenn int8/ORT int8": speed("ORT int8", "edgenn int8"),
      "edgenn int8/ORT u8": speed("ORT u8", "edgenn int8"),
      "edgenn f32/ORT f32": speed("ORT f32", "edgenn f32"),
    };
    console.log(
      `  => ${MODEL_CASES.map((c) => `${c} ${fmt(res[c]?.medianMs ?? Number.NaN)}`).join(", ")}`,
    );
    console.log(
      `  => speed ratios (> 1: the first is faster): ${Object.entries(ratios)
        .map(([k, v]) => `${k} ${v?.toFixed(2) ?? "—"}×`)
        .join(", ")}`,
    );
    results.push(
      /** @type {WorkloadResult} */ (
        /** @type {unknown} */ ({
          id: `int8-${kind.toLowerCase()}-b${batch}`,
          kind: "int8",
          title,
          params: {
            model: name,
            batch,
            ortThreads: 1,
            fileBytes: { f32: fBytes.length, int8: qBytes.length },
            arenaBytes: { f32: sF.arenaBytes, int8: sQ.arenaBytes },
            int8Ops: [...new Set(q.nodes.map((n) => n.op))],
          },
          flops: batch * flops,
          checks,
          skipped: {},
          results: res,
          ratios,
        })
      ),
    );
  }
  await ortF.release();
  await ortQ.release();
  await ortU.release();
  return results;
}

/**
 * The int8 workloads: GEMM at `sizes`, then the MLP and the CNN at batch 1 and 64.
 * @param {RunOptions} opts
 * @param {number[]} [sizes]
 * @returns {Promise<WorkloadResult[]>}
 */
export async function runInt8(opts, sizes = [256, 512]) {
  const K = await importWorkspace("@edgenn/tensor/kernels");
  const Q = await importWorkspace("@edgenn/quant");
  const { allOps } = await import("@edgenn/runtime/ops");
  const ort = await import("onnxruntime-node");
  console.log(
    `\nint8 workloads (wasm int8 kernels: ${JSON.stringify(K.capabilities?.() ?? "?")}; onnxruntime-node on 1 intra-op thread)`,
  );
  /** @type {WorkloadResult[]} */
  const out = [];
  for (const n of sizes) out.push(await gemmWorkload(n, opts, K, Q, ort));
  out.push(...(await modelWorkloads("MLP", opts, ort, Q, allOps)));
  out.push(...(await modelWorkloads("CNN", opts, ort, Q, allOps)));
  return out;
}
