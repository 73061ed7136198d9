import { Linear } from "@edgenn/nn";
import {
  ArgumentError,
  assign,
  DTypeError,
  randn,
  ShapeError,
  type Tensor,
  tensor,
  tidy,
  zeros,
} from "@edgenn/tensor";
import { expectClose, expectModuleGrad } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

describe("Linear", () => {
  it("computes y = x·Wᵀ + b (golden)", () => {
    tidy(() => {
      const fc = new Linear(3, 2);
      assign(
        fc.weight,
        tensor([
          [1, 2, 3],
          [4, 5, 6],
        ]),
      );
      assign(fc.bias!, tensor([0.5, -1]));
      // [1,0,−1]·[1,2,3] = −2, ·[4,5,6] = −2 → [−1.5, −3]; [2,1,0] → [4, 13] + b = [4.5, 12]
      const y = fc.forward(
        tensor([
          [1, 0, -1],
          [2, 1, 0],
        ]),
      );
      expect(y.toArray()).toEqual([
        [-1.5, -3],
        [4.5, 12],
      ]);
      // [..., in] → [..., out]: a 1-D input and a 3-D input
      expect(fc.forward(tensor([1, 0, -1])).toArray()).toEqual([-1.5, -3]);
      const y3 = fc.forward(tensor([1, 0, -1, 2, 1, 0, 0, 0, 0, 1, 1, 1], { shape: [2, 2, 3] }));
      expect(y3.toArray()).toEqual([
        [
          [-1.5, -3],
          [4.5, 12],
        ],
        [
          [0.5, -1],
          [6.5, 14],
        ],
      ]);
      fc.dispose();
    });
  });

  it("registers weight [out, in] then bias [out], biases at zero; bias: false has none", () => {
    tidy(() => {
      const fc = new Linear(5, 3, { seed: 1 });
      expect(fc.namedParameters().map(([n, t]) => [n, t.shape])).toEqual([
        ["weight", [3, 5]],
        ["bias", [3]],
      ]);
      expect(fc.bias!.toArray()).toEqual([0, 0, 0]);
      expect(fc.parameterCount()).toBe(18);
      const nb = new Linear(5, 3, { bias: false, seed: 1 });
      expect(nb.bias).toBeNull();
      expect(nb.namedParameters().map(([n]) => n)).toEqual(["weight"]);
      // x = e₀ picks column 0 of W [3, 5]: y = [W₀₀, W₁₀, W₂₀]
      const w = nb.weight.dataSync();
      expectClose(nb.forward(tensor([[1, 0, 0, 0, 0]])), [[w[0]!, w[5]!, w[10]!]]);
      fc.dispose();
      nb.dispose();
    });
  });

  fcTest.prop(
    [
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 0, max: 1000 }),
    ],
    { numRuns: 40 },
  )("matches a naive loop Σₖ x[n,k]·W[o,k] + b[o]", (n, inF, outF, seed) => {
    tidy(() => {
      const fc = new Linear(inF, outF, { seed });
      assign(fc.bias!, randn([outF], { seed: seed + 1 }));
      const x = randn([n, inF], { seed: seed + 2 });
      const xs = x.dataSync();
      const ws = fc.weight.dataSync();
      const bs = fc.bias!.dataSync();
      const expected: number[] = [];
      for (let r = 0; r < n; r++) {
        for (let o = 0; o < outF; o++) {
          let acc = bs[o]!;
          for (let k = 0; k < inF; k++) acc += xs[r * inF + k]! * ws[o * inF + k]!;
          expected.push(acc);
        }
      }
      const y = fc.forward(x);
      expect(y.shape).toEqual([n, outF]);
      expectClose(y, expected, { rtol: 1e-5, atol: 1e-5 });
      fc.dispose();
    });
  });

  it("has the right gradient w.r.t. input, weight and bias (2-D and 3-D input)", () => {
    tidy(() => {
      const fc = new Linear(4, 3, { seed: 3 });
      assign(fc.bias!, tensor([0.1, -0.2, 0.3]));
      expectModuleGrad(fc, randn([5, 4], { seed: 4 }));
      expectModuleGrad(fc, randn([2, 3, 4], { seed: 5 }));
      const nb = new Linear(3, 2, { bias: false, seed: 6 });
      expectModuleGrad(nb, randn([4, 3], { seed: 7 }));
      fc.dispose();
      nb.dispose();
    });
  });

  it("validates its arguments and the input shape with typed errors naming the layer", () => {
    tidy(() => {
      const fc = new Linear(784, 10, { seed: 1 });
      expect(() => fc.forward(zeros([32, 100]))).toThrow(ShapeError);
      expect(() => fc.forward(zeros([32, 100]))).toThrow(
        "Linear: input has 100 features (expected 784, got shape [32,100])",
      );
      expect(() => fc.forward(tensor(1))).toThrow(/Linear: input has 0 features.*got shape \[\]/);
      expect(() => fc.forward(zeros([2, 784], "int32"))).toThrow(DTypeError);
      expect(() => fc.forward(zeros([2, 784], "int32"))).toThrow(/Linear: input must be float32/);
      expect(() => fc.forward([1, 2] as unknown as Tensor)).toThrow(ArgumentError);
      fc.dispose();
    });
    expect(() => new Linear(0, 3)).toThrow(ArgumentError);
    expect(() => new Linear(2.5, 3)).toThrow(
      /Linear: inFeatures must be an integer ≥ 1 \(got 2.5\)/,
    );
    expect(() => new Linear(2, -1)).toThrow(/outFeatures/);
    expect(() => new Linear(2, 3, { bias: 1 as unknown as boolean })).toThrow(ArgumentError);
    expect(() => new Linear(2, 3, { init: "xavier" as "zeros" })).toThrow(
      /Linear: unknown init .*got "xavier"/,
    );
    expect(() => new Linear(2, 3, { seed: 1.5 })).toThrow(/Linear: seed must be an integer/);
  });
});
