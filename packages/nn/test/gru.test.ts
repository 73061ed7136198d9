import { fileURLToPath } from "node:url";
import { valueAndGrad } from "@edgenn/autograd";
import * as api from "@edgenn/tensor";
import {
  ArgumentError,
  assign,
  clone,
  DTypeError,
  dispose,
  keep,
  mul,
  noGrad,
  ShapeError,
  sum,
  type Tensor,
  tensor,
  tidy,
} from "@edgenn/tensor";
import {
  collectDocExamples,
  expectClose,
  expectGrad,
  expectNoLeaks,
  runDocExample,
} from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as gruModule from "../src/gru.js";
import { GRU } from "../src/gru.js";

const sigma = (v: number): number => 1 / (1 + Math.exp(-v));

/**
 * Naive float64 GRU (PyTorch equations), batch first: returns the state after every step,
 * `states[t]` flat `[N, H]`.
 */
function gruRef(
  x: ArrayLike<number>,
  [n, steps, f]: readonly number[],
  hidden: number,
  p: {
    wih: ArrayLike<number>;
    whh: ArrayLike<number>;
    bih: ArrayLike<number>;
    bhh: ArrayLike<number>;
  },
  h0?: ArrayLike<number>,
): number[][] {
  const H = hidden;
  let h = h0 ? Array.from(h0) : new Array<number>(n! * H).fill(0);
  const states: number[][] = [];
  for (let t = 0; t < steps!; t++) {
    const next = new Array<number>(n! * H);
    for (let i = 0; i < n!; i++) {
      const gi = new Array<number>(3 * H);
      const gh = new Array<number>(3 * H);
      for (let g = 0; g < 3 * H; g++) {
        let a = p.bih[g]!;
        for (let k = 0; k < f!; k++) a += x[(i * steps! + t) * f! + k]! * p.wih[g * f! + k]!;
        let b = p.bhh[g]!;
        for (let k = 0; k < H; k++) b += h[i * H + k]! * p.whh[g * H + k]!;
        gi[g] = a;
        gh[g] = b;
      }
      for (let j = 0; j < H; j++) {
        const r = sigma(gi[j]! + gh[j]!);
        const z = sigma(gi[H + j]! + gh[H + j]!);
        const c = Math.tanh(gi[2 * H + j]! + r * gh[2 * H + j]!);
        next[i * H + j] = (1 - z) * c + z * h[i * H + j]!;
      }
    }
    h = next;
    states.push(next);
  }
  return states;
}

function paramsOf(gru: GRU) {
  return {
    wih: gru.weightIh.dataSync(),
    whh: gru.weightHh.dataSync(),
    bih: gru.biasIh.dataSync(),
    bhh: gru.biasHh.dataSync(),
  };
}

describe("GRU", () => {
  it("registers PyTorch-shaped parameters, initialised uniform in ±1/√H and seeded", () => {
    const gru = new GRU(3, 4, { seed: 7 });
    expect(gru.namedParameters().map(([k, t]) => [k, t.shape])).toEqual([
      ["weightIh", [12, 3]],
      ["weightHh", [12, 4]],
      ["biasIh", [12]],
      ["biasHh", [12]],
    ]);
    // 3H·(F + H + 2) = 12·9
    expect(gru.parameterCount()).toBe(108);
    const all = gru.parameters().flatMap((p) => Array.from(p.dataSync()));
    expect(Math.max(...all.map(Math.abs))).toBeLessThanOrEqual(0.5); // 1/√4
    expect(Math.max(...all.map(Math.abs))).toBeGreaterThan(0.4); // spread over the whole range
    const same = new GRU(3, 4, { seed: 7 });
    const other = new GRU(3, 4, { seed: 8 });
    expect(Array.from(same.weightHh.dataSync())).toEqual(Array.from(gru.weightHh.dataSync()));
    expect(Array.from(other.weightHh.dataSync())).not.toEqual(Array.from(gru.weightHh.dataSync()));
    // the four tensors draw from one stream: no two are copies of each other
    expect(Array.from(gru.biasIh.dataSync())).not.toEqual(Array.from(gru.biasHh.dataSync()));
    for (const m of [gru, same, other]) m.dispose();
  });

  it("computes two steps as worked out by hand (golden)", () => {
    // F = H = 1; W_i = [0.5, −0.5, 1] (r, z, n), W_h = [0.1, 0.2, 0.3], b_i = 0, b_h = [0, 0, 0.5]
    // step 1, x = 1, h = 0.5: r = σ(0.5 + 0.05) = 0.6341356, z = σ(−0.5 + 0.1) = 0.4013123,
    //   n = tanh(1 + r·(0.15 + 0.5)) = 0.8879579, h' = (1 − z)·n + z·0.5 = 0.7322656
    // step 2, x = −1, h = 0.7322656: r = σ(−0.5 + 0.0732266) = 0.3948971,
    //   z = σ(0.5 + 0.1464531) = 0.6562107, n = tanh(−1 + r·(0.2196797 + 0.5)) = −0.6143014,
    //   h' = (1 − z)·n + z·h = 0.2693303
    const gru = new GRU(1, 1, { returnSequences: true, seed: 1 });
    tidy(() => {
      gru.loadStateDict({
        weightIh: tensor([[0.5], [-0.5], [1]]),
        weightHh: tensor([[0.1], [0.2], [0.3]]),
        biasIh: tensor([0, 0, 0]),
        biasHh: tensor([0, 0, 0.5]),
      });
      const y = gru.forward(tensor([[[1], [-1]]]), tensor([[0.5]]));
      expect(y.shape).toEqual([1, 2, 1]);
      expectClose(y, [[[0.7322656], [0.2693303]]]);
    });
    gru.dispose();
  });

  fcTest.prop(
    [
      fc
        .record({
          n: fc.integer({ min: 1, max: 3 }),
          t: fc.integer({ min: 1, max: 4 }),
          f: fc.integer({ min: 1, max: 4 }),
          h: fc.integer({ min: 1, max: 4 }),
          seq: fc.boolean(),
          withH0: fc.boolean(),
          seed: fc.integer(),
        })
        .chain((o) =>
          fc.record({
            o: fc.constant(o),
            x: fc.array(fc.double({ min: -2, max: 2, noNaN: true }), {
              minLength: o.n * o.t * o.f,
              maxLength: o.n * o.t * o.f,
            }),
            h0: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), {
              minLength: o.n * o.h,
              maxLength: o.n * o.h,
            }),
          }),
        ),
    ],
    { numRuns: 25 },
  )("matches a naive float64 loop", ({ o, x, h0 }) => {
    const gru = new GRU(o.f, o.h, { returnSequences: o.seq, seed: o.seed });
    tidy(() => {
      const xf = x.map(Math.fround);
      const hf = h0.map(Math.fround);
      const states = gruRef(xf, [o.n, o.t, o.f], o.h, paramsOf(gru), o.withH0 ? hf : undefined);
      const y = gru.forward(
        tensor(xf, { shape: [o.n, o.t, o.f] }),
        o.withH0 ? tensor(hf, { shape: [o.n, o.h] }) : undefined,
      );
      if (o.seq) {
        expect(y.shape).toEqual([o.n, o.t, o.h]);
        // states[t][i·H + j] → y[i, t, j]
        const flat: number[] = [];
        for (let i = 0; i < o.n; i++)
          for (let t = 0; t < o.t; t++) flat.push(...states[t]!.slice(i * o.h, (i + 1) * o.h));
        expectClose(y, flat, { rtol: 1e-5, atol: 1e-5 });
      } else {
        expect(y.shape).toEqual([o.n, o.h]);
        expectClose(y, states[o.t - 1]!, { rtol: 1e-5, atol: 1e-5 });
      }
    });
    gru.dispose();
  });

  it("has the right gradient w.r.t. the input, h0 and every parameter (BPTT)", () => {
    const gru = new GRU(3, 2, { returnSequences: true, seed: 3 });
    const params = gru.parameters();
    const saved = noGrad(() => params.map((p) => keep(clone(p))));
    tidy(() => {
      const x = tensor(
        [
          0.3, -1.2, 2.0, 0.5, 1.1, 0.4, -0.7, -2.0, -0.5, 0.9, 0.2, 1.3, 0.8, -0.3, 0.6, -1.0, 0.1,
          0.7,
        ],
        { shape: [2, 3, 3] },
      );
      const h0 = tensor([
        [0.2, -0.4],
        [0.6, 0.1],
      ]);
      // weights make every output element count differently (catches mixed-up positions)
      const w = tensor(
        Array.from({ length: 12 }, (_, i) => ((i * 7) % 5) - 2),
        { shape: [2, 3, 2] },
      );
      expectGrad((a, b) => sum(mul(gru.forward(a!, b!), w)), [x, h0]);
      // params: the check evaluates f at perturbed copies; write them into the module's own
      // parameters (and the saved values back when f gets a parameter itself), so the forward pass
      // reads them exactly as in training
      const f = (...ws: Tensor[]): Tensor => {
        noGrad(() => {
          for (const [i, v] of ws.entries()) assign(params[i]!, v === params[i] ? saved[i]! : v);
        });
        return sum(mul(gru.forward(x, h0), w));
      };
      expectGrad(f, params);
      // the last state only, without h0
      const g = new GRU(3, 2, { seed: 4 });
      expectGrad((a) => sum(mul(g.forward(a!), tensor([1, -2]))), [x]);
      g.dispose();
    });
    noGrad(() => {
      for (const [i, p] of params.entries()) assign(p, saved[i]!);
    });
    dispose(saved);
    gru.dispose();
  });

  it("releases every intermediate in a training step", () => {
    const gru = new GRU(2, 3, { seed: 5 });
    const x = tensor([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], { shape: [1, 3, 2] });
    expectNoLeaks(
      () => {
        const { value, grads } = valueAndGrad(() => sum(gru.forward(x)), gru.parameters());
        dispose([value, grads]);
      },
      { steps: 30 },
    );
    x.dispose();
    gru.dispose();
  });

  it("rejects bad sizes, inputs and options with typed errors", () => {
    expect(() => new GRU(0, 2)).toThrow(ArgumentError);
    expect(() => new GRU(2, 1.5)).toThrow(/GRU: hiddenSize must be an integer ≥ 1 \(got 1.5\)/);
    expect(() => new GRU(2, 2, { seed: Number.NaN })).toThrow(ArgumentError);
    expect(() => new GRU(2, 2, { returnSequences: 1 as unknown as boolean })).toThrow(
      ArgumentError,
    );
    const gru = new GRU(2, 3, { seed: 1 });
    tidy(() => {
      expect(() => gru.forward(tensor([[1, 2]]))).toThrow(ShapeError);
      expect(() => gru.forward(tensor([[[1, 2, 3]]]))).toThrow(
        /GRU: x must be \[N, T, F\] with F = 2 and T ≥ 1 \(got \[1,1,3\]\)/,
      );
      expect(() => gru.forward(tensor([[]]).reshape([1, 0, 2]))).toThrow(ShapeError);
      expect(() => gru.forward(tensor([[[1, 2]]], { dtype: "int32" }))).toThrow(DTypeError);
      expect(() => gru.forward(tensor([[[1, 2]]]), tensor([[0, 0]]))).toThrow(
        /GRU: h0 must have shape \[N, H\] = \[1,3\] \(got \[1,2\]\)/,
      );
      expect(() =>
        gru.forward(tensor([[[1, 2]]]), tensor([[0, 0, 0]], { dtype: "int32" })),
      ).toThrow(DTypeError);
      expect(() => gru.forward([1, 2] as unknown as Tensor)).toThrow(ArgumentError);
    });
    gru.dispose();
  });

  it("runs its TSDoc example", () => {
    const examples = collectDocExamples(fileURLToPath(new URL("../src", import.meta.url))).filter(
      (e) => e.file === "gru.ts",
    );
    expect(examples.length).toBe(1);
    tidy(() => {
      expect(runDocExample(examples[0]!, { ...api, ...gruModule })).toBe(1);
    });
  });
});
