/*
 * Hostile input into fromOnnx: random bytes, every truncation of valid models, byte mutations and
 * spliced slices. The only outcomes allowed are a session that runs, a ModelFormatError, or — for a
 * mutation that makes a valid model bigger than the budget every case loads with —
 * OutOfMemoryError "needed X bytes, available Y". Every case must finish in bounded time.
 */
import { ModelFormatError, OutOfMemoryError } from "@edgenn/tensor";
import fc from "fast-check";
import { expect, it } from "vitest";
import type { InputData } from "../src/index.js";
import { fromOnnx } from "../src/onnx.js";
import { randArray } from "./helpers.js";

// EDGENN_FUZZ_RUNS scales the case counts (5,000 = ×1, as CI runs; `pnpm fuzz` runs 200,000 = ×40)
const SCALE = Math.max(1, Math.round(Number(process.env.EDGENN_FUZZ_RUNS ?? 5000) / 5000));

import { float, floatTensor, int64Tensor, model, nd } from "./onnx-encoder.js";

const BUDGET = 8 << 20;
const CASE_MS = 2000;
const ARRAYS = {
  float32: Float32Array,
  int32: Int32Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

/** Small valid models over every mapped op family (weights small so mutations hit structure). */
const corpus: Uint8Array[] = [
  model({
    inputs: [{ name: "x", dims: ["N", 4] }],
    outputs: [{ name: "y", dims: ["N", 3] }],
    inits: [
      floatTensor("w1", [5, 4], randArray(20, 1)),
      floatTensor("b1", [5], randArray(5, 2), false),
      floatTensor("w2", [5, 3], randArray(15, 3)),
    ],
    nodes: [
      nd("Gemm", ["x", "w1", "b1"], "h", { transB: 1 }),
      nd("Relu", ["h"], "a"),
      nd("MatMul", ["a", "w2"], "l"),
      nd("Softmax", ["l"], "y", { axis: -1 }),
    ],
  }),
  model({
    inputs: [{ name: "x", dims: [1, 2, 6, 6] }],
    outputs: [{ name: "y", dims: [1, 3] }],
    inits: [
      floatTensor("k", [2, 2, 3, 3], randArray(36, 4)),
      floatTensor("s", [2], [1, 1]),
      floatTensor("bb", [2], [0, 0.5]),
      floatTensor("m", [2], [0.1, 0]),
      floatTensor("v", [2], [1, 2]),
      floatTensor("w", [3, 8], randArray(24, 5)),
    ],
    nodes: [
      nd("Conv", ["x", "k"], "c", { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }),
      nd("BatchNormalization", ["c", "s", "bb", "m", "v"], "n", { epsilon: float(1e-5) }),
      nd("LeakyRelu", ["n"], "r", { alpha: float(0.1) }),
      {
        op: "MaxPool",
        inputs: ["r"],
        outputs: ["p", ""],
        attrs: { kernel_shape: [3, 3], strides: [3, 3] },
      },
      nd("AveragePool", ["p"], "q", { kernel_shape: [1, 1] }),
      nd("Flatten", ["q"], "f"),
      nd("Gemm", ["f", "w"], "g", { transB: 1, alpha: float(0.5) }),
      nd("LogSoftmax", ["g"], "y"),
    ],
  }),
  model({
    inputs: [
      { name: "a", dims: [2, 3] },
      { name: "b", dims: [2, 3] },
    ],
    outputs: [{ name: "y", dims: [3, 1] }],
    inits: [int64Tensor("shape", [3, -1]), int64Tensor("axes", [1], false)],
    nodes: [
      nd("Constant", [], "c", { value: { tensor: floatTensor("", [3], [1, 2, 3]) } }),
      nd("Constant", [], "lo", { value_float: float(-1) }),
      nd("Add", ["a", "c"], "s"),
      nd("Clip", ["s", "lo"], "cl"),
      nd("Concat", ["cl", "b"], "cat", { axis: 0 }),
      nd("Transpose", ["cat"], "t", { perm: [1, 0] }),
      nd("Reshape", ["t", "shape"], "r"),
      { op: "Dropout", inputs: ["r"], outputs: ["d", "mask"] },
      nd("ReduceMean", ["d"], "m", { axes: [1], keepdims: 1 }),
      nd("Tanh", ["m"], "y"),
    ],
  }),
];

/** fromOnnx on hostile bytes: a running session, a ModelFormatError or an over-budget error. */
function attempt(bytes: Uint8Array): "ok" | "rejected" {
  const t0 = performance.now();
  try {
    const s = fromOnnx(bytes, { maxBytes: BUDGET });
    const ins = Object.fromEntries(
      s.inputs.map((v) => [v.name, new ARRAYS[v.dtype](v.shape.reduce((p, d) => p * d, 1))]),
    ) as Record<string, InputData>;
    s.run(ins);
    return "ok";
  } catch (e) {
    const ok =
      e instanceof ModelFormatError ||
      (e instanceof OutOfMemoryError && /needed \d+ bytes, available \d+/.test(e.message));
    if (!ok) throw e;
    return "rejected";
  } finally {
    expect(performance.now() - t0).toBeLessThan(CASE_MS);
  }
}

it("the corpus imports and runs", () => {
  for (const m of corpus) expect(attempt(m)).toBe("ok");
});

it("random bytes", { timeout: 60_000 * SCALE }, () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (b) => {
      attempt(b);
    }),
    { numRuns: 3000 * SCALE },
  );
});

it("every truncation of every corpus model", () => {
  let n = 0;
  for (const m of corpus) {
    for (let len = 0; len < m.length; len++, n++) {
      expect(attempt(m.subarray(0, len))).toBe("rejected");
    }
  }
  expect(n).toBeGreaterThan(1000);
});

it("mutated bytes: 1–8 bytes overwritten", { timeout: 60_000 * SCALE }, () => {
  const outcomes = { ok: 0, rejected: 0 };
  fc.assert(
    fc.property(
      fc.nat(corpus.length - 1),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 8,
      }),
      (k, edits) => {
        const b = corpus[k]!.slice();
        for (const [at, v] of edits) b[at % b.length] = v;
        outcomes[attempt(b)]++;
      },
    ),
    { numRuns: 5000 * SCALE },
  );
  // both outcomes happen: the mutations reach past the decoder into mapping and planning
  expect(outcomes.ok).toBeGreaterThan(0);
  expect(outcomes.rejected).toBeGreaterThan(0);
});

it("spliced bytes: a slice deleted, duplicated or moved", { timeout: 60_000 * SCALE }, () => {
  fc.assert(
    fc.property(fc.nat(corpus.length - 1), fc.nat(), fc.nat(), fc.nat(), (k, i, j, at) => {
      const m = corpus[k]!;
      const [lo, hi] = [i % m.length, j % m.length].sort((a, b) => a - b) as [number, number];
      const cut = [...m.subarray(0, lo), ...m.subarray(hi)];
      const p = at % (cut.length + 1);
      attempt(Uint8Array.from(cut));
      attempt(Uint8Array.from([...cut.slice(0, p), ...m.subarray(lo, hi), ...cut.slice(p)]));
    }),
    { numRuns: 1500 * SCALE },
  );
});
