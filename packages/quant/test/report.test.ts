import {
  Conv2d,
  crossEntropy,
  Flatten,
  fit as fitModel,
  Linear,
  MaxPool2d,
  type Module,
  ReLU,
  Sequential,
  toGraph,
} from "@edgenn/nn";
import { Adam } from "@edgenn/optim";
import { type QuantizedModel, quantizationReport, quantize } from "@edgenn/quant";
import { encodeModel, type Graph } from "@edgenn/runtime";
import { ArgumentError, ShapeError, type Tensor, tensor } from "@edgenn/tensor";
import { beforeAll, describe, expect, it } from "vitest";
import { createSession } from "./sessions.js";

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

/** n samples of 32 features in 3 Gaussian blobs: separable. */
function blobs(n: number, seed: number): { x: Tensor; y: Tensor; labels: number[] } {
  const rc = rng(11);
  const centres = Array.from({ length: 3 }, () =>
    Array.from({ length: 32 }, () => (rc() < 0.5 ? -1.5 : 1.5)),
  );
  const r = rng(seed);
  const x = new Float32Array(n * 32);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    labels.push(i % 3);
    for (let j = 0; j < 32; j++) x[i * 32 + j] = centres[i % 3]![j]! + gauss(r);
  }
  return {
    x: tensor(x, { shape: [n, 32] }),
    y: tensor(Int32Array.from(labels), { shape: [n] }),
    labels,
  };
}

const train = blobs(150, 1);
const test = blobs(90, 2);
const mlp = new Sequential(
  new Linear(32, 24, { seed: 1 }),
  new ReLU(),
  new Linear(24, 3, { seed: 2 }),
);
let q: QuantizedModel;

beforeAll(async () => {
  await fitModel(
    mlp,
    { x: train.x, y: train.y },
    {
      epochs: 3,
      batchSize: 30,
      seed: 1,
      loss: (p, t) => crossEntropy(p, t),
      optimizer: new Adam(mlp.parameters(), { lr: 0.02 }),
    },
  );
  q = quantize(mlp, { calibration: train.x });
}, 30_000);

/** 10·log10(Σf²/Σ(f−g)²), written out here as the test's own reference. */
function refSqnr(f: ArrayLike<number>, g: ArrayLike<number>): number {
  let s = 0;
  let e = 0;
  for (let i = 0; i < f.length; i++) {
    s += f[i]! ** 2;
    e += (f[i]! - g[i]!) ** 2;
  }
  return 10 * Math.log10(s / e);
}

describe("quantizationReport", () => {
  it("sizes and accuracies of both models", () => {
    const r = quantizationReport(mlp, q, { x: test.x, y: test.y });
    const fg = toGraph(mlp, { inputShape: [-1, 32] });
    expect(r.float.fileBytes).toBe(encodeModel(fg).byteLength);
    expect(r.int8.fileBytes).toBe(q.fileBytes);
    expect(r.int8.fileBytes).toBeLessThan(r.float.fileBytes);
    expect(r.float.arenaBytes).toBe(createSession(fg).arenaBytes);
    expect(r.int8.arenaBytes).toBe(q.arenaBytes(1));
    expect(r.float.accuracy).toBeGreaterThan(0.9);
    expect(Math.abs(r.int8.accuracy - r.float.accuracy)).toBeLessThanOrEqual(0.03);
    // accuracy of the int8 model = its predict's argmax agreement with the labels
    const out = q.predict(test.x);
    const d = out.dataSync();
    let ok = 0;
    for (let i = 0; i < 90; i++) {
      const row = [d[i * 3]!, d[i * 3 + 1]!, d[i * 3 + 2]!];
      ok += +(row.indexOf(Math.max(...row)) === test.labels[i]);
    }
    out.dispose();
    expect(r.int8.accuracy).toBeCloseTo(ok / 90, 10);
    // batchSize scales the arenas; one-hot labels and plain arrays give the same accuracy
    const r8 = quantizationReport(mlp, q, { x: test.x, y: test.labels, batchSize: 8 });
    expect(r8.float.arenaBytes).toBeGreaterThan(r.float.arenaBytes);
    expect(r8.int8.accuracy).toBe(r.int8.accuracy);
    const oneHot = new Float32Array(270);
    test.labels.forEach((c, i) => {
      oneHot[i * 3 + c] = 1;
    });
    const rh = quantizationReport(mlp, q, {
      x: test.x.dataSync() as Float32Array,
      y: tensor(oneHot, { shape: [90, 3] }),
    });
    expect(rh.float.accuracy).toBe(r.float.accuracy);
  });

  it("per-layer SQNR at matching graph values", () => {
    const r = quantizationReport(mlp, q, { x: test.x, y: test.y });
    // input (quantizeLinear), relu'd hidden (qlinearGemm with fused relu), output logits
    expect(r.layers.map((l) => l.name)).toEqual(["input", "1/relu", "output"]);
    expect(r.layers.map((l) => l.op)).toEqual(["quantizeLinear", "qlinearGemm", "qlinearGemm"]);
    for (const l of r.layers) {
      expect(l.sqnrDb).toBeGreaterThan(20);
      expect(l.sqnrDb).toBeLessThan(80); // int8 noise is there
    }
    // the output's SQNR from predict (dequantized int8 logits) vs the float graph's logits
    const fs = createSession(toGraph(mlp, { inputShape: [-1, 32] }), { batchSize: 90 });
    const f = Float32Array.from(fs.run(test.x.dataSync() as Float32Array).data);
    const g = q.predict(test.x);
    expect(r.layers[2]!.sqnrDb).toBeCloseTo(refSqnr(f, g.dataSync()), 6);
    g.dispose();
  });

  it("a dynamic model: SQNR of the float values it shares with the float graph", () => {
    const dq = quantize(mlp, { mode: "dynamic" });
    const r = quantizationReport(mlp, dq, { x: test.x, y: test.y });
    expect(r.layers.map((l) => l.name)).toEqual(["0/gemm", "1/relu", "output"]);
    for (const l of r.layers) expect(l.sqnrDb).toBeGreaterThan(30);
    expect(r.int8.fileBytes).toBeLessThan(r.float.fileBytes);
    // weights dequantized into the arena: it grows
    expect(r.int8.arenaBytes).toBeGreaterThan(r.float.arenaBytes);
  });

  it("a CNN given as a graph: conv and pool values are reported", () => {
    const cnn: Module = new Sequential(
      new Conv2d(1, 4, 3, { padding: 1, seed: 1 }),
      new ReLU(),
      new MaxPool2d(2),
      new Flatten(),
      new Linear(4 * 4 * 4, 2, { seed: 2 }),
    );
    const r = rng(5);
    const x = tensor(
      Float32Array.from({ length: 40 * 64 }, () => r()),
      { shape: [40, 1, 8, 8] },
    );
    const g: Graph = toGraph(cnn, { inputShape: [-1, 1, 8, 8] });
    const qc = quantize(g, { calibration: x });
    const rep = quantizationReport(g, qc, { x, y: new Int32Array(40) });
    expect(rep.layers.map((l) => l.op)).toEqual([
      "quantizeLinear",
      "qlinearConv",
      "qmaxPool2d",
      "flatten",
      "qlinearGemm",
    ]);
    expect(rep.layers[1]!.sqnrDb).toBeGreaterThan(20);
    expect(rep.int8.arenaBytes).toBeLessThan(rep.float.arenaBytes);
  });

  it("bad arguments are typed errors", () => {
    expect(() =>
      quantizationReport(mlp, q, undefined as unknown as { x: Tensor; y: Tensor }),
    ).toThrow(ArgumentError);
    expect(() => quantizationReport(mlp, {} as QuantizedModel, { x: test.x, y: test.y })).toThrow(
      /QuantizedModel/,
    );
    expect(() => quantizationReport(mlp, q, { x: test.x, y: [0, 1] })).toThrow(ShapeError);
    expect(() =>
      quantizationReport(mlp, q, { x: test.x, y: "labels" as unknown as number[] }),
    ).toThrow(ArgumentError);
    expect(() =>
      quantizationReport(mlp, q, {
        x: tensor(new Float32Array(30), { shape: [3, 10] }),
        y: [0, 1, 2],
      }),
    ).toThrow(ShapeError);
    expect(() => quantizationReport(mlp, q, { x: test.x, y: test.y, batchSize: 0 })).toThrow(
      ArgumentError,
    );
  });
});
