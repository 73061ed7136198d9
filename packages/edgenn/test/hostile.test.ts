/*
 * Hostile input to every public function (issue 7, item 3). Every exported function and class of
 * `edgenn` (with its `nn` and `optim` namespaces), and the methods of a live `Tensor`, `nn.Linear`,
 * `nn.Sequential`, `optim.Adam` and runtime `Session`, is called with fast-check-generated wrong
 * arguments: wrong types, wrong shapes and dtypes, NaN/±Infinity/negative/non-integer/huge sizes,
 * disposed tensors, junk option objects, the `@edgenn/runtime/ops` op sets in the wrong places. A
 * call may succeed (some junk is valid input); if it fails, the failure must be an `EdgeNNError`
 * whose message names the function (or, for a method, its class), within a time bound. Nothing may
 * be allocated past the tensor-size ceiling (`setLimits`, 64 MiB here): an `OutOfMemoryError`
 * refusing the allocation is a correct answer even when it names the allocation refused (`ones:
 * tensor too large` from a layer's constructor).
 *
 * CI runs ~5,000 cases in all (12 per target); `EDGENN_HOSTILE_RUNS=<n>` runs n per target instead, the
 * long run: `EDGENN_HOSTILE_RUNS=1000 npx vitest run packages/edgenn/test/hostile.test.ts` (~235,000
 * cases, ~30 s). `FC_SEED=random` draws a fresh seed (see vitest.setup.ts).
 */
import * as rops from "@edgenn/runtime/ops";
import * as api from "edgenn";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const {
  EdgeNNError,
  OutOfMemoryError,
  nn,
  optim,
  tensor,
  dispose,
  setLimits,
  setBackend,
  cpuBackend,
  setRecorder,
  setCpuFallback,
  setLeakReporting,
} = api;
type Tensor = api.Tensor;

const ENV_RUNS = Number(process.env.EDGENN_HOSTILE_RUNS ?? "");
/** Cases per target: ~5,000 in all by default. */
const CI_RUNS = 12;
const RUNS = Number.isInteger(ENV_RUNS) && ENV_RUNS > 0 ? ENV_RUNS : CI_RUNS;
/** One call may take this long (a sync call cannot be interrupted: it is measured, then judged). */
const CALL_MS = 3000;
/** The tensor-size ceiling during the fuzz: anything bigger must be refused before allocating. */
const FUZZ_MAX_BYTES = 64 * 2 ** 20;
/** The ceiling in force before this file (the library default, 2 GiB), restored at the end. */
const DEFAULT_MAX_BYTES = setLimits({}).maxTensorBytes;

// ---------------------------------------------------------------------------------------------
// Values: a generated value is a recipe, built fresh for each call (a call may dispose its inputs)

type Recipe = () => unknown;
type Gen = [string, Recipe];

const made: Tensor[] = [];
function t(values: api.TensorData, options?: { dtype?: api.DType; shape?: number[] }): Tensor {
  const x = tensor(values, options);
  made.push(x);
  return x;
}
function mk<T extends Tensor>(x: T): T {
  made.push(x);
  return x;
}

const junkPrimitives: Gen[] = [
  ["undefined", () => undefined],
  ["null", () => null],
  ['""', () => ""],
  ['"abc"', () => "abc"],
  ['"float32"', () => "float32"],
  ['"int8"', () => "int8"],
  ['"same"', () => "same"],
  ["true", () => true],
  ["false", () => false],
  ["0", () => 0],
  ["1", () => 1],
  ["2", () => 2],
  ["3", () => 3],
  ["-1", () => -1],
  ["-0", () => -0],
  ["0.5", () => 0.5],
  ["1.5", () => 1.5],
  ["NaN", () => Number.NaN],
  ["Infinity", () => Number.POSITIVE_INFINITY],
  ["-Infinity", () => Number.NEGATIVE_INFINITY],
  ["1e12", () => 1e12],
  ["2**31", () => 2 ** 31],
  ["2**53", () => 2 ** 53],
  ["Symbol()", () => Symbol("junk")],
  ["10n", () => 10n],
  ["() => undefined", () => () => undefined],
  ["() => 42", () => () => 42],
  ["{}", () => ({})],
  ["{ a: 1 }", () => ({ a: 1 })],
  ["Object.create(null)", () => Object.create(null)],
  ["new Map()", () => new Map()],
  ["new Date(0)", () => new Date(0)],
  ["[]", () => []],
  ["[NaN]", () => [Number.NaN]],
  ['["a"]', () => ["a"]],
  ["[undefined]", () => [undefined]],
  ["[null, {}]", () => [null, {}]],
  ["[Symbol()]", () => [Symbol("junk")]],
  ["[Object.create(null)]", () => [Object.create(null)]],
  ["[[1], [2, 3]]", () => [[1], [2, 3]]],
  ["[1e12, 1e12]", () => [1e12, 1e12]],
  ["[1e6, 1e6, 1e6]", () => [1e6, 1e6, 1e6]],
  ["[-1, 2]", () => [-1, 2]],
  ["[1.5]", () => [1.5]],
  ["[2, 3]", () => [2, 3]],
  ["[3, 2]", () => [3, 2]],
  ["[0]", () => [0]],
  ["[0, 1]", () => [0, 1]],
  ["[1, 2, 3, 4]", () => [1, 2, 3, 4]],
  ["[Infinity]", () => [Number.POSITIVE_INFINITY]],
  ["new Float32Array(3)", () => new Float32Array(3)],
  ["new Float32Array(784)", () => new Float32Array(784)],
  ["new Int32Array([1, 2])", () => new Int32Array([1, 2])],
  ["new Uint8Array(16)", () => new Uint8Array(16)],
  ["new ArrayBuffer(8)", () => new ArrayBuffer(8)],
  ["{ shape: [2], dtype: 'float32' }", () => ({ shape: [2], dtype: "float32" })],
];

const tensors: Gen[] = [
  ["f32[2,3]", () => t([1, -2, 3, 0.5, -0.25, 4], { shape: [2, 3] })],
  ["f32[3,2]", () => t([1, 2, 3, 4, 5, 6], { shape: [3, 2] })],
  ["f32[]", () => t(2)],
  ["f32[0]", () => t([])],
  ["f32[0,3]", () => t(new Float32Array(0), { shape: [0, 3] })],
  ["f32[4]", () => t([1, 2, 3, 4])],
  ["f32[1,4]", () => t([[0.1, 0.2, 0.3, 0.4]])],
  ["f32[2,4]", () => t(new Float32Array(8).fill(0.5), { shape: [2, 4] })],
  ["f32[1,1,4,4]", () => t(new Float32Array(16).fill(1), { shape: [1, 1, 4, 4] })],
  ["f32[1,2,3,3]", () => t(new Float32Array(18).fill(-1), { shape: [1, 2, 3, 3] })],
  // a conv weight and bias that fit f32[1,1,4,4], so that junk options are what gets judged
  ["f32[2,1,3,3]", () => t(new Float32Array(18).fill(0.1), { shape: [2, 1, 3, 3] })],
  ["f32[2]", () => t([0.5, -0.5])],
  ["f32[2,3,4]", () => t(new Float32Array(24).fill(0.25), { shape: [2, 3, 4] })],
  ["f32[1,784]", () => t(new Float32Array(784), { shape: [1, 784] })],
  ["f32 NaN[2]", () => t([Number.NaN, Number.POSITIVE_INFINITY])],
  ["f32 view transpose[3,2]", () => mk(t([1, 2, 3, 4, 5, 6], { shape: [2, 3] }).transpose())],
  ["i32[3]", () => t([0, 1, 2], { dtype: "int32" })],
  ["i32[2]", () => t([5, -3], { dtype: "int32" })],
  ["i32[2,3]", () => t([0, 1, 2, 2, 1, 0], { dtype: "int32", shape: [2, 3] })],
  ["bool[2]", () => t([true, false])],
  ["int8[2,2]", () => t([1, -2, 3, -128], { dtype: "int8", shape: [2, 2] })],
  ["uint8[4]", () => t([0, 1, 255, 7], { dtype: "uint8" })],
  [
    "disposed f32[2,3]",
    () => {
      const x = t([1, 2, 3, 4, 5, 6], { shape: [2, 3] });
      x.dispose();
      return x;
    },
  ],
  [
    "disposed i32[3]",
    () => {
      const x = t([0, 1, 2], { dtype: "int32" });
      x.dispose();
      return x;
    },
  ],
];

const linear = (): api.nn.Module => new nn.Linear(4, 3, { seed: 1 });
const modelBytes = (): Uint8Array => api.saveModel(new nn.Sequential(linear()));
const objects: Gen[] = [
  ["nn.Linear(4,3)", linear],
  ["nn.Sequential(Linear,ReLU)", () => new nn.Sequential(linear(), new nn.ReLU())],
  ["nn.Conv2d(1,2,3)", () => new nn.Conv2d(1, 2, 3, { seed: 1 })],
  ["model bytes", modelBytes],
  ["truncated model bytes", () => modelBytes().slice(0, 20)],
  ["Session", () => api.loadModel(modelBytes())],
  ["SGD", () => new optim.SGD(linear().parameters(), { lr: 0.1 })],
  ["convOps", () => rops.convOps],
  ["allOps", () => rops.allOps],
  ["[{ conv2d: 3 }]", () => [{ conv2d: 3 }]],
  ["CpuBackend", () => new api.CpuBackend()],
  ["[[x, y]]", () => [[t([[1, 2, 3, 4]]), t([0], { dtype: "int32" })]]],
  ["Error", () => new Error("not ours")],
];

/** Names of options the public functions read, each filled with a junk or plausible value. */
const OPTION_KEYS = [
  "axis",
  "axes",
  "keepDims",
  "dtype",
  "shape",
  "stride",
  "padding",
  "dilation",
  "groups",
  "kernelSize",
  "ceilMode",
  "countIncludePad",
  "outputPadding",
  "epsilon",
  "alpha",
  "beta",
  "transA",
  "transB",
  "approximate",
  "mean",
  "variance",
  "scale",
  "bias",
  "seed",
  "std",
  "min",
  "max",
  "lr",
  "momentum",
  "weightDecay",
  "nesterov",
  "betas",
  "eps",
  "epochs",
  "batchSize",
  "shuffle",
  "loss",
  "optimizer",
  "metrics",
  "inputShape",
  "maxBytes",
  "ops",
  "maxTensorBytes",
  "reduction",
  "p",
  "rate",
  "calibration",
  "ranges",
  "observer",
  "perChannel",
  "inputType",
  "quantizeInput",
  "inputName",
  "outputName",
  "strict",
  "value",
  "mode",
  "qmin",
  "qmax",
  "affine",
  "returnSequences",
  "init",
  "totalSteps",
  "warmupSteps",
  "gamma",
  "stepSize",
  "x",
  "y",
] as const;

const leaf: fc.Arbitrary<Gen> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...junkPrimitives) },
  { weight: 3, arbitrary: fc.constantFrom(...tensors) },
  { weight: 1, arbitrary: fc.constantFrom(...objects) },
);

const options: fc.Arbitrary<Gen> = fc
  .uniqueArray(fc.tuple(fc.constantFrom(...OPTION_KEYS), leaf), {
    minLength: 1,
    maxLength: 3,
    selector: ([k]) => k,
  })
  .map(
    (entries): Gen => [
      `{ ${entries.map(([k, [d]]) => `${k}: ${d}`).join(", ")} }`,
      () => Object.fromEntries(entries.map(([k, [, r]]) => [k, r()])),
    ],
  );

const arrayOf: fc.Arbitrary<Gen> = fc
  .array(leaf, { minLength: 1, maxLength: 3 })
  .map((items): Gen => [`[${items.map(([d]) => d).join(", ")}]`, () => items.map(([, r]) => r())]);

const value: fc.Arbitrary<Gen> = fc.oneof(
  { weight: 6, arbitrary: leaf },
  { weight: 2, arbitrary: options },
  { weight: 1, arbitrary: arrayOf },
);

const argsFor = (arity: number): fc.Arbitrary<Gen[]> =>
  fc.array(value, { minLength: 0, maxLength: Math.max(3, arity + 1) });

// ---------------------------------------------------------------------------------------------
// Targets

interface Target {
  /** What the report calls it, e.g. `conv2d`, `new nn.Linear`, `Tensor#reshape`. */
  readonly label: string;
  /** Words one of which the error message must contain (case-insensitive). */
  readonly names: readonly string[];
  readonly arity: number;
  readonly call: (args: unknown[]) => unknown;
}

function isClass(f: unknown): boolean {
  return typeof f === "function" && /^class[\s{]/.test(Function.prototype.toString.call(f));
}

/** Error constructors accept any message: junk input to them is not a library bug. */
const SKIP = new Set([
  "EdgeNNError",
  "ArgumentError",
  "DisposedTensorError",
  "DTypeError",
  "ModelFormatError",
  "NonFiniteError",
  "OutOfMemoryError",
  "ShapeError",
  "UnsupportedOpError",
]);

function targetsOf(ns: object, prefix: string): Target[] {
  const out: Target[] = [];
  for (const [name, f] of Object.entries(ns)) {
    if (typeof f !== "function" || SKIP.has(name)) continue;
    const fn = f as (...a: unknown[]) => unknown;
    const ctor = f as new (...a: unknown[]) => unknown;
    const isCtor = isClass(f);
    out.push({
      label: `${isCtor ? "new " : ""}${prefix}${name}`,
      names: [name],
      arity: fn.length,
      call: isCtor ? (a) => new ctor(...a) : (a) => fn(...a),
    });
  }
  return out;
}

/** Methods of a live instance made fresh for each call by `make`; errors may name the class. */
function methodsOf(label: string, make: () => object, skip: readonly string[] = []): Target[] {
  const sample = make();
  const found = new Map<string, number>();
  for (let p = Object.getPrototypeOf(sample); p && p !== Object.prototype; ) {
    for (const k of Object.getOwnPropertyNames(p)) {
      const d = Object.getOwnPropertyDescriptor(p, k)!;
      if (k !== "constructor" && typeof d.value === "function" && !skip.includes(k)) {
        if (!found.has(k)) found.set(k, (d.value as () => unknown).length);
      }
    }
    p = Object.getPrototypeOf(p);
  }
  dispose(sample);
  const owner = label.replace(/^.*\./, "");
  return [...found].map(([m, arity]) => ({
    label: `${label}#${m}`,
    names: [m, owner],
    arity,
    call: (a) => (make() as Record<string, (...x: unknown[]) => unknown>)[m]!(...a),
  }));
}

const targets: Target[] = [
  ...targetsOf(api, ""),
  ...targetsOf(nn, "nn."),
  ...targetsOf(optim, "optim."),
  // internal hooks of Tensor (view, hold, release, markKept, assertAlive) are the library's own
  ...methodsOf("Tensor", () => t([1, 2, 3, 4, 5, 6], { shape: [2, 3] }), [
    "view",
    "hold",
    "release",
    "markKept",
    "assertAlive",
  ]),
  ...methodsOf("Tensor", () => {
    const x = t([1, 2, 3], { dtype: "int32" });
    x.dispose();
    return x;
  }, ["view", "hold", "release", "markKept", "assertAlive", "dispose"]).map((x) => ({
    ...x,
    label: x.label.replace("Tensor#", "Tensor(disposed)#"),
  })),
  ...methodsOf("Tensor", () => t([true, false, true]), [
    "view",
    "hold",
    "release",
    "markKept",
    "assertAlive",
  ]).map((x) => ({ ...x, label: x.label.replace("Tensor#", "Tensor(bool)#") })),
  ...methodsOf("nn.Linear", linear),
  ...[
    ["nn.Sequential", () => new nn.Sequential(linear(), new nn.ReLU())],
    ["nn.Conv2d", () => new nn.Conv2d(1, 2, 3, { seed: 1 })],
    ["nn.BatchNorm2d", () => new nn.BatchNorm2d(2)],
    ["nn.LayerNorm", () => new nn.LayerNorm(4)],
    ["nn.GRU", () => new nn.GRU(3, 4, { seed: 1 })],
    ["nn.FakeQuantize", () => new nn.FakeQuantize()],
    ["nn.MaxPool2d", () => new nn.MaxPool2d(2)],
  ].flatMap(([label, make]) =>
    // protected registration hooks are covered through nn.Linear
    methodsOf(label as string, make as () => object, ["addParameter", "addBuffer", "addModule"]),
  ),
  ...methodsOf("QuantizedModel", () =>
    api.quantize(new nn.Sequential(linear()), { calibration: new Float32Array(32).fill(0.5) }),
  ),
  ...[
    ["optim.stepLR", () => optim.stepLR(0.1, { stepSize: 2 })],
    ["optim.cosineLR", () => optim.cosineLR(0.1, { totalSteps: 10 })],
    ["optim.warmup", () => optim.warmup(optim.exponentialLR(0.1, { gamma: 0.9 }), { steps: 3 })],
  ].map(([label, make]): Target => {
    const name = (label as string).slice("optim.".length);
    return {
      label: `${label as string}(…)()`,
      names: [name, "schedule", "step"],
      arity: 1,
      call: (a) => (make as () => (...x: unknown[]) => unknown)()(...a),
    };
  }),
  // `update` is the protected per-parameter step that `step` calls after its checks
  ...methodsOf("optim.Adam", () => new optim.Adam(linear().parameters(), { lr: 0.1 }), ["update"]),
  ...methodsOf("Session", () => api.loadModel(modelBytes())),
];

/**
 * Findings in files this task does not own (fixes reported to their owners). These targets are
 * still fuzzed and counted, but their findings are only logged (a random seed may or may not hit
 * them); pin each with a named `it.fails` regression case below, which turns red once fixed.
 * Empty now: the 13 findings of issue 7 item 3 are fixed and pinned as plain cases below.
 */
const PENDING: Record<string, string> = {};

// ---------------------------------------------------------------------------------------------
// The judge

interface Outcome {
  ok: number;
  refused: number;
}
const counts = new Map<string, Outcome>();
/** The last (smallest, once shrunk) failure of each target, printed at the end. */
const findings = new Map<string, string>();
/** Findings of PENDING targets: logged, not failed. */
const known = new Map<string, string>();

function fail(target: Target, message: string): void {
  if (target.label in PENDING) {
    known.set(target.label, message);
    return;
  }
  findings.set(target.label, message);
  throw new Error(message);
}

function restoreGlobals(): void {
  setBackend(cpuBackend());
  setLimits({ maxTensorBytes: FUZZ_MAX_BYTES });
  setRecorder(null);
  setCpuFallback(false);
  setLeakReporting(false);
}

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  v !== null && typeof v === "object" && typeof (v as PromiseLike<unknown>).then === "function";

/** Calls `target` with `args`; throws (for fast-check to shrink) on anything but success or a typed refusal. */
async function judge(target: Target, args: Gen[]): Promise<void> {
  const shown = `${target.label}(${args.map(([d]) => d).join(", ")})`;
  const outcome = counts.get(target.label) ?? { ok: 0, refused: 0 };
  counts.set(target.label, outcome);
  let result: unknown;
  let error: unknown;
  let threw = false;
  const start = performance.now();
  try {
    result = target.call(args.map(([, r]) => r()));
    if (isThenable(result)) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`hang: no answer after ${CALL_MS} ms`)), CALL_MS);
      });
      try {
        result = await Promise.race([result, timeout]);
      } finally {
        clearTimeout(timer);
      }
    }
  } catch (e) {
    threw = true;
    error = e;
  } finally {
    restoreGlobals();
    dispose(result);
    dispose(made.splice(0));
  }
  const ms = performance.now() - start;
  if (ms > CALL_MS) return fail(target, `${shown}: took ${ms.toFixed(0)} ms (limit ${CALL_MS})`);
  if (!threw) {
    outcome.ok++;
    return;
  }
  if (error instanceof OutOfMemoryError) {
    // the ceiling did its job: the allocation was refused before it happened
    outcome.refused++;
    return;
  }
  if (!(error instanceof EdgeNNError)) {
    const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return fail(target, `${shown}: threw ${what} (expected an EdgeNNError)`);
  }
  const msg = error.message.toLowerCase();
  if (!target.names.some((n) => msg.includes(n.toLowerCase()))) {
    const names = target.names.join(" or ");
    return fail(target, `${shown}: ${error.name} does not name ${names}: ${error.message}`);
  }
  outcome.refused++;
}

// ---------------------------------------------------------------------------------------------

// the counts of every fuzz below, printed once at the end
afterAll(() => {
  setLimits({ maxTensorBytes: DEFAULT_MAX_BYTES });
  const rows = [...counts].map(([k, o]) => `${k}: ${o.ok} ok, ${o.refused} refused`);
  const total = [...counts.values()].reduce((n, o) => n + o.ok + o.refused, 0);
  // per-target counts in the long run only; CI prints the total
  const detail = RUNS === CI_RUNS ? "" : `\n${rows.join("\n")}`;
  console.info(`hostile: ${counts.size} targets, ${total} cases${detail}`);
  if (known.size > 0) console.info(`KNOWN (pending owner fix)\n${[...known.values()].join("\n")}`);
  if (findings.size > 0) console.info(`FINDINGS\n${[...findings.values()].join("\n")}`);
});

describe("hostile input: every public function", () => {
  beforeAll(restoreGlobals);

  it("enumerates the public API", () => {
    expect(targets.length).toBeGreaterThan(200);
    for (const name of Object.keys(PENDING)) {
      expect(targets.some((x) => x.label === name)).toBe(true);
    }
  });

  it.each(targets.map((x) => [x.label, x] as const))("%s", async (_, target) => {
    await fc.assert(
      fc.asyncProperty(argsFor(target.arity), (args) => judge(target, args)),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Options of the ops with geometry, fuzzed on operands that fit: every option gets edge numbers
// (0, −1, NaN, 1.5, 1e12, 2^31, pairs of them), so that sizes computed from them are what gets judged

const edgeNumbers: Gen[] = [
  ["0", () => 0],
  ["1", () => 1],
  ["2", () => 2],
  ["-1", () => -1],
  ["1.5", () => 1.5],
  ["NaN", () => Number.NaN],
  ["Infinity", () => Number.POSITIVE_INFINITY],
  ["1e12", () => 1e12],
  ["2**31", () => 2 ** 31],
  ["[1e12, 1]", () => [1e12, 1]],
  ["[1, 2**31]", () => [1, 2 ** 31]],
  ["[-1, 0]", () => [-1, 0]],
  ["[0, 0, 0, 0]", () => [0, 0, 0, 0]],
  ["[1e6, 1e6, 1e6, 1e6]", () => [1e6, 1e6, 1e6, 1e6]],
  ["[2, 2, 2]", () => [2, 2, 2]],
  ['"same"', () => "same"],
  ['"valid"', () => "valid"],
  ['"tanh"', () => "tanh"],
  ['"reflect"', () => "reflect"],
  ['"edge"', () => "edge"],
  ["true", () => true],
  ["null", () => null],
  ["Symbol()", () => Symbol("junk")],
];

interface OptionTarget {
  readonly name: string;
  readonly keys: readonly string[];
  readonly call: (options: Record<string, unknown>) => unknown;
}
const x4 = (): Tensor => t(new Float32Array(32).fill(0.5), { shape: [1, 2, 4, 4] });
const optionTargets: OptionTarget[] = [
  {
    name: "conv2d",
    keys: ["stride", "padding", "dilation", "groups"],
    call: (o) =>
      api.conv2d(x4(), t(new Float32Array(36).fill(0.1), { shape: [2, 2, 3, 3] }), t([1, 2]), o),
  },
  {
    name: "convTranspose2d",
    keys: ["stride", "padding", "outputPadding", "dilation", "groups"],
    call: (o) =>
      api.convTranspose2d(
        x4(),
        t(new Float32Array(36).fill(0.1), { shape: [2, 2, 3, 3] }),
        undefined,
        o,
      ),
  },
  {
    name: "maxPool2d",
    keys: ["kernelSize", "stride", "padding", "dilation", "ceilMode"],
    call: (o) => api.maxPool2d(x4(), o as never),
  },
  {
    name: "avgPool2d",
    keys: ["kernelSize", "stride", "padding", "ceilMode", "countIncludePad"],
    call: (o) => api.avgPool2d(x4(), o as never),
  },
  {
    name: "gemm",
    keys: ["alpha", "beta", "transA", "transB"],
    call: (o) =>
      api.gemm(t([1, 2, 3, 4], { shape: [2, 2] }), t([1, 0, 0, 1], { shape: [2, 2] }), t(1), o),
  },
  {
    name: "layerNorm",
    keys: ["axis", "epsilon"],
    call: (o) => api.layerNorm(x4(), o),
  },
  {
    name: "batchNorm",
    keys: ["epsilon"],
    call: (o) => api.batchNorm(x4(), { mean: t([0, 0]), variance: t([1, 1]), ...o }),
  },
  {
    name: "quantizeLinear",
    keys: ["axis", "dtype"],
    call: (o) => api.quantizeLinear(x4(), t([0.1, 0.2]), undefined, o as never),
  },
  { name: "gelu", keys: ["approximate"], call: (o) => api.gelu(x4(), o as never) },
  { name: "dropout", keys: ["seed", "training"], call: (o) => api.dropout(x4(), 0.5, o as never) },
  {
    name: "pad",
    keys: ["mode", "value"],
    call: (o) => api.pad(x4(), [0, 0, 1, 1, 0, 0, 1, 1], o as never),
  },
  { name: "randn", keys: ["seed", "mean", "std"], call: (o) => api.randn([2, 2], o as never) },
  { name: "rand", keys: ["seed", "min", "max"], call: (o) => api.rand([2, 2], o as never) },
  {
    name: "Conv2d",
    keys: ["stride", "padding", "dilation", "groups", "bias", "seed"],
    call: (o) => new nn.Conv2d(2, 2, 3, o as never),
  },
  {
    name: "MaxPool2d",
    keys: ["stride", "padding", "dilation", "ceilMode"],
    call: (o) => new nn.MaxPool2d(2, o as never),
  },
  {
    name: "SGD",
    keys: ["lr", "momentum", "weightDecay", "nesterov", "dampening"],
    call: (o) => new optim.SGD([t([1, 2])], o as never),
  },
  {
    name: "Adam",
    keys: ["lr", "betas", "eps", "weightDecay"],
    call: (o) => new optim.Adam([t([1, 2])], o as never),
  },
];

describe("hostile input: options of the ops with geometry", () => {
  beforeAll(restoreGlobals);
  it.each(optionTargets.map((x) => [x.name, x] as const))("%s", async (_, ot) => {
    const target: Target = {
      label: `${ot.name}{options}`,
      names: [ot.name],
      arity: 1,
      call: () => undefined,
    };
    const opts = fc
      .uniqueArray(fc.tuple(fc.constantFrom(...ot.keys), fc.constantFrom(...edgeNumbers)), {
        maxLength: ot.keys.length,
        selector: ([k]) => k,
      })
      .map(
        (entries): Gen => [
          `{ ${entries.map(([k, [d]]) => `${k}: ${d}`).join(", ")} }`,
          () => Object.fromEntries(entries.map(([k, [, r]]) => [k, r()])),
        ],
      );
    await fc.assert(
      fc.asyncProperty(opts, (o) =>
        judge({ ...target, call: ([options]) => ot.call(options as Record<string, unknown>) }, [o]),
      ),
      { numRuns: RUNS * 4 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Regression cases: each finding of the fuzzer, fixed, as a named case

/** Runs `fn` and returns what it threw (fails the test if it returned). */
function thrown(fn: () => unknown): unknown {
  try {
    dispose(fn());
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}

/** Asserts `fn` throws an `EdgeNNError` of class `cls` whose message contains `name`. */
function refuses(fn: () => unknown, cls: typeof EdgeNNError, name: string): void {
  const e = thrown(fn);
  expect(e, String(e)).toBeInstanceOf(cls);
  expect((e as Error).message).toContain(name);
}

const x23 = (): Tensor => mk(tensor([1, 2, 3, 4, 5, 6], { shape: [2, 3] }));
const nullProto = (): never => Object.create(null) as never;
const junk = <T>(v: unknown): T => v as T;

describe("hostile input: regression cases (fixed)", () => {
  beforeAll(restoreGlobals);
  afterAll(() => {
    dispose(made.splice(0));
    setLimits({ maxTensorBytes: DEFAULT_MAX_BYTES });
  });
  const { ArgumentError, ShapeError, DTypeError, DisposedTensorError } = api;

  it("the default ceiling (2 GiB) refuses 1e12 elements before allocating", () => {
    expect(DEFAULT_MAX_BYTES).toBe(2 ** 31);
    setLimits({ maxTensorBytes: DEFAULT_MAX_BYTES });
    const before = api.memory().bytes;
    refuses(() => api.zeros([1e6, 1e6]), OutOfMemoryError, "zeros");
    refuses(() => api.randn([1e12]), OutOfMemoryError, "randn");
    expect(api.memory().bytes).toBe(before);
    restoreGlobals();
  });

  it("arange(1e12) is refused before its values are built (was RangeError: Invalid array length)", () => {
    refuses(() => api.arange(1e12), OutOfMemoryError, "arange");
    refuses(() => api.arange(0, 1e308, 1e-300), OutOfMemoryError, "arange");
  });

  it("sumToShape with a shape that does not broadcast names itself (was `reshape:`)", () => {
    const g = api.zeros([1, 784]);
    refuses(() => api.sumToShape(g, [3, 2]), ShapeError, "sumToShape");
    g.dispose();
  });

  // the test's own timeout is the hang guard: walking the windows took 7.6 s
  it("maxPool2d with a 1e12 padding is refused without walking its windows", () => {
    const x = api.zeros([1, 1, 4, 4]);
    refuses(
      () => api.maxPool2d(x, { kernelSize: 2 ** 31, padding: 1e12 }),
      ShapeError, // its windows lie in the padding; found without walking 1e12 of them
      "maxPool2d",
    );
    x.dispose();
  });

  it("creation functions name themselves, not the one they call (was `full:`/`tensor:`)", () => {
    refuses(() => api.eye(1e12), OutOfMemoryError, "eye");
    refuses(() => api.zeros(junk(undefined)), ShapeError, "zeros");
    refuses(() => api.ones(junk("abc")), ShapeError, "ones");
    refuses(() => api.scalar(junk(undefined)), ArgumentError, "scalar");
    refuses(() => api.zerosLike(junk(undefined)), ArgumentError, "zerosLike");
    refuses(() => api.onesLike(junk({})), ArgumentError, "onesLike");
    const d = x23();
    d.dispose();
    refuses(() => api.zerosLike(d), DisposedTensorError, "zerosLike");
  });

  it("shapes holding Symbols or prototype-less objects are refused (was TypeError while formatting)", () => {
    refuses(() => api.full([nullProto(), 1], 0), ShapeError, "full");
    refuses(() => api.rand(junk([Symbol("s")])), ShapeError, "rand");
    refuses(() => api.reshape(x23(), junk([Symbol("s"), undefined])), ShapeError, "reshape");
    refuses(() => api.expand(x23(), [nullProto()]), ShapeError, "expand");
    refuses(() => api.pad(x23(), [nullProto()]), ArgumentError, "pad");
    refuses(() => api.slice(x23(), [nullProto()], [1]), ArgumentError, "slice");
    refuses(() => api.transpose(x23(), junk([Symbol("s"), 0])), ShapeError, "transpose");
  });

  it("axes that are not numbers are a ShapeError (was TypeError: Cannot convert a Symbol value)", () => {
    refuses(() => api.softmax(x23(), nullProto()), ShapeError, "softmax");
    refuses(() => api.logSoftmax(x23(), junk(Symbol("s"))), ShapeError, "logSoftmax");
    refuses(() => x23().gather([0], junk(Symbol("s"))), ShapeError, "gather");
    refuses(() => api.flatten(x23(), nullProto()), ShapeError, "flatten");
    refuses(() => api.sum(x23(), junk([10n])), ShapeError, "sum");
    refuses(() => api.concat([x23(), x23()], nullProto()), ShapeError, "concat");
    refuses(() => api.unsqueeze(x23(), junk([Symbol("s")])), ShapeError, "unsqueeze");
  });

  it("junk option objects and values", () => {
    refuses(() => api.tensor([1], junk(null)), ArgumentError, "tensor");
    refuses(() => api.randn([0, 1], junk(null)), ArgumentError, "randn");
    refuses(() => api.rand([1], junk(3)), ArgumentError, "rand");
    refuses(() => api.gemm(x23(), x23(), undefined, junk(null)), ArgumentError, "gemm");
    refuses(() => api.pad(x23(), [0, 0, 0, 0], junk(null)), ArgumentError, "pad");
    refuses(
      () => api.gemm(x23(), x23(), undefined, { transA: nullProto() }),
      ArgumentError,
      "gemm",
    );
    refuses(() => api.gather(x23(), junk([Symbol("s")])), ArgumentError, "gather");
  });

  it("new Tensor(junk) points to the creators (was TypeError: reading 'slice')", () => {
    refuses(() => new api.Tensor(junk(undefined), [], [], 0, "float32"), ArgumentError, "Tensor");
    refuses(() => new api.Tensor(junk({}), junk(null), [], 0, "float32"), ArgumentError, "Tensor");
    const x = x23();
    refuses(
      () => new api.Tensor(junk(x), junk([[nullProto()]]), junk([undefined]), 0, "float32"),
      ArgumentError,
      "Tensor",
    );
  });

  it("saveModel/loadModel check their arguments and name themselves", () => {
    refuses(() => api.saveModel(junk(undefined)), ArgumentError, "saveModel");
    refuses(() => api.saveModel(junk({ nodes: 3 })), api.ModelFormatError, "saveModel");
    refuses(() => api.saveModel(linear(), junk(null)), ArgumentError, "saveModel");
    refuses(() => api.loadModel(modelBytes(), junk(null)), ArgumentError, "loadModel");
    refuses(() => api.loadModel(modelBytes(), junk({ ops: 3 })), ArgumentError, "loadModel");
    refuses(() => api.loadModel(junk([linear()]), junk([Symbol("s")])), ArgumentError, "loadModel");
    refuses(() => nn.exportModel(linear(), junk(undefined)), ArgumentError, "exportModel");
  });

  it("quantizeGraph names itself for a missing graph (was `createSession:`)", () => {
    const calibration = tensor([[0, 0, 0, 0]]);
    refuses(
      () => api.quantizeGraph(junk(undefined), { calibration }),
      ArgumentError,
      "quantizeGraph",
    );
    refuses(
      () => api.quantizeGraph(junk({}), { calibration }),
      api.ModelFormatError,
      "quantizeGraph",
    );
    calibration.dispose();
  });

  it("nn layers: sizes past 2^53 and prototype-less options", () => {
    refuses(() => new nn.BatchNorm1d(2 ** 53), ArgumentError, "BatchNorm1d");
    refuses(() => new nn.LayerNorm(2 ** 53), ArgumentError, "LayerNorm");
    refuses(() => new nn.Linear(2 ** 53, 1), ArgumentError, "Linear");
    refuses(() => new nn.LeakyReLU(nullProto()), ArgumentError, "LeakyReLU");
    refuses(() => new nn.Linear(nullProto(), 2), ArgumentError, "Linear");
    refuses(() => new nn.Dropout(nullProto()), ArgumentError, "Dropout");
    refuses(() => new nn.Conv2d(nullProto(), 1, 3), ArgumentError, "Conv2d");
    refuses(() => new nn.GRU(nullProto(), 2), ArgumentError, "GRU");
    refuses(() => new nn.Softmax(nullProto()), ArgumentError, "Softmax");
    refuses(() => new nn.AvgPool2d(junk({ kernelSize: 10n })), ArgumentError, "AvgPool2d");
    refuses(() => new nn.FakeQuantize(junk(null)), ArgumentError, "FakeQuantize");
    refuses(
      () => new nn.FakeQuantize(junk({ qmax: [nullProto()] })),
      ArgumentError,
      "FakeQuantize",
    );
    refuses(() => new nn.GRU(1e12, 2), OutOfMemoryError, "GRU"); // was RangeError: Invalid typed array length
  });

  it("Sequential says which layer refused (was the layer's bare message)", () => {
    const m = new nn.Sequential(new nn.ReLU(), linear());
    const e = thrown(() => m.forward(x23()));
    expect(e).toBeInstanceOf(ShapeError);
    expect((e as Error).message).toMatch(
      /^Sequential: layer 1 \(Linear\): Linear: input has 3 features/,
    );
    refuses(() => m.forward(junk(undefined)), ArgumentError, "Sequential");
    m.dispose();
  });

  it("QuantizedModel.arenaBytes checks batchSize (was `createSession:`)", () => {
    const q = api.quantize(new nn.Sequential(linear()), {
      calibration: new Float32Array(32).fill(0.5),
    });
    refuses(() => q.arenaBytes(junk("same")), ArgumentError, "arenaBytes");
    refuses(() => q.arenaBytes(0), ArgumentError, "arenaBytes");
  });

  it("nn.Module methods check their arguments", () => {
    const m = linear();
    refuses(() => m.loadStateDict(junk(undefined)), ArgumentError, "loadStateDict");
    refuses(() => m.loadStateDict({}, junk(null)), ArgumentError, "loadStateDict");
    refuses(() => m.namedParameters(nullProto()), ArgumentError, "namedParameters");
    refuses(() => m.namedBuffers(junk(3)), ArgumentError, "namedBuffers");
    const hooks = m as unknown as Record<string, (...a: unknown[]) => unknown>;
    refuses(() => hooks.addBuffer!("abc", undefined), ArgumentError, "addBuffer");
    refuses(() => hooks.addParameter!(junk({ a: 10n }), undefined), ArgumentError, "Linear");
    m.dispose();
  });

  it("QAT: wrappers and fake quantization check their inputs (was TypeError deep inside)", () => {
    refuses(() => nn.fakeQuantizeWeight(junk(undefined)), ArgumentError, "fakeQuantizeWeight");
    refuses(
      () => nn.fakeQuantizeWeight(mk(tensor([1, 2], { dtype: "int32" }))),
      DTypeError,
      "fakeQuantizeWeight",
    );
    refuses(
      () => nn.fakeQuantizeWeight(mk(tensor([Number.NaN, 1]))),
      ArgumentError,
      "fakeQuantizeWeight",
    );
    const d = x23();
    d.dispose();
    refuses(() => nn.fakeQuantize(d, 1), DisposedTensorError, "fakeQuantize");
    refuses(() => nn.fakeQuantize(x23(), d), DisposedTensorError, "fakeQuantize");
    refuses(() => new nn.QatLinear(junk(undefined), null), ArgumentError, "QatLinear");
    refuses(() => new nn.QatConv2d(junk(linear()), null), ArgumentError, "QatConv2d");
    refuses(() => new nn.QatLinear(junk(linear()), junk(3)), ArgumentError, "QatLinear");
    refuses(
      () => new nn.QatSequential(junk(undefined), [], null, new Map()),
      ArgumentError,
      "QatSequential",
    );
    refuses(
      () => new nn.QatSequential(linear(), junk(undefined), null, new Map()),
      ArgumentError,
      "QatSequential",
    );
    refuses(() => nn.prepareQat(linear(), junk(null)), ArgumentError, "prepareQat");
    refuses(() => new nn.FakeQuantize().forward(d), DisposedTensorError, "FakeQuantize"); // was `min:`
    refuses(() => nn.convertQat(nullProto(), { inputShape: [1, 4] }), ArgumentError, "convertQat");
  });
});

describe("hostile input: owner fixes (formerly PENDING; typed refusals naming the function)", () => {
  afterAll(restoreGlobals);
  const isTyped = (fn: () => unknown, name: string): void => {
    const e = thrown(fn);
    expect(e, String(e)).toBeInstanceOf(EdgeNNError);
    expect((e as Error).message).toContain(name);
  };
  it("noGrad(undefined) (tensor/engine.ts)", () =>
    isTyped(() => api.noGrad(junk(undefined)), "noGrad"));
  it("setLimits(undefined) (tensor/engine.ts)", () =>
    isTyped(() => api.setLimits(junk(undefined)), "setLimits"));
  it("bytesPerElement('x') (tensor/dtype.ts)", () =>
    isTyped(() => api.bytesPerElement(junk("x")), "bytesPerElement"));
  it("setSeed(undefined) names setSeed (tensor/random.ts)", () =>
    isTyped(() => api.setSeed(junk(undefined)), "setSeed"));
  it("broadcastShapes(undefined) (tensor/shape.ts)", () =>
    isTyped(() => api.broadcastShapes(junk(undefined), [1], [1]), "broadcastShapes"));
  it("new CpuBackend(null) (tensor/backends/cpu)", () =>
    isTyped(() => new api.CpuBackend(junk(null)), "CpuBackend"));
  it("sumToShape(undefined) (autograd)", () =>
    isTyped(() => api.sumToShape(junk(undefined), [1]), "sumToShape"));
  it("new Tape(3) (autograd)", () => isTyped(() => new api.Tape(junk(3)), "Tape"));
  it("checkGrad(undefined, [x]) (autograd)", () =>
    isTyped(() => api.checkGrad(junk(undefined), [x23()]), "checkGrad"));
  it("new Session() (runtime/session.ts)", () =>
    isTyped(
      () => new api.Session(junk(undefined), junk(undefined), junk(undefined), junk(undefined)),
      "Session",
    ));
  // decodeModel took the caller's name as a public second argument: junk there ("float32")
  // became the name in the message; it now takes only the bytes (loadModel uses an internal twin)
  it("decodeModel(tensor, 'float32'): the message names decodeModel (runtime/format.ts)", () =>
    isTyped(
      () => (api.decodeModel as (...a: unknown[]) => unknown)(junk(x23()), junk("float32")),
      "decodeModel",
    ));
  it("predict(Linear(4,3), f32[2,3]) names predict (nn/train.ts)", () =>
    isTyped(() => api.predict(linear(), x23()), "predict"));
  it("nn.mse(f32[0,3], f32[0,3]) names the loss (nn/losses.ts)", () =>
    isTyped(() => nn.mse(mk(api.zeros([0, 3])), mk(api.zeros([0, 3]))), "mse"));
  it("nn.huber(f32[0], f32[0]) names the loss (nn/losses.ts)", () =>
    isTyped(() => nn.huber(mk(api.zeros([0])), mk(api.zeros([0]))), "huber"));
  it("setRecorder({}) then an op (tensor/engine.ts)", () =>
    isTyped(() => {
      api.setRecorder(junk({}));
      try {
        return api.add(x23(), 1);
      } finally {
        api.setRecorder(null);
      }
    }, "setRecorder"));
  it("nn.predict(Linear(4,3), f32[2,3]) names predict (nn/train.ts)", () =>
    isTyped(() => nn.predict(linear(), x23()), "predict: Linear"));
  it("nn.binaryCrossEntropy(f32[0,3], f32[0,3]) names the loss (nn/losses.ts)", () =>
    isTyped(
      () => nn.binaryCrossEntropy(mk(api.zeros([0, 3])), mk(api.zeros([0, 3]))),
      "binaryCrossEntropy",
    ));
  it("nn.crossEntropy(f32[0,3], i32[0]) names the loss (nn/losses.ts)", () =>
    isTyped(
      () => nn.crossEntropy(mk(api.zeros([0, 3])), mk(api.zeros([0], "int32"))),
      "crossEntropy",
    ));
  it("loadModel still constructs a Session (runtime/session.ts)", () => {
    const s = api.loadModel(modelBytes());
    expect(s).toBeInstanceOf(api.Session);
    expect(s.inputs.length).toBeGreaterThan(0);
  });
  it("a Recorder object is still accepted by setRecorder (tensor/engine.ts)", () => {
    const seen: string[] = [];
    const prev = api.setRecorder({ record: (op: string) => void seen.push(op) });
    try {
      mk(api.add(x23(), 1));
    } finally {
      api.setRecorder(prev);
    }
    expect(seen).toContain("add");
  });
});
