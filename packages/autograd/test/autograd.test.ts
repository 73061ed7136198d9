import { checkGrad, grad, valueAndGrad } from "@edgenn/autograd";
import {
  ArgumentError,
  exp,
  matmul,
  memory,
  mul,
  noGrad,
  ShapeError,
  sum,
  tensor,
  tidy,
} from "@edgenn/tensor";
import { expectClose, expectNoLeaks } from "@edgenn/testkit";
import { describe, expect, it } from "vitest";

describe("valueAndGrad", () => {
  it("differentiates a polynomial (golden)", () => {
    // y = Σ x² + 5x + 4 ⇒ dy/dx = 2x + 5 → at x = [3, 1, 4]: [11, 7, 13]; y = 28 + 10 + 40 = 78
    const x = tensor([3, 1, 4]);
    const { value, grads } = valueAndGrad(() => sum(mul(x, x).add(mul(x, 5)).add(4)), [x]);
    expect(value.item()).toBe(78);
    expect(grads[0]!.toArray()).toEqual([11, 7, 13]);
  });

  it("gives zeros for params the value does not depend on, and handles reuse", () => {
    const a = tensor([1, 2]);
    const b = tensor([5]);
    // f = Σ a·a·a ⇒ df/da = 3a² = [3, 12]
    const [da, db] = grad(() => sum(mul(mul(a, a), a)), [a, b]);
    expect(da!.toArray()).toEqual([3, 12]);
    expect(db!.toArray()).toEqual([0]);
  });

  it("frees every intermediate, even across user tidy inside f", () => {
    const w = tensor([
      [0.5, -0.25],
      [1, 2],
    ]);
    const x = tensor([[1, 2]]);
    expectNoLeaks(
      () => {
        const { value, grads } = valueAndGrad(() => tidy(() => sum(exp(matmul(x, w)))), [w]);
        value.dispose();
        for (const g of grads) g.dispose();
      },
      { steps: 200 },
    );
  });

  it("matches central differences for a small network", () => {
    const w = tensor([
      [0.1, -0.2, 0.3],
      [0.4, 0.5, -0.6],
    ]);
    const x = tensor([
      [1, 2],
      [-1, 0.5],
    ]);
    const r = checkGrad((w_) => sum(exp(matmul(x, w_!))), [w]);
    expect(r.ok).toBe(true);
    expect(r.checked).toBe(6);
  });

  it("noGrad stops recording", () => {
    const x = tensor([2]);
    const [g] = grad(
      () =>
        noGrad(() => mul(x, x))
          .add(x)
          .sum(),
      [x],
    );
    expectClose(g!, [1]);
  });

  it("rejects bad arguments with typed errors", () => {
    const x = tensor([1, 2]);
    expect(() => valueAndGrad(() => mul(x, x), [x])).toThrow(ShapeError);
    expect(() => valueAndGrad(() => sum(x), "x" as never)).toThrow(ArgumentError);
    expect(() => valueAndGrad(() => 3 as never, [x])).toThrow(/must return a Tensor/);
    expect(() => valueAndGrad(() => sum(x), [tensor([1], { dtype: "int32" })])).toThrow(/float32/);
    const before = memory().tensors;
    expect(() => valueAndGrad(() => mul(x, x), [x])).toThrow();
    expect(memory().tensors).toBe(before);
  });
});
