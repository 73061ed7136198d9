import { countBufferAllocations } from "@edgenn/testkit";
/*
 * The gru and layerNorm ops: golden values derived by hand, fast-check properties against naive
 * float64 loops written here, allocation-free steady-state runs, and bad graphs rejected with a
 * ModelFormatError naming the node.
 */

import { ModelFormatError } from "@edgenn/tensor";
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import {
  createSession as createCore,
  type Graph,
  loadModel as loadCore,
  type Output,
  type SessionOptions,
  saveModel,
} from "../src/index.js";
import { allOps } from "../src/op-sets.js";
import { close, f32, init, node, randArray } from "./helpers.js";

// these ops live in the op sets of `@edgenn/runtime/ops`: every session here takes them
const withOps = (o: SessionOptions = {}): SessionOptions => ({ ...o, ops: allOps });
const createSession = (g: Graph, o?: SessionOptions) => createCore(g, withOps(o));
const loadModel = (b: Uint8Array, o?: SessionOptions) => loadCore(b, withOps(o));

/** A one-node gru graph over x [n, t, f] with hidden size h and the given weights. */
function gruGraph(
  n: number,
  t: number,
  f: number,
  h: number,
  isSeq: boolean,
  w: { wi: ArrayLike<number>; wh: ArrayLike<number>; bi: ArrayLike<number>; bh: ArrayLike<number> },
): Graph {
  return {
    inputs: [f32("x", [n, t, f])],
    outputs: [f32("y", isSeq ? [n, t, h] : [n, h])],
    nodes: [
      node("gru", ["x", "wi", "wh", "bi", "bh"], "y", {
        hiddenSize: h,
        returnSequences: isSeq ? 1 : 0,
      }),
    ],
    initializers: [
      init("wi", [3 * h, f], w.wi),
      init("wh", [3 * h, h], w.wh),
      init("bi", [3 * h], w.bi),
      init("bh", [3 * h], w.bh),
    ],
  };
}

const sig = (v: number): number => 1 / (1 + Math.exp(-v));

/** PyTorch's GRU equations as a plain float64 loop; returns every h_t, [n, t, h] row-major. */
function refGru(
  x: ArrayLike<number>,
  n: number,
  T: number,
  f: number,
  h: number,
  w: { wi: ArrayLike<number>; wh: ArrayLike<number>; bi: ArrayLike<number>; bh: ArrayLike<number> },
): number[] {
  const out: number[] = [];
  for (let s = 0; s < n; s++) {
    let hs = new Array<number>(h).fill(0);
    const seq: number[][] = [];
    for (let t = 0; t < T; t++) {
      // gate g ∈ {r, z, n} uses rows g·h … g·h + h − 1 of W_ih, W_hh, b_ih, b_hh
      const lin = (g: number, j: number) => {
        let a = w.bi[g * h + j]!;
        for (let k = 0; k < f; k++) a += x[(s * T + t) * f + k]! * w.wi[(g * h + j) * f + k]!;
        let b = w.bh[g * h + j]!;
        for (let k = 0; k < h; k++) b += hs[k]! * w.wh[(g * h + j) * h + k]!;
        return [a, b] as const;
      };
      const next = hs.map((hj, j) => {
        const [ar, br] = lin(0, j);
        const [az, bz] = lin(1, j);
        const [an, bn] = lin(2, j);
        const r = sig(ar + br);
        const z = sig(az + bz);
        const cand = Math.tanh(an + r * bn);
        return (1 - z) * cand + z * hj;
      });
      hs = next;
      seq.push(next);
    }
    out.push(...seq.flat());
  }
  return out;
}

function run(g: Graph, x: Float32Array): Float32Array {
  return (loadModel(saveModel(g)).run(x) as Output).data as Float32Array;
}

describe("op sets", () => {
  it("a core session names the op set that runs an op it lacks", () => {
    const w = { wi: [1, 2, 3], wh: [1, 1, 1], bi: [0, 0, 0], bh: [0, 0, 0] };
    const g = gruGraph(1, 1, 1, 1, false, w);
    expect(() => createCore(g)).toThrow(ModelFormatError);
    expect(() => createCore(g)).toThrow(
      /unknown ops gru .*recurrentOps from "@edgenn\/runtime\/ops" run them: pass \{ ops: \[recurrentOps\] \}/,
    );
    expect(() => createCore(g, { ops: allOps })).not.toThrow();
    // a bad ops option is an ArgumentError, not a TypeError from deep inside
    expect(() => createCore(g, { ops: {} as never })).toThrow(/array of op sets/);
  });
});

describe("gru", () => {
  // H = F = 1, x = [1, −1]; W_ih = [1, 2, 1], W_hh = [0.5, −1, 2], b_ih = 0, b_hh = [0, 0, 0.5]
  // t=1 (h=0): r = σ(1) = 0.731059, z = σ(2) = 0.880797, n = tanh(1 + r·0.5) = 0.877669,
  //            h₁ = (1 − z)·n = 0.104621
  // t=2: r = σ(−1 + 0.5h₁) = 0.279350, z = σ(−2 − h₁) = 0.108649,
  //      n = tanh(−1 + r·(2h₁ + 0.5)) = −0.665083, h₂ = (1 − z)·n + z·h₁ = −0.581456
  const golden = { wi: [1, 2, 1], wh: [0.5, -1, 2], bi: [0, 0, 0], bh: [0, 0, 0.5] };
  it("golden values, last state and every state", () => {
    const x = new Float32Array([1, -1]);
    close(run(gruGraph(1, 2, 1, 1, false, golden), x), [-0.581456], 1e-6, 1e-5);
    close(run(gruGraph(1, 2, 1, 1, true, golden), x), [0.104621, -0.581456], 1e-6, 1e-5);
  });

  test.prop(
    [
      fc.record({
        n: fc.integer({ min: 1, max: 3 }),
        t: fc.integer({ min: 1, max: 5 }),
        f: fc.integer({ min: 1, max: 6 }),
        h: fc.integer({ min: 1, max: 9 }),
        isSeq: fc.boolean(),
        seed: fc.integer({ min: 1, max: 1e6 }),
      }),
    ],
    { numRuns: 40 },
  )("matches a naive float64 loop of PyTorch's equations", ({ n, t, f, h, isSeq, seed }) => {
    const w = {
      wi: randArray(3 * h * f, seed + 1),
      wh: randArray(3 * h * h, seed + 2),
      bi: randArray(3 * h, seed + 3),
      bh: randArray(3 * h, seed + 4),
    };
    const x = randArray(n * t * f, seed, 2);
    const all = refGru(x, n, t, f, h, w);
    const want = isSeq
      ? all
      : Array.from({ length: n }, (_, s) => all.slice((s * t + t - 1) * h, (s * t + t) * h)).flat();
    const y = run(gruGraph(n, t, f, h, isSeq, w), x);
    close(y, want, 1e-5, 1e-4);
  });

  it("runs again with the same result (the state starts at 0 every run)", () => {
    const w = {
      wi: randArray(36, 1),
      wh: randArray(48, 2),
      bi: randArray(12, 3),
      bh: randArray(12, 4),
    };
    const s = createSession(gruGraph(2, 3, 3, 4, false, w));
    const x = randArray(18, 5);
    const a = Float32Array.from((s.run(x) as Output).data as Float32Array);
    const b = (s.run(x) as Output).data;
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it("a steady-state run constructs no buffer (scratch planned at load)", () => {
    const w = {
      wi: randArray(3 * 8 * 5, 1),
      wh: randArray(3 * 8 * 8, 2),
      bi: randArray(24, 3),
      bh: randArray(24, 4),
    };
    for (const [n, isSeq] of [
      [1, false],
      [4, true],
    ] as const) {
      const s = createSession(gruGraph(n, 6, 5, 8, isSeq, w));
      const x = randArray(n * 6 * 5, 5);
      s.run(x);
      expect(countBufferAllocations(() => runMany(s, x, 100))).toBe(0);
    }
    // negative control: the counter sees a buffer built on the run path
    expect(countBufferAllocations(() => new Float32Array(4))).toBe(1);
  });

  it("bad shapes and attributes are ModelFormatErrors naming the node", () => {
    const ok = gruGraph(1, 2, 3, 2, false, {
      wi: randArray(18, 1),
      wh: randArray(12, 2),
      bi: randArray(6, 3),
      bh: randArray(6, 4),
    });
    const swap = (name: string, shape: number[]): Graph => ({
      ...ok,
      initializers: ok.initializers.map((t) => (t.name === name ? init(name, shape, 1) : t)),
    });
    expect(() => createSession(ok)).not.toThrow();
    const bad = (g: Graph, msg: RegExp) => {
      expect(() => createSession(g)).toThrow(ModelFormatError);
      expect(() => createSession(g)).toThrow(msg);
    };
    // W_ih [6, 1] but F = 3
    bad(swap("wi", [6, 1]), /\(gru\): W_ih \(input 1\) must be \[6,3\], got \[6,1\]/);
    // x not 3-D
    bad(
      { ...ok, inputs: [f32("x", [2, 3])], outputs: [f32("y", [-1, -1])] },
      /x must be \[N, T, F\], got \[2,3\]/,
    );
    // hiddenSize disagrees with W_hh
    const n0 = ok.nodes[0]!;
    bad(
      { ...ok, nodes: [{ ...n0, attrs: { hiddenSize: 3 } }] },
      /W_ih \(input 1\) must be \[9,3\]/,
    );
    bad(
      { ...ok, nodes: [{ ...n0, attrs: { returnSequences: 2 } }] },
      /attribute returnSequences must be an integer in \[0, 1\], got 2/,
    );
    // a bias of the wrong length
    bad(swap("bh", [5]), /b_hh \(input 4\) must be \[6\], got \[5\]/);
    // four inputs
    bad({ ...ok, nodes: [{ ...n0, inputs: n0.inputs.slice(0, 4) }] }, /expected 5…5 inputs/);
  });
});

/** Naive layer norm over the last `k` elements of each row, float64. */
function refLayerNorm(
  x: ArrayLike<number>,
  inner: number,
  eps: number,
  scale?: ArrayLike<number>,
  bias?: ArrayLike<number>,
): number[] {
  const y: number[] = [];
  for (let o = 0; o < x.length; o += inner) {
    const row = Array.from({ length: inner }, (_, i) => x[o + i]!);
    const mu = row.reduce((a, b) => a + b, 0) / inner;
    const v = row.reduce((a, b) => a + (b - mu) ** 2, 0) / inner;
    for (let i = 0; i < inner; i++) {
      y.push(
        ((row[i]! - mu) / Math.sqrt(v + eps)) * (scale ? scale[i]! : 1) + (bias ? bias[i]! : 0),
      );
    }
  }
  return y;
}

function lnGraph(shape: number[], ax: number, eps: number, affine: boolean): Graph {
  const norm = shape.slice(ax < 0 ? ax + shape.length : ax);
  const k = norm.reduce((a, b) => a * b, 1);
  return {
    inputs: [f32("x", shape)],
    outputs: [f32("y", shape)],
    nodes: [node("layerNorm", affine ? ["x", "s", "b"] : ["x"], "y", { axis: ax, epsilon: eps })],
    initializers: affine
      ? [init("s", norm, randArray(k, 7)), init("b", norm, randArray(k, 8))]
      : [],
  };
}

describe("layerNorm", () => {
  it("golden values", () => {
    // [1, 3]: μ = 2, σ² = 1 → [−1, 1]/√(1 + 0) ; [2, 2]: σ² = 0 → 0·… + bias
    const g: Graph = {
      inputs: [f32("x", [2, 2])],
      outputs: [f32("y", [2, 2])],
      nodes: [node("layerNorm", ["x", "", "b"], "y", { epsilon: 0.25 })],
      initializers: [init("b", [2], [5, 5])],
    };
    // eps 0.25: [1, 3] → [−1, 1]/√1.25 + 5 = [4.105573, 5.894427]; [2, 2] → [5, 5]
    close(run(g, new Float32Array([1, 3, 2, 2])), [4.105573, 5.894427, 5, 5], 1e-6, 1e-6);
  });

  test.prop(
    [
      fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
      fc.nat(),
      fc.boolean(),
      fc.integer({ min: 1, max: 1e6 }),
    ],
    { numRuns: 40 },
  )("matches a naive float64 loop", (shape, a, affine, seed) => {
    const ax = (a % shape.length) - (a % 2 ? shape.length : 0); // positive and negative axes
    const g = lnGraph(shape, ax, 1e-5, affine);
    const k = shape.slice(ax < 0 ? ax + shape.length : ax).reduce((p, q) => p * q, 1);
    const x = randArray(
      shape.reduce((p, q) => p * q, 1),
      seed,
      3,
    );
    const [s, b] = affine ? [g.initializers[0]!.data, g.initializers[1]!.data] : [];
    close(run(g, x), refLayerNorm(x, k, 1e-5, s, b), 1e-5, 1e-4);
  });

  it("a steady-state run constructs no buffer", () => {
    const s = createSession(lnGraph([4, 3, 5], -2, 1e-5, true));
    const x = randArray(60, 1);
    expect(countBufferAllocations(() => runMany(s, x, 100))).toBe(0);
  });

  it("bad axis, epsilon or scale shape are ModelFormatErrors naming the node", () => {
    const g = lnGraph([2, 3], -1, 1e-5, true);
    const n0 = g.nodes[0]!;
    const bad = (h: Graph, msg: RegExp) => {
      expect(() => createSession(h)).toThrow(ModelFormatError);
      expect(() => createSession(h)).toThrow(msg);
    };
    bad({ ...g, nodes: [{ ...n0, attrs: { axis: 2 } }] }, /\(layerNorm\): axis 2 is out of range/);
    bad(
      { ...g, nodes: [{ ...n0, attrs: { epsilon: -1 } }] },
      /attribute epsilon must be a number in \[0, Infinity\]/,
    );
    bad(
      { ...g, initializers: [init("s", [2], [1, 1]), g.initializers[1]!] },
      /input 1 must be \[3\] \(the normalised dims\), got \[2\]/,
    );
  });
});

function runMany(s: ReturnType<typeof createSession>, x: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) s.run(x);
}
