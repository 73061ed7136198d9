/*
 * Steady-state `run` allocates nothing. Two independent measurements over 1,000 runs:
 *  1. Buffer allocations: the global ArrayBuffer/typed-array constructors are wrapped in counting
 *     proxies (the kernels' scratch buffers are created through these global names), so any
 *     `new Float64Array(n)` or `Int32Array.from(...)` on the run path is counted. Exact, no noise.
 *  2. Any allocation at all: after a full GC, the young generation (V8's new space and new
 *     large-object space, where every fresh object, view, closure, array or string goes) grows by
 *     each byte allocated until the next GC; v8.GCProfiler confirms that no GC ran in between, so
 *     the growth, minus that of a zero-run measurement, is what the runs allocated. (The whole heap's
 *     size is not used: optimised code and feedback installed by the JIT land in old/code space
 *     at unpredictable moments and show as tens of KB of noise.) One 16-byte object per run would
 *     show as 16 KB; the limit is 1 KB for all the runs.
 * Both are checked against negative controls that allocate on purpose, so the test can fail.
 * Unoptimised code boxes doubles (heap numbers), so measurement 2 is taken once the JIT has
 * settled: up to five rounds, the last of which must show no growth.
 */
import v8 from "node:v8";
import vm from "node:vm";
import { countBufferAllocations } from "@edgenn/testkit";
import { describe, expect, it } from "vitest";
import type { Graph, Session } from "../src/index.js";
import { simdOps } from "../src/op-sets.js";
import { f32, init, ints, mlp, node, randArray } from "./helpers.js";
import { createSession } from "./sessions.js";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

/** Bytes in V8's young generation (new space and new large-object space). */
function young(): number {
  let b = 0;
  for (const sp of v8.getHeapSpaceStatistics())
    if (sp.space_name.startsWith("new")) b += sp.space_used_size;
  return b;
}

/** Young-generation bytes allocated by `fn` (no GC in between), and the GCs seen. */
function heapGrowth(fn: () => void): { bytes: number; gcs: number } {
  gc();
  gc();
  const profiler = new v8.GCProfiler();
  profiler.start();
  const before = young();
  fn();
  const after = young();
  const gcs = profiler.stop()?.statistics.length ?? 0;
  return { bytes: after - before, gcs };
}

type In = Float32Array | Record<string, Float32Array>;
type Out = Float32Array | Record<string, Float32Array> | undefined;

/** One shared, pre-warmed loop: the measured code is the session's, not a fresh closure's. */
function runMany(s: Session, x: In, out: Out, n: number): void {
  for (let i = 0; i < n; i++) s.run(x, out);
}

const RUNS = 1000;
/** Allowed young-generation growth over all the runs (one 16-byte object per run would be 16 KB). */
const SLACK = 1024;

function models(): [string, Session, In, number][] {
  const cnn: Graph = {
    inputs: [f32("x", [2, 3, 12, 12])],
    outputs: [f32("y", [2, 5])],
    nodes: [
      node("conv2d", ["x", "k1", "c1"], "h1", { pads: [1, 1, 1, 1] }),
      node("relu", ["h1"], "a1"),
      node("batchNorm", ["a1", "s", "b", "m", "v"], "n1"),
      node("conv2d", ["n1", "dw"], "h2", { group: 8, pads: [1, 1, 1, 1] }),
      node("conv2d", ["h2", "pw"], "h3", {}),
      node("maxPool2d", ["h3"], "p1", {
        kernel_shape: [3, 3],
        strides: [2, 2],
        pads: [1, 1, 1, 1],
      }),
      node("avgPool2d", ["p1"], "p2", { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }),
      node("globalAvgPool2d", ["p2"], "g"),
      node("flatten", ["g"], "f"),
      node("gemm", ["f", "w", "wb"], "l", { transB: 1 }),
      node("leakyRelu", ["l"], "lr"),
      node("softmax", ["lr"], "y"),
    ],
    initializers: [
      init("k1", [8, 3, 3, 3], 1),
      init("c1", [8], 2),
      init("s", [8], 3),
      init("b", [8], 4),
      init("m", [8], 5),
      init("v", [8], [1, 1, 1, 1, 2, 2, 2, 2]),
      init("dw", [8, 1, 3, 3], 6),
      init("pw", [6, 8, 1, 1], 7),
      init("w", [5, 6], 8),
      init("wb", [5], 9),
    ],
  };
  const misc: Graph = {
    inputs: [f32("a", [2, 3, 4]), f32("b", [4])],
    outputs: [f32("y", [2, 4, 1]), f32("z", [3, 4])],
    nodes: [
      node("add", ["a", "b"], "s"),
      node("div", ["s", "b"], "d"),
      node("mul", ["d", "a"], "m"),
      node("transpose", ["m"], "t", { perm: [0, 2, 1] }),
      node("sum", ["t"], "y", { axes: [2], keepdims: 1 }),
      node("concat", ["a", "m"], "c", { axis: 2 }),
      node("reshape", ["c", "shape"], "rs"),
      node("max", ["rs"], "mx", { axes: [0] }),
      node("matmul", ["mx", "mw"], "mm"),
      node("matmul", ["bt", "mm"], "bm"),
      node("mean", ["bm", "ax"], "r", { keepdims: 0 }),
      node("clip", ["r"], "cl", { min: -1, max: 1 }),
      node("gelu", ["cl"], "ge"),
      node("sigmoid", ["ge"], "sg"),
      node("tanh", ["sg"], "th"),
      node("elu", ["th"], "el"),
      node("logSoftmax", ["el"], "z", { axis: 0 }),
    ],
    initializers: [
      ints("shape", [0, -1, 4]),
      init("mw", [4, 4], 10),
      init("bt", [3, 1, 6], 11),
      ints("ax", [1]),
    ],
  };
  return [
    ["MLP 784-128-64-10, batch 1", createSession(mlp()), randArray(784, 1), RUNS],
    // the WebAssembly SIMD gemm (weights packed into wasm memory at load)
    [
      "MLP 784-128-64-10, batch 1, simdOps",
      createSession(mlp(), { ops: [simdOps] }),
      randArray(784, 1),
      RUNS,
    ],
    [
      "MLP 784-128-64-10, batch 64, simdOps",
      createSession(mlp(), { batchSize: 64, ops: [simdOps] }),
      randArray(784 * 64, 2),
      30,
    ],
    // 30 runs: one batch-64 run takes milliseconds on a shared core
    [
      "MLP 784-128-64-10, batch 64",
      createSession(mlp(), { batchSize: 64 }),
      randArray(784 * 64, 2),
      30,
    ],
    [
      "CNN (conv, fused relu, batchNorm, depthwise, pointwise, pools, gemm, softmax)",
      createSession(cnn),
      randArray(2 * 3 * 144, 3),
      RUNS,
    ],
    [
      "broadcast arithmetic, transpose, concat, reshape, reductions, batched matmul, activations",
      createSession(misc),
      { a: randArray(24, 4), b: randArray(4, 5) },
      RUNS,
    ],
  ];
}

describe("steady-state run allocates nothing (1,000 runs)", () => {
  for (const [what, s, x, runs] of models()) {
    it(`${what}: ${runs} runs`, { timeout: 60_000 }, () => {
      const out = Object.fromEntries(
        s.outputs.map((o) => [o.name, new Float32Array(o.shape.reduce((a, b) => a * b, 1))]),
      );
      const outArg = s.outputs.length === 1 ? out[s.outputs[0]!.name] : out;
      for (const o of [undefined, outArg]) {
        runMany(s, x, o, runs);
        // unoptimised (interpreted) code boxes doubles as heap numbers, so a measurement that
        // catches the JIT mid-tier-up sees them; steady state is reached within a few rounds
        let extra = Number.POSITIVE_INFINITY;
        for (let round = 0; round < 5 && !(extra < SLACK); round++) {
          const base = heapGrowth(() => runMany(s, x, o, 0));
          const m = heapGrowth(() => runMany(s, x, o, runs));
          extra = m.gcs === 0 ? m.bytes - base.bytes : Number.POSITIVE_INFINITY;
          if (!(extra < SLACK)) runMany(s, x, o, runs);
        }
        expect(extra).toBeLessThan(SLACK);
        // last: swapping the global constructors deoptimises code that reads them
        expect(countBufferAllocations(() => runMany(s, x, o, runs))).toBe(0);
      }
    });
  }

  it("negative controls: both measurements see deliberate allocations", () => {
    const sink: unknown[] = [];
    expect(countBufferAllocations(() => sink.push(new Float64Array(4)))).toBe(1);
    const objects = heapGrowth(() => {
      let o: unknown;
      for (let i = 0; i < RUNS; i++) o = { i, next: o };
      sink.push(o);
    });
    expect(objects.bytes).toBeGreaterThan(16 * RUNS);
    // a session whose input is a Tensor-like: dataSync() makes a copy per run, and that shows
    const s = createSession(mlp());
    const t = { shape: [1, 784], dtype: "float32", dataSync: () => new Float32Array(784) };
    for (let i = 0; i < 20; i++) s.run(t);
    expect(
      heapGrowth(() => {
        for (let i = 0; i < 100; i++) s.run(t);
      }).bytes,
    ).toBeGreaterThan(SLACK);
    const views = heapGrowth(() => {
      const a = new Float32Array(64);
      let acc = 0;
      for (let i = 0; i < RUNS; i++) acc += a.subarray(i % 8, 16)[0]!;
      sink.push(acc);
    });
    expect(views.bytes).toBeGreaterThan(SLACK);
  });
});
