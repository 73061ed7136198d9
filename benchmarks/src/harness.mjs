// @ts-check
/**
 * One benchmark.js Suite per workload. Every library is a case of the same suite and the suite
 * holds `rounds` copies of the libraries, in alternating order (A B C, C B A, …), so that slow drift
 * of a shared machine's load falls on all of them alike; the samples of one library's rounds are
 * pooled, and the median time per op is what gets reported.
 *
 * Cases slower than DEFER_MS per op run as deferred benchmarks: benchmark.js runs a synchronous
 * case once more per sample as a "pretest", which doubles the cost of a 5 s tfjs-cpu GEMM; a
 * deferred case has no pretest, and at ≥ 10 ms per op its resolve() overhead (µs) is noise.
 * Asynchronous cases (tfjs-layers `trainOnBatch`) always run deferred: the sample ends when the
 * returned Promise settles.
 */
import Benchmark from "benchmark";
import { LIBS, useLib } from "./libs.mjs";

/** @typedef {import("./libs.mjs").LibName} LibName */

/**
 * @typedef {object} Case
 * @property {LibName} lib
 * @property {() => void | Promise<unknown>} fn - one operation, leaves no live tensor behind; an
 *   asynchronous one (returning a Promise) must set `defer`
 * @property {number} estimateMs - time of one warm call, to pick the deferred mode
 * @property {boolean} [defer] - run deferred whatever the estimate (required for async `fn`)
 */

/**
 * @typedef {object} RunOptions
 * @property {number} rounds - copies of each case in the suite
 * @property {number} minSamples - per round
 * @property {number} maxTime - seconds per round (benchmark.js counts it after minSamples)
 */

/**
 * @typedef {object} LibResult
 * @property {number} medianMs
 * @property {number} minMs
 * @property {number} maxMs
 * @property {number} samples
 * @property {number[]} sampleMs
 * @property {"sync" | "defer"} mode
 * @property {string} [error]
 */

const DEFER_MS = 10;

/**
 * The median of `xs` (not empty).
 * @param {readonly number[]} xs
 * @returns {number}
 */
export function median(xs) {
  const s = Float64Array.from(xs).sort();
  const m = s.length >> 1;
  const hi = s[m] ?? Number.NaN;
  const lo = s[m - 1] ?? Number.NaN;
  return s.length % 2 ? hi : (lo + hi) / 2;
}

/** Collects garbage between cases when node runs with --expose-gc. */
function collectGarbage() {
  const gc = /** @type {{ gc?: () => void }} */ (globalThis).gc;
  if (gc) gc();
}

/**
 * Runs `cases` interleaved in one Suite and returns each library's pooled timing.
 * @param {string} name - the workload's name (for the progress lines)
 * @param {readonly Case[]} cases
 * @param {RunOptions} opts
 * @returns {Promise<Partial<Record<LibName, LibResult>>>}
 */
export async function runSuite(name, cases, opts) {
  const suite = new Benchmark.Suite(name);
  for (let r = 0; r < opts.rounds; r++) {
    const order = r % 2 === 0 ? cases : [...cases].reverse();
    for (const c of order) {
      const defer = c.defer === true || c.estimateMs >= DEFER_MS;
      /** @type {Benchmark.Options} */
      const options = {
        minSamples: opts.minSamples,
        maxTime: opts.maxTime,
        onStart: () => {
          collectGarbage();
          useLib(c.lib);
        },
      };
      if (defer) {
        options.defer = true;
        /** @param {Benchmark.Deferred} d */
        options.fn = (d) => {
          // an error must end the benchmark (benchmark.js aborts a clone whose `error` is set when
          // the cycle completes), not escape from a timer callback
          const fail = (/** @type {unknown} */ e) => {
            d.benchmark.error = e instanceof Error ? e : new Error(String(e));
            d.resolve();
          };
          /** @type {unknown} */
          let r;
          try {
            r = c.fn();
          } catch (e) {
            fail(e);
            return;
          }
          if (r instanceof Promise) r.then(() => d.resolve(), fail);
          else d.resolve();
        };
      } else {
        options.fn = /** @type {() => void} */ (c.fn);
      }
      suite.add(`${c.lib}#${r + 1}`, options);
    }
  }

  /** @type {Map<LibName, { sample: number[], mode: "sync" | "defer", error?: string }>} */
  const pooled = new Map();
  await new Promise((resolve) => {
    suite.on("cycle", (/** @type {Benchmark.Event} */ event) => {
      const b = /** @type {Benchmark & { error?: Error, options: Benchmark.Options }} */ (
        event.target
      );
      const lib = /** @type {LibName} */ (String(b.name).split("#")[0]);
      const entry = pooled.get(lib) ?? { sample: [], mode: b.options.defer ? "defer" : "sync" };
      if (b.error) entry.error = String(b.error.stack ?? b.error);
      else entry.sample.push(...b.stats.sample);
      pooled.set(lib, entry);
      const ms = b.error ? "error" : `${(median(b.stats.sample) * 1e3).toFixed(3)} ms`;
      console.log(`  ${name} ${b.name}: ${ms} (${b.stats.sample.length} samples)`);
    });
    suite.on("complete", resolve);
    suite.run({ async: true });
  });

  /** @type {Partial<Record<LibName, LibResult>>} */
  const out = {};
  for (const lib of LIBS) {
    const entry = pooled.get(lib);
    if (!entry) continue;
    if (entry.error || entry.sample.length === 0) {
      out[lib] = {
        medianMs: Number.NaN,
        minMs: Number.NaN,
        maxMs: Number.NaN,
        samples: 0,
        sampleMs: [],
        mode: entry.mode,
        error: entry.error ?? "no samples",
      };
      continue;
    }
    const ms = entry.sample.map((s) => s * 1e3);
    out[lib] = {
      medianMs: median(ms),
      minMs: Math.min(...ms),
      maxMs: Math.max(...ms),
      samples: ms.length,
      sampleMs: ms.map((x) => Number(x.toPrecision(5))),
      mode: entry.mode,
    };
  }
  return out;
}

/**
 * Calls `fn` once and times it.
 * @template T
 * @param {() => T} fn
 * @returns {[T, number]} the result and the milliseconds it took
 */
export function timed(fn) {
  const t0 = performance.now();
  const result = fn();
  return [result, performance.now() - t0];
}
