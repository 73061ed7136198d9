import { clipGradNorm } from "@edgenn/optim";
import {
  ArgumentError,
  DisposedTensorError,
  DTypeError,
  memory,
  NonFiniteError,
  tensor,
  tidy,
} from "@edgenn/tensor";
import { expectClose } from "@edgenn/testkit";
import { describe, expect, it } from "vitest";

describe("clipGradNorm", () => {
  it("scales by maxNorm/(‖g‖ + 1e-6) when the norm is larger", () => {
    tidy(() => {
      // ‖[3, 4]‖ = 5; c = 1/5.000001 ⇒ [0.6, 0.8]·(1 − 2e-7) = [0.59999988, 0.79999984]
      const g = tensor([3, 4]);
      const { grads, norm } = clipGradNorm([g], 1);
      expect(norm).toBeCloseTo(5, 6);
      expectClose(grads[0]!, tensor([0.59999988, 0.79999984]), { rtol: 1e-7, atol: 0 });
      expect(g.toArray()).toEqual([3, 4]); // the input is not modified
    });
  });

  it("uses one global norm over every tensor", () => {
    tidy(() => {
      // ‖g‖² = 1 + 4 + 4 + 16 + 0 = 25 ⇒ ‖g‖ = 5; maxNorm 2.5 ⇒ c = 2.5/5.000001 ≈ 0.5
      const { grads, norm } = clipGradNorm(
        [
          tensor([
            [1, 2],
            [2, 0],
          ]),
          tensor([4]),
        ],
        2.5,
      );
      expect(norm).toBeCloseTo(5, 6);
      expectClose(
        grads[0]!,
        tensor([
          [0.5, 1],
          [1, 0],
        ]),
        { rtol: 1e-6 },
      );
      expectClose(grads[1]!, tensor([2]), { rtol: 1e-6 });
    });
  });

  it("leaves gradients within the bound unchanged (as new tensors)", () => {
    tidy(() => {
      const g = tensor([0.3, -0.4]); // ‖g‖ = 0.5 ≤ 1 ⇒ c = 1
      const { grads, norm } = clipGradNorm([g], 1);
      expect(norm).toBeCloseTo(0.5, 6);
      expect(grads[0]).not.toBe(g);
      expect(Array.from(grads[0]!.dataSync())).toEqual(Array.from(g.dataSync()));
      expect(clipGradNorm([], 1)).toEqual({ grads: [], norm: 0 });
    });
  });

  it("frees its intermediates: only the returned tensors stay", () => {
    const g = tensor([3, 4]);
    const before = memory().tensors;
    const { grads } = clipGradNorm([g, g], 1);
    expect(memory().tensors).toBe(before + 2);
    for (const t of grads) t.dispose();
    g.dispose();
  });

  it("bad input: typed errors naming clipGradNorm", () => {
    tidy(() => {
      const g = tensor([1, 2]);
      expect(() => clipGradNorm([g, tensor([1, Number.NaN])], 1)).toThrow(NonFiniteError);
      expect(() => clipGradNorm([g, tensor([1, Number.NaN])], 1)).toThrow(
        /^clipGradNorm: the gradient norm is NaN .*grads\[1\]/,
      );
      expect(() => clipGradNorm([tensor([Number.POSITIVE_INFINITY])], 1)).toThrow(
        /gradient norm is Infinity/,
      );
      expect(() => clipGradNorm([g], 0)).toThrow(/^clipGradNorm: maxNorm must be > 0/);
      expect(() => clipGradNorm([g], Number.NaN)).toThrow(ArgumentError);
      expect(() => clipGradNorm([g], Number.POSITIVE_INFINITY)).toThrow(ArgumentError);
      expect(() => clipGradNorm(g as never, 1)).toThrow(/^clipGradNorm: grads must be an array/);
      expect(() => clipGradNorm([[1, 2]] as never, 1)).toThrow(ArgumentError);
      expect(() => clipGradNorm([tensor([1], { dtype: "int32" })], 1)).toThrow(DTypeError);
      const d = tensor([1]);
      d.dispose();
      expect(() => clipGradNorm([d], 1)).toThrow(DisposedTensorError);
    });
  });
});
