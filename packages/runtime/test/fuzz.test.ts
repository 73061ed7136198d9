/*
 * Hostile input: 5,000 random, truncated and mutated files into loadModel. The only outcomes allowed
 * are a session that runs, a ModelFormatError, or — for a mutation that makes a valid model bigger
 * than the budget every case loads with — OutOfMemoryError "needed X bytes, available Y". Every case
 * must finish in bounded time.
 */
import { ModelFormatError, OutOfMemoryError } from "@edgenn/tensor";
import fc from "fast-check";
import { expect, it } from "vitest";
import { type Graph, loadModel, saveModel } from "../src/index.js";
import { allOps } from "../src/op-sets.js";
import { f32, init, ints, mlp, node } from "./helpers.js";

const BUDGET = 8 << 20;
const CASE_MS = 2000;

/** Small valid models covering every op family (weights kept small so mutations hit the header often). */
const corpus: Uint8Array[] = [
  saveModel({
    inputs: [f32("x", [-1, 6])],
    outputs: [f32("y", [-1, 3])],
    nodes: [
      node("gemm", ["x", "w1", "b1"], "h", { transB: 1 }),
      node("relu", ["h"], "a"),
      node("gemm", ["a", "w2"], "l", { alpha: 0.5 }),
      node("softmax", ["l"], "y", { axis: 1 }),
    ],
    initializers: [init("w1", [4, 6], 1), init("b1", [4], 2), init("w2", [4, 3], 3)],
  }),
  saveModel({
    inputs: [f32("x", [1, 2, 6, 6])],
    outputs: [f32("y", [1, 3])],
    nodes: [
      node("conv2d", ["x", "k", "c"], "h", {
        pads: [1, 1, 1, 1],
        strides: [1, 1],
        dilations: [1, 1],
        group: 1,
      }),
      node("relu", ["h"], "a"),
      node("batchNorm", ["a", "s", "bb", "m", "v"], "n", { epsilon: 1e-5 }),
      node("maxPool2d", ["n"], "p", { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] }),
      node("avgPool2d", ["p"], "q", {
        kernel_shape: [2, 2],
        strides: [1, 1],
        ceil_mode: 1,
        count_include_pad: 1,
      }),
      node("globalAvgPool2d", ["q"], "g"),
      node("flatten", ["g"], "f", { axis: 1 }),
      node("gemm", ["f", "w", "b"], "l", { transB: 1 }),
      node("logSoftmax", ["l"], "y"),
    ],
    initializers: [
      init("k", [4, 2, 3, 3], 4),
      init("c", [4], 5),
      init("s", [4], [1, 1, 1, 1]),
      init("bb", [4], 6),
      init("m", [4], 7),
      init("v", [4], [1, 2, 3, 4]),
      init("w", [3, 4], 8),
      init("b", [3], 9),
    ],
  }),
  saveModel({
    inputs: [f32("a", [2, 3, 4]), f32("b", [4])],
    outputs: [f32("y", [2, 4, 1]), f32("z", [3, 4])],
    nodes: [
      node("add", ["a", "b"], "s"),
      node("mul", ["s", "a"], "m"),
      node("transpose", ["m"], "t", { perm: [0, 2, 1] }),
      node("sum", ["t"], "y", { axes: [2], keepdims: 1 }),
      node("concat", ["a", "m"], "c", { axis: 2 }),
      node("mean", ["c", "ax"], "r", { keepdims: 0 }),
      node("reshape", ["c", "shape"], "rs"),
      node("max", ["rs"], "mx", { axes: [0] }),
      node("matmul", ["mx", "mw"], "mm"),
      node("clip", ["mm"], "cl", { min: -1, max: 1 }),
      node("gelu", ["cl"], "z0"),
      node("reshape", ["z0"], "z", { shape: [3, 4] }),
      node("tanh", ["r"], "unused"),
    ],
    initializers: [ints("ax", [0]), ints("shape", [0, -1, 4]), init("mw", [4, 2], 10)],
  }),
];

/** All [container, key] slots of a JSON value, for structured mutation. */
function slots(
  v: unknown,
  out: [Record<string, unknown> | unknown[], string | number][] = [],
): typeof out {
  if (Array.isArray(v)) {
    v.forEach((e, i) => {
      out.push([v, i]);
      slots(e, out);
    });
  } else if (typeof v === "object" && v !== null) {
    for (const k of Object.keys(v)) {
      out.push([v as Record<string, unknown>, k]);
      slots((v as Record<string, unknown>)[k], out);
    }
  }
  return out;
}

function header(bytes: Uint8Array): { json: Record<string, unknown>; weights: Uint8Array } {
  const hlen = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  return {
    json: JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + hlen))),
    weights: bytes.subarray(Math.ceil((12 + hlen) / 16) * 16),
  };
}

function rebuild(json: unknown, weights: Uint8Array): Uint8Array {
  const text = new TextEncoder().encode(JSON.stringify(json));
  const start = Math.ceil((12 + text.length) / 16) * 16;
  const out = new Uint8Array(start + weights.length);
  out.set([0x45, 0x4e, 0x4e, 0x31]);
  new DataView(out.buffer).setUint32(4, 1, true);
  new DataView(out.buffer).setUint32(8, text.length, true);
  out.set(text, 12);
  out.set(weights, start);
  return out;
}

const pick = fc.integer({ min: 0, max: corpus.length - 1 });
const interesting = fc.constantFrom(
  -1,
  0,
  1,
  2,
  3,
  1.5,
  -0.5,
  16,
  1e9,
  2 ** 31,
  2 ** 53,
  -(2 ** 31),
  "",
  "x",
  null,
  true,
  [],
  {},
  [1, 2],
  [-1],
  [0, 0, 0, 0],
  [1e6, 1e6],
);

const arbFile = fc.oneof(
  // random bytes, bare or behind a valid prelude
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 400 }), fc.uint8Array({ maxLength: 300 }))
      .map(([len, rest]) => {
        const b = new Uint8Array(12 + rest.length);
        b.set([0x45, 0x4e, 0x4e, 0x31, 1, 0, 0, 0]);
        new DataView(b.buffer).setUint32(8, len, true);
        b.set(rest, 12);
        return b;
      }),
  },
  // truncations of valid files
  {
    weight: 2,
    arbitrary: fc
      .tuple(pick, fc.double({ min: 0, max: 1, noNaN: true }))
      .map(([i, f]) => corpus[i]!.slice(0, Math.floor(corpus[i]!.length * f))),
  },
  // 1–8 byte mutations of valid files, mostly in the header
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        pick,
        fc.array(
          fc.tuple(
            fc.double({ min: 0, max: 1, noNaN: true }),
            fc.integer({ min: 0, max: 255 }),
            fc.boolean(),
          ),
          { minLength: 1, maxLength: 8 },
        ),
      )
      .map(([i, muts]) => {
        const b = corpus[i]!.slice();
        const hlen = new DataView(b.buffer).getUint32(8, true);
        for (const [f, v, inHeader] of muts)
          b[inHeader ? 12 + Math.floor(f * hlen) : Math.floor(f * b.length)] = v;
        return b;
      }),
  },
  // structured header JSON mutations: replace, delete or duplicate a value anywhere
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        pick,
        fc.array(
          fc.tuple(
            fc.nat(),
            fc.constantFrom("set", "delete", "dup"),
            fc.oneof(interesting, fc.jsonValue({ maxDepth: 2 })),
          ),
          { minLength: 1, maxLength: 3 },
        ),
      )
      .map(([i, muts]) => {
        const { json, weights } = header(corpus[i]!);
        for (const [at, kind, value] of muts) {
          const all = slots(json);
          const [box, key] = all[at % all.length]!;
          if (kind === "set")
            (box as Record<string | number, unknown>)[key] = structuredClone(value);
          else if (Array.isArray(box)) {
            if (kind === "delete") box.splice(key as number, 1);
            else box.push(structuredClone(box[key as number]));
          } else if (kind === "delete") delete box[key as string];
          else box[`${key}_`] = box[key as string];
        }
        return rebuild(json, weights);
      }),
  },
);

// EDGENN_FUZZ_RUNS: the number of files (5,000 in CI; `pnpm fuzz` runs 200,000)
const RUNS = Number(process.env.EDGENN_FUZZ_RUNS ?? 5000);

it("5,000 hostile files: a working session or ModelFormatError, each in bounded time", {
  timeout: 120_000 * Math.max(1, RUNS / 5000),
}, () => {
  const seen = { ok: 0, format: 0, budget: 0 };
  let slowest = 0;
  const t0 = performance.now();
  fc.assert(
    fc.property(arbFile, (bytes) => {
      const start = performance.now();
      try {
        const s = loadModel(bytes, { maxBytes: BUDGET, ops: allOps });
        const inputs = Object.fromEntries(
          s.inputs.map((v) => [v.name, new Float32Array(v.shape.reduce((a, b) => a * b, 1))]),
        );
        s.run(inputs);
        seen.ok++;
      } catch (e) {
        if (e instanceof ModelFormatError) seen.format++;
        else if (e instanceof OutOfMemoryError && /needed \d+ bytes, available \d+/.test(e.message))
          seen.budget++;
        else throw e;
      }
      const ms = performance.now() - start;
      slowest = Math.max(slowest, ms);
      expect(ms).toBeLessThan(CASE_MS);
    }),
    { numRuns: RUNS },
  );
  const total = performance.now() - t0;
  console.log(
    `fuzz: ${JSON.stringify(seen)}, slowest case ${slowest.toFixed(1)} ms, total ${(total / 1000).toFixed(1)} s`,
  );
  // the corpus itself loads, and mutations produce both outcomes
  expect(seen.ok).toBeGreaterThan(100);
  expect(seen.format).toBeGreaterThan(1000);
});

it("the corpus and the MLP load and run", () => {
  for (const b of [...corpus, saveModel(mlp() as Graph)]) {
    const s = loadModel(b, { maxBytes: BUDGET, ops: allOps });
    expect(s.outputs.length).toBeGreaterThan(0);
  }
});
