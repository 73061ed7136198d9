// @ts-check
/**
 * Inference of the MLP 784-128-64-10 (gemm → relu → gemm → relu → gemm → softmax) at batch 1 and
 * batch 64, with the same seeded weights everywhere:
 *  - edgenn: `@edgenn/runtime`, the graph saved as a model file and loaded (`loadModel`); a call is
 *    `session.run(x)` on a Float32Array, its output read in place;
 *  - tfjs-cpu and tfjs-wasm: tf ops in `tidy` (`tf.fused.matMul` with bias and relu, the fastest
 *    tfjs path; weights transposed once to [in, out]: tfjs-wasm 4.22's fused matMul with
 *    `transposeB` and a bias returns wrong values), the input uploaded and the output read back
 *    with `dataSync()` on every call;
 *  - onnxruntime-node: the same model as ONNX bytes (written by the small protobuf writer below),
 *    `InferenceSession` with one intra-op thread, a call is `await session.run({ x: tensor })`.
 * Outputs are compared once before timing (each against a float64 reference). Timing interleaves
 * the libraries round by round (A B C D, D C B A, …); a sample is the mean time of enough calls to
 * last a few ms, and the median sample is reported.
 *
 * Also measured: the peak RSS of a child process that loads the runtime and the model file and
 * runs 1,000 batch-1 inferences, against a child that runs nothing (`node -e`), and the size of
 * `import { loadModel } from '@edgenn/runtime'` bundled as size-limit does (esbuild, minified,
 * gzip level 9).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { loadModel, saveModel } from "@edgenn/runtime";
import { compare, uniform } from "./data.mjs";
import { median } from "./harness.mjs";
import { tf, useLib } from "./libs.mjs";
import { TOLERANCE } from "./workloads.mjs";

/** @typedef {import("./libs.mjs").LibName} LibName */
/** @typedef {import("./harness.mjs").LibResult} LibResult */
/** @typedef {import("./harness.mjs").RunOptions} RunOptions */
/** @typedef {import("./workloads.mjs").Check} Check */
/** @typedef {import("./report.mjs").WorkloadResult} WorkloadResult */

/** The MLP's layer sizes. */
const SIZES = [784, 128, 64, 10];
/** The libraries of this workload, in timing order. @type {LibName[]} */
const INFER_LIBS = ["edgenn", "tfjs-cpu", "tfjs-wasm", "onnxruntime-node"];
/** A sample lasts at least this long (ms): enough calls to swamp the timer's resolution. */
const SAMPLE_MS = 4;
/** The size-limit budget of `import { loadModel }` (bytes, as size-limit reads "12 KB"). */
export const RUNTIME_BUDGET = 12_000;

/**
 * The seeded weights: layer l has W [out, in] (edgenn's and ONNX Gemm's transB layout) and b [out],
 * uniform in ±√(6/(in + out)) (Glorot).
 * @returns {{ w: Float32Array, b: Float32Array, inF: number, outF: number }[]}
 */
function weights() {
  return SIZES.slice(1).map((outF, l) => {
    const inF = /** @type {number} */ (SIZES[l]);
    const a = Math.sqrt(6 / (inF + outF));
    return {
      w: uniform(outF * inF, 5000 + l, -a, a),
      b: uniform(outF, 5100 + l, -0.1, 0.1),
      inF,
      outF,
    };
  });
}

/**
 * The float64 forward pass: relu hidden layers, softmax output.
 * @param {ReturnType<typeof weights>} layers
 * @param {Float32Array} x - [batch, 784]
 * @param {number} batch
 * @returns {Float64Array}
 */
function reference(layers, x, batch) {
  /** @type {ArrayLike<number>} */
  let a = x;
  layers.forEach(({ w, b, inF, outF }, l) => {
    const y = new Float64Array(batch * outF);
    for (let s = 0; s < batch; s++) {
      for (let o = 0; o < outF; o++) {
        let v = /** @type {number} */ (b[o]);
        for (let i = 0; i < inF; i++)
          v += /** @type {number} */ (a[s * inF + i]) * /** @type {number} */ (w[o * inF + i]);
        y[s * outF + o] = l < layers.length - 1 ? Math.max(v, 0) : v;
      }
    }
    a = y;
  });
  const out = Float64Array.from(a);
  for (let s = 0; s < batch; s++) {
    const row = out.subarray(s * 10, s * 10 + 10);
    const m = Math.max(...row);
    let sum = 0;
    for (let i = 0; i < 10; i++) sum += row[i] = Math.exp(/** @type {number} */ (row[i]) - m);
    for (let i = 0; i < 10; i++) row[i] = /** @type {number} */ (row[i]) / sum;
  }
  return out;
}

/**
 * The runtime's graph of the MLP (batch dim −1, fixed at load).
 * @param {ReturnType<typeof weights>} layers
 * @returns {import("@edgenn/runtime").Graph}
 */
function runtimeGraph(layers) {
  /** @type {import("@edgenn/runtime").GraphNode[]} */
  const nodes = [];
  /** @type {import("@edgenn/runtime").Initializer[]} */
  const initializers = [];
  let x = "x";
  layers.forEach(({ w, b, inF, outF }, l) => {
    initializers.push({ name: `w${l}`, dtype: "float32", shape: [outF, inF], data: w });
    initializers.push({ name: `b${l}`, dtype: "float32", shape: [outF], data: b });
    const h = `h${l}`;
    nodes.push({ op: "gemm", inputs: [x, `w${l}`, `b${l}`], outputs: [h], attrs: { transB: 1 } });
    x = l < layers.length - 1 ? `a${l}` : "probs";
    nodes.push({
      op: l < layers.length - 1 ? "relu" : "softmax",
      inputs: [h],
      outputs: [x],
      attrs: {},
    });
  });
  return {
    inputs: [{ name: "x", dtype: "float32", shape: [-1, 784] }],
    outputs: [{ name: "probs", dtype: "float32", shape: [-1, 10] }],
    nodes,
    initializers,
  };
}

/**
 * A minimal protobuf writer: fields appended as tag + varint, or tag + length + bytes.
 */
class Proto {
  /** @type {number[]} */
  bytes = [];
  /** @param {number} v - a non-negative integer below 2^53 */
  varint(v) {
    while (v >= 0x80) {
      this.bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.bytes.push(v);
    return this;
  }
  /** Field `f` as a varint (wire type 0). @param {number} f @param {number} v */
  int(f, v) {
    return this.varint(f * 8).varint(v);
  }
  /** Field `f` as length-delimited bytes (wire type 2). @param {number} f @param {ArrayLike<number>} b */
  raw(f, b) {
    this.varint(f * 8 + 2).varint(b.length);
    for (let i = 0; i < b.length; i++) this.bytes.push(/** @type {number} */ (b[i]));
    return this;
  }
  /** @param {number} f @param {string} s */
  str(f, s) {
    return this.raw(f, new TextEncoder().encode(s));
  }
  /** @param {number} f @param {Proto} m */
  msg(f, m) {
    return this.raw(f, m.bytes);
  }
}

/**
 * The MLP as an ONNX model (IR 8, opset 13): Gemm(transB=1) → Relu → … → Softmax(axis −1), input
 * "x" float [N, 784], output "probs" float [N, 10], weights as raw little-endian float32.
 * @param {ReturnType<typeof weights>} layers
 * @returns {Uint8Array}
 */
function onnxModel(layers) {
  const FLOAT = 1;
  /** ValueInfoProto of a float tensor with a symbolic first dim. @param {string} name @param {number} n */
  const info = (name, n) =>
    new Proto().str(1, name).msg(
      2, // TypeProto.tensor_type
      new Proto().msg(
        1,
        new Proto()
          .int(1, FLOAT)
          .msg(2, new Proto().msg(1, new Proto().str(2, "N")).msg(1, new Proto().int(1, n))),
      ),
    );
  /** NodeProto. @param {string} op @param {string[]} ins @param {string} out @param {Proto[]} attrs */
  const node = (op, ins, out, attrs = []) => {
    const p = new Proto();
    for (const i of ins) p.str(1, i);
    p.str(2, out).str(4, op);
    for (const a of attrs) p.msg(5, a);
    return p;
  };
  const graph = new Proto();
  let x = "x";
  layers.forEach((_, l) => {
    const h = `h${l}`;
    // AttributeProto: name, type INT (2), i
    graph.msg(
      1,
      node("Gemm", [x, `w${l}`, `b${l}`], h, [new Proto().str(1, "transB").int(20, 2).int(3, 1)]),
    );
    x = l < layers.length - 1 ? `a${l}` : "probs";
    graph.msg(1, node(l < layers.length - 1 ? "Relu" : "Softmax", [h], x));
  });
  graph.str(2, "mlp");
  layers.forEach(({ w, b, inF, outF }, l) => {
    for (const [name, data, dims] of /** @type {const} */ ([
      [`w${l}`, w, [outF, inF]],
      [`b${l}`, b, [outF]],
    ])) {
      // TensorProto: dims, data_type, name, raw_data
      const t = new Proto();
      for (const d of dims) t.int(1, d);
      t.int(2, FLOAT)
        .str(8, name)
        .raw(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      graph.msg(5, t);
    }
  });
  graph.msg(11, info("x", 784)).msg(12, info("probs", 10));
  // ModelProto: ir_version, graph, opset_import {domain "", version 13}
  const model = new Proto().int(1, 8).msg(7, graph).msg(8, new Proto().str(1, "").int(2, 13));
  return Uint8Array.from(model.bytes);
}

/**
 * @typedef {object} InferCase
 * @property {LibName} lib
 * @property {() => ArrayLike<number> | Promise<ArrayLike<number>>} run - one inference, returns the
 *   probabilities
 */

/**
 * The four libraries' calls for one batch size.
 * @param {ReturnType<typeof weights>} layers
 * @param {number} batch
 * @param {Float32Array} x
 * @param {Uint8Array} modelFile
 * @param {Uint8Array} onnxBytes
 * @returns {Promise<{ cases: InferCase[], dispose: () => void }>}
 */
async function makeCases(layers, batch, x, modelFile, onnxBytes) {
  /** @type {InferCase[]} */
  const cases = [];
  /** @type {(() => void)[]} */
  const disposers = [];

  const session = loadModel(modelFile, { batchSize: batch });
  cases.push({ lib: "edgenn", run: () => session.run(x).data });

  for (const lib of /** @type {const} */ (["tfjs-cpu", "tfjs-wasm"])) {
    useLib(lib);
    const params = layers.map(({ w, b, inF, outF }) => {
      // Wᵀ [in, out]
      const t = new Float32Array(inF * outF);
      for (let o = 0; o < outF; o++)
        for (let i = 0; i < inF; i++) t[i * outF + o] = /** @type {number} */ (w[o * inF + i]);
      return { w: tf.tensor2d(t, [inF, outF]), b: tf.tensor1d(b) };
    });
    disposers.push(() => tf.dispose(params.flatMap(({ w, b }) => [w, b])));
    const forward = () =>
      tf.tidy(() => {
        /** @type {import("@tensorflow/tfjs-core").Tensor2D} */
        let a = tf.tensor2d(x, [batch, 784]);
        params.forEach(({ w, b }, l) => {
          a = /** @type {import("@tensorflow/tfjs-core").Tensor2D} */ (
            tf.fused.matMul({
              a,
              b: w,
              bias: b,
              activation: l < params.length - 1 ? "relu" : "linear",
            })
          );
        });
        return tf.softmax(a);
      });
    cases.push({
      lib,
      run: () => {
        const y = forward();
        const data = /** @type {Float32Array} */ (y.dataSync());
        y.dispose();
        return data;
      },
    });
  }

  const ort = await import("onnxruntime-node");
  const ortSession = await ort.InferenceSession.create(onnxBytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: "sequential",
  });
  disposers.push(() => void ortSession.release());
  cases.push({
    lib: "onnxruntime-node",
    run: async () => {
      const out = await ortSession.run({ x: new ort.Tensor("float32", x, [batch, 784]) });
      return /** @type {Float32Array} */ (
        /** @type {import("onnxruntime-node").Tensor} */ (out.probs).data
      );
    },
  });
  return {
    cases,
    dispose: () => {
      for (const d of disposers) d();
    },
  };
}

/** Collects garbage between cases when node runs with --expose-gc. */
function collectGarbage() {
  const gc = /** @type {{ gc?: () => void }} */ (globalThis).gc;
  if (gc) gc();
}

/**
 * Times `c` for about `maxTime` seconds (at least `minSamples` samples): each sample is the mean
 * of `reps` calls, `reps` chosen so a sample lasts ≥ SAMPLE_MS.
 * @param {InferCase} c
 * @param {number} maxTime
 * @param {number} minSamples
 * @returns {Promise<number[]>} sample times in ms per call
 */
async function timeCase(c, maxTime, minSamples) {
  collectGarbage();
  useLib(c.lib);
  // calibrate (this also warms the JIT)
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
    if (c.lib === "onnxruntime-node") for (let i = 0; i < reps; i++) await c.run();
    else for (let i = 0; i < reps; i++) c.run();
    samples.push((performance.now() - t0) / reps);
  }
  return samples;
}

/**
 * @param {string} a
 * @param {string} b
 * @param {ArrayLike<number>} x
 * @param {ArrayLike<number>} y
 * @returns {Check}
 */
function check(a, b, x, y) {
  const { maxAbsDiff, maxAbs } = compare(x, y);
  return { a, b, maxAbsDiff, maxAbs, ok: maxAbsDiff <= TOLERANCE * Math.max(1, maxAbs) };
}

/**
 * The inference workloads (batch 1 and 64), each timed across the four libraries.
 * @param {RunOptions} opts
 * @returns {Promise<WorkloadResult[]>}
 */
export async function runInfer(opts) {
  const layers = weights();
  const modelFile = saveModel(runtimeGraph(layers));
  const onnxBytes = onnxModel(layers);
  const flopsPerSample = 2 * layers.reduce((s, { inF, outF }) => s + inF * outF, 0);
  /** @type {WorkloadResult[]} */
  const results = [];
  for (const batch of [1, 64]) {
    const x = uniform(batch * 784, 6000 + batch, 0, 1);
    const { cases, dispose } = await makeCases(layers, batch, x, modelFile, onnxBytes);
    const ref = reference(layers, x, batch);
    const title = `MLP 784-128-64-10 inference, batch ${batch}`;
    console.log(`\n${title}`);
    /** @type {Check[]} */
    const checks = [];
    for (const c of cases) {
      useLib(c.lib);
      checks.push(check(c.lib, "float64", Float32Array.from(await c.run()), ref));
    }
    for (const c of checks) {
      console.log(
        `  check ${c.a} vs ${c.b}: max abs diff ${c.maxAbsDiff.toExponential(2)} (max |value| ${c.maxAbs.toFixed(2)})${c.ok ? "" : "  <-- DISAGREE"}`,
      );
    }
    /** @type {Map<LibName, number[]>} */
    const pooled = new Map();
    for (let r = 0; r < opts.rounds; r++) {
      for (const c of r % 2 ? [...cases].reverse() : cases) {
        const s = await timeCase(c, opts.maxTime, opts.minSamples);
        pooled.set(c.lib, [...(pooled.get(c.lib) ?? []), ...s]);
        console.log(
          `  infer-b${batch} ${c.lib}#${r + 1}: ${(median(s) * 1e3).toFixed(1)} µs (${s.length} samples)`,
        );
      }
    }
    dispose();
    /** @type {Partial<Record<LibName, import("./report.mjs").LibEntry>>} */
    const res = {};
    for (const [lib, ms] of pooled) {
      const med = median(ms);
      res[lib] = {
        medianMs: med,
        minMs: Math.min(...ms),
        maxMs: Math.max(...ms),
        samples: ms.length,
        sampleMs: ms.map((v) => Number(v.toPrecision(5))),
        mode: lib === "onnxruntime-node" ? "defer" : "sync",
        gflops: (batch * flopsPerSample) / (med * 1e6),
      };
    }
    /** @param {LibName} lib */
    const ratio = (lib) => {
      const e = res.edgenn?.medianMs;
      const p = res[lib]?.medianMs;
      return e !== undefined && p !== undefined ? p / e : null;
    };
    const out = {
      id: `infer-b${batch}`,
      kind: /** @type {const} */ ("infer"),
      title,
      params: { batch, sizes: SIZES },
      flops: batch * flopsPerSample,
      checks,
      skipped: {},
      results: res,
      ratios: {
        "edgenn/tfjs-cpu": ratio("tfjs-cpu"),
        "edgenn/tfjs-wasm": ratio("tfjs-wasm"),
        "edgenn/onnxruntime-node": ratio("onnxruntime-node"),
      },
    };
    console.log(
      `  => ${INFER_LIBS.map((l) => `${l} ${((res[l]?.medianMs ?? Number.NaN) * 1e3).toFixed(1)} µs`).join(", ")}`,
    );
    console.log(
      `  => edgenn vs tfjs-cpu ${out.ratios["edgenn/tfjs-cpu"]?.toFixed(2)}×, vs tfjs-wasm ${out.ratios["edgenn/tfjs-wasm"]?.toFixed(2)}×, vs onnxruntime-node ${out.ratios["edgenn/onnxruntime-node"]?.toFixed(2)}× (> 1: edgenn faster)`,
    );
    results.push(out);
  }
  return results;
}

/** This package's directory: children resolve `@edgenn/runtime` from here. */
const HERE = fileURLToPath(new URL("..", import.meta.url));

/**
 * Peak RSS (KiB) that `node --input-type=module -e <code> <args>` reports for itself.
 * @param {string} code
 * @param {string[]} [args]
 * @returns {number}
 */
function childMaxRss(code, args = []) {
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", code, ...args], {
    cwd: HERE,
    encoding: "utf8",
  });
  return JSON.parse(out).maxRSS;
}

/**
 * @typedef {object} RssResult
 * @property {number} runs - children per measurement
 * @property {number} plainMiB - median peak RSS of `node -e` that only reports its own
 * @property {number} runtimeMiB - median peak RSS of load runtime + model + 1,000 inferences
 * @property {number} overMiB - the difference
 * @property {number[]} plainSamplesMiB
 * @property {number[]} runtimeSamplesMiB
 */

/**
 * Peak RSS of a process that imports `@edgenn/runtime`, loads the MLP's model file and runs 1,000
 * batch-1 inferences, against `node -e` that only reports its own (medians of `runs` children,
 * alternating).
 * @param {number} [runs]
 * @returns {RssResult}
 */
export function measureRss(runs = 5) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "edgenn-rss-"));
  const file = path.join(dir, "mlp.enn");
  writeFileSync(file, saveModel(runtimeGraph(weights())));
  // VmHWM (Linux): the peak RSS of this process image only; getrusage's maxRSS also counts the
  // parent's RSS at fork time (kept across exec), so it is only the fallback
  const report = [
    'import { readFileSync as rf } from "node:fs";',
    "let kib = process.resourceUsage().maxRSS;",
    "try {",
    '  kib = Number(/VmHWM:\\s*(\\d+)/.exec(rf("/proc/self/status", "utf8"))[1]);',
    "} catch {}",
    "process.stdout.write(JSON.stringify({ maxRSS: kib }));",
  ].join("\n");
  const run = [
    'import { readFileSync } from "node:fs";',
    'import { loadModel } from "@edgenn/runtime";',
    "const s = loadModel(readFileSync(process.argv[1]));",
    "const x = new Float32Array(784).fill(0.5);",
    "let sum = 0;",
    "for (let i = 0; i < 1000; i++) sum += s.run(x).data[0];",
    "if (!(sum > 0)) throw new Error('bad output');",
    report,
  ].join("\n");
  /** @type {number[]} */
  const plain = [];
  /** @type {number[]} */
  const rt = [];
  try {
    for (let i = 0; i < runs; i++) {
      plain.push(childMaxRss(report) / 1024);
      rt.push(childMaxRss(run, [file]) / 1024);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const round = (/** @type {number} */ v) => Number(v.toFixed(2));
  return {
    runs,
    plainMiB: round(median(plain)),
    runtimeMiB: round(median(rt)),
    overMiB: round(median(rt) - median(plain)),
    plainSamplesMiB: plain.map(round),
    runtimeSamplesMiB: rt.map(round),
  };
}

/**
 * @typedef {object} BundleResult
 * @property {string} import - what is imported
 * @property {number} minBytes
 * @property {number} gzipBytes
 * @property {number} limitBytes
 */

/**
 * `import { loadModel } from '@edgenn/runtime'` (its dist build) bundled as size-limit's esbuild
 * plugin does (bundle, minify, tree-shake) and gzipped at level 9.
 * @returns {Promise<BundleResult>}
 */
export async function measureBundle() {
  const { build } = await import("esbuild");
  const r = await build({
    stdin: {
      contents: 'import { loadModel } from "@edgenn/runtime";\nconsole.log(loadModel);\n',
      resolveDir: HERE,
    },
    bundle: true,
    minify: true,
    treeShaking: true,
    write: false,
    logLevel: "silent",
  });
  const code = /** @type {import("esbuild").OutputFile} */ (r.outputFiles[0]).contents;
  return {
    import: "import { loadModel } from '@edgenn/runtime'",
    minBytes: code.length,
    gzipBytes: gzipSync(code, { level: 9 }).length,
    limitBytes: RUNTIME_BUDGET,
  };
}
