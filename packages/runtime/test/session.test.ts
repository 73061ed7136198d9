import { DTypeError, ModelFormatError, OutOfMemoryError, ShapeError } from "@edgenn/tensor";
import { describe, expect, it } from "vitest";
import { type Graph, type Output, type OutputMap, saveModel } from "../src/index.js";
import {
  close,
  f32,
  init,
  ints,
  mlp,
  node,
  oneOp,
  randArray,
  ravel,
  refConv,
  refMatmul,
  size,
  unravel,
} from "./helpers.js";
import { createSession, loadModel } from "./sessions.js";

/** Runs a graph through save → load → run with the given inputs; returns the output data. */
function runGraph(g: Graph, ...inputs: Float32Array[]): Float32Array {
  const s = loadModel(saveModel(g));
  const input =
    inputs.length === 1 ? inputs[0]! : Object.fromEntries(inputs.map((x, i) => [`x${i}`, x]));
  return (s.run(input) as Output).data as Float32Array;
}

/** The reference MLP forward pass, from the graph's own initializers, in float64. */
function refMlp(g: Graph, x: Float32Array, batch: number): number[] {
  const w = (n: string) => g.initializers.find((t) => t.name === n)!.data;
  const dense = (
    a: ArrayLike<number>,
    wn: string,
    bn: string,
    inN: number,
    outN: number,
    isRelu: boolean,
  ) => {
    const W = w(wn);
    const B = w(bn);
    const out: number[] = [];
    for (let b = 0; b < batch; b++) {
      for (let o = 0; o < outN; o++) {
        let s = B[o]!;
        for (let i = 0; i < inN; i++) s += a[b * inN + i]! * W[o * inN + i]!;
        out.push(isRelu ? Math.max(s, 0) : s);
      }
    }
    return out;
  };
  const l = dense(
    dense(dense(x, "w1", "b1", 784, 128, true), "w2", "b2", 128, 64, true),
    "w3",
    "b3",
    64,
    10,
    false,
  );
  const probs: number[] = [];
  for (let b = 0; b < batch; b++) {
    const row = l.slice(b * 10, b * 10 + 10);
    const m = Math.max(...row);
    const e = row.map((v) => Math.exp(v - m));
    const s = e.reduce((p, q) => p + q, 0);
    probs.push(...e.map((v) => v / s));
  }
  return probs;
}

/** A small CNN: conv(1→4, 3×3, pad 1) → relu → maxPool 2 → conv(4→8, 3×3, stride 1) → relu → gap → flatten → gemm → logSoftmax. */
function cnn(): Graph {
  return {
    inputs: [f32("x", [2, 1, 8, 8])],
    outputs: [f32("y", [2, 5])],
    nodes: [
      node("conv2d", ["x", "k1", "c1"], "h1", { pads: [1, 1, 1, 1] }),
      node("relu", ["h1"], "a1"),
      node("maxPool2d", ["a1"], "p1", { kernel_shape: [2, 2], strides: [2, 2] }),
      node("conv2d", ["p1", "k2", "c2"], "h2", {}),
      node("relu", ["h2"], "a2"),
      node("globalAvgPool2d", ["a2"], "g"),
      node("flatten", ["g"], "f"),
      node("gemm", ["f", "w", "b"], "l", { transB: 1 }),
      node("logSoftmax", ["l"], "y"),
    ],
    initializers: [
      init("k1", [4, 1, 3, 3], 11),
      init("c1", [4], 12),
      init("k2", [8, 4, 3, 3], 13),
      init("c2", [8], 14),
      init("w", [5, 8], 15),
      init("b", [5], 16),
    ],
  };
}

describe("whole models against naive references", () => {
  it("MLP 784-128-64-10, batch 1 and 3: save → load → run", () => {
    for (const batch of [1, 3]) {
      const g = mlp();
      const s = loadModel(saveModel(g), { batchSize: batch });
      const x = randArray(784 * batch, 100 + batch);
      const y = s.run(x);
      expect(y.shape).toEqual([batch, 10]);
      close(y.data, refMlp(g, x, batch), 1e-6, 1e-4);
    }
  });

  it("MLP plan: arena and weight bytes by hand", () => {
    const s = loadModel(saveModel(mlp()));
    // x 3136 B [0,1]; h1 512 [1,2]; h2 256 [2,3]; logits 48 [3,4]; probs 48 [4,end]:
    // x@0, h1@3136, h2@0, logits@256 (h2 is live), probs@0 → 3136 + 512
    expect(s.arenaBytes).toBe(3648);
    // (784·128 + 128 + 128·64 + 64 + 64·10 + 10) · 4
    expect(s.weightBytes).toBe(437544);
    expect(s.inputs).toEqual([{ name: "x", dtype: "float32", shape: [1, 784] }]);
    expect(s.outputs).toEqual([{ name: "probs", dtype: "float32", shape: [1, 10] }]);
  });

  it("small CNN (conv+relu fused, maxPool, gap, flatten, gemm, logSoftmax)", () => {
    const g = cnn();
    const x = randArray(2 * 64, 7);
    const w = (n: string) => g.initializers.find((t) => t.name === n)!.data;
    const c1 = refConv(
      x,
      [2, 1, 8, 8],
      w("k1"),
      [4, 1, 3, 3],
      w("c1"),
      [1, 1, 1, 1],
      [1, 1],
      [1, 1],
      1,
    );
    const a1 = c1.y.map((v) => Math.max(v, 0));
    const p1: number[] = [];
    for (let pl = 0; pl < 8; pl++) {
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 4; j++) {
          const at = (di: number, dj: number) => a1[pl * 64 + (2 * i + di) * 8 + 2 * j + dj]!;
          p1.push(Math.max(at(0, 0), at(0, 1), at(1, 0), at(1, 1)));
        }
      }
    }
    const c2 = refConv(
      p1,
      [2, 4, 4, 4],
      w("k2"),
      [8, 4, 3, 3],
      w("c2"),
      [0, 0, 0, 0],
      [1, 1],
      [1, 1],
      1,
    );
    const gap: number[] = [];
    for (let pl = 0; pl < 16; pl++)
      gap.push(c2.y.slice(pl * 4, pl * 4 + 4).reduce((a, b) => a + Math.max(b, 0), 0) / 4);
    const l: number[] = [];
    for (let b = 0; b < 2; b++) {
      for (let o = 0; o < 5; o++) {
        let s = w("b")[o]!;
        for (let i = 0; i < 8; i++) s += gap[b * 8 + i]! * w("w")[o * 8 + i]!;
        l.push(s);
      }
    }
    const ref = [0, 1].flatMap((b) => {
      const row = l.slice(b * 5, b * 5 + 5);
      const m = Math.max(...row);
      const ls = Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0)) + m;
      return row.map((v) => v - ls);
    });
    close(runGraph(g, x), ref, 1e-5, 1e-4);
  });
});

describe("ops against naive references", () => {
  const x = randArray(24, 1, 3);
  const unaryCases: [string, Record<string, number | string>, (v: number) => number][] = [
    ["relu", {}, (v) => Math.max(v, 0)],
    ["leakyRelu", { alpha: 0.2 }, (v) => (v < 0 ? 0.2 * v : v)],
    ["leakyRelu", {}, (v) => (v < 0 ? 0.01 * v : v)],
    ["sigmoid", {}, (v) => 1 / (1 + Math.exp(-v))],
    ["tanh", {}, Math.tanh],
    ["elu", { alpha: 0.5 }, (v) => (v < 0 ? 0.5 * (Math.exp(v) - 1) : v)],
    ["clip", { min: -0.5, max: 1 }, (v) => Math.min(Math.max(v, -0.5), 1)],
    // gelu(x) = x·Φ(x); Φ via a 60-term series of erf
    ["gelu", {}, (v) => v * 0.5 * (1 + erfSeries(v / Math.SQRT2))],
    [
      "gelu",
      { approximate: "tanh" },
      (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
    ],
  ];
  for (const [op, attrs, f] of unaryCases) {
    it(`${op} ${JSON.stringify(attrs)}`, () => {
      close(runGraph(oneOp(op, [[2, 3, 4]], [2, 3, 4], attrs), x), Array.from(x, f), 1e-6, 1e-5);
    });
  }

  it("golden values: relu, sigmoid, clip with constant inputs, softmax", () => {
    // relu([-1, 0, 2]) = [0, 0, 2]; sigmoid(0) = 0.5; softmax([1,2,3]) = e^x/Σe^x = [0.090, 0.245, 0.665]
    expect(Array.from(runGraph(oneOp("relu", [[3]], [3]), new Float32Array([-1, 0, 2])))).toEqual([
      0, 0, 2,
    ]);
    expect(runGraph(oneOp("sigmoid", [[1]], [1]), new Float32Array([0]))[0]).toBe(0.5);
    const clip = oneOp(
      "clip",
      [[4]],
      [4],
      {},
      [init("lo", [1], [0]), init("hi", [1], [1])],
      ["lo", "hi"],
    );
    expect(Array.from(runGraph(clip, new Float32Array([-2, 0.5, 3, Number.NaN])))).toEqual([
      0,
      0.5,
      1,
      Number.NaN,
    ]);
    close(
      runGraph(oneOp("softmax", [[3]], [3]), new Float32Array([1, 2, 3])),
      [0.09003057, 0.24472847, 0.66524096],
    );
  });

  it("softmax / logSoftmax along any axis", () => {
    const shape = [2, 3, 4];
    for (const axis of [0, 1, 2, -1]) {
      const ax = axis < 0 ? axis + 3 : axis;
      const ref = Array.from(x, (_, i) => {
        const idx = unravel(i, shape);
        const row = [0, 1, 2, 3].slice(0, shape[ax]).map(
          (k) =>
            x[
              ravel(
                idx.map((v, d) => (d === ax ? k : v)),
                shape,
              )
            ]!,
        );
        const m = Math.max(...row);
        return Math.exp(x[i]! - m) / row.reduce((a, v) => a + Math.exp(v - m), 0);
      });
      close(runGraph(oneOp("softmax", [shape], shape, { axis }), x), ref);
      close(runGraph(oneOp("logSoftmax", [shape], shape, { axis }), x), ref.map(Math.log));
    }
  });

  it("add/sub/mul/div broadcast (NumPy rules)", () => {
    const cases: [number[], number[], number[]][] = [
      [
        [2, 3, 4],
        [2, 3, 4],
        [2, 3, 4],
      ],
      [[2, 3, 4], [4], [2, 3, 4]],
      [
        [2, 1, 4],
        [3, 1],
        [2, 3, 4],
      ],
      [[1], [2, 3], [2, 3]],
      [
        [3, 1, 1],
        [1, 2, 5],
        [3, 2, 5],
      ],
    ];
    const fns: Record<string, (a: number, b: number) => number> = {
      add: (a, b) => a + b,
      sub: (a, b) => a - b,
      mul: (a, b) => a * b,
      div: (a, b) => a / b,
    };
    for (const [as, bs, os] of cases) {
      const a = randArray(size(as), 3);
      const b = randArray(size(bs), 4).map((v) => v + 2);
      for (const [op, f] of Object.entries(fns)) {
        const ref = Array.from({ length: size(os) }, (_, i) => {
          const idx = unravel(i, os);
          const at = (s: number[]) =>
            ravel(
              s.map((d, k) => (d === 1 ? 0 : idx[k + os.length - s.length]!)),
              s,
            );
          return f(a[at(as)]!, b[at(bs)]!);
        });
        close(runGraph(oneOp(op, [as, bs], os), a, b), ref);
      }
    }
  });

  it("gemm: alpha, beta, transA, transB, C broadcast", () => {
    for (const [tA, tB] of [
      [0, 0],
      [1, 0],
      [0, 1],
      [1, 1],
    ] as const) {
      for (const cShape of [[4], [3, 1], [3, 4], [1]]) {
        const A = randArray(3 * 5, 1);
        const B = randArray(5 * 4, 2);
        const C = randArray(size(cShape), 3);
        // op(A)[i,p]: A stored [5,3] when transA
        const a = (i: number, p: number) => (tA ? A[p * 3 + i]! : A[i * 5 + p]!);
        const b = (p: number, j: number) => (tB ? B[j * 5 + p]! : B[p * 4 + j]!);
        const c = (i: number, j: number) =>
          C[
            cShape.length === 2
              ? (cShape[0] === 1 ? 0 : i) * cShape[1]! + (cShape[1] === 1 ? 0 : j)
              : cShape[0] === 1
                ? 0
                : j
          ]!;
        const ref = Array.from({ length: 12 }, (_, k) => {
          const [i, j] = [Math.floor(k / 4), k % 4];
          let s = 0;
          for (let p = 0; p < 5; p++) s += a(i, p) * b(p, j);
          return 0.5 * s + 2 * c(i, j);
        });
        const g = oneOp(
          "gemm",
          [tA ? [5, 3] : [3, 5]],
          [3, 4],
          { alpha: 0.5, beta: 2, transA: tA, transB: tB },
          [init("B", tB ? [4, 5] : [5, 4], B), init("C", cShape, C)],
          ["B", "C"],
        );
        close(runGraph(g, A), ref);
      }
    }
  });

  it("matmul: 2-D, 1-D operands, batch broadcast", () => {
    const cases: [number[], number[], number[]][] = [
      [
        [3, 5],
        [5, 4],
        [3, 4],
      ],
      [
        [2, 3, 5],
        [5, 4],
        [2, 3, 4],
      ],
      [
        [2, 3, 5],
        [2, 5, 4],
        [2, 3, 4],
      ],
      [
        [2, 1, 3, 5],
        [4, 5, 2],
        [2, 4, 3, 2],
      ],
      [[5], [5, 4], [4]],
      [[3, 5], [5], [3]],
    ];
    for (const [as, bs, os] of cases) {
      const a = randArray(size(as), 5);
      const b = randArray(size(bs), 6);
      const a2 = as.length === 1 ? [1, ...as] : as;
      const b2 = bs.length === 1 ? [...bs, 1] : bs;
      const [m, k] = a2.slice(-2) as [number, number];
      const n = b2[b2.length - 1]!;
      const batch = os.slice(0, Math.max(a2.length, b2.length) - 2);
      const ref: number[] = [];
      for (let i = 0; i < size(batch); i++) {
        const idx = unravel(i, batch);
        const pick = (s: number[]) => {
          const bd = s.slice(0, -2);
          return ravel(
            bd.map((d, q) => (d === 1 ? 0 : idx[q + batch.length - bd.length]!)),
            bd,
          );
        };
        const am = Array.from(a.subarray(pick(a2) * m * k, (pick(a2) + 1) * m * k));
        const bm = Array.from(b.subarray(pick(b2) * k * n, (pick(b2) + 1) * k * n));
        ref.push(...refMatmul(am, bm, m, k, n));
      }
      const g = oneOp("matmul", [as], os, {}, [init("b", bs, b)], ["b"]);
      const s = loadModel(saveModel(g));
      expect(s.outputs[0]!.shape).toEqual(os);
      close((s.run(a) as Output).data, ref);
    }
  });

  it("conv2d: pads, strides, dilations, groups, depthwise, pointwise, bias, fused relu", () => {
    const cases: {
      xs: number[];
      ws: number[];
      pads: number[];
      strides: number[];
      dil: number[];
      group: number;
    }[] = [
      {
        xs: [1, 2, 6, 7],
        ws: [3, 2, 3, 3],
        pads: [1, 1, 1, 1],
        strides: [1, 1],
        dil: [1, 1],
        group: 1,
      },
      {
        xs: [2, 4, 7, 6],
        ws: [6, 2, 3, 2],
        pads: [0, 1, 2, 0],
        strides: [2, 1],
        dil: [1, 2],
        group: 2,
      },
      {
        xs: [1, 3, 5, 5],
        ws: [3, 1, 3, 3],
        pads: [1, 1, 1, 1],
        strides: [1, 1],
        dil: [1, 1],
        group: 3,
      },
      {
        xs: [2, 3, 4, 4],
        ws: [5, 3, 1, 1],
        pads: [0, 0, 0, 0],
        strides: [1, 1],
        dil: [1, 1],
        group: 1,
      },
      {
        xs: [1, 1, 9, 9],
        ws: [2, 1, 3, 3],
        pads: [2, 2, 2, 2],
        strides: [3, 3],
        dil: [2, 2],
        group: 1,
      },
    ];
    for (const [ci, { xs, ws, pads, strides, dil, group }] of cases.entries()) {
      const x = randArray(size(xs), 20 + ci);
      const w = randArray(size(ws), 30 + ci);
      const b = randArray(ws[0]!, 40 + ci);
      const ref = refConv(x, xs, w, ws, b, pads, strides, dil, group);
      const attrs = { pads, strides, dilations: dil, group };
      const g = oneOp(
        "conv2d",
        [xs],
        ref.shape,
        attrs,
        [init("w", ws, w), init("b", [ws[0]!], b)],
        ["w", "b"],
      );
      close(runGraph(g, x), ref.y);
      // conv → relu (fused at load: same result, one buffer fewer)
      const fused: Graph = {
        ...g,
        nodes: [node("conv2d", ["x0", "w", "b"], "c", attrs), node("relu", ["c"], "y")],
      };
      close(
        runGraph(fused, x),
        ref.y.map((v) => Math.max(v, 0)),
      );
    }
  });

  it("conv2d auto_pad SAME_UPPER / SAME_LOWER / VALID", () => {
    const x = randArray(1 * 1 * 5 * 6, 1);
    const w = randArray(2 * 1 * 2 * 3, 2);
    // SAME with stride 2: out = ⌈5/2⌉×⌈6/2⌉ = 3×3; total pad H = (3−1)·2 + 2 − 5 = 1, W = (3−1)·2 + 3 − 6 = 1
    const upper = refConv(x, [1, 1, 5, 6], w, [2, 1, 2, 3], null, [0, 0, 1, 1], [2, 2], [1, 1], 1);
    const lower = refConv(x, [1, 1, 5, 6], w, [2, 1, 2, 3], null, [1, 1, 0, 0], [2, 2], [1, 1], 1);
    const valid = refConv(x, [1, 1, 5, 6], w, [2, 1, 2, 3], null, [0, 0, 0, 0], [2, 2], [1, 1], 1);
    for (const [mode, ref] of [
      ["SAME_UPPER", upper],
      ["SAME_LOWER", lower],
      ["VALID", valid],
    ] as const) {
      const g = oneOp(
        "conv2d",
        [[1, 1, 5, 6]],
        ref.shape,
        { auto_pad: mode, strides: [2, 2] },
        [init("w", [2, 1, 2, 3], w)],
        ["w"],
      );
      close(runGraph(g, x), ref.y);
    }
  });

  it("maxPool2d / avgPool2d: pads, strides, dilations, ceil_mode, count_include_pad", () => {
    const xs = [1, 2, 7, 6];
    const x = randArray(size(xs), 9);
    const cases = [
      { k: [2, 2], s: [2, 2], p: [0, 0, 0, 0], d: [1, 1], ceil: 0, incl: 0 },
      { k: [3, 3], s: [2, 2], p: [1, 1, 1, 1], d: [1, 1], ceil: 0, incl: 0 },
      { k: [3, 3], s: [2, 2], p: [1, 1, 1, 1], d: [1, 1], ceil: 0, incl: 1 },
      { k: [2, 3], s: [2, 2], p: [0, 1, 0, 0], d: [1, 1], ceil: 1, incl: 0 },
      { k: [2, 3], s: [2, 2], p: [1, 1, 1, 1], d: [1, 1], ceil: 1, incl: 1 },
      { k: [2, 2], s: [1, 2], p: [0, 0, 0, 0], d: [2, 2], ceil: 0, incl: 0 },
      { k: [3, 2], s: [1, 1], p: [1, 0, 0, 1], d: [1, 1], ceil: 0, incl: 0 },
    ];
    for (const { k, s, p, d, ceil, incl } of cases) {
      const outDim = (i: number) => {
        const q = (xs[i + 2]! + p[i]! + p[i + 2]! - d[i]! * (k[i]! - 1) - 1) / s[i]!;
        let o = (ceil ? Math.ceil(q) : Math.floor(q)) + 1;
        if (ceil && (o - 1) * s[i]! >= xs[i + 2]! + p[i]!) o--;
        return o;
      };
      const [oh, ow] = [outDim(0), outDim(1)];
      const maxRef: number[] = [];
      const avgRef: number[] = [];
      for (let pl = 0; pl < 2; pl++) {
        for (let i = 0; i < oh; i++) {
          for (let j = 0; j < ow; j++) {
            let m = -Infinity;
            let sum = 0;
            let valid = 0;
            let padded = 0;
            for (let a = 0; a < k[0]!; a++) {
              for (let b = 0; b < k[1]!; b++) {
                const ih = i * s[0]! - p[0]! + a * d[0]!;
                const iw = j * s[1]! - p[1]! + b * d[1]!;
                // a tap inside the padded input counts for count_include_pad
                if (ih < xs[2]! + p[2]! && iw < xs[3]! + p[3]!) padded++;
                if (ih < 0 || iw < 0 || ih >= xs[2]! || iw >= xs[3]!) continue;
                const v = x[(pl * xs[2]! + ih) * xs[3]! + iw]!;
                m = Math.max(m, v);
                sum += v;
                valid++;
              }
            }
            maxRef.push(m);
            avgRef.push(sum / (incl ? padded : valid));
          }
        }
      }
      const attrs = {
        kernel_shape: k,
        strides: s,
        pads: p,
        dilations: d,
        ceil_mode: ceil,
        count_include_pad: incl,
      };
      close(runGraph(oneOp("maxPool2d", [xs], [1, 2, oh, ow], attrs), x), maxRef);
      close(runGraph(oneOp("avgPool2d", [xs], [1, 2, oh, ow], attrs), x), avgRef);
    }
  });

  it("globalAvgPool2d and batchNorm", () => {
    const xs = [2, 3, 4, 5];
    const x = randArray(size(xs), 4);
    const gap = Array.from(
      { length: 6 },
      (_, pl) => x.subarray(pl * 20, pl * 20 + 20).reduce((a, b) => a + b, 0) / 20,
    );
    close(runGraph(oneOp("globalAvgPool2d", [xs], [2, 3, 1, 1]), x), gap);
    const [sc, bi, mu, va] = [
      [1, 2, 0.5],
      [0, 1, -1],
      [0.1, -0.2, 0.3],
      [1, 4, 0.25],
    ];
    const ref = Array.from(x, (v, i) => {
      const c = Math.floor(i / 20) % 3;
      return ((v - mu[c]!) / Math.sqrt(va[c]! + 1e-3)) * sc[c]! + bi[c]!;
    });
    const g = oneOp(
      "batchNorm",
      [xs],
      xs,
      { epsilon: 1e-3 },
      [init("s", [3], sc), init("b", [3], bi), init("m", [3], mu), init("v", [3], va)],
      ["s", "b", "m", "v"],
    );
    close(runGraph(g, x), ref);
  });

  it("flatten, reshape (attr, constant input, 0 and -1), identity, dropout alias the input", () => {
    const x = randArray(24, 5);
    for (const [g, shape] of [
      [oneOp("flatten", [[2, 3, 4]], [2, 12]), [2, 12]],
      [oneOp("flatten", [[2, 3, 4]], [6, 4], { axis: -1 }), [6, 4]],
      [oneOp("flatten", [[2, 3, 4]], [1, 24], { axis: 0 }), [1, 24]],
      [oneOp("reshape", [[2, 3, 4]], [4, 6], { shape: [4, -1] }), [4, 6]],
      [oneOp("reshape", [[2, 3, 4]], [2, 12], {}, [ints("s", [0, -1])], ["s"]), [2, 12]],
      [oneOp("identity", [[2, 3, 4]], [2, 3, 4]), [2, 3, 4]],
      [oneOp("dropout", [[2, 3, 4]], [2, 3, 4]), [2, 3, 4]],
    ] as const) {
      const s = loadModel(saveModel(g));
      expect(s.outputs[0]!.shape).toEqual(shape);
      expect(Array.from((s.run(x) as Output).data)).toEqual(Array.from(x));
    }
  });

  it("transpose (default and explicit perm) and concat", () => {
    const xs = [2, 3, 4];
    const x = randArray(24, 6);
    for (const perm of [undefined, [1, 0, 2], [2, 0, 1], [0, 2, 1]]) {
      const p = perm ?? [2, 1, 0];
      const os = p.map((d) => xs[d]!);
      const ref = Array.from({ length: 24 }, (_, i) => {
        const idx = unravel(i, os);
        const src = new Array<number>(3);
        p.forEach((d, k) => {
          src[d] = idx[k]!;
        });
        return x[ravel(src, xs)]!;
      });
      close(runGraph(oneOp("transpose", [xs], os, perm ? { perm } : {}), x), ref);
    }
    const a = randArray(2 * 3 * 4, 1);
    const b = randArray(2 * 1 * 4, 2);
    const ref: number[] = [];
    for (let i = 0; i < 2; i++)
      ref.push(...a.subarray(i * 12, i * 12 + 12), ...b.subarray(i * 4, i * 4 + 4));
    close(
      runGraph(
        oneOp(
          "concat",
          [
            [2, 3, 4],
            [2, 1, 4],
          ],
          [2, 4, 4],
          { axis: 1 },
        ),
        a,
        b,
      ),
      ref,
    );
  });

  it("sum / mean / max / min over axes (attribute or constant input), keepdims", () => {
    const xs = [2, 3, 4];
    const x = randArray(24, 8);
    for (const axes of [[1], [0, 2], [-1], []]) {
      const ax = axes.length ? axes.map((a) => (a < 0 ? a + 3 : a)) : [0, 1, 2];
      for (const keep of [0, 1]) {
        const os = xs.map((d, i) => (ax.includes(i) ? 1 : d));
        const groups = new Map<number, number[]>();
        x.forEach((v, i) => {
          const o = ravel(
            unravel(i, xs).map((d, k) => (ax.includes(k) ? 0 : d)),
            os,
          );
          groups.set(o, [...(groups.get(o) ?? []), v]);
        });
        const vals = [...groups.entries()].sort((p, q) => p[0] - q[0]).map((e) => e[1]);
        const shape = keep ? os : xs.filter((_, i) => !ax.includes(i));
        const refs: Record<string, number[]> = {
          sum: vals.map((v) => v.reduce((p, q) => p + q, 0)),
          mean: vals.map((v) => v.reduce((p, q) => p + q, 0) / v.length),
          max: vals.map((v) => Math.max(...v)),
          min: vals.map((v) => Math.min(...v)),
        };
        for (const [op, ref] of Object.entries(refs)) {
          close(runGraph(oneOp(op, [xs], shape, { axes, keepdims: keep }), x), ref);
          if (axes.length)
            close(
              runGraph(oneOp(op, [xs], shape, { keepdims: keep }, [ints("a", axes)], ["a"]), x),
              ref,
            );
        }
      }
    }
  });
});

/** erf(x) = 2/√π Σ (−1)ⁿ x^(2n+1) / (n!(2n+1)), converging for the |x| < 3 used here. */
function erfSeries(x: number): number {
  let s = 0;
  let term = x;
  for (let n = 0; n < 60; n++) {
    s += term / (2 * n + 1);
    term *= (-x * x) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * s;
}

describe("run: inputs and outputs", () => {
  const two: Graph = {
    inputs: [f32("a", [2]), f32("b", [2])],
    outputs: [f32("s", [2]), f32("p", [2])],
    nodes: [node("add", ["a", "b"], "s"), node("mul", ["a", "b"], "p")],
    initializers: [],
  };

  it("several inputs and outputs by name; caller-provided output buffers", () => {
    const s = createSession(two);
    const r = s.run<OutputMap>({ a: new Float32Array([1, 2]), b: new Float32Array([3, 4]) });
    expect(Array.from(r.s!.data)).toEqual([4, 6]);
    expect(Array.from(r.p!.data)).toEqual([3, 8]);
    const bufs = { s: new Float32Array(2), p: new Float32Array(2) };
    const r2 = s.run<OutputMap>({ a: new Float32Array([1, 1]), b: new Float32Array([2, 2]) }, bufs);
    expect(Array.from(bufs.s)).toEqual([3, 3]);
    expect(r2.p!.data).toBe(bufs.p);
    expect(() => s.run({ a: new Float32Array(2) })).toThrow(/missing input "b"/);
    expect(() =>
      s.run({ a: new Float32Array(2), b: new Float32Array(2) }, new Float32Array(2)),
    ).toThrow(/output "s"/);
  });

  it("accepts a Tensor-like input (structural: shape, dtype, dataSync) and checks it", () => {
    const s = createSession(oneOp("relu", [[2, 2]], [2, 2]));
    const t = { shape: [2, 2], dtype: "float32", dataSync: () => new Float32Array([-1, 2, -3, 4]) };
    expect(Array.from((s.run(t) as Output).data)).toEqual([0, 2, 0, 4]);
    expect(() => s.run({ ...t, shape: [4] })).toThrow(ShapeError);
    expect(() => s.run({ ...t, dtype: "int32" })).toThrow(DTypeError);
    expect(() => s.run(new Float32Array(3))).toThrow(ShapeError);
    expect(() => s.run(new Int32Array(4))).toThrow(DTypeError);
    expect(() => s.run(new Float32Array(4), new Float32Array(3))).toThrow(/Float32Array\(4\)/);
  });

  it("an output of one session feeds another (dataSync returns the view)", () => {
    const a = createSession(oneOp("relu", [[3]], [3]));
    const b = createSession(oneOp("sigmoid", [[3]], [3]));
    const y = b.run(a.run(new Float32Array([-5, 0, 5])) as Output) as Output;
    close(y.data, [0.5, 0.5, 1 / (1 + Math.exp(-5))]);
  });

  it("outputs are views overwritten by the next run (documented ownership)", () => {
    const s = createSession(oneOp("relu", [[2]], [2]));
    const first = s.run(new Float32Array([1, 2])) as Output;
    const kept = first.data.slice();
    s.run(new Float32Array([3, 4]));
    expect(Array.from(first.data)).toEqual([3, 4]);
    expect(Array.from(kept)).toEqual([1, 2]);
  });
});

describe("load-time checks", () => {
  it("maxBytes: over budget fails with 'needed X bytes, available Y'", () => {
    const bytes = saveModel(mlp());
    const s = loadModel(bytes);
    const need = s.arenaBytes + s.preparedBytes;
    expect(() => loadModel(bytes, { maxBytes: need - 1 })).toThrow(OutOfMemoryError);
    expect(() => loadModel(bytes, { maxBytes: 1000 })).toThrow(
      `needed ${need} bytes, available 1000`,
    );
    expect(loadModel(bytes, { maxBytes: need }).arenaBytes).toBe(s.arenaBytes);
  });

  it("a valid model too big for memory is an OutOfMemoryError at load, never a RangeError", () => {
    // pads of 10,000 make a [1, 1, 20003, 20003] output: 1.6 GB of float32
    const g = oneOp(
      "conv2d",
      [[1, 1, 4, 4]],
      [1, 1, 20003, 20003],
      { pads: [10000, 10000, 10000, 10000] },
      [init("w", [1, 1, 1, 1], [1])],
      ["w"],
    );
    expect(() => loadModel(saveModel(g))).toThrow(/needed \d+ bytes, available 2147483647/);
    expect(() => loadModel(saveModel(g), { maxBytes: 1 << 20 })).toThrow(OutOfMemoryError);
  });

  it("bad ops, attributes and shapes are ModelFormatErrors naming the node", () => {
    const bad: [Graph, RegExp][] = [
      [oneOp("frobnicate", [[2]], [2]), /nodes\[0\] \(frobnicate\): unknown ops frobnicate/],
      [oneOp("relu", [[2], [2]], [2]), /expected 1…1 inputs/],
      [oneOp("add", [[2, 3], [4]], [2, 3]), /shapes do not broadcast/],
      [oneOp("leakyRelu", [[2]], [2], { alpha: "x" }), /attribute alpha must be a number/],
      [oneOp("softmax", [[2]], [2], { axis: 3 }), /axis 3 is out of range/],
      [oneOp("maxPool2d", [[1, 1, 4, 4]], [1, 1, 2, 2], {}), /kernel_shape is required/],
      [
        oneOp("maxPool2d", [[1, 1, 4, 4]], [1, 1, 2, 2], {
          kernel_shape: [2, 2],
          pads: [2, 0, 0, 0],
        }),
        /lies entirely in the padding/,
      ],
      [
        oneOp("conv2d", [[1, 2, 4, 4]], [1, 1, 2, 2], {}, [init("w", [1, 3, 3, 3], 1)], ["w"]),
        /do not fit 2 input channels/,
      ],
      [
        oneOp("conv2d", [[1, 1, 2, 2]], [1, 1, 2, 2], {}, [init("w", [1, 1, 3, 3], 1)], ["w"]),
        /does not fit input 2/,
      ],
      [oneOp("reshape", [[2, 3]], [5], { shape: [5] }), /cannot view \[2,3\] as \[5\]/],
      [oneOp("transpose", [[2, 3]], [3, 2], { perm: [0, 0] }), /not a permutation/],
      [
        oneOp("gemm", [[2, 3]], [2, 2], {}, [init("b", [4, 2], 1)], ["b"]),
        /inner dimensions differ/,
      ],
      [
        oneOp(
          "batchNorm",
          [[1, 2], [2]],
          [1, 2],
          {},
          [init("b", [2], 1), init("m", [2], 1), init("v", [2], 1)],
          ["b", "m", "v"],
        ),
        /input 1 "x1" must be an initializer/,
      ],
      [oneOp("sum", [[2, 3]], [2], { axes: [1, 1] }), /repeat an axis/],
    ];
    for (const [g, re] of bad) {
      expect(() => loadModel(saveModel(g))).toThrow(ModelFormatError);
      expect(() => loadModel(saveModel(g))).toThrow(re);
    }
  });

  it("a declared output shape or dtype that the graph does not compute is rejected", () => {
    const g = oneOp("relu", [[2, 3]], [2, 3]);
    expect(() => createSession({ ...g, outputs: [f32("y", [3, 2])] })).toThrow(
      /declared float32 \[3,2\], computed float32 \[2,3\]/,
    );
  });

  it("batchSize fixes a -1 batch dim at load; re-planning is another load", () => {
    const bytes = saveModel(mlp());
    expect(loadModel(bytes).inputs[0]!.shape).toEqual([1, 784]);
    const s64 = loadModel(bytes, { batchSize: 64 });
    expect(s64.inputs[0]!.shape).toEqual([64, 784]);
    expect(s64.arenaBytes).toBeGreaterThan(loadModel(bytes).arenaBytes);
    expect(() => loadModel(bytes, { batchSize: 1.5 })).toThrow(/batchSize/);
  });
});
