import { valueAndGrad } from "@edgenn/autograd";
import {
  Conv2d,
  convertQat,
  FakeQuantize,
  Flatten,
  fakeQuantize,
  fakeQuantizeWeight,
  Linear,
  mse,
  prepareQat,
  QatSequential,
  ReLU,
  Sequential,
  toGraph,
} from "@edgenn/nn";
import { Adam } from "@edgenn/optim";
import {
  ArgumentError,
  DTypeError,
  memory,
  mul,
  Rng,
  ShapeError,
  sum,
  type Tensor,
  tensor,
  tidy,
} from "@edgenn/tensor";
import { expectNoLeaks } from "@edgenn/testkit";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/** Round half to even, independently of the code under test. */
function roundEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** Naive fake quantization and its STE mask, element by element (scale/zp per channel along axis 0). */
function naive(
  x: Float32Array,
  shape: number[],
  scale: number[],
  zp: number[],
  qmin: number,
  qmax: number,
): { y: number[]; mask: number[] } {
  const per = x.length / (scale.length === 1 ? 1 : shape[0]!);
  const y: number[] = [];
  const mask: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const c = scale.length === 1 ? 0 : Math.floor(i / per);
    const s = scale[c]!;
    const z = zp[c]!;
    const q = roundEven(Math.fround(x[i]! / s)) + z;
    mask.push(q >= qmin && q <= qmax ? 1 : 0);
    const qc = Math.min(Math.max(q, qmin), qmax);
    y.push(Math.fround((qc - z) * s));
  }
  return { y, mask };
}

describe("fakeQuantize", () => {
  it("golden values", () => {
    // s = 0.5: −1.2/0.5 = −2.4 → −2 → −1; 0.3/0.5 = 0.6 → 1 → 0.5; 0.75/0.5 = 1.5 → 2 (even) → 1;
    // 0.25/0.5 = 0.5 → 0 (even); 300/0.5 = 600 → clamped to 127 → 63.5
    tidy(() => {
      const y = fakeQuantize(tensor([-1.2, 0.3, 0.75, 0.25, 300]), 0.5, 0);
      expect(y.toArray()).toEqual([-1, 0.5, 1, 0, 63.5]);
      // zero point 10, range [0, 255]: −1.2 → −2 + 10 = 8 → −1; −10 → −20 + 10 = −10 → clamped 0 → −5
      const z = fakeQuantize(tensor([-1.2, -10]), 0.5, 10, { qmin: 0, qmax: 255 });
      expect(z.toArray()).toEqual([-1, -5]);
    });
  });

  it("matches a naive loop, per tensor and per channel", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (c, n, perChannel, seed) => {
          const rng = new Rng(seed);
          const x = new Float32Array(c * n).map(() => Math.fround((rng.next() - 0.5) * 8));
          const k = perChannel ? c : 1;
          const scale = Array.from({ length: k }, () => Math.fround(0.01 + rng.next() * 0.1));
          const zp = Array.from({ length: k }, () => Math.floor(rng.next() * 40) - 20);
          const { y } = naive(x, [c, n], scale, zp, -128, 127);
          tidy(() => {
            const got = perChannel
              ? fakeQuantize(tensor(x, { shape: [c, n] }), tensor(scale), tensor(zp), { axis: 0 })
              : fakeQuantize(tensor(x, { shape: [c, n] }), scale[0]!, zp[0]!);
            expect(Array.from(got.dataSync())).toEqual(y);
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it("its gradient is the straight-through mask", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const rng = new Rng(seed);
        const x = new Float32Array(24).map(() => Math.fround((rng.next() - 0.5) * 4));
        const up = new Float32Array(24).map(() => Math.fround(rng.next() * 2 - 1));
        const scale = [0.01, 0.02, 0.03];
        const zp = [3, -5, 0];
        // a narrow range so many values saturate at both ends
        const { mask } = naive(x, [3, 8], scale, zp, -60, 50);
        expect(mask.includes(0) && mask.includes(1)).toBe(true);
        tidy(() => {
          const xt = tensor(x, { shape: [3, 8] });
          const w = tensor(up, { shape: [3, 8] });
          const { grads } = valueAndGrad(
            () => sum(mul(fakeQuantize(xt, tensor(scale), tensor(zp), { qmin: -60, qmax: 50 }), w)),
            [xt],
          );
          const g = Array.from(grads[0]!.dataSync());
          expect(g).toEqual(mask.map((m, i) => Math.fround(m * up[i]!)));
        });
      }),
      { numRuns: 20 },
    );
  });

  it("rejects bad input", () => {
    tidy(() => {
      const x = tensor([1, 2, 3]);
      expect(() => fakeQuantize(tensor([1], { dtype: "int32" }), 1)).toThrow(DTypeError);
      expect(() => fakeQuantize(x, 0)).toThrow(/fakeQuantize: scale/);
      expect(() => fakeQuantize(x, Number.NaN)).toThrow(ArgumentError);
      expect(() => fakeQuantize(x, 1, 0.5)).toThrow(/zeroPoint must be integers/);
      expect(() => fakeQuantize(x, tensor([1, 2]))).toThrow(ShapeError);
      expect(() => fakeQuantize(x, 1, 0, { qmin: 5, qmax: 5 })).toThrow(ArgumentError);
      expect(() => fakeQuantize(x, 1, 0, { axis: 3 })).toThrow(ShapeError);
    });
  });

  it("leaks nothing", () => {
    const before = memory().tensors;
    const x = tensor([0.1, 0.2]);
    fakeQuantize(x, 0.1, 0).dispose();
    const r = valueAndGrad(() => sum(fakeQuantize(x, tensor([0.1, 0.1]), 0)), [x]);
    r.value.dispose();
    r.grads[0]!.dispose();
    x.dispose();
    expect(memory().tensors).toBe(before);
  });

  it("a QAT training step leaks nothing", () => {
    const model = new Sequential(
      new Linear(3, 4, { seed: 1 }),
      new ReLU(),
      new Linear(4, 1, { seed: 2 }),
    );
    const qat = prepareQat(model);
    const x = tensor([[0.1, -0.2, 0.3]]);
    const y = tensor([[0.5]]);
    expectNoLeaks(
      () => {
        const { value, grads } = valueAndGrad(() => mse(qat.forward(x), y), qat.parameters());
        value.dispose();
        for (const g of grads) g.dispose();
      },
      { steps: 20 },
    );
    model.dispose();
    for (const [, b] of qat.namedBuffers()) b.dispose();
    x.dispose();
    y.dispose();
  });
});

describe("fakeQuantizeWeight", () => {
  it("is symmetric per output channel with scale max|w|/127", () => {
    tidy(() => {
      const w = tensor([1, -0.5, 0.25, 0, 0, 0], { shape: [2, 3] });
      const s = Math.fround(1 / 127);
      // 0.5/s = 63.5 → 64 (even); 0.25/s = 31.75 → 32; an all-zero channel stays 0
      expect(Array.from(fakeQuantizeWeight(w).dataSync())).toEqual(
        [127, -64, 32, 0, 0, 0].map((q) => Math.fround(q * s)),
      );
    });
  });
});

describe("FakeQuantize", () => {
  it("follows the data with a moving average (momentum 0.01)", () => {
    const fq = new FakeQuantize();
    expect(fq.range).toBeNull();
    fq.eval();
    tidy(() => {
      const x = tensor([-1, 0.5, 3]);
      expect(fq.forward(x)).toBe(x); // eval mode before any observation: the identity
    });
    expect(fq.range).toBeNull();
    fq.train();
    tidy(() => fq.forward(tensor([-1, 0.5, 3])));
    expect(fq.range).toEqual([-1, 3]);
    tidy(() => fq.forward(tensor([-2, 5])));
    // min = −1 + 0.01·(−2 + 1) = −1.01, max = 3 + 0.01·(5 − 3) = 3.02
    const r = fq.range!;
    expect(r[0]).toBeCloseTo(-1.01, 6);
    expect(r[1]).toBeCloseTo(3.02, 6);
    // scale = (3.02 + 1.01)/255; zero point from the nearer end: −128 + 1.01/scale ≈ −64.09 → −64
    expect(fq.scale.dataSync()[0]).toBeCloseTo(Math.fround(4.03 / 255), 6);
    expect(fq.zeroPoint.dataSync()[0]).toBe(-64);
    // many batches of a new range: the range converges to it
    for (let i = 0; i < 1500; i++) tidy(() => fq.forward(tensor([0, 10])));
    expect(fq.range![0]).toBeCloseTo(0, 3);
    expect(fq.range![1]).toBeCloseTo(10, 3);
    // eval mode: no observation, values are fake-quantized on the learned grid
    fq.eval();
    tidy(() => {
      const y = fq.forward(tensor([100, 5.01]));
      const s = fq.scale.dataSync()[0]!;
      expect(y.dataSync()[0]).toBeCloseTo(10, 1); // saturates at the top of the range
      expect(Math.abs(y.dataSync()[1]! - 5.01)).toBeLessThanOrEqual(s / 2 + 1e-6);
    });
    expect(fq.range![1]).toBeCloseTo(10, 3);
    expect(Object.keys(fq.stateDict()).sort()).toEqual(["range", "scale", "zeroPoint"]);
    fq.dispose();
  });

  it("rejects a bad momentum", () => {
    expect(() => new FakeQuantize({ momentum: 0 })).toThrow(ArgumentError);
    expect(() => new FakeQuantize({ momentum: 2 })).toThrow(ArgumentError);
  });
});

describe("prepareQat / convertQat", () => {
  const data = (seed: number, n: number): { x: Tensor; y: Tensor } => {
    const rng = new Rng(seed);
    const x = new Float32Array(n * 4).map(() => rng.next() * 2 - 1);
    const y = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) {
      const [a, b, c, d] = [x[i * 4]!, x[i * 4 + 1]!, x[i * 4 + 2]!, x[i * 4 + 3]!];
      y[i * 2] = Math.max(0, a + b) - 0.5 * c;
      y[i * 2 + 1] = a * d + 0.3 * b;
    }
    return { x: tensor(x, { shape: [n, 4] }), y: tensor(y, { shape: [n, 2] }) };
  };

  it("shares the parameters (identity, names and order)", () => {
    const model = new Sequential(
      new Linear(4, 8, { seed: 1 }),
      new ReLU(),
      new Linear(8, 2, { seed: 2 }),
    );
    const qat = prepareQat(model);
    expect(qat).toBeInstanceOf(QatSequential);
    expect(qat.namedParameters().map(([n]) => n)).toEqual(model.namedParameters().map(([n]) => n));
    for (const [i, p] of qat.parameters().entries()) expect(p).toBe(model.parameters()[i]);
    // run 0–1 (Linear, ReLU) and run 2 (Linear) each have an output quantizer
    expect([...qat.quantizers.keys()]).toEqual(["1", "2"]);
    model.dispose();
  });

  it("fine-tuning with fake quantization reduces the fake-quantized loss", () => {
    const model = new Sequential(
      new Linear(4, 16, { seed: 3 }),
      new ReLU(),
      new Linear(16, 2, { seed: 4 }),
    );
    const qat = prepareQat(model);
    const opt = new Adam(model.parameters(), { lr: 0.01 }); // the float model's params: same tensors
    const { x, y } = data(7, 64);
    const loss = (): number => tidy(() => mse(qat.forward(x), y).item());
    tidy(() => qat.forward(x)); // observe once so fake quantization is on
    const before = loss();
    for (let i = 0; i < 150; i++) {
      tidy(() => {
        const { grads } = valueAndGrad(() => mse(qat.forward(x), y), qat.parameters());
        opt.step(grads);
      });
    }
    qat.eval();
    const after = loss();
    expect(after).toBeLessThan(before * 0.5);

    // conversion: the float model and ranges by graph value name
    const { model: float, ranges } = convertQat(qat, { inputShape: [-1, 4] });
    expect(float).toBe(model);
    const g = toGraph(float, { inputShape: [-1, 4] });
    expect(g.nodes.map((n) => n.op)).toEqual(["gemm", "relu", "gemm"]);
    const input = ranges.get("input")!;
    expect(input[0]).toBeGreaterThanOrEqual(-1);
    expect(input[1]).toBeLessThanOrEqual(1);
    expect(input[1] - input[0]).toBeGreaterThan(1.5);
    expect(ranges.get(g.nodes[1]!.outputs[0]!)).toEqual(qat.quantizers.get("1")!.range);
    expect(ranges.get("output")).toEqual(qat.quantizers.get("2")!.range);
    expect(ranges.get(g.nodes[1]!.outputs[0]!)![0]).toBe(0); // after the ReLU
    x.dispose();
    y.dispose();
    model.dispose();
    for (const [, b] of qat.namedBuffers()) b.dispose();
  });

  it("handles a CNN with Flatten and rejects other models", () => {
    const model = new Sequential(
      new Conv2d(1, 2, 3, { seed: 1, padding: 1 }),
      new ReLU(),
      new Flatten(),
      new Linear(2 * 4 * 4, 3, { seed: 2 }),
    );
    const qat = prepareQat(model);
    tidy(() => {
      const rng = new Rng(1);
      const x = tensor(
        Array.from({ length: 2 * 16 }, () => rng.next()),
        { shape: [2, 1, 4, 4] },
      );
      expect(qat.forward(x).shape).toEqual([2, 3]);
    });
    const { ranges } = convertQat(qat, { inputShape: [-1, 1, 4, 4] });
    const g = toGraph(model, { inputShape: [-1, 1, 4, 4] });
    // relu's range passes through flatten
    expect(ranges.get(g.nodes[2]!.outputs[0]!)).toEqual(ranges.get(g.nodes[1]!.outputs[0]!));
    expect(ranges.has("output")).toBe(true);
    expect(() => prepareQat(new ReLU())).toThrow(ArgumentError);
    model.dispose();
  });
});
