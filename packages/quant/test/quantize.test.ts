import {
  Conv2d,
  crossEntropy,
  Flatten,
  fit as fitModel,
  GRU,
  Linear,
  MaxPool2d,
  type Module,
  predict,
  ReLU,
  Sequential,
  toGraph,
} from "@edgenn/nn";
import { Adam } from "@edgenn/optim";
import { QuantizedModel, quantize } from "@edgenn/quant";
import { encodeModel } from "@edgenn/runtime";
import {
  ArgumentError,
  DTypeError,
  randn,
  ShapeError,
  type Tensor,
  tensor,
  tidy,
} from "@edgenn/tensor";
import { beforeAll, describe, expect, it } from "vitest";
import { loadModel } from "./sessions.js";

/** mulberry32: a seeded uniform [0, 1) generator. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const gauss = (r: () => number): number => (r() + r() + r() + r() - 2) * Math.sqrt(3);

/** n samples of `dim` features in 4 Gaussian blobs (centres ±1.5 per feature): separable. */
function blobs(n: number, dim: number, seed: number): { x: Tensor; y: Tensor; labels: number[] } {
  const rc = rng(7);
  const centres = Array.from({ length: 4 }, () =>
    Array.from({ length: dim }, () => (rc() < 0.5 ? -1.5 : 1.5)),
  );
  const r = rng(seed);
  const x = new Float32Array(n * dim);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 4;
    labels.push(c);
    for (let j = 0; j < dim; j++) x[i * dim + j] = centres[c]![j]! + gauss(r);
  }
  return {
    x: tensor(x, { shape: [n, dim] }),
    y: tensor(Int32Array.from(labels), { shape: [n] }),
    labels,
  };
}

/** n 1×12×12 images: class c = a bright 4×4 patch in quadrant c, plus noise. */
function images(n: number, seed: number): { x: Tensor; y: Tensor; labels: number[] } {
  const r = rng(seed);
  const x = new Float32Array(n * 144);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 4;
    labels.push(c);
    const [oy, ox] = [c >> 1 ? 7 : 1, c & 1 ? 7 : 1];
    for (let p = 0; p < 144; p++) x[i * 144 + p] = 0.3 * gauss(r);
    for (let dy = 0; dy < 4; dy++)
      for (let dx = 0; dx < 4; dx++) x[i * 144 + (oy + dy) * 12 + ox + dx]! += 1 + 0.2 * r();
  }
  return {
    x: tensor(x, { shape: [n, 1, 12, 12] }),
    y: tensor(Int32Array.from(labels), { shape: [n] }),
    labels,
  };
}

function argmaxRows(t: Tensor): number[] {
  const [n, c] = t.shape as [number, number];
  const d = t.dataSync();
  return Array.from({ length: n }, (_, i) => {
    let best = 0;
    for (let j = 1; j < c; j++) if (d[i * c + j]! > d[i * c + best]!) best = j;
    return best;
  });
}
const acc = (pred: number[], labels: number[]): number =>
  pred.filter((p, i) => p === labels[i]).length / labels.length;

async function train(model: Module, x: Tensor, y: Tensor, epochs: number): Promise<void> {
  await fitModel(
    model,
    { x, y },
    {
      epochs,
      batchSize: 32,
      seed: 1,
      loss: (p, t) => crossEntropy(p, t),
      optimizer: new Adam(model.parameters(), { lr: 0.01 }),
    },
  );
}

const mlpData = blobs(256, 256, 1);
const mlpTest = blobs(200, 256, 2);
const mlp = new Sequential(
  new Linear(256, 64, { seed: 1 }),
  new ReLU(),
  new Linear(64, 4, { seed: 2 }),
);
const cnnData = images(192, 3);
const cnnTest = images(120, 4);
const cnn = new Sequential(
  new Conv2d(1, 8, 3, { padding: 1, seed: 3 }),
  new ReLU(),
  new MaxPool2d(2),
  new Conv2d(8, 32, 3, { padding: 1, seed: 4 }),
  new ReLU(),
  new MaxPool2d(2),
  new Flatten(),
  new Linear(32 * 3 * 3, 128, { seed: 5 }),
  new ReLU(),
  new Linear(128, 4, { seed: 6 }),
);
const CNN_SHAPE = [-1, 1, 12, 12];

beforeAll(async () => {
  await train(mlp, mlpData.x, mlpData.y, 3);
  await train(cnn, cnnData.x, cnnData.y, 4);
}, 60_000);

describe("quantize (static)", () => {
  it("an MLP: int8 accuracy close to float, file < 35 %, predict shape/dtype", () => {
    const q = quantize(mlp, { calibration: mlpData.x });
    expect(q).toBeInstanceOf(QuantizedModel);
    expect(q.mode).toBe("static");
    expect(q.graph.nodes.map((n) => n.op)).toEqual([
      "quantizeLinear",
      "qlinearGemm",
      "qlinearGemm",
      "dequantizeLinear",
    ]);
    // the first gemm's relu is fused
    expect(q.graph.nodes[1]!.attrs.activation).toBe("relu");
    tidy(() => {
      const floatOut = predict(mlp, mlpTest.x);
      const out = q.predict(mlpTest.x);
      expect(out.shape).toEqual([200, 4]);
      expect(out.dtype).toBe("float32");
      const floatAcc = acc(argmaxRows(floatOut), mlpTest.labels);
      const int8Acc = acc(argmaxRows(out), mlpTest.labels);
      expect(floatAcc).toBeGreaterThan(0.9); // the model learned the blobs
      expect(Math.abs(int8Acc - floatAcc)).toBeLessThanOrEqual(0.02);
      // the logits themselves are close: |Δ| well under the logits' spread
      const f = floatOut.dataSync();
      const g = out.dataSync();
      let err = 0;
      let mag = 0;
      for (let i = 0; i < f.length; i++) {
        err = Math.max(err, Math.abs(f[i]! - g[i]!));
        mag = Math.max(mag, Math.abs(f[i]!));
      }
      expect(err).toBeLessThan(0.1 * mag);
    });
    const floatBytes = encodeModel(toGraph(mlp, { inputShape: [-1, 256] })).byteLength;
    expect(q.fileBytes).toBe(q.toBytes().byteLength);
    expect(q.fileBytes).toBeLessThan(0.35 * floatBytes);
    // the arena holds the float input as well (8·256·4 bytes here), so it barely shrinks
    const floatArena = loadModel(encodeModel(toGraph(mlp, { inputShape: [-1, 256] })), {
      batchSize: 8,
    }).arenaBytes;
    expect(q.arenaBytes(8)).toBeLessThanOrEqual(floatArena);
    expect(q.arenaBytes()).toBeLessThan(q.arenaBytes(8));
  });

  it("predict: Float32Array input, batch sizes agree, the saved file gives the same output", () => {
    const q = quantize(mlp, { calibration: mlpData.x, observer: "percentile" });
    const data = mlpTest.x.dataSync() as Float32Array;
    const a = q.predict(data, { batchSize: 7 });
    const b = q.predict(mlpTest.x);
    expect(a.shape).toEqual([200, 4]);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    const s = loadModel(q.toBytes(), { batchSize: 200 });
    expect(Array.from(s.run(data).data)).toEqual(Array.from(b.dataSync()));
    a.dispose();
    b.dispose();
  });

  it("a CNN: int8 accuracy close to float, file < 35 %", () => {
    const q = quantize(cnn, { calibration: cnnData.x, inputShape: CNN_SHAPE });
    const ops = q.graph.nodes.map((n) => n.op);
    expect(ops.filter((o) => o === "qlinearConv")).toHaveLength(2);
    expect(ops.filter((o) => o === "qmaxPool2d")).toHaveLength(2);
    expect(ops.filter((o) => o === "qlinearGemm")).toHaveLength(2);
    tidy(() => {
      const floatAcc = acc(argmaxRows(predict(cnn, cnnTest.x)), cnnTest.labels);
      const out = q.predict(cnnTest.x);
      expect(out.shape).toEqual([120, 4]);
      expect(out.dtype).toBe("float32");
      expect(floatAcc).toBeGreaterThan(0.9);
      expect(Math.abs(acc(argmaxRows(out), cnnTest.labels) - floatAcc)).toBeLessThanOrEqual(0.03);
    });
    const floatGraph = toGraph(cnn, { inputShape: CNN_SHAPE });
    expect(q.fileBytes).toBeLessThan(0.35 * encodeModel(floatGraph).byteLength);
    // int8 feature maps: the arena shrinks to well under half
    const floatArena = loadModel(encodeModel(floatGraph), { batchSize: 4 }).arenaBytes;
    expect(q.arenaBytes(4)).toBeLessThan(0.5 * floatArena);
  });

  it("per-tensor weights: one scale repeated per channel", () => {
    const q = quantize(mlp, { calibration: mlpData.x, perChannel: false });
    const gemm = q.graph.nodes.find((n) => n.op === "qlinearGemm")!;
    const s = gemm.attrs.wScales as number[];
    expect(s).toHaveLength(64);
    expect(new Set(s).size).toBe(1);
  });
});

describe("quantize: inputType int8", () => {
  it("makes an int8-input model whose predict takes float32 and matches the float-input model", () => {
    const model = new Sequential(
      new Linear(8, 16, { seed: 1 }),
      new ReLU(),
      new Linear(16, 3, { seed: 2 }),
    );
    const calibration = randn([64, 8], { seed: 3 });
    const q = quantize(model, { calibration });
    const qi = quantize(model, { calibration, inputType: "int8" });
    expect(qi.graph.inputs[0]!.dtype).toBe("int8");
    expect(qi.graph.nodes[0]!.op).toBe("qlinearGemm");
    const x = randn([10, 8], { seed: 4 });
    expect(Array.from(qi.predict(x).dataSync())).toEqual(Array.from(q.predict(x).dataSync()));
    expect(qi.arenaBytes(1)).toBeLessThan(q.arenaBytes(1));
    expect(() => quantize(model, { mode: "dynamic", inputType: "int8" })).toThrow(
      /dynamic mode takes no calibration, observer or inputType/,
    );
    model.dispose();
    calibration.dispose();
    x.dispose();
  });
});

describe("quantize: recurrent models", () => {
  it("a Linear after a GRU is quantized (the GRU's output is calibrated; the GRU stays float)", () => {
    // regression: the GRU's output rank was unknown, so nothing after it was calibrated
    for (const returnSequences of [false, true]) {
      const model = new Sequential(
        new GRU(3, 8, { seed: 1, returnSequences }),
        new Linear(8, 2, { seed: 2 }),
      );
      const calibration = randn([16, 5, 3], { seed: 2 });
      const q = quantize(model, { calibration, inputShape: [-1, 5, 3] });
      // over [N, T, H] the Linear exports as reshape → gemm → reshape
      expect(q.graph.nodes.map((n) => n.op)).toEqual(
        returnSequences
          ? ["gru", "reshape", "quantizeLinear", "qlinearGemm", "reshape", "dequantizeLinear"]
          : ["gru", "quantizeLinear", "qlinearGemm", "dequantizeLinear"],
      );
      // close to the float model on its calibration data
      const want = predict(model, calibration).dataSync();
      const got = q.predict(calibration).dataSync();
      const maxAbs = Math.max(...Array.from(want, Math.abs));
      for (let i = 0; i < want.length; i++) {
        expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(0.05 * maxAbs);
      }
      model.dispose();
      calibration.dispose();
    }
  });
});

describe("quantize (dynamic: weights only)", () => {
  it("works without calibration; its file is smaller; outputs close to float", () => {
    const q = quantize(mlp, { mode: "dynamic" });
    expect(q.mode).toBe("dynamic");
    const ops = q.graph.nodes.map((n) => n.op);
    expect(ops.filter((o) => o === "dequantizeLinear")).toHaveLength(2);
    expect(ops.filter((o) => o === "gemm")).toHaveLength(2);
    expect(q.graph.initializers.filter((t) => t.dtype === "int8")).toHaveLength(2);
    expect(
      q.graph.initializers.some(
        (t) => t.dtype === "float32" && t.shape.length === 2 && t.shape[1]! > 1,
      ),
    ).toBe(false);
    const floatBytes = encodeModel(toGraph(mlp, { inputShape: [-1, 256] })).byteLength;
    expect(q.fileBytes).toBeLessThan(0.4 * floatBytes);
    tidy(() => {
      const f = predict(mlp, mlpTest.x);
      const g = q.predict(mlpTest.x);
      expect(g.shape).toEqual([200, 4]);
      const fa = argmaxRows(f);
      expect(acc(argmaxRows(g), fa)).toBeGreaterThanOrEqual(0.98);
      const fd = f.dataSync();
      const gd = g.dataSync();
      let err = 0;
      let mag = 0;
      for (let i = 0; i < fd.length; i++) {
        err = Math.max(err, Math.abs(fd[i]! - gd[i]!));
        mag = Math.max(mag, Math.abs(fd[i]!));
      }
      expect(err).toBeLessThan(0.05 * mag);
    });
  });

  it("per-channel = dequantizeLinear · scales (exact: w = scale_c·q); per-tensor has no mul", () => {
    const q = quantize(mlp, { mode: "dynamic" });
    const w = mlp.at(0) as Linear;
    const qi = q.graph.initializers.find((t) => t.dtype === "int8" && t.shape[0] === 64)!;
    const scales = q.graph.initializers.find(
      (t) => t.dtype === "float32" && `${t.shape}` === "64,1",
    )!;
    const wd = w.weight.dataSync();
    // each row: max |w| ↦ ±127, so |w − scale·q| ≤ scale/2
    for (let r = 0; r < 64; r++) {
      const s = scales.data[r]!;
      let m = 0;
      for (let k = 0; k < 256; k++) m = Math.max(m, Math.abs(wd[r * 256 + k]!));
      expect(s).toBeCloseTo(m / 127, 6);
      for (let k = 0; k < 256; k++) {
        expect(Math.abs(wd[r * 256 + k]! - s * qi.data[r * 256 + k]!)).toBeLessThanOrEqual(
          s / 2 + 1e-7,
        );
      }
    }
    const pt = quantize(mlp, { mode: "dynamic", perChannel: false });
    expect(pt.graph.nodes.map((n) => n.op)).not.toContain("mul");
    tidy(() => expect(pt.predict(mlpTest.x).shape).toEqual([200, 4]));
  });

  it("dequantizes one weight at a time: the arena holds one layer's float weight, not all", () => {
    const m = new Sequential(
      new Linear(128, 128, { seed: 1 }),
      new ReLU(),
      new Linear(128, 128, { seed: 2 }),
      new ReLU(),
      new Linear(128, 128, { seed: 3 }),
    );
    const q = quantize(m, { mode: "dynamic" });
    const weight = 128 * 128 * 4; // one dequantized weight (and its unscaled copy) in float32
    expect(q.arenaBytes(1)).toBeGreaterThanOrEqual(2 * weight);
    expect(q.arenaBytes(1)).toBeLessThan(3 * weight);
  });

  it("a CNN (conv weights too) runs from its saved file", () => {
    const q = quantize(cnn, { mode: "dynamic", inputShape: CNN_SHAPE });
    expect(q.graph.initializers.filter((t) => t.dtype === "int8")).toHaveLength(4);
    const floatBytes = encodeModel(toGraph(cnn, { inputShape: CNN_SHAPE })).byteLength;
    expect(q.fileBytes).toBeLessThan(floatBytes);
    const data = cnnTest.x.dataSync() as Float32Array;
    const s = loadModel(q.toBytes(), { batchSize: 120 });
    const out = Array.from(s.run(data).data);
    tidy(() => {
      const p = q.predict(cnnTest.x);
      expect(Array.from(p.dataSync())).toEqual(out);
      const fa = argmaxRows(predict(cnn, cnnTest.x));
      expect(acc(argmaxRows(p), fa)).toBeGreaterThanOrEqual(0.97);
    });
  });
});

describe("quantize errors", () => {
  it("static without calibration, bad mode/perChannel, dynamic with calibration", () => {
    expect(() => quantize(mlp)).toThrow(ArgumentError);
    expect(() => quantize(mlp, {})).toThrow(/needs \{ calibration \}/);
    expect(() => quantize(mlp, { mode: "fast" as "static", calibration: mlpData.x })).toThrow(
      /mode must be "static" or "dynamic"/,
    );
    expect(() =>
      quantize(mlp, { calibration: mlpData.x, perChannel: "yes" as unknown as boolean }),
    ).toThrow(ArgumentError);
    expect(() => quantize(mlp, { mode: "dynamic", calibration: mlpData.x })).toThrow(
      /dynamic mode takes no calibration/,
    );
    expect(() => quantize(mlp, null as unknown as object)).toThrow(ArgumentError);
    expect(() => quantize({} as Module, { mode: "dynamic" })).toThrow(ArgumentError);
  });

  it("a CNN needs inputShape; bad shapes and calibration are typed errors", () => {
    expect(() => quantize(cnn, { calibration: cnnData.x })).toThrow(/pass \{ inputShape \}/);
    expect(() => quantize(cnn, { mode: "dynamic", inputShape: [-1, 1, 0, 12] })).toThrow(
      ArgumentError,
    );
    expect(() => quantize(cnn, { mode: "dynamic", inputShape: [-1, 3, 12, 12] })).toThrow(
      ShapeError,
    );
    expect(() => quantize(mlp, { calibration: cnnData.x })).toThrow(ShapeError);
    expect(() => quantize(mlp, { calibration: new Float32Array(130) })).toThrow(ShapeError);
    expect(() => quantize(mlp, { calibration: [1, 2] as unknown as Float32Array })).toThrow(
      ArgumentError,
    );
    expect(() => quantize(mlp, { calibration: mlpData.x, observer: "max" as "minmax" })).toThrow(
      ArgumentError,
    );
  });

  it("predict rejects a wrong input and a bad batch size", () => {
    const q = quantize(mlp, { mode: "dynamic" });
    expect(() => q.predict(cnnTest.x)).toThrow(ShapeError);
    expect(() => q.predict(new Float32Array(100))).toThrow(ShapeError);
    expect(() => q.predict(mlpTest.x, { batchSize: 0 })).toThrow(ArgumentError);
    expect(() => q.predict(mlpTest.y)).toThrow(DTypeError);
    expect(() => q.predict(tensor(new Int32Array(256), { shape: [1, 256] }))).toThrow(DTypeError);
    expect(() => q.predict("x" as unknown as Float32Array)).toThrow(ArgumentError);
  });
});
