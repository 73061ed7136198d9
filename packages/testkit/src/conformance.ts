/*
 * The conformance suite: every primitive kernel, run through the public ops on the backend under test
 * and on the CPU reference backend, on the same seeded inputs (including strided, broadcast and
 * reversed views), compared within the backend's declared tolerance. Gradients run too, so the
 * backward kernels (scatterAdd, conv and pool backprop) are covered.
 */
import { valueAndGrad } from "@edgenn/autograd";
import * as T from "@edgenn/tensor";

type Api = typeof T;

/** One case: a name and a function of the public API returning the tensors to compare. */
export interface ConformanceCase {
  readonly name: string;
  readonly run: (api: Api) => T.Tensor | T.Tensor[];
}

/** The outcome of one case. */
export interface ConformanceResult {
  readonly name: string;
  readonly ok: boolean;
  readonly maxAbsError: number;
  readonly error?: string;
}

const r = (shape: number[], seed: number): T.Tensor => T.randn(shape, { seed });
const pos = (shape: number[], seed: number): T.Tensor => T.rand(shape, { seed, min: 0.1, max: 2 });

function has(api: Api, name: string): boolean {
  return typeof (api as unknown as Record<string, unknown>)[name] === "function";
}

function call(api: Api, name: string, ...args: unknown[]): T.Tensor {
  return (api as unknown as Record<string, (...a: unknown[]) => T.Tensor>)[name]!(...args);
}

/** The cases, built from what the API exports (ops not yet present are skipped). */
export function conformanceCases(api: Api = T): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  const unaryPos = ["log", "sqrt"];
  const unary = [
    "neg",
    "abs",
    "exp",
    "square",
    "sign",
    "relu",
    "sigmoid",
    "tanh",
    "softplus",
    ...unaryPos,
  ];
  for (const op of unary) {
    if (!has(api, op)) continue;
    const src = unaryPos.includes(op) ? pos : r;
    cases.push({ name: `${op} contiguous`, run: (a) => call(a, op, src([3, 5], 1)) });
    cases.push({
      name: `${op} transposed view`,
      run: (a) => call(a, op, a.transpose(src([4, 6], 2))),
    });
  }
  for (const op of [
    "add",
    "sub",
    "mul",
    "div",
    "maximum",
    "minimum",
    "pow",
    "equal",
    "greater",
    "less",
  ]) {
    if (!has(api, op)) continue;
    const lhs = op === "pow" ? pos : r;
    cases.push({
      name: `${op} same shape`,
      run: (a) =>
        call(a, op, lhs([2, 3, 4], 3), op === "div" ? pos([2, 3, 4], 4) : r([2, 3, 4], 4)),
    });
    cases.push({
      name: `${op} broadcast`,
      run: (a) => call(a, op, lhs([2, 1, 4], 5), op === "div" ? pos([3, 1], 6) : r([3, 1], 6)),
    });
    cases.push({ name: `${op} scalar`, run: (a) => call(a, op, lhs([5], 7), 2) });
  }
  cases.push({
    name: "add int32",
    run: (a) => a.add(a.tensor([1, -2, 3], { dtype: "int32" }), a.tensor([7], { dtype: "int32" })),
  });
  cases.push({
    name: "where broadcast",
    run: (a) => a.where(a.greater(r([3, 1], 8), 0), r([1, 4], 9), r([3, 4], 10)),
  });
  for (const op of ["sum", "max", "min", "mean"]) {
    if (!has(api, op)) continue;
    cases.push({ name: `${op} all`, run: (a) => call(a, op, r([3, 4, 5], 11)) });
    cases.push({
      name: `${op} axes [0, 2] keepDims`,
      run: (a) => call(a, op, r([3, 4, 5], 12), [0, 2], true),
    });
    cases.push({
      name: `${op} of a transposed view, axis 1`,
      run: (a) => call(a, op, a.transpose(r([3, 4, 5], 13)), 1),
    });
  }
  if (has(api, "argmax"))
    cases.push({ name: "argmax axis 1", run: (a) => call(a, "argmax", r([4, 7], 14), 1) });
  cases.push({ name: "matmul", run: (a) => a.matmul(r([5, 7], 15), r([7, 3], 16)) });
  cases.push({
    name: "matmul transposed operands",
    run: (a) => a.matmul(a.transpose(r([7, 5], 17)), a.transpose(r([3, 7], 18))),
  });
  cases.push({
    name: "matmul batch broadcast",
    run: (a) => a.matmul(r([2, 1, 4, 6], 19), r([3, 6, 2], 20)),
  });
  cases.push({
    name: "cast float32 → int8 (saturating)",
    run: (a) => a.cast(a.mul(r([20], 21), 100), "int8"),
  });
  cases.push({
    name: "copy of a strided view",
    run: (a) => a.clone(a.transpose(r([3, 4, 2], 22), [2, 0, 1])),
  });
  if (has(api, "gather"))
    cases.push({
      name: "gather axis 1",
      run: (a) => call(a, "gather", r([3, 5], 23), a.tensor([4, 0, 0, 2], { dtype: "int32" }), 1),
    });
  if (has(api, "conv2d")) {
    cases.push({
      name: "conv2d stride 2 pad 1 + bias",
      run: (a) =>
        call(a, "conv2d", r([2, 3, 9, 9], 24), r([4, 3, 3, 3], 25), r([4], 26), {
          stride: 2,
          padding: 1,
        }),
    });
    cases.push({
      name: "conv2d depthwise",
      run: (a) =>
        call(a, "conv2d", r([1, 4, 6, 6], 27), r([4, 1, 3, 3], 28), undefined, {
          groups: 4,
          padding: "same",
        }),
    });
  }
  if (has(api, "maxPool2d"))
    cases.push({
      name: "maxPool2d 3/2 ceil",
      run: (a) =>
        call(a, "maxPool2d", r([1, 2, 7, 7], 29), { kernelSize: 3, stride: 2, ceilMode: true }),
    });
  if (has(api, "avgPool2d"))
    cases.push({
      name: "avgPool2d 2 pad 1",
      run: (a) => call(a, "avgPool2d", r([1, 2, 6, 6], 30), { kernelSize: 2, padding: 1 }),
    });
  // backward kernels, through autograd
  cases.push({
    name: "gradient of a small network",
    run: (a) => {
      const w = r([6, 4], 31);
      const x = r([5, 6], 32);
      return valueAndGrad(() => a.sum(a.tanh(a.matmul(x, w))), [w]).grads;
    },
  });
  if (has(api, "conv2d") && has(api, "maxPool2d")) {
    cases.push({
      name: "gradient through conv2d + maxPool2d",
      run: (a) => {
        const x = r([2, 2, 8, 8], 33);
        const w = r([3, 2, 3, 3], 34);
        return valueAndGrad(
          () =>
            a.sum(
              call(a, "maxPool2d", call(a, "conv2d", x, w, undefined, { padding: 1 }), {
                kernelSize: 2,
              }),
            ),
          [x, w],
        ).grads;
      },
    });
  }
  return cases;
}

function values(t: T.Tensor | T.Tensor[]): number[][] {
  return (Array.isArray(t) ? t : [t]).map((x) => Array.from(x.dataSync()));
}

/**
 * Runs every case on `backend` and on a fresh CPU backend and compares the results elementwise within
 * `atol + rtol·|cpu|`. Leaves the previously active backend active again.
 */
export function runConformance(
  backend: T.Backend,
  {
    rtol = 1e-5,
    atol = 1e-5,
    cases = conformanceCases(),
  }: { rtol?: number; atol?: number; cases?: ConformanceCase[] } = {},
): ConformanceResult[] {
  const previous = T.getBackend();
  const reference = new T.CpuBackend();
  const results: ConformanceResult[] = [];
  try {
    for (const c of cases) {
      let ok = true;
      let maxAbsError = 0;
      let error: string | undefined;
      try {
        T.setBackend(reference);
        const want = T.tidy(() => values(c.run(T)));
        T.setBackend(backend);
        const got = T.tidy(() => values(c.run(T)));
        if (got.length !== want.length)
          throw new Error(`returned ${got.length} tensors, expected ${want.length}`);
        want.forEach((w, i) => {
          const g = got[i]!;
          if (g.length !== w.length)
            throw new Error(`output ${i} has ${g.length} elements, expected ${w.length}`);
          for (let j = 0; j < w.length; j++) {
            const e = Math.abs(g[j]! - w[j]!);
            if (
              !(e <= atol + rtol * Math.abs(w[j]!)) &&
              !(Number.isNaN(g[j]) && Number.isNaN(w[j]))
            )
              ok = false;
            if (e > maxAbsError) maxAbsError = e;
          }
        });
      } catch (e) {
        ok = false;
        error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      }
      results.push(
        error === undefined
          ? { name: c.name, ok, maxAbsError }
          : { name: c.name, ok, maxAbsError, error },
      );
    }
  } finally {
    T.setBackend(previous);
  }
  return results;
}
