import { Conv2d, init, Linear } from "@edgenn/nn";
import { ArgumentError, ShapeError, setSeed, type Tensor, tensor, tidy } from "@edgenn/tensor";
import { describe, expect, it } from "vitest";

function stats(t: Tensor): { mean: number; std: number; maxAbs: number } {
  const v = Array.from(t.dataSync());
  const mean = v.reduce((a, x) => a + x, 0) / v.length;
  const variance = v.reduce((a, x) => a + (x - mean) ** 2, 0) / v.length;
  return {
    mean,
    std: Math.sqrt(variance),
    maxAbs: v.reduce((a, x) => Math.max(a, Math.abs(x)), 0),
  };
}

describe("init", () => {
  it("computes fans from the shape (PyTorch's rule)", () => {
    // Linear [out, in] → (in, out); Conv [outC, inC/g, kH, kW] → (inC/g·kH·kW, outC·kH·kW); [n] → (n, n)
    expect(init.fans([10, 784])).toEqual({ fanIn: 784, fanOut: 10 });
    expect(init.fans([8, 3, 3, 3])).toEqual({ fanIn: 27, fanOut: 72 });
    expect(init.fans([16, 1, 5, 3])).toEqual({ fanIn: 15, fanOut: 240 });
    expect(init.fans([7])).toEqual({ fanIn: 7, fanOut: 7 });
    expect(() => init.fans([])).toThrow(ShapeError);
    expect(() => init.fans([2, -1])).toThrow(/init.fans: shape must be an array of integers/);
  });

  it("draws with the documented bounds and standard deviations", () => {
    tidy(() => {
      // glorotUniform on [200, 300]: U(−b, b), b = √(6/500) = 0.1095445, std = b/√3 = √(2/500) = 0.0632456
      const gu = stats(init.glorotUniform([200, 300], { seed: 1 }));
      const b = Math.sqrt(6 / 500);
      expect(gu.maxAbs).toBeLessThanOrEqual(b);
      expect(gu.maxAbs).toBeGreaterThan(0.999 * b);
      expect(Math.abs(gu.std / Math.sqrt(2 / 500) - 1)).toBeLessThan(0.02);
      expect(Math.abs(gu.mean)).toBeLessThan(0.002);
      // glorotNormal: σ = √(2/(fanIn + fanOut)) = 0.0632456
      const gn = stats(init.glorotNormal([200, 300], { seed: 2 }));
      expect(Math.abs(gn.std / Math.sqrt(2 / 500) - 1)).toBeLessThan(0.02);
      expect(gn.maxAbs).toBeGreaterThan(b); // untruncated: tails beyond √3·σ occur
      // heUniform on a conv weight [32, 8, 3, 3]: fanIn = 72, b = √(6/72), std = √(2/72)
      const hu = stats(init.heUniform([32, 8, 3, 3], { seed: 3 }));
      expect(hu.maxAbs).toBeLessThanOrEqual(Math.sqrt(6 / 72));
      expect(Math.abs(hu.std / Math.sqrt(2 / 72) - 1)).toBeLessThan(0.03);
      // heNormal on [256, 512]: σ = √(2/512) = 0.0625
      const hn = stats(init.heNormal([256, 512], { seed: 4 }));
      expect(Math.abs(hn.std / 0.0625 - 1)).toBeLessThan(0.02);
      expect(Math.abs(hn.mean)).toBeLessThan(0.001);
      // explicit fans override the shape's
      const o = stats(init.heNormal([100, 100], { fanIn: 2, seed: 5 }));
      expect(Math.abs(o.std - 1)).toBeLessThan(0.03);
      expect(init.zeros([2, 3]).toArray()).toEqual([
        [0, 0, 0],
        [0, 0, 0],
      ]);
    });
  });

  it("is reproducible: a seed fixes the draw, and setSeed fixes unseeded draws", () => {
    tidy(() => {
      for (const f of [init.glorotUniform, init.glorotNormal, init.heUniform, init.heNormal]) {
        const a = f([4, 5], { seed: 11 }).dataSync();
        expect(f([4, 5], { seed: 11 }).dataSync()).toEqual(a);
        expect(f([4, 5], { seed: 12 }).dataSync()).not.toEqual(a);
      }
      setSeed(42);
      const u1 = init.glorotUniform([3, 3]).dataSync();
      const u2 = init.glorotUniform([3, 3]).dataSync();
      setSeed(42);
      expect(init.glorotUniform([3, 3]).dataSync()).toEqual(u1);
      expect(init.glorotUniform([3, 3]).dataSync()).toEqual(u2);
      expect(u1).not.toEqual(u2);
    });
  });

  it("is what the layers use: glorotUniform by default, by name or as a function, biases zero", () => {
    tidy(() => {
      const fc = new Linear(5, 3, { seed: 9 });
      expect(fc.weight.dataSync()).toEqual(init.glorotUniform([3, 5], { seed: 9 }).dataSync());
      expect(fc.bias!.dataSync()).toEqual(new Float32Array(3));
      const conv = new Conv2d(4, 6, 3, { groups: 2, init: "heNormal", seed: 9 });
      expect(conv.weight.dataSync()).toEqual(init.heNormal([6, 2, 3, 3], { seed: 9 }).dataSync());
      const custom = new Linear(2, 2, { init: (shape) => tensor([1, 2, 3, 4], { shape }) });
      expect(custom.weight.toArray()).toEqual([
        [1, 2],
        [3, 4],
      ]);
      expect(new Linear(2, 2, { init: "zeros" }).weight.toArray()).toEqual([
        [0, 0],
        [0, 0],
      ]);
      // without a seed, layers draw from the global generator: setSeed reproduces a model
      setSeed(5);
      const m1 = new Linear(4, 4).weight.dataSync();
      setSeed(5);
      expect(new Linear(4, 4).weight.dataSync()).toEqual(m1);
    });
  });

  it("rejects bad shapes, fans, seeds and init results with typed errors", () => {
    expect(() => init.glorotUniform([2, 2.5])).toThrow(ShapeError);
    expect(() => init.heNormal([2, 2], { fanIn: 0 })).toThrow(
      "init.heNormal: fanIn must be a number > 0 (got 0 for shape [2,2])",
    );
    expect(() => init.glorotNormal([2, 2], { seed: 1.5 })).toThrow(ArgumentError);
    expect(() => init.heUniform([0, 3])).toThrow(/init.heUniform: fanOut must be a number > 0/);
    expect(() => new Linear(2, 2, { init: () => tensor([1, 2]) })).toThrow(
      "Linear: init must return a float32 tensor of shape [2,2] (got float32 [2])",
    );
    expect(() => new Conv2d(1, 1, 1, { init: "he" as "heNormal" })).toThrow(
      /Conv2d: unknown init \(expected one of glorotUniform, glorotNormal, heUniform, heNormal, zeros or a function, got "he"\)/,
    );
  });
});
