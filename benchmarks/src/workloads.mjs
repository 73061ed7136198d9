// @ts-check
/**
 * The workloads. Each `prepare*` builds the same seeded inputs for every library, computes the
 * result once per library (that call also warms the JIT and estimates the time per op), compares
 * the results, and returns one benchmark case per library. A case's `fn` runs one op and disposes
 * what it made, so memory stays flat whatever the number of iterations.
 */
import { compare, nchwToNhwc, oihwToHwio, uniform } from "./data.mjs";
import { timed } from "./harness.mjs";
import { edgenn, LIBS, tf, useLib } from "./libs.mjs";

/** @typedef {import("./libs.mjs").LibName} LibName */
/** @typedef {import("./harness.mjs").Case} Case */

/**
 * @typedef {object} Check
 * @property {string} a - library (or "float64") compared
 * @property {string} b - library it is compared against
 * @property {number} maxAbsDiff - max |a − b| over the compared elements
 * @property {number} maxAbs - max |b|, the scale of the values
 * @property {boolean} ok - maxAbsDiff ≤ TOLERANCE · max(1, maxAbs)
 */

/**
 * @typedef {object} Prepared
 * @property {string} id - e.g. "gemm-256"
 * @property {"gemm" | "conv"} kind
 * @property {string} title
 * @property {Record<string, unknown>} params
 * @property {number} flops - floating-point operations per op (multiply and add counted apart)
 * @property {Case[]} cases
 * @property {Check[]} checks
 * @property {Partial<Record<LibName, string>>} skipped - libraries not run, and why
 * @property {() => void} dispose
 */

/** Relative tolerance of the agreement checks (float32 results, different summation orders). */
export const TOLERANCE = 1e-4;

/**
 * The time of one warm call of `fn`: the checking call (`firstMs`, often slowed by JIT compilation)
 * is followed by a few more calls while they stay cheap (< 100 ms in all); the fastest one counts.
 * @param {() => void} fn
 * @param {number} firstMs
 * @returns {number}
 */
function warmEstimate(fn, firstMs) {
  let best = firstMs;
  let total = firstMs;
  for (let i = 0; i < 5 && total < 100; i++) {
    const [, ms] = timed(fn);
    best = Math.min(best, ms);
    total += ms;
  }
  return best;
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
 * Square float32 GEMM `C = A·B`, `n × n`; 2n³ FLOP.
 * @param {number} n
 * @returns {Prepared}
 */
export function prepareGemm(n) {
  const aData = uniform(n * n, 1000 + n);
  const bData = uniform(n * n, 2000 + n);
  /** @type {Case[]} */
  const cases = [];
  /** @type {Partial<Record<LibName, Float32Array>>} */
  const outputs = {};
  /** @type {(() => void)[]} */
  const disposers = [];

  for (const lib of LIBS) {
    useLib(lib);
    if (lib === "edgenn") {
      const a = edgenn.tensor(aData, { shape: [n, n] });
      const b = edgenn.tensor(bData, { shape: [n, n] });
      disposers.push(() => edgenn.dispose([a, b]));
      const [out, ms] = timed(() => {
        const y = edgenn.matmul(a, b);
        const data = Float32Array.from(/** @type {Float32Array} */ (y.dataSync()));
        y.dispose();
        return data;
      });
      outputs[lib] = out;
      const fn = () => edgenn.matmul(a, b).dispose();
      cases.push({ lib, fn, estimateMs: warmEstimate(fn, ms) });
    } else {
      const a = tf.tensor2d(aData, [n, n]);
      const b = tf.tensor2d(bData, [n, n]);
      disposers.push(() => tf.dispose([a, b]));
      const [out, ms] = timed(() => {
        const y = tf.matMul(a, b);
        const data = Float32Array.from(/** @type {Float32Array} */ (y.dataSync()));
        y.dispose();
        return data;
      });
      outputs[lib] = out;
      const fn = () => tf.matMul(a, b).dispose();
      cases.push({ lib, fn, estimateMs: warmEstimate(fn, ms) });
    }
  }

  // float64 reference on sampled entries, so each library's own error is known too
  const picks = Math.min(256, n * n);
  const ref = new Float64Array(picks);
  const idx = new Int32Array(picks);
  for (let p = 0; p < picks; p++) {
    const flat = Math.floor((((p * 2654435761) % 4294967296) / 4294967296) * n * n);
    const i = Math.floor(flat / n);
    const j = flat % n;
    let s = 0;
    for (let k = 0; k < n; k++)
      s += /** @type {number} */ (aData[i * n + k]) * /** @type {number} */ (bData[k * n + j]);
    ref[p] = s;
    idx[p] = flat;
  }
  /** @type {Check[]} */
  const checks = [];
  for (const lib of LIBS) {
    const out = /** @type {Float32Array} */ (outputs[lib]);
    checks.push(
      check(
        lib,
        "float64",
        Array.from(idx, (f) => /** @type {number} */ (out[f])),
        ref,
      ),
    );
  }
  const e = /** @type {Float32Array} */ (outputs.edgenn);
  checks.push(check("edgenn", "tfjs-cpu", e, /** @type {Float32Array} */ (outputs["tfjs-cpu"])));
  checks.push(check("edgenn", "tfjs-wasm", e, /** @type {Float32Array} */ (outputs["tfjs-wasm"])));

  return {
    id: `gemm-${n}`,
    kind: "gemm",
    title: `GEMM ${n}×${n} float32`,
    params: { n },
    flops: 2 * n ** 3,
    cases,
    checks,
    skipped: {},
    dispose: () => {
      for (const d of disposers) d();
    },
  };
}

/**
 * @typedef {(x: unknown, w: unknown, bias?: unknown, options?: { padding?: unknown }) => import("edgenn").Tensor} Conv2dFn
 */

/** edgenn's conv2d when this build has it (it is being written), else null. */
function edgennConv2d() {
  const f = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (edgenn)).conv2d;
  return typeof f === "function" ? /** @type {Conv2dFn} */ (f) : null;
}

/**
 * The small CNN's feature extractor at batch 32: x [32,1,28,28] → conv 3×3×16 'same' + bias → ReLU
 * → conv 3×3×32 'same' + bias. edgenn runs NCHW with `conv2d` + `relu`; tfjs runs NHWC with
 * `tf.fused.conv2d` (its conv with bias and activation in one kernel, the fastest tfjs path).
 * @returns {Prepared}
 */
export function prepareConv() {
  const [N, H, W, C1, C2] = [32, 28, 28, 16, 32];
  const xData = uniform(N * H * W, 3000, 0, 1); // NCHW with C = 1 is also NHWC
  const w1Shape = /** @type {const} */ ([C1, 1, 3, 3]);
  const w2Shape = /** @type {const} */ ([C2, C1, 3, 3]);
  // uniform ±1/√fanIn keeps activations of order 1
  const w1Data = uniform(C1 * 9, 3001, -1 / 3, 1 / 3);
  const b1Data = uniform(C1, 3002, -0.1, 0.1);
  const w2Data = uniform(C2 * C1 * 9, 3003, -1 / 12, 1 / 12);
  const b2Data = uniform(C2, 3004, -0.1, 0.1);
  const conv2d = edgennConv2d();

  /** @type {Case[]} */
  const cases = [];
  /** @type {Partial<Record<LibName, Float32Array>>} */
  const outputs = {};
  /** @type {Partial<Record<LibName, string>>} */
  const skipped = {};
  /** @type {(() => void)[]} */
  const disposers = [];

  for (const lib of LIBS) {
    useLib(lib);
    if (lib === "edgenn") {
      if (!conv2d) {
        skipped[lib] = "conv2d is not in this edgenn build yet";
        continue;
      }
      const x = edgenn.tensor(xData, { shape: [N, 1, H, W] });
      const w1 = edgenn.tensor(w1Data, { shape: w1Shape });
      const b1 = edgenn.tensor(b1Data, { shape: [C1] });
      const w2 = edgenn.tensor(w2Data, { shape: w2Shape });
      const b2 = edgenn.tensor(b2Data, { shape: [C2] });
      disposers.push(() => edgenn.dispose([x, w1, b1, w2, b2]));
      const forward = () => {
        const h = edgenn.relu(conv2d(x, w1, b1, { padding: "same" }));
        return conv2d(h, w2, b2, { padding: "same" });
      };
      try {
        const [out, ms] = timed(() => {
          const y = edgenn.tidy(forward);
          const data = nchwToNhwc(/** @type {Float32Array} */ (y.dataSync()), [N, C2, H, W]);
          y.dispose();
          return data;
        });
        outputs[lib] = out;
        const fn = () => edgenn.tidy(forward).dispose();
        cases.push({ lib, fn, estimateMs: warmEstimate(fn, ms) });
      } catch (err) {
        skipped[lib] = `conv2d failed: ${err instanceof Error ? err.message : String(err)}`;
      }
    } else {
      const x = tf.tensor4d(xData, [N, H, W, 1]);
      const w1 = tf.tensor4d(oihwToHwio(w1Data, w1Shape), [3, 3, 1, C1]);
      const b1 = tf.tensor1d(b1Data);
      const w2 = tf.tensor4d(oihwToHwio(w2Data, w2Shape), [3, 3, C1, C2]);
      const b2 = tf.tensor1d(b2Data);
      disposers.push(() => tf.dispose([x, w1, b1, w2, b2]));
      const forward = () => {
        const h = tf.fused.conv2d({
          x,
          filter: w1,
          strides: 1,
          pad: "same",
          bias: b1,
          activation: "relu",
        });
        return tf.fused.conv2d({ x: h, filter: w2, strides: 1, pad: "same", bias: b2 });
      };
      const [out, ms] = timed(() => {
        const y = tf.tidy(forward);
        const data = Float32Array.from(/** @type {Float32Array} */ (y.dataSync()));
        y.dispose();
        return data;
      });
      outputs[lib] = out;
      const fn = () => tf.tidy(forward).dispose();
      cases.push({ lib, fn, estimateMs: warmEstimate(fn, ms) });
    }
  }

  const cpu = /** @type {Float32Array} */ (outputs["tfjs-cpu"]);
  const wasm = /** @type {Float32Array} */ (outputs["tfjs-wasm"]);
  /** @type {Check[]} */
  const checks = [];
  if (outputs.edgenn) {
    checks.push(check("edgenn", "tfjs-cpu", outputs.edgenn, cpu));
    checks.push(check("edgenn", "tfjs-wasm", outputs.edgenn, wasm));
  }
  checks.push(check("tfjs-wasm", "tfjs-cpu", wasm, cpu));

  // multiply-adds: N·H·W·outC·inC·kH·kW per conv, 2 FLOP each (bias and ReLU not counted)
  const flops = 2 * N * H * W * 9 * (C1 * 1 + C2 * C1);
  return {
    id: "conv-mnist-b32",
    kind: "conv",
    title: "Conv [32,1,28,28] → 3×3×16 'same' → ReLU → 3×3×32 'same'",
    params: { batch: N, input: [N, 1, H, W], conv1: [C1, 1, 3, 3], conv2: [C2, C1, 3, 3] },
    flops,
    cases,
    checks,
    skipped,
    dispose: () => {
      for (const d of disposers) d();
    },
  };
}
