/*
 * ONNX import: models built by the test encoder (onnx-encoder.ts), run through fromOnnx, checked
 * against naive float64 loops written here (or in helpers.ts), never against the runtime's ops.
 */
import { fileURLToPath } from "node:url";
import { ArgumentError, ModelFormatError, OutOfMemoryError } from "@edgenn/tensor";
import { collectDocExamples, runDocExample } from "@edgenn/testkit";
import { describe, expect, it } from "vitest";
import * as api from "../src/index.js";
import { type Output, type OutputMap, saveModel } from "../src/index.js";
import * as onnx from "../src/onnx.js";
import { fromOnnx, onnxToGraph } from "../src/onnx.js";
import { close, randArray, ravel, refConv, size, unravel } from "./helpers.js";
import {
  type Attr,
  float,
  floatTensor,
  int64Tensor,
  type ModelSpec,
  model,
  type NodeSpec,
  nd,
  Pb,
  T,
  type TensorSpec,
  type ValueSpec,
} from "./onnx-encoder.js";
import { createSession, loadModel } from "./sessions.js";

const out = (v: Output | OutputMap): Float32Array => (v as Output).data as Float32Array;

/** A float input/output value info. */
const fv = (name: string, dims: (number | string | null)[]): ValueSpec => ({ name, dims });

/** Row-wise softmax of `rows` rows of `n`. */
function refSoftmax(x: ArrayLike<number>, rows: number, n: number): number[] {
  const y: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = Array.from({ length: n }, (_, j) => x[r * n + j]!);
    const m = Math.max(...row);
    const e = row.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    y.push(...e.map((v) => v / s));
  }
  return y;
}

/** y[b, o] = α·Σ_i x[b, i]·W(i, o) + β·c[o], W read as [out, in] when `transB`. */
function refDense(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  c: ArrayLike<number> | null,
  batch: number,
  inN: number,
  outN: number,
  transB: boolean,
  alpha = 1,
  beta = 1,
): number[] {
  const y: number[] = [];
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < outN; o++) {
      let s = 0;
      for (let i = 0; i < inN; i++) s += x[b * inN + i]! * w[transB ? o * inN + i : i * outN + o]!;
      y.push(alpha * s + (c ? beta * c[o]! : 0));
    }
  }
  return y;
}

/** NCHW max pooling, square kernel k, stride s, no padding. */
function refMaxPool(x: ArrayLike<number>, [n, c, h, w]: number[], k: number, s: number) {
  const oh = Math.floor((h! - k) / s) + 1;
  const ow = Math.floor((w! - k) / s) + 1;
  const y: number[] = [];
  for (let p = 0; p < n! * c!; p++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        let m = -Infinity;
        for (let a = 0; a < k; a++) {
          for (let b = 0; b < k; b++) m = Math.max(m, x[(p * h! + i * s + a) * w! + j * s + b]!);
        }
        y.push(m);
      }
    }
  }
  return { y, shape: [n!, c!, oh, ow] };
}

describe("fromOnnx: models", () => {
  it("MLP Gemm → Relu → Gemm → Softmax with a symbolic batch dim", () => {
    const w1 = randArray(4 * 6, 1);
    const b1 = randArray(4, 2);
    const w2 = randArray(4 * 3, 3);
    const b2 = randArray(3, 4);
    const bytes = model({
      inputs: [fv("x", ["N", 6])],
      outputs: [fv("probs", ["N", 3])],
      inits: [
        floatTensor("w1", [4, 6], w1),
        floatTensor("b1", [4], b1, false),
        floatTensor("w2", [4, 3], w2),
        floatTensor("b2", [3], b2),
      ],
      nodes: [
        nd("Gemm", ["x", "w1", "b1"], "h", { transB: 1 }),
        nd("Relu", ["h"], "a"),
        nd("Gemm", ["a", "w2", "b2"], "l", { alpha: float(0.5), beta: float(2) }),
        nd("Softmax", ["l"], "probs"),
      ],
    });
    const s = fromOnnx(bytes, { batchSize: 3 });
    expect(s.inputs[0]!.shape).toEqual([3, 6]);
    expect(s.outputs[0]!.shape).toEqual([3, 3]);
    const x = randArray(18, 5, 2);
    const h = refDense(x, w1, b1, 3, 6, 4, true).map((v) => Math.max(v, 0));
    const l = refDense(h, w2, b2, 3, 4, 3, false, 0.5, 2);
    close(out(s.run(x)), refSoftmax(l, 3, 3));
    // the weights: 24 + 4 + 12 + 3 floats
    expect(s.weightBytes).toBe(4 * 43);
  });

  it("CNN Conv → Relu → MaxPool → Flatten → Gemm", () => {
    const k = randArray(3 * 2 * 3 * 3, 6);
    const kb = randArray(3, 7);
    const w = randArray(4 * 27, 8);
    const wb = randArray(4, 9);
    const bytes = model({
      inputs: [fv("img", [1, 2, 6, 6])],
      outputs: [fv("logits", [1, 4])],
      inits: [
        floatTensor("k", [3, 2, 3, 3], k),
        floatTensor("kb", [3], kb),
        floatTensor("w", [4, 27], w, false),
        floatTensor("wb", [4], wb),
      ],
      nodes: [
        nd("Conv", ["img", "k", "kb"], "c", {
          kernel_shape: [3, 3],
          pads: [1, 1, 1, 1],
          strides: [1, 1],
          dilations: [1, 1],
          group: 1,
        }),
        nd("Relu", ["c"], "r"),
        {
          op: "MaxPool",
          inputs: ["r"],
          outputs: ["p", ""],
          attrs: { kernel_shape: [2, 2], strides: [2, 2] },
        },
        nd("Flatten", ["p"], "f", { axis: 1 }),
        nd("Gemm", ["f", "w", "wb"], "logits", { transB: 1 }),
      ],
    });
    const x = randArray(72, 10);
    const conv = refConv(x, [1, 2, 6, 6], k, [3, 2, 3, 3], kb, [1, 1, 1, 1], [1, 1], [1, 1], 1);
    const pooled = refMaxPool(
      conv.y.map((v) => Math.max(v, 0)),
      conv.shape,
      2,
      2,
    );
    expect(pooled.shape).toEqual([1, 3, 3, 3]);
    close(out(fromOnnx(bytes).run(x)), refDense(pooled.y, w, wb, 1, 27, 4, true));
  });

  it("Conv auto_pad SAME_UPPER with stride 2 and groups", () => {
    // in 5, stride 2, kernel 3: out = ⌈5/2⌉ = 3, total pad (3−1)·2 + 3 − 5 = 2 → 1 before, 1 after
    const k = randArray(4 * 1 * 3 * 3, 11);
    const bytes = model({
      inputs: [fv("x", [2, 2, 5, 5])],
      outputs: [fv("y", [2, 4, 3, 3])],
      inits: [floatTensor("k", [4, 1, 3, 3], k)],
      nodes: [nd("Conv", ["x", "k"], "y", { auto_pad: "SAME_UPPER", strides: [2, 2], group: 2 })],
    });
    const x = randArray(100, 12);
    const ref = refConv(x, [2, 2, 5, 5], k, [4, 1, 3, 3], null, [1, 1, 1, 1], [2, 2], [1, 1], 2);
    close(out(fromOnnx(bytes).run(x)), ref.y);
  });

  it("BatchNormalization (inference form)", () => {
    // y = (x − mean)/√(var + ε)·scale + bias; channel 0 of x = 1: (1 − 0.5)/√(0.25 + 0) ·2 + 1 = 3
    const [scale, bias, mean, vr] = [
      [2, 1, -1],
      [1, 0, 0.5],
      [0.5, -1, 2],
      [0.25, 4, 1],
    ];
    const eps = 1e-3;
    const bytes = model({
      inputs: [fv("x", [2, 3, 2, 2])],
      outputs: [fv("y", [2, 3, 2, 2])],
      inits: [
        floatTensor("s", [3], scale!),
        floatTensor("b", [3], bias!, false),
        floatTensor("m", [3], mean!),
        floatTensor("v", [3], vr!),
      ],
      nodes: [
        {
          op: "BatchNormalization",
          inputs: ["x", "s", "b", "m", "v"],
          outputs: ["y"],
          attrs: { epsilon: float(eps), momentum: float(0.9) },
        },
      ],
    });
    const x = randArray(24, 13, 3);
    const ref = Array.from(x, (v, i) => {
      const c = Math.floor(i / 4) % 3;
      return ((v - mean![c]!) / Math.sqrt(vr![c]! + eps)) * scale![c]! + bias![c]!;
    });
    close(out(fromOnnx(bytes).run(x)), ref);
    x.fill(1);
    expect(out(fromOnnx(bytes).run(x))[0]).toBeCloseTo(
      ((1 - 0.5) / Math.sqrt(0.25 + eps)) * 2 + 1,
      5,
    );
  });

  for (const asRaw of [true, false]) {
    it(`Reshape with an int64 shape initializer (${asRaw ? "raw_data" : "int64_data"})`, () => {
      // [2, 3, 4] → shape [0, −1]: 0 copies dim 0 (2), −1 takes the rest (12)
      const bytes = model({
        inputs: [fv("x", [2, 3, 4])],
        outputs: [fv("y", [2, 12])],
        inits: [int64Tensor("shape", [0, -1], asRaw)],
        nodes: [nd("Reshape", ["x", "shape"], "r"), nd("Relu", ["r"], "y")],
      });
      const s = fromOnnx(bytes);
      expect(s.outputs[0]!.shape).toEqual([2, 12]);
      const x = randArray(24, 14);
      close(
        out(s.run(x)),
        Array.from(x, (v) => Math.max(v, 0)),
      );
      // the int64 initializer became int32
      const g = onnxToGraph(bytes);
      expect(g.initializers[0]!.dtype).toBe("int32");
      expect(Array.from(g.initializers[0]!.data)).toEqual([0, -1]);
    });
  }

  it("Constant nodes: value tensor, value_float, value_floats, value_int(s)", () => {
    // y = ReduceSum(Reshape(Clip(x + c, min = −0.5), [3, 2]), axes [1], keepdims 0) · 2
    const c = [1, -2, 0.25, 3, -1, 0];
    const bytes = model({
      inputs: [fv("x", [6])],
      outputs: [fv("y", [3])],
      nodes: [
        nd("Constant", [], "c", { value: { tensor: floatTensor("", [6], c) } }),
        nd("Constant", [], "lo", { value_float: float(-0.5) }),
        nd("Constant", [], "shape", { value_ints: [3, 2] }),
        nd("Constant", [], "axes", { value_ints: [1] }),
        nd("Constant", [], "two", { value_floats: { floats: [2] } }),
        nd("Add", ["x", "c"], "xc"),
        nd("Clip", ["xc", "lo"], "cl"),
        nd("Reshape", ["cl", "shape"], "r"),
        nd("ReduceSum", ["r", "axes"], "sum", { keepdims: 0 }),
        nd("Mul", ["sum", "two"], "y"),
      ],
    });
    const x = Float32Array.from([0, 1, 0.5, -4, 2, 0.1]);
    // x + c = [1, −1, 0.75, −1, 1, 0.1] → clip ≥ −0.5: [1, −0.5, 0.75, −0.5, 1, 0.1]
    // → rows [1, −0.5], [0.75, −0.5], [1, 0.1] → sums [0.5, 0.25, 1.1] → ·2 = [1, 0.5, 2.2]
    close(out(fromOnnx(bytes).run(x)), [1, 0.5, 2.2]);
    // the scalar int constant: value_int
    const g = onnxToGraph(
      model({
        inputs: [fv("x", [2, 3])],
        outputs: [fv("y", [2])],
        nodes: [
          nd("Constant", [], "ax", { value_int: 1 }),
          nd("ReduceMax", ["x", "ax"], "y", { keepdims: 0 }),
        ],
        opset: 18,
      }),
    );
    expect(g.initializers).toEqual([
      { name: "ax", dtype: "int32", shape: [], data: Int32Array.of(1) },
    ]);
  });

  it("raw_data, packed float_data and unpacked float_data give the same model", () => {
    const w = randArray(5 * 4, 15);
    const make = (t: TensorSpec) =>
      model({
        inputs: [fv("x", [2, 5])],
        outputs: [fv("y", [2, 4])],
        inits: [t],
        nodes: [nd("MatMul", ["x", "w"], "y")],
      });
    const x = randArray(10, 16);
    const ref = refDense(x, w, null, 2, 5, 4, false);
    const variants = [
      floatTensor("w", [5, 4], w, true),
      floatTensor("w", [5, 4], w, false),
      { ...floatTensor("w", [5, 4], w, false), packed: false },
    ];
    for (const t of variants) close(out(fromOnnx(make(t)).run(x)), ref);
    // raw_data at every alignment: viewed in place (offset % 4 = 0) or copied
    const raw = make(variants[0]!);
    for (let shift = 0; shift < 4; shift++) {
      const buf = new Uint8Array(raw.length + shift);
      buf.set(raw, shift);
      const s = fromOnnx(buf.subarray(shift));
      close(out(s.run(x)), ref);
      expect(s.weightBytes).toBe(80);
    }
  });

  it("an imported graph saves as a model file and loads the same", () => {
    const w = randArray(12, 17);
    const bytes = model({
      inputs: [fv("x", [null, 3])],
      outputs: [fv("y", ["batch", 4])],
      inits: [floatTensor("w", [3, 4], w)],
      nodes: [nd("MatMul", ["x", "w"], "m"), nd("Tanh", ["m"], "y")],
    });
    const x = randArray(6, 18);
    const ref = refDense(x, w, null, 2, 3, 4, false).map(Math.tanh);
    close(out(loadModel(saveModel(onnxToGraph(bytes)), { batchSize: 2 }).run(x)), ref);
    close(
      out(createSession(onnxToGraph(bytes.buffer as ArrayBuffer), { batchSize: 2 }).run(x)),
      ref,
    );
  });
  it("initializers listed as graph inputs are constants; several outputs come back by name", () => {
    // keep_initializers_as_inputs-style export: "w" is both an input and an initializer
    const w = [1, -1, 2];
    const bytes = model({
      inputs: [fv("x", [3]), fv("w", [3])],
      outputs: [fv("prod", [3]), fv("pos", [3])],
      inits: [floatTensor("w", [3], w)],
      nodes: [nd("Mul", ["x", "w"], "prod"), nd("Relu", ["prod"], "pos")],
    });
    const s = fromOnnx(bytes);
    expect(s.inputs.map((v) => v.name)).toEqual(["x"]);
    // x·w = [0.5·1, 2·(−1), −1·2] = [0.5, −2, −2]; relu → [0.5, 0, 0]
    const r = s.run(Float32Array.of(0.5, 2, -1)) as OutputMap;
    close(r.prod!.data, [0.5, -2, -2]);
    close(r.pos!.data, [0.5, 0, 0]);
  });
});

/** One-node model: inputs x0… of the given shapes, output y, extra initializers. */
function oneNode(
  op: string,
  shapes: number[][],
  outShape: number[],
  attrs: Record<string, Attr> = {},
  inits: TensorSpec[] = [],
  extra: string[] = [],
  outputs: string[] = ["y"],
  opset = 13,
): ModelSpec {
  return {
    inputs: shapes.map((s, i) => fv(`x${i}`, s)),
    outputs: [fv("y", outShape)],
    inits,
    nodes: [{ op, inputs: [...shapes.map((_, i) => `x${i}`), ...extra], outputs, attrs }],
    opset,
  };
}

/** Runs a one-node model on seeded inputs; returns the inputs and the output. */
function run1(m: ModelSpec): { xs: Float32Array[]; y: Float32Array; shape: readonly number[] } {
  const s = fromOnnx(model(m));
  const xs = s.inputs.map((v, i) => randArray(size(v.shape), 100 + i, 2));
  const r =
    xs.length === 1 ? s.run(xs[0]!) : s.run(Object.fromEntries(xs.map((x, i) => [`x${i}`, x])));
  return { xs, y: out(r), shape: s.outputs[0]!.shape };
}

/** Elementwise reference of a unary op. */
function unaryCase(op: string, f: (v: number) => number, attrs: Record<string, Attr> = {}) {
  return [
    op,
    () => {
      const { xs, y } = run1(oneNode(op, [[2, 3, 4]], [2, 3, 4], attrs));
      close(y, Array.from(xs[0]!, f));
    },
  ] as const;
}

/** erf by its Maclaurin series (|x| ≤ 4 here: 60 terms reach float64 accuracy). */
function erf(x: number): number {
  let term = x;
  let s = x;
  for (let n = 1; n < 120; n++) {
    term *= (-x * x) / n;
    s += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * s;
}

describe("fromOnnx: each op against a naive reference", () => {
  const cases: (readonly [string, () => void])[] = [
    unaryCase("Relu", (v) => Math.max(v, 0)),
    unaryCase("LeakyRelu", (v) => (v < 0 ? 0.2 * v : v), { alpha: float(0.2) }),
    unaryCase("Sigmoid", (v) => 1 / (1 + Math.exp(-v))),
    unaryCase("Tanh", Math.tanh),
    unaryCase("Elu", (v) => (v < 0 ? 0.5 * (Math.exp(v) - 1) : v), { alpha: float(0.5) }),
    unaryCase("Gelu", (v) => 0.5 * v * (1 + erf(v / Math.SQRT2))),
    unaryCase(
      "Gelu",
      (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
      { approximate: "tanh" },
    ),
    unaryCase("Identity", (v) => v),
  ];
  const binaries: [string, (a: number, b: number) => number][] = [
    ["Add", (a, b) => a + b],
    ["Sub", (a, b) => a - b],
    ["Mul", (a, b) => a * b],
    ["Div", (a, b) => a / b],
  ];
  for (const [op, f] of binaries) {
    cases.push([
      `${op} broadcasting [2,3] with a [3] initializer`,
      () => {
        const b = [0.5, -2, 4];
        const { xs, y } = run1(
          oneNode(op, [[2, 3]], [2, 3], {}, [floatTensor("b", [3], b)], ["b"]),
        );
        close(
          y,
          Array.from(xs[0]!, (v, i) => f(v, b[i % 3]!)),
        );
      },
    ]);
  }
  for (const [op, isLog] of [
    ["Softmax", false],
    ["LogSoftmax", true],
  ] as const) {
    cases.push([
      `${op} axis 1 of [2,3,4]`,
      () => {
        const { xs, y } = run1(oneNode(op, [[2, 3, 4]], [2, 3, 4], { axis: 1 }));
        const ref: number[] = [];
        for (let i = 0; i < 24; i++) {
          const [a, , c] = unravel(i, [2, 3, 4]);
          const col = [0, 1, 2].map((j) => xs[0]![ravel([a!, j, c!], [2, 3, 4])]!);
          const m = Math.max(...col);
          const lse = m + Math.log(col.reduce((p, v) => p + Math.exp(v - m), 0));
          const v = xs[0]![i]! - lse;
          ref.push(isLog ? v : Math.exp(v));
        }
        close(y, ref);
      },
    ]);
  }
  cases.push(
    [
      "MatMul [2,3,4] @ [4,5]",
      () => {
        const w = randArray(20, 20);
        const { xs, y } = run1(
          oneNode("MatMul", [[2, 3, 4]], [2, 3, 5], {}, [floatTensor("w", [4, 5], w)], ["w"]),
        );
        close(y, refDense(xs[0]!, w, null, 6, 4, 5, false));
      },
    ],
    [
      "Transpose perm [2, 0, 1]",
      () => {
        const { xs, y, shape } = run1(
          oneNode("Transpose", [[2, 3, 4]], [4, 2, 3], { perm: [2, 0, 1] }),
        );
        expect(shape).toEqual([4, 2, 3]);
        const ref = Array.from({ length: 24 }, (_, i) => {
          const [d, a, b] = unravel(i, [4, 2, 3]);
          return xs[0]![ravel([a!, b!, d!], [2, 3, 4])]!;
        });
        close(y, ref);
      },
    ],
    [
      "Concat axis 1 of two inputs",
      () => {
        const { xs, y } = run1(
          oneNode(
            "Concat",
            [
              [2, 2],
              [2, 3],
            ],
            [2, 5],
            { axis: 1 },
          ),
        );
        const [a, b] = xs as [Float32Array, Float32Array];
        close(y, [a[0]!, a[1]!, b[0]!, b[1]!, b[2]!, a[2]!, a[3]!, b[3]!, b[4]!, b[5]!]);
      },
    ],
    [
      "ReduceMean axes attribute [1], keepdims 0",
      () => {
        const { xs, y, shape } = run1(
          oneNode("ReduceMean", [[2, 3, 4]], [2, 4], { axes: [1], keepdims: 0 }),
        );
        expect(shape).toEqual([2, 4]);
        const ref = Array.from({ length: 8 }, (_, i) => {
          const [a, c] = unravel(i, [2, 4]);
          let s = 0;
          for (let j = 0; j < 3; j++) s += xs[0]![ravel([a!, j, c!], [2, 3, 4])]!;
          return s / 3;
        });
        close(y, ref);
      },
    ],
    [
      "ReduceSum axes input (int64) [0, 2], keepdims 1",
      () => {
        const { xs, y, shape } = run1(
          oneNode(
            "ReduceSum",
            [[2, 3, 4]],
            [1, 3, 1],
            {},
            [int64Tensor("axes", [0, -1])],
            ["axes"],
          ),
        );
        expect(shape).toEqual([1, 3, 1]);
        const ref = [0, 1, 2].map((j) => {
          let s = 0;
          for (let a = 0; a < 2; a++)
            for (let c = 0; c < 4; c++) s += xs[0]![ravel([a, j, c], [2, 3, 4])]!;
          return s;
        });
        close(y, ref);
      },
    ],
    [
      "ReduceMax over every axis by default",
      () => {
        const { xs, y, shape } = run1(oneNode("ReduceMax", [[2, 3, 4]], [1, 1, 1]));
        expect(shape).toEqual([1, 1, 1]);
        close(y, [Math.max(...xs[0]!)]);
      },
    ],
    [
      "AveragePool 2×2, stride 1, pads 1, count_include_pad 0; GlobalAveragePool",
      () => {
        const { xs, y } = run1(
          oneNode("AveragePool", [[1, 1, 3, 3]], [1, 1, 4, 4], {
            kernel_shape: [2, 2],
            pads: [1, 1, 1, 1],
          }),
        );
        const x = xs[0]!;
        const ref: number[] = [];
        for (let i = 0; i < 4; i++) {
          for (let j = 0; j < 4; j++) {
            let s = 0;
            let n = 0;
            for (let a = i - 1; a <= i; a++) {
              for (let b = j - 1; b <= j; b++) {
                if (a >= 0 && a < 3 && b >= 0 && b < 3) {
                  s += x[a * 3 + b]!;
                  n++;
                }
              }
            }
            ref.push(s / n);
          }
        }
        close(y, ref);
        const g = run1(oneNode("GlobalAveragePool", [[2, 3, 2, 2]], [2, 3, 1, 1]));
        close(
          g.y,
          [0, 1, 2, 3, 4, 5].map(
            (p) => g.xs[0]!.slice(4 * p, 4 * p + 4).reduce((a, b) => a + b) / 4,
          ),
        );
      },
    ],
    [
      "Flatten axis 2",
      () => {
        const { xs, y, shape } = run1(oneNode("Flatten", [[2, 3, 4, 5]], [6, 20], { axis: 2 }));
        expect(shape).toEqual([6, 20]);
        close(y, xs[0]!);
      },
    ],
    [
      "Dropout (ratio input, unread mask output) is the identity",
      () => {
        const { xs, y } = run1(
          oneNode(
            "Dropout",
            [[2, 3]],
            [2, 3],
            { seed: 3 },
            [floatTensor("ratio", [], [0.5])],
            ["ratio"],
            ["y", "mask"],
          ),
        );
        close(y, xs[0]!);
      },
    ],
    [
      'Clip with min omitted ("") and a max initializer',
      () => {
        const { xs, y } = run1(
          oneNode("Clip", [[2, 3]], [2, 3], {}, [floatTensor("hi", [], [0.25])], ["", "hi"]),
        );
        close(
          y,
          Array.from(xs[0]!, (v) => Math.min(v, 0.25)),
        );
      },
    ],
    [
      "MaxPool with a named but unread Indices output",
      () => {
        const { xs, y } = run1(
          oneNode(
            "MaxPool",
            [[1, 2, 4, 4]],
            [1, 2, 2, 2],
            { kernel_shape: [2, 2], strides: [2, 2], storage_order: 0 },
            [],
            [],
            ["y", "idx"],
          ),
        );
        close(y, refMaxPool(xs[0]!, [1, 2, 4, 4], 2, 2).y);
      },
    ],
    [
      "Identity of an initializer folds into an initializer (usable where a constant is needed)",
      () => {
        const m = oneNode("Reshape", [[2, 3]], [3, 2], {}, [int64Tensor("s", [3, 2])], ["s2"]);
        m.nodes.unshift(nd("Identity", ["s"], "s2"));
        const { xs, y } = run1(m);
        close(y, xs[0]!);
      },
    ],
  );
  for (const [name, f] of cases) it(name, f);
});

describe("fromOnnx: errors", () => {
  const relu = (over: Partial<ModelSpec> = {}): Uint8Array =>
    model({
      inputs: [fv("x", [1, 3])],
      outputs: [fv("y", [1, 3])],
      nodes: [nd("Relu", ["x"], "y")],
      ...over,
    });

  it("lists every unsupported op in one error", () => {
    const nodes: NodeSpec[] = [
      nd("LSTM", ["x"], "l"),
      nd("Relu", ["l"], "r"),
      { ...nd("Gelu", ["r"], "g"), domain: "com.microsoft" },
      nd("LSTM", ["g"], "l2"),
      nd("DynamicQuantizeLinear", ["l2"], "y"),
    ];
    const f = () => fromOnnx(relu({ nodes }));
    expect(f).toThrow(ModelFormatError);
    expect(f).toThrow(
      /unsupported ops LSTM, com\.microsoft\.Gelu, DynamicQuantizeLinear \(supported: .*Gemm/,
    );
    // dynamic quantization is not mapped (MatMulInteger and ConvInteger are)
    for (const op of ["DynamicQuantizeLinear"]) {
      expect(() => fromOnnx(relu({ nodes: [nd(op, ["x"], "y")] }))).toThrow(
        `unsupported ops ${op} `,
      );
    }
  });

  it("opset: older than 13, none, or the ai.onnx domain spelled out", () => {
    expect(() => fromOnnx(relu({ opset: 12 }))).toThrow(
      /fromOnnx: opset_import: opset 12 is older than 13/,
    );
    expect(() => fromOnnx(relu({ opset: null }))).toThrow(/imports no ai.onnx opset/);
    expect(() => fromOnnx(relu({ opset: null, opsets: [["ai.onnx.ml", 3]] }))).toThrow(
      /no ai.onnx opset/,
    );
    close(
      out(
        fromOnnx(relu({ opset: null, opsets: [["ai.onnx", 17]] })).run(Float32Array.of(-1, 0, 1)),
      ),
      [0, 0, 1],
    );
  });

  it("tensors: external data, unsupported types, sizes, int64 range", () => {
    const withInit = (t: TensorSpec, op = "Add") =>
      relu({
        inits: [t],
        nodes: [nd(op, ["x", t.name!], "y")],
      });
    expect(() => fromOnnx(withInit({ name: "w", dims: [3], external: true }))).toThrow(
      /"w": external data is not supported/,
    );
    expect(() =>
      fromOnnx(withInit({ name: "w", dims: [3], type: T.DOUBLE, values: [1, 2, 3] })),
    ).toThrow(/unsupported data type DOUBLE/);
    expect(() => fromOnnx(withInit({ name: "w", dims: [3], raw: new Uint8Array(8) }))).toThrow(
      /raw_data has 8 bytes, expected 12 for dims \[3\]/,
    );
    expect(() => fromOnnx(withInit({ name: "w", dims: [3], values: [1, 2] }))).toThrow(
      /has 2 values, expected 3/,
    );
    expect(() => fromOnnx(withInit({ name: "w", dims: [0] }))).toThrow(
      /dim 0 must be an integer ≥ 1, got 0/,
    );
    expect(() => fromOnnx(withInit({ name: "w", dims: [-3] }))).toThrow(ModelFormatError);
    expect(() => fromOnnx(withInit({ name: "w", dims: [2 ** 20, 2 ** 20] }))).toThrow(
      /over 2\^31 - 1 elements/,
    );
    for (const asRaw of [true, false]) {
      const big = withInit(int64Tensor("w", [1, 2 ** 31, 3], asRaw), "Reshape");
      expect(() => fromOnnx(big)).toThrow(
        /value 2147483648 does not fit int32 \(int64 is read as int32\)/,
      );
      const small = withInit(int64Tensor("w", [-(2 ** 31) - 1], asRaw), "Reshape");
      expect(() => fromOnnx(small)).toThrow(/value -2147483649 does not fit/);
    }
    expect(() => fromOnnx(withInit({ name: "w", dims: [1], type: T.INT8, values: [200] }))).toThrow(
      /value 200 does not fit int8/,
    );
  });

  it("graph values: no shape, symbolic non-batch dims, unsupported element types", () => {
    expect(() => fromOnnx(relu({ outputs: [{ name: "y" }] }))).toThrow(
      /output 0 "y": has no shape/,
    );
    expect(() => fromOnnx(relu({ inputs: [fv("x", [1, "W"])] }))).toThrow(
      /input 0 "x": dim 1 is symbolic; only dim 0/,
    );
    expect(() => fromOnnx(relu({ inputs: [{ name: "x", type: T.DOUBLE, dims: [1, 3] }] }))).toThrow(
      /input 0 "x": unsupported data type DOUBLE/,
    );
    expect(() => fromOnnx(relu({ outputs: [{ name: "y", type: 0, dims: [1, 3] }] }))).toThrow(
      /UNDEFINED/,
    );
  });

  it("nodes: a read extra output, training-mode BatchNormalization, a bad Constant", () => {
    const pool = relu({
      inputs: [fv("x", [1, 1, 2, 2])],
      outputs: [fv("y", [1, 1, 1, 1])],
      nodes: [
        { op: "MaxPool", inputs: ["x"], outputs: ["p", "idx"], attrs: { kernel_shape: [2, 2] } },
        nd("Add", ["p", "idx"], "y"),
      ],
    });
    expect(() => fromOnnx(pool)).toThrow(
      /node 0 "MaxPool_0" \(MaxPool\): output 1 "idx" is read but not supported/,
    );
    const bn = relu({
      inits: ["s", "b", "m", "v"].map((n) => floatTensor(n, [3], [1, 1, 1])),
      nodes: [nd("BatchNormalization", ["x", "s", "b", "m", "v"], "y", { training_mode: 1 })],
    });
    expect(() => fromOnnx(bn)).toThrow(/training_mode=1 is not supported/);
    const noValue = relu({ nodes: [nd("Constant", [], "c"), nd("Add", ["x", "c"], "y")] });
    expect(() => fromOnnx(noValue)).toThrow(/Constant\): needs one attribute value/);
    const str = relu({
      nodes: [nd("Constant", [], "c", { value_string: "a" }), nd("Add", ["x", "c"], "y")],
    });
    expect(() => fromOnnx(str)).toThrow(/got \["value_string"\]/);
  });

  it("planning errors name fromOnnx and the ONNX node", () => {
    const bad = relu({
      inits: [floatTensor("w", [4, 5], randArray(20, 1))],
      nodes: [{ ...nd("Gemm", ["x", "w"], "y"), name: "fc1" }],
    });
    expect(() => fromOnnx(bad)).toThrow(
      /^fromOnnx: nodes\[0\] "fc1" \(gemm\): inner dimensions differ/,
    );
    expect(() => fromOnnx(relu(), { maxBytes: 4 })).toThrow(OutOfMemoryError);
    expect(() => fromOnnx(relu(), { maxBytes: 4 })).toThrow(
      /^fromOnnx: model too big \(needed \d+ bytes, available 4/,
    );
    expect(() => fromOnnx(relu(), { batchSize: 0 })).toThrow(ArgumentError);
  });

  it("not bytes, garbage bytes, no graph", () => {
    expect(() => fromOnnx("model.onnx" as unknown as Uint8Array)).toThrow(ArgumentError);
    expect(() => fromOnnx(new Uint8Array([0x3a, 0x40, 1, 2]))).toThrow(
      /fromOnnx: byte \d+: length 64 runs past/,
    );
    expect(() => fromOnnx(new TextEncoder().encode("ENN1 not an onnx file"))).toThrow(
      ModelFormatError,
    );
    expect(() => fromOnnx(new Uint8Array(0))).toThrow(/imports no ai.onnx opset/);
    const noGraph = new Pb().msg(8, new Pb().str(1, "").int(2, 13)).toBytes();
    expect(() => fromOnnx(noGraph)).toThrow(/model: has no graph/);
  });
});

describe("TSDoc @example blocks of the ONNX entry run and print what they say", () => {
  const examples = collectDocExamples(fileURLToPath(new URL("../src", import.meta.url))).filter(
    (ex) => ex.file.startsWith("onnx"),
  );
  it("finds them", () => expect(examples.length).toBeGreaterThanOrEqual(2));
  for (const ex of examples) {
    it(`${ex.file}:${ex.line}`, () => {
      expect(runDocExample(ex, { ...api, ...onnx })).toBeGreaterThan(0);
    });
  }
});
