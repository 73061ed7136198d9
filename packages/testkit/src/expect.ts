import { type CheckGradOptions, checkGrad } from "@edgenn/autograd";
import {
  assign,
  clone,
  dispose,
  memory,
  mul,
  type NestedArray,
  randn,
  sum,
  type Tensor,
  Tensor as TensorClass,
  tidy,
} from "@edgenn/tensor";
import { expect } from "vitest";

type Values = Tensor | number | NestedArray | ArrayLike<number>;

function flat(v: Values): { data: number[]; shape: number[] | null } {
  if (v instanceof TensorClass) return { data: Array.from(v.dataSync()), shape: v.shape.slice() };
  if (typeof v === "number") return { data: [v], shape: null };
  if (Array.isArray(v)) {
    const out: number[] = [];
    const walk = (x: unknown): void => {
      if (Array.isArray(x)) x.forEach(walk);
      else out.push(x as number);
    };
    walk(v);
    return { data: out, shape: null };
  }
  return { data: Array.from(v as ArrayLike<number>), shape: null };
}

/**
 * Asserts `actual` equals `expected` elementwise within `atol + rtol·|expected|` (NaN matches NaN,
 * ±Infinity must match exactly). Shapes are compared when both are tensors.
 */
export function expectClose(
  actual: Values,
  expected: Values,
  { rtol = 1e-5, atol = 1e-6 } = {},
): void {
  const a = flat(actual);
  const e = flat(expected);
  if (a.shape && e.shape) expect(a.shape, "shape").toEqual(e.shape);
  expect(a.data.length, "element count").toBe(e.data.length);
  for (let i = 0; i < a.data.length; i++) {
    const x = a.data[i]!;
    const y = e.data[i]!;
    if (Number.isNaN(y)) {
      if (!Number.isNaN(x)) expect.fail(`element ${i}: expected NaN, got ${x}`);
      continue;
    }
    if (!Number.isFinite(y)) {
      if (x !== y) expect.fail(`element ${i}: expected ${y}, got ${x}`);
      continue;
    }
    const tol = atol + rtol * Math.abs(y);
    if (!(Math.abs(x - y) <= tol)) {
      expect.fail(
        `element ${i}: expected ${y} ± ${tol.toExponential(2)}, got ${x} (|Δ| = ${Math.abs(x - y).toExponential(3)})`,
      );
    }
  }
}

/** Asserts autograd's gradients of `f` match float64 central differences (see `checkGrad`). */
export function expectGrad(
  f: (...xs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  options?: CheckGradOptions,
): void {
  const r = checkGrad(f, inputs, options);
  if (!r.ok) {
    const w = r.worst!;
    expect.fail(
      `gradient mismatch at input ${w.input}, element ${w.index}: analytic ${w.analytic}, numeric ${w.numeric} (${r.checked} elements checked)`,
    );
  }
}

/**
 * Runs `step` `steps` times and asserts that, after `warmup` steps, live tensors and live bytes stay
 * exactly where they were: each step releases everything it made.
 */
export function expectNoLeaks(step: () => void, { steps = 1000, warmup = 5 } = {}): void {
  for (let i = 0; i < warmup; i++) step();
  const before = memory();
  let maxBytes = before.bytes;
  let maxTensors = before.tensors;
  for (let i = 0; i < steps; i++) {
    step();
    const m = memory();
    if (m.bytes > maxBytes) maxBytes = m.bytes;
    if (m.tensors > maxTensors) maxTensors = m.tensors;
  }
  const after = memory();
  expect(after.tensors, "live tensors after the steps").toBe(before.tensors);
  expect(after.bytes, "live bytes after the steps").toBe(before.bytes);
  expect(maxTensors, "live tensors never grew").toBe(before.tensors);
  expect(maxBytes, "live bytes never grew").toBe(before.bytes);
}

/** What `expectModuleGrad` needs of a layer: its parameters and a one-input forward. */
export interface Differentiable {
  parameters(): Tensor[];
  forward(x: Tensor): Tensor;
}

/**
 * Asserts the gradients of a layer's output (projected on a fixed random direction) with respect
 * to its input and every parameter match central differences. Perturbed parameter values are written
 * into the layer with `assign` for each evaluation and restored afterwards.
 */
export function expectModuleGrad(
  layer: Differentiable,
  x: Tensor,
  options?: CheckGradOptions,
): void {
  const params = layer.parameters();
  const saved = params.map((p) => clone(p));
  const r = tidy(() => randn(layer.forward(x).shape, { seed: 99 }));
  try {
    expectGrad(
      (xi, ...ps) => {
        const swap = (from: readonly Tensor[]): void => {
          for (let i = 0; i < ps.length; i++) if (ps[i] !== params[i]) assign(params[i]!, from[i]!);
        };
        swap(ps);
        const loss = sum(mul(layer.forward(xi!), r));
        swap(saved);
        return loss;
      },
      [x, ...params],
      options,
    );
  } finally {
    dispose([saved, r]);
  }
}
