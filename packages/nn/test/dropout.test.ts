import { valueAndGrad } from "@edgenn/autograd";
import { Dropout } from "@edgenn/nn";
import {
  ArgumentError,
  DTypeError,
  mul,
  ones,
  randn,
  setSeed,
  sum,
  type Tensor,
  tensor,
  tidy,
  zeros,
} from "@edgenn/tensor";
import { expectGrad } from "@edgenn/testkit";
import { describe, expect, it } from "vitest";

describe("Dropout", () => {
  it("in training keeps each element as x/(1 − p) or drops it to 0, about p of them", () => {
    tidy(() => {
      const drop = new Dropout(0.3, { seed: 1 });
      const y = Array.from(drop.forward(ones([100, 100])).dataSync());
      let dropped = 0;
      for (const v of y) {
        // kept elements are scaled by 1/(1 − 0.3) = 1.4285714
        if (v === 0) dropped++;
        else expect(v).toBeCloseTo(1 / 0.7, 6);
      }
      // 10,000 Bernoulli(0.3) draws: σ of the fraction ≈ 0.0046, so ±0.02 is > 4σ
      expect(Math.abs(dropped / 10000 - 0.3)).toBeLessThan(0.02);
      // E[y] = x: the mean stays near 1
      expect(Math.abs(y.reduce((a, v) => a + v, 0) / 10000 - 1)).toBeLessThan(0.05);
    });
  });

  it("is the identity in eval mode and for p = 0 (no random numbers drawn)", () => {
    tidy(() => {
      const x = tensor([1, -2, 3]);
      const drop = new Dropout(0.9, { seed: 1 });
      expect(drop.isTraining).toBe(true);
      drop.eval();
      expect(drop.forward(x).toArray()).toEqual([1, -2, 3]);
      // disposing the identity's result leaves x alive
      drop.forward(x).dispose();
      expect(x.toArray()).toEqual([1, -2, 3]);
      expect(new Dropout(0).forward(x).toArray()).toEqual([1, -2, 3]);
      // eval then train again: drops again
      drop.train();
      expect(
        drop
          .forward(ones([50]))
          .dataSync()
          .some((v) => v === 0),
      ).toBe(true);
      expect(drop.parameters()).toEqual([]);
    });
  });

  it("draws a fresh mask each call, reproducibly from its seed (or from setSeed)", () => {
    tidy(() => {
      const masks = (d: Dropout): number[][] =>
        [0, 1, 2].map(() => Array.from(d.forward(ones([64])).dataSync()));
      const a = masks(new Dropout(0.5, { seed: 7 }));
      const b = masks(new Dropout(0.5, { seed: 7 }));
      const c = masks(new Dropout(0.5, { seed: 8 }));
      expect(a).toEqual(b);
      expect(a[0]).not.toEqual(a[1]);
      expect(a[1]).not.toEqual(a[2]);
      expect(a).not.toEqual(c);
      // without a seed: the global generator
      setSeed(3);
      const g1 = masks(new Dropout(0.5));
      setSeed(3);
      const g2 = masks(new Dropout(0.5));
      expect(g1).toEqual(g2);
    });
  });

  it("passes the gradient through the kept elements: dy · mask/(1 − p)", () => {
    tidy(() => {
      const x = randn([4, 5], { seed: 1 });
      const drop = new Dropout(0.5, { seed: 2 });
      let ys: Float32Array = new Float32Array();
      const { grads } = valueAndGrad(() => {
        const y = drop.forward(x);
        ys = y.dataSync() as Float32Array;
        return sum(mul(y, 3));
      }, [x]);
      // y = x·m/(1 − p) ⇒ dL/dx = 3·m/(1 − p) = 3·y/x: 0 or 6
      const xs = x.dataSync();
      const gs = grads[0]!.dataSync();
      gs.forEach((g, i) => {
        expect(g === 0 || g === 6).toBe(true);
        expect(g).toBeCloseTo((3 * ys[i]!) / xs[i]!, 4);
      });
      expect(gs.some((g) => g === 0) && gs.some((g) => g === 6)).toBe(true);
      // eval: the identity's gradient
      drop.eval();
      const r = randn([4, 5], { seed: 3 });
      expectGrad((xi) => sum(mul(drop.forward(xi!), r)), [x]);
    });
  });

  it("validates arguments and inputs with typed errors naming the layer", () => {
    expect(() => new Dropout(1)).toThrow(ArgumentError);
    expect(() => new Dropout(1)).toThrow("Dropout: p must be in [0, 1) (got 1)");
    expect(() => new Dropout(-0.1)).toThrow(/Dropout: p must be in/);
    expect(() => new Dropout(0.5, { seed: 0.5 })).toThrow(/Dropout: seed must be an integer/);
    tidy(() => {
      expect(() => new Dropout(0.5).forward(zeros([2], "int32"))).toThrow(DTypeError);
      expect(() => new Dropout(0.5).forward(zeros([2], "int32"))).toThrow(
        /Dropout: input must be float32/,
      );
      expect(() => new Dropout(0.5).forward(null as unknown as Tensor)).toThrow(ArgumentError);
    });
  });
});
