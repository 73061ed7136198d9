import { GELU, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh } from "@edgenn/nn";
import {
  ArgumentError,
  DTypeError,
  mul,
  randn,
  ShapeError,
  sum,
  type Tensor,
  tensor,
  tidy,
  zeros,
} from "@edgenn/tensor";
import { arbValues, expectClose, expectGrad } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

// Φ(x) = ½(1 + erf(x/√2)) by Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7)
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return 0.5 * (1 + (x < 0 ? -erf : erf));
}

describe("activation layers", () => {
  it("compute their functions (golden)", () => {
    tidy(() => {
      const x = tensor([-2, -0.5, 0, 1.5]);
      // relu = max(x, 0)
      expect(new ReLU().forward(x).toArray()).toEqual([0, 0, 0, 1.5]);
      // leakyRelu(x, 0.1) = 0.1x for x < 0 → [−0.2, −0.05, 0, 1.5]; default α = 0.01
      expectClose(new LeakyReLU(0.1).forward(x), [-0.2, -0.05, 0, 1.5]);
      expectClose(new LeakyReLU().forward(x), [-0.02, -0.005, 0, 1.5]);
      // sigmoid(0) = ½, sigmoid(1.5) = 1/(1 + e^−1.5) = 0.8175745
      expectClose(new Sigmoid().forward(x), [0.1192029, 0.3775407, 0.5, 0.8175745]);
      // tanh(−2) = −0.9640276, tanh(−0.5) = −0.4621172, tanh(1.5) = 0.9051483
      expectClose(new Tanh().forward(x), [-0.9640276, -0.4621172, 0, 0.9051483]);
      // gelu(x) = x·Φ(x): gelu(1.5) = 1.5·0.9331928 = 1.3997892; gelu(−2) = −2·0.0227501
      expectClose(new GELU().forward(x), [-0.0455003, -0.1542687, 0, 1.3997892]);
      // tanh form: ½x(1 + tanh(√(2/π)(x + 0.044715x³))) at 1.5 = 1.3995715
      expectClose(new GELU({ approximate: "tanh" }).forward(tensor([1.5])), [1.3995715]);
      // softmax([1, 2, 3]) = e^x/Σe^x = [0.0900306, 0.2447285, 0.6652410]; along axis 0 of a column
      expectClose(new Softmax().forward(tensor([[1, 2, 3]])), [[0.0900306, 0.2447285, 0.665241]]);
      expectClose(new Softmax(0).forward(tensor([[1], [2], [3]])), [
        [0.0900306],
        [0.2447285],
        [0.665241],
      ]);
    });
  });

  fcTest.prop([fc.integer({ min: 1, max: 24 }).chain((n) => arbValues(n, { min: -6, max: 6 }))], {
    numRuns: 30,
  })("match their formulas elementwise", (values) => {
    tidy(() => {
      const x = tensor(values);
      const f32 = values.map(Math.fround);
      expectClose(
        new ReLU().forward(x),
        f32.map((v) => Math.max(v, 0)),
      );
      expectClose(
        new LeakyReLU(0.2).forward(x),
        f32.map((v) => (v < 0 ? 0.2 * v : v)),
      );
      expectClose(
        new Sigmoid().forward(x),
        f32.map((v) => 1 / (1 + Math.exp(-v))),
      );
      expectClose(new Tanh().forward(x), f32.map(Math.tanh), { rtol: 1e-5, atol: 1e-6 });
      expectClose(
        new GELU().forward(x),
        f32.map((v) => v * phi(v)),
        { rtol: 1e-5, atol: 1e-6 },
      );
      const m = Math.max(...f32);
      const e = f32.map((v) => Math.exp(v - m));
      const z = e.reduce((a, b) => a + b, 0);
      expectClose(
        new Softmax().forward(x),
        e.map((v) => v / z),
      );
    });
  });

  it("have the right gradients (away from the kink at 0)", () => {
    tidy(() => {
      const x = tensor([[-1.3, -0.4, 0.3, 0.9, 2.1, -2.2]]);
      const layers = [
        new ReLU(),
        new LeakyReLU(0.1),
        new GELU(),
        new GELU({ approximate: "tanh" }),
        new Sigmoid(),
        new Tanh(),
        new Softmax(),
        new Softmax(0),
      ];
      for (const layer of layers) {
        const r = randn(x.shape, { seed: 5 });
        expectGrad((xi: Tensor) => sum(mul(layer.forward(xi), r)), [x]);
        expect(layer.parameters()).toEqual([]);
      }
    });
  });

  it("validate arguments and inputs with typed errors naming the layer", () => {
    tidy(() => {
      expect(() => new Softmax(2).forward(zeros([2, 3]))).toThrow(ShapeError);
      expect(() => new Softmax(2).forward(zeros([2, 3]))).toThrow(
        "Softmax: axis 2 is out of range (expected an integer in [-2, 2), got shape [2,3])",
      );
      expect(() => new Softmax().forward(tensor(1))).toThrow(/Softmax: axis -1 is out of range/);
      for (const layer of [new ReLU(), new GELU(), new Sigmoid(), new Tanh(), new LeakyReLU()]) {
        const name = layer.constructor.name;
        expect(() => layer.forward(zeros([2], "int32"))).toThrow(DTypeError);
        expect(() => layer.forward(zeros([2], "int32"))).toThrow(
          `${name}: input must be float32 (got int32, shape [2])`,
        );
        expect(() => layer.forward(3 as unknown as Tensor)).toThrow(ArgumentError);
      }
    });
    expect(() => new LeakyReLU(Number.NaN)).toThrow(/LeakyReLU: alpha must be a finite number/);
    expect(() => new GELU({ approximate: "erf" as "none" })).toThrow(
      /GELU: approximate must be "none" or "tanh" \(got erf\)/,
    );
    expect(() => new Softmax(0.5)).toThrow(/Softmax: axis must be an integer/);
  });
});
