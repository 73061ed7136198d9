import { valueAndGrad } from "@edgenn/autograd";
import { Flatten, Linear, Module, ReLU, Sequential } from "@edgenn/nn";
import {
  ArgumentError,
  memory,
  mul,
  randn,
  ShapeError,
  sum,
  type Tensor,
  tensor,
  tidy,
  zeros,
} from "@edgenn/tensor";
import { expectClose } from "@edgenn/testkit";
import { describe, expect, it } from "vitest";

describe("Sequential", () => {
  it("chains its modules: forward(x) = m₃(m₂(m₁(x))) (golden)", () => {
    tidy(() => {
      const a = new Linear(2, 2, { bias: false });
      a.weight.assign(
        tensor([
          [1, -1],
          [2, 0],
        ]),
      );
      const b = new Linear(2, 1);
      b.weight.assign(tensor([[1, 1]]));
      b.bias!.assign(tensor([0.5]));
      const model = new Sequential(a, new ReLU(), b);
      // x = [3, 5]: a → [3 − 5, 6] = [−2, 6]; relu → [0, 6]; b → 0 + 6 + 0.5 = 6.5
      expect(model.forward(tensor([[3, 5]])).toArray()).toEqual([[6.5]]);
      expect(model.length).toBe(3);
      expect(model.at(0)).toBe(a);
      expect(model.at(-1)).toBe(b);
      expect(model.children().map(([n]) => n)).toEqual(["0", "1", "2"]);
      model.dispose();
    });
  });

  it("names parameters by position and keeps their order", () => {
    tidy(() => {
      const model = new Sequential(
        new Linear(4, 3, { seed: 1 }),
        new ReLU(),
        new Sequential(new Linear(3, 3, { seed: 2 }), new ReLU()),
        new Linear(3, 2, { bias: false, seed: 3 }),
      );
      expect(model.namedParameters().map(([n, t]) => [n, t.shape])).toEqual([
        ["0.weight", [3, 4]],
        ["0.bias", [3]],
        ["2.0.weight", [3, 3]],
        ["2.0.bias", [3]],
        ["3.weight", [2, 3]],
      ]);
      expect(model.parameters()[2]).toBe((model.at(2) as Sequential).at(0).parameters()[0]);
      model.dispose();
    });
  });

  it("frees its intermediates outside tidy, but never an input or kept state", () => {
    const model = new Sequential(
      new Flatten(),
      new Linear(6, 4, { seed: 1 }),
      new ReLU(),
      new Linear(4, 2, { seed: 2 }),
    );
    const x = randn([3, 2, 3], { seed: 3 });
    const before = memory().tensors;
    const y = model.forward(x);
    // only y is new: the flattened view, the hidden layer and its ReLU were disposed
    expect(memory().tensors).toBe(before + 1);
    expect(x.isDisposed).toBe(false);
    y.dispose();
    // a module that returns a kept tensor (its own state) is not robbed of it
    class Const extends Module {
      readonly c = this.addBuffer("c", tensor([1, 2]));
      forward(): Tensor {
        return this.c;
      }
    }
    const k = new Const();
    const chain = new Sequential(k, new ReLU());
    chain.forward(zeros([1])).dispose();
    expect(k.c.isDisposed).toBe(false);
    // an empty Sequential is the identity
    expect(new Sequential().forward(x)).toBe(x);
    x.dispose();
    k.dispose();
    model.dispose();
  });

  it("passes gradients through every layer (same as applying the layers by hand)", () => {
    tidy(() => {
      const l1 = new Linear(3, 4, { seed: 1 });
      const l2 = new Linear(4, 2, { seed: 2 });
      const model = new Sequential(l1, new ReLU(), l2);
      const x = randn([5, 3], { seed: 3 });
      const r = randn([5, 2], { seed: 4 });
      const viaModel = valueAndGrad(() => sum(mul(model.forward(x), r)), model.parameters());
      const byHand = valueAndGrad(
        () => sum(mul(l2.forward(new ReLU().forward(l1.forward(x))), r)),
        model.parameters(),
      );
      expectClose(viaModel.value, byHand.value);
      for (const [i, g] of viaModel.grads.entries()) expectClose(g, byHand.grads[i]!);
      model.dispose();
    });
  });

  it("rejects non-modules and reports the failing layer's error", () => {
    expect(() => new Sequential(new ReLU(), {} as Module)).toThrow(ArgumentError);
    expect(() => new Sequential(new ReLU(), {} as Module)).toThrow(
      "Sequential: argument 1 must be a Module (got object)",
    );
    tidy(() => {
      const model = new Sequential(new Flatten(), new Linear(784, 10, { seed: 1 }));
      expect(() => model.forward(zeros([32, 10, 10]))).toThrow(ShapeError);
      expect(() => model.forward(zeros([32, 10, 10]))).toThrow(
        "Linear: input has 100 features (expected 784, got shape [32,100])",
      );
      expect(() => model.at(2)).toThrow(/Sequential.at: index out of range/);
      expect(() => new Sequential().forward()).toThrow(ArgumentError);
      model.dispose();
    });
  });
});
