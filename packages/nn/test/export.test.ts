/*
 * toGraph / exportModel: the exported graph, saved and loaded by the runtime, computes what the
 * model computes in eval mode (within float32 rounding) for an MLP, a trained CNN with BatchNorm
 * (folded), LayerNorm models and GRU models; BatchNorm really is folded; the graph outlives the
 * model; unsupported modules and bad shapes are typed errors naming the layer.
 */
import { valueAndGrad } from "@edgenn/autograd";
import {
  AvgPool2d,
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  crossEntropy,
  Dropout,
  exportModel,
  Flatten,
  GELU,
  GlobalAvgPool2d,
  GRU,
  LayerNorm,
  LeakyReLU,
  Linear,
  MaxPool2d,
  Module,
  ReLU,
  Sequential,
  Sigmoid,
  Softmax,
  Tanh,
  toGraph,
} from "@edgenn/nn";
import { SGD } from "@edgenn/optim";
import {
  decodeModel,
  encodeModel,
  type Graph,
  loadModel as loadCore,
  type Output,
  type SessionOptions,
} from "@edgenn/runtime";
import { allOps } from "@edgenn/runtime/ops";

// exported models use conv, recurrent and tensor ops beyond the core set: load with all of them
const loadModel = (b: Uint8Array, o: SessionOptions = {}) => loadCore(b, { ...o, ops: allOps });

import {
  ArgumentError,
  assign,
  noGrad,
  randn,
  ShapeError,
  type Tensor,
  tensor,
  tidy,
} from "@edgenn/tensor";
import { expectClose } from "@edgenn/testkit";
import { describe, expect, it } from "vitest";

/** float32 rounding through a few dozen ops: rtol 1e-4, and atol for outputs near 0. */
const TOL = { rtol: 1e-4, atol: 1e-5 };

/** model.forward(x) in eval mode, as a new array. */
function forward(model: Module, x: Tensor): Float32Array {
  model.eval();
  const y = noGrad(() => model.forward(x));
  const data = y.dataSync() as Float32Array;
  y.dispose();
  return data;
}

/** toGraph → encodeModel → loadModel → run(x); returns the graph and the output. */
function roundTrip(
  model: Module,
  x: Tensor,
  inputShape: readonly number[] = x.shape,
): { graph: Graph; y: Output } {
  const graph = toGraph(model, { inputShape });
  const session = loadModel(encodeModel(graph), { batchSize: x.shape[0]! });
  const y = session.run(x.dataSync() as Float32Array) as Output;
  return { graph, y };
}

/** Asserts the exported model matches the model's eval forward; returns the graph. */
function expectSame(model: Module, x: Tensor, inputShape?: readonly number[]): Graph {
  const want = forward(model, x);
  const { graph, y } = roundTrip(model, x, inputShape);
  const wantShape = noGrad(() => model.forward(x));
  expect(y.shape).toEqual(wantShape.shape);
  wantShape.dispose();
  expectClose(y.data as Float32Array, want, TOL);
  return graph;
}

const ops = (g: Graph): string[] => g.nodes.map((n) => n.op);

/** A few SGD steps of cross-entropy on random data, in training mode (BatchNorm statistics move). */
function train(model: Module, x: Tensor, labels: Tensor, steps: number): void {
  model.train();
  const opt = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  for (let i = 0; i < steps; i++) {
    const { value, grads } = valueAndGrad(
      () => crossEntropy(model.forward(x), labels),
      model.parameters(),
    );
    opt.step(grads);
    value.dispose();
    for (const g of grads) g.dispose();
  }
  model.eval();
}

describe("toGraph round trip (save → load → run) equals forward in eval mode", () => {
  it("MLP with every activation, Dropout left out, batch −1 fixed at load", () => {
    tidy(() => {
      const model = new Sequential(
        new Linear(8, 16, { seed: 1 }),
        new ReLU(),
        new Dropout(0.5),
        new Linear(16, 12, { seed: 2 }),
        new Tanh(),
        new Linear(12, 12, { seed: 3 }),
        new LeakyReLU(0.2),
        new Linear(12, 10, { seed: 4 }),
        new GELU(),
        new Linear(10, 10, { seed: 5 }),
        new GELU({ approximate: "tanh" }),
        new Linear(10, 6, { seed: 6 }),
        new Sigmoid(),
        new Linear(6, 4, { seed: 7 }),
        new Softmax(),
      );
      const x = randn([5, 8], { seed: 10 });
      const g = expectSame(model, x, [-1, 8]);
      expect(ops(g)).toEqual([
        "gemm",
        "relu",
        "gemm",
        "tanh",
        "gemm",
        "leakyRelu",
        "gemm",
        "gelu",
        "gemm",
        "gelu",
        "gemm",
        "sigmoid",
        "gemm",
        "softmax",
      ]);
      expect(g.inputs).toEqual([{ name: "input", dtype: "float32", shape: [-1, 8] }]);
      expect(g.outputs).toEqual([{ name: "output", dtype: "float32", shape: [-1, 4] }]);
      expect(g.nodes[0]).toMatchObject({
        attrs: { transB: 1 },
        inputs: ["input", "0.weight", "0.bias"],
      });
      model.dispose();
    });
  });

  it("CNN with BatchNorm2d/1d trained a few steps: BatchNorm folded into conv/linear", () => {
    tidy(() => {
      const model = new Sequential(
        new Sequential(new Conv2d(2, 6, 3, { padding: 1, seed: 1 }), new BatchNorm2d(6)),
        new ReLU(),
        new MaxPool2d(2),
        // depthwise, stride 2, "same" padding on 6×6 (total 1: the odd pad at the end), no bias
        new Conv2d(6, 6, 3, { stride: 2, padding: "same", groups: 6, bias: false, seed: 2 }),
        new BatchNorm2d(6, { momentum: 0.5 }),
        new LeakyReLU(0.1),
        // [6, 6, 3, 3] → kernel 2×5 (dilated), pads [0, 2, 1, 1] → [6, 8, 3, 2]
        new Conv2d(6, 8, [2, 3], { padding: [0, 2, 1, 1], dilation: [1, 2], seed: 3 }),
        new Flatten(),
        new Linear(8 * 3 * 2, 10, { seed: 4 }),
        new BatchNorm1d(10),
        new Tanh(),
        new Linear(10, 3, { seed: 5 }),
      );
      const x = randn([6, 2, 12, 12], { seed: 11, mean: 0.5 });
      const labels = tensor([0, 1, 2, 0, 1, 2], { dtype: "int32" });
      train(model, x, labels, 4);
      const bn = model.at(0) as Sequential;
      const rm = (bn.at(1) as BatchNorm2d).runningMean.dataSync();
      expect(Math.max(...rm.map(Math.abs))).toBeGreaterThan(0.01); // non-trivial statistics
      const g = expectSame(model, randn([3, 2, 12, 12], { seed: 12 }), [-1, 2, 12, 12]);
      expect(ops(g)).toEqual([
        "conv2d",
        "relu",
        "maxPool2d",
        "conv2d",
        "leakyRelu",
        "conv2d",
        "flatten",
        "gemm",
        "tanh",
        "gemm",
      ]);
      expect(ops(g)).not.toContain("batchNorm");
      // the folded depthwise conv gains a bias: (0 − mean)·γ/√(var + ε) + β
      expect(g.nodes[3]!.inputs).toEqual(["2/maxPool2d", "3.weight", "3.bias"]);
      expect(g.nodes[3]!.attrs).toMatchObject({ pads: [0, 0, 1, 1], strides: [2, 2], group: 6 });
      model.dispose();
    });
  });

  it("folds exactly w·γ/√(var + ε) and (b − mean)·γ/√(var + ε) + β", () => {
    tidy(() => {
      const fc = new Linear(2, 2, { seed: 1 });
      const bn = new BatchNorm1d(2, { epsilon: 0 });
      assign(
        fc.weight,
        tensor([
          [1, 2],
          [3, 4],
        ]),
      );
      assign(fc.bias!, tensor([1, -1]));
      assign(bn.runningMean, tensor([2, 1]));
      assign(bn.runningVar, tensor([4, 0.25]));
      assign(bn.weight!, tensor([3, -1]));
      assign(bn.bias!, tensor([0.5, 2]));
      // channel 0: k = 3/√4 = 1.5 → w' = [1.5, 3], b' = (1 − 2)·1.5 + 0.5 = −1
      // channel 1: k = −1/√0.25 = −2 → w' = [−6, −8], b' = (−1 − 1)·(−2) + 2 = 6
      const g = toGraph(new Sequential(fc, bn), { inputShape: [1, 2] });
      expect(ops(g)).toEqual(["gemm"]);
      expect(Array.from(g.initializers[0]!.data)).toEqual([1.5, 3, -6, -8]);
      expect(Array.from(g.initializers[1]!.data)).toEqual([-1, 6]);
    });
  });

  it("BatchNorm not directly after a conv/linear stays a batchNorm node", () => {
    tidy(() => {
      const model = new Sequential(
        new Conv2d(3, 4, 3, { seed: 1 }),
        new ReLU(),
        new BatchNorm2d(4, { affine: false }),
        new AvgPool2d(3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: true }),
        new BatchNorm2d(4),
        new Dropout(0.3),
        new BatchNorm2d(4),
        new GlobalAvgPool2d(),
        new Flatten(),
        new Linear(4, 5, { seed: 2 }),
        new Dropout(0.1),
        new BatchNorm1d(5),
      );
      const x = randn([4, 3, 9, 9], { seed: 3 });
      train(model, x, tensor([0, 1, 2, 3], { dtype: "int32" }), 3);
      const g = expectSame(model, x);
      expect(ops(g)).toEqual([
        "conv2d",
        "relu",
        "batchNorm",
        "avgPool2d",
        "batchNorm",
        "batchNorm",
        "globalAvgPool2d",
        "flatten",
        "gemm",
        "batchNorm",
      ]);
      model.dispose();
    });
  });

  it("pools with dilation, ceilMode, explicit and 'same' padding; Flatten and Softmax over other dims", () => {
    tidy(() => {
      const model = new Sequential(
        new MaxPool2d(3, { stride: 2, padding: 1, dilation: 2, ceilMode: true }),
        new AvgPool2d([2, 3], { stride: [1, 2], padding: "same" }),
        new MaxPool2d(2, { padding: "valid" }),
        new Softmax(1),
        new Flatten(2, 3),
        new Softmax(-1),
        new Flatten(0, 1),
      );
      const g = expectSame(model, randn([2, 3, 13, 11], { seed: 4 }));
      expect(ops(g)).toEqual([
        "maxPool2d",
        "avgPool2d",
        "maxPool2d",
        "softmax",
        "reshape",
        "softmax",
        "reshape",
      ]);
    });
  });

  it("LayerNorm: over the features, over several trailing dims, without affine", () => {
    tidy(() => {
      const ln = new LayerNorm(8);
      const ln2 = new LayerNorm([4, 5], { epsilon: 1e-3 });
      for (const [i, t] of [ln.weight!, ln.bias!, ln2.weight!, ln2.bias!].entries()) {
        assign(t, randn(t.shape, { seed: 20 + i, mean: i % 2 ? 0 : 1 }));
      }
      const mlp = new Sequential(
        new Linear(6, 8, { seed: 1 }),
        ln,
        new GELU(),
        new Linear(8, 3, { seed: 2 }),
      );
      const g = expectSame(mlp, randn([4, 6], { seed: 3, std: 3 }));
      expect(ops(g)).toEqual(["gemm", "layerNorm", "gelu", "gemm"]);
      expect(g.nodes[1]!.attrs).toEqual({ axis: 1, epsilon: 1e-5 });
      const seq = new Sequential(
        ln2,
        new LayerNorm(5, { elementwiseAffine: false }),
        new Flatten(),
        new Linear(20, 2, { seed: 4 }),
      );
      const g2 = expectSame(seq, randn([3, 4, 5], { seed: 5, mean: 4 }), [-1, 4, 5]);
      expect(g2.nodes[0]!.attrs).toEqual({ axis: 1, epsilon: 1e-3 });
      expect(g2.nodes[1]!.inputs).toEqual(["0/layerNorm"]);
      mlp.dispose();
      seq.dispose();
    });
  });

  it("GRU: last state and every state, a Linear over [N, T, H], a single GRU layer", () => {
    tidy(() => {
      const x = randn([3, 7, 4], { seed: 1 });
      const seqModel = new Sequential(
        new GRU(4, 6, { returnSequences: true, seed: 2 }),
        new Linear(6, 5, { seed: 3 }),
        new Tanh(),
        new GRU(5, 3, { seed: 4 }),
        new Linear(3, 2, { seed: 5 }),
      );
      const g = expectSame(seqModel, x, [-1, 7, 4]);
      expect(ops(g)).toEqual(["gru", "reshape", "gemm", "reshape", "tanh", "gru", "gemm"]);
      expect(g.nodes[0]!.attrs).toEqual({ hiddenSize: 6, returnSequences: 1 });
      expect(g.nodes[0]!.inputs).toEqual([
        "input",
        "0.weightIh",
        "0.weightHh",
        "0.biasIh",
        "0.biasHh",
      ]);
      const single = new GRU(4, 9, { seed: 6 });
      const g1 = expectSame(single, x);
      expect(g1.nodes).toEqual([
        {
          op: "gru",
          name: "GRU/gru",
          inputs: ["input", "weightIh", "weightHh", "biasIh", "biasHh"],
          outputs: ["output"],
          attrs: { hiddenSize: 9, returnSequences: 0 },
        },
      ]);
      seqModel.dispose();
      single.dispose();
    });
  });

  it("a single layer, a Linear on rank 1 and 3, a Dropout-only model (identity)", () => {
    tidy(() => {
      const conv = new Conv2d(2, 3, 1, { seed: 1 });
      expect(ops(expectSame(conv, randn([1, 2, 4, 4], { seed: 2 })))).toEqual(["conv2d"]);
      const fc = new Linear(3, 2, { seed: 3 });
      expectSame(fc, randn([2, 4, 3], { seed: 4 }));
      const graph = toGraph(fc, { inputShape: [3] });
      expect(graph.outputs[0]!.shape).toEqual([2]);
      const y = loadModel(exportModel(fc, { inputShape: [3] })).run(new Float32Array([1, 2, 3]));
      expectClose(y.data as Float32Array, forward(fc, tensor([[1, 2, 3]])), TOL);
      const drop = new Sequential(new Dropout(0.5), new Sequential());
      const g = toGraph(drop, { inputShape: [2, 2], inputName: "x", outputName: "y" });
      expect(g.nodes).toEqual([
        { op: "identity", name: "Sequential/identity", inputs: ["x"], outputs: ["y"], attrs: {} },
      ]);
      expect(
        Array.from(
          loadModel(exportModel(drop, { inputShape: [2, 2] })).run(new Float32Array([1, 2, 3, 4]))
            .data,
        ),
      ).toEqual([1, 2, 3, 4]);
    });
  });

  it("the graph owns copies of the weights: it runs after the model is disposed or trained on", () => {
    tidy(() => {
      const model = new Sequential(
        new Conv2d(1, 2, 3, { seed: 1 }),
        new BatchNorm2d(2),
        new Flatten(),
        new Linear(8, 2, { seed: 2 }),
      );
      const x = randn([2, 1, 4, 4], { seed: 3 });
      const want = forward(model, x);
      const bytes = exportModel(model, { inputShape: [2, 1, 4, 4] });
      const graph = toGraph(model, { inputShape: [2, 1, 4, 4] });
      assign(model.at(3).parameters()[0]!, randn([2, 8], { seed: 9 }));
      model.dispose();
      for (const b of [bytes, encodeModel(graph)]) {
        expectClose(loadModel(b).run(x.dataSync() as Float32Array).data as Float32Array, want, TOL);
      }
      expect(decodeModel(bytes).initializers.map((t) => t.name)).toEqual([
        "0.weight",
        "0.bias",
        "3.weight",
        "3.bias",
      ]);
    });
  });
});

describe("toGraph errors", () => {
  class Custom extends Module {
    forward(x: Tensor): Tensor {
      return x;
    }
  }
  class Doubled extends Linear {
    override forward(x: Tensor): Tensor {
      return super.forward(x);
    }
  }
  class Kept extends Sequential {}

  it("an unsupported module is an ArgumentError naming every such class and path", () => {
    expect(() => toGraph(new Custom(), { inputShape: [1, 2] })).toThrow(ArgumentError);
    expect(() => toGraph(new Custom(), { inputShape: [1, 2] })).toThrow(
      /toGraph: no inference form for Custom \(supported: Sequential, Linear, Conv2d/,
    );
    const m = new Sequential(new ReLU(), new Sequential(new Custom(), new Doubled(2, 2)));
    expect(() => toGraph(m, { inputShape: [1, 2] })).toThrow(
      /no inference form for Custom at "1.0", Doubled at "1.1" .*a subclass must not override forward/,
    );
    // a subclass that keeps forward is exported as its base
    const k = new Kept(new Linear(2, 2, { seed: 1 }), new Kept(new ReLU()));
    expect(ops(toGraph(k, { inputShape: [1, 2] }))).toEqual(["gemm", "relu"]);
    m.dispose();
    k.dispose();
  });

  it("an input that does not fit a layer is a ShapeError naming the layer", () => {
    const m = new Sequential(
      new Linear(4, 3, { seed: 1 }),
      new ReLU(),
      new Linear(4, 2, { seed: 2 }),
    );
    expect(() => toGraph(m, { inputShape: [1, 4] })).toThrow(ShapeError);
    expect(() => toGraph(m, { inputShape: [1, 4] })).toThrow(
      'toGraph: layer "2" (Linear): expected 4 input features (got shape [1,3])',
    );
    const cases: [Module, number[], RegExp][] = [
      [
        new Conv2d(3, 2, 3),
        [1, 2, 5, 5],
        /toGraph: Conv2d: expected 3 channels \(got shape \[1,2,5,5\]\)/,
      ],
      [new Conv2d(1, 2, 3), [1, 5, 5], /expected rank 4 \[N, C, H, W\]/],
      [
        new MaxPool2d(4),
        [1, 1, 3, 3],
        /MaxPool2d: the dilated window \(4\) is larger than the padded input \(3\)/,
      ],
      [new BatchNorm2d(3), [2, 3], /BatchNorm2d: expected rank 4/],
      [new BatchNorm1d(3), [2, 4], /BatchNorm1d: expected 3 channels/],
      [new LayerNorm([2, 3]), [4, 3, 2], /LayerNorm: expected the last dims to be \[2,3\]/],
      [new GRU(3, 2), [2, 3], /GRU: expected \[N, T, F\] with F = 3/],
      [new Flatten(2), [4, 5], /Flatten: startDim 2 is out of range for rank 2/],
      [new Flatten(1, 0), [4, 5], /Flatten: startDim 1 comes after endDim 0/],
      [new Softmax(3), [4, 5], /Softmax: axis 3 is out of range for rank 2/],
    ];
    for (const [layer, shape, msg] of cases) {
      expect(() => toGraph(layer, { inputShape: shape })).toThrow(ShapeError);
      expect(() => toGraph(layer, { inputShape: shape })).toThrow(msg);
      layer.dispose();
    }
    m.dispose();
  });

  it("bad options are ArgumentErrors", () => {
    const m = new ReLU();
    const bad = (o: unknown, msg: RegExp) =>
      expect(() => toGraph(m, o as { inputShape: number[] })).toThrow(msg);
    bad(undefined, /toGraph: options with an inputShape are required/);
    bad(
      { inputShape: [] },
      /inputShape must be 1 to 8 integers ≥ 1, the first may be −1 \(got \[\]\)/,
    );
    bad({ inputShape: [2, -1] }, /inputShape must be/);
    bad({ inputShape: [1.5] }, /inputShape must be/);
    bad({ inputShape: "2" }, /inputShape must be/);
    bad({ inputShape: [2], inputName: "" }, /inputName must be a non-empty string/);
    bad({ inputShape: [2], outputName: 3 }, /outputName must be a non-empty string/);
    bad({ inputShape: [2], inputName: "a", outputName: "a" }, /outputName "a" is already a name/);
    expect(() => toGraph(m, { inputShape: [2] })).not.toThrow();
    // an error is typed
    expect(() => toGraph(m, { inputShape: [0] })).toThrow(ArgumentError);
  });
});
