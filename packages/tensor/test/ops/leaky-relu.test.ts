import { ArgumentError, DTypeError, leakyRelu, memory, tensor, tidy } from "@edgenn/tensor";
import { arbTensorData, expectClose, expectGrad } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

describe("leakyRelu", () => {
  it("scales negatives by alpha (golden)", () => {
    tidy(() => {
      // α = 0.01: [−2, 0, 3] → [−0.02, 0, 3]; α = 0.1: [−2, 3] → [−0.2, 3]
      expectClose(leakyRelu(tensor([-2, 0, 3])), [-0.02, 0, 3]);
      expectClose(leakyRelu(tensor([-2, 3]), 0.1), [-0.2, 3]);
      // α > 1 is allowed (ONNX puts no bound on it): [−2] → [−4]
      expectClose(leakyRelu(tensor([-2, 1]), 2), [-4, 1]);
      expectClose(leakyRelu(tensor([Number.NaN])), [Number.NaN]);
      expect(leakyRelu(-3, 0.5).toArray()).toBe(-1.5);
    });
  });

  fcTest.prop(
    [
      arbTensorData({ maxRank: 3, min: -100, max: 100 }),
      fc.double({ min: -2, max: 2, noNaN: true }),
    ],
    {
      numRuns: 40,
    },
  )("matches x ≥ 0 ? x : αx", ({ shape, data }, alpha) => {
    tidy(() => {
      const y = leakyRelu(tensor(data, { shape }), alpha);
      const a = Math.fround(alpha);
      expectClose(
        y,
        data.map((v) => (v >= 0 ? v : a * Math.fround(v))),
        { rtol: 1e-6, atol: 1e-30 },
      );
    });
  });

  it("has gradient 1 for x > 0 and α for x < 0", () => {
    tidy(() => {
      const w = tensor([1, 2, 3, 4]);
      expectGrad((x) => leakyRelu(x!, 0.2).mul(w).sum(), [tensor([-3, -0.5, 0.5, 2])]);
      // one element at a time: a float32 sum next to 1e4 would drown the central difference
      for (const v of [-1e4, -100, 100, 1e4]) expectGrad((x) => leakyRelu(x!).sum(), [tensor([v])]);
    });
  });

  it("frees its intermediates", () => {
    const x = tensor([-1, 1]);
    const before = memory().tensors;
    const y = leakyRelu(x);
    expect(memory().tensors).toBe(before + 1);
    y.dispose();
    x.dispose();
  });

  it("rejects bad inputs with typed errors naming leakyRelu", () => {
    tidy(() => {
      expect(() => leakyRelu(tensor([1], { dtype: "int32" }))).toThrow(DTypeError);
      expect(() => leakyRelu(tensor([1], { dtype: "int32" }))).toThrow(
        /^leakyRelu: x has dtype int32 \(expected float32/,
      );
      expect(() => leakyRelu(tensor([1]), Number.NaN)).toThrow(ArgumentError);
      expect(() => leakyRelu(tensor([1]), "0.1" as never)).toThrow(
        /^leakyRelu: alpha must be a finite number/,
      );
    });
  });
});
