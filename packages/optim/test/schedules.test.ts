import { cosineLR, exponentialLR, SGD, stepLR, warmup } from "@edgenn/optim";
import { ArgumentError, tensor, tidy } from "@edgenn/tensor";
import { expectClose } from "@edgenn/testkit";
import { describe, expect, it } from "vitest";

describe("learning-rate schedules at chosen steps (hand values)", () => {
  it("stepLR: lr₀·γ^⌊t/stepSize⌋", () => {
    const s = stepLR(0.1, { stepSize: 3 }); // γ = 0.1 by default
    // t = 0,1,2 → 0.1; t = 3..5 → 0.01; t = 6 → 0.001; t = 10 → 0.1·0.1³ = 1e-4
    expectClose([s(0), s(2), s(3), s(5), s(6), s(10)], [0.1, 0.1, 0.01, 0.01, 0.001, 1e-4]);
    const h = stepLR(2, { stepSize: 1, gamma: 0.5 });
    expect([h(0), h(1), h(4)]).toEqual([2, 1, 0.125]);
  });

  it("exponentialLR: lr₀·γᵗ", () => {
    const s = exponentialLR(0.5, { gamma: 0.9 });
    // 0.5·0.9² = 0.405; 0.5·0.9¹⁰ = 0.5·0.34867844 = 0.17433922
    expectClose([s(0), s(1), s(2), s(10)], [0.5, 0.45, 0.405, 0.17433922]);
  });

  it("cosineLR: minLr + (lr₀ − minLr)(1 + cos(πt/T))/2, then minLr", () => {
    const s = cosineLR(0.1, { totalSteps: 4 });
    // t=1: 0.05·(1 + cos(π/4)) = 0.05·1.70710678 = 0.08535534; t=2: 0.05; t=3: 0.05·(1 − 0.70710678) = 0.01464466
    expectClose([s(0), s(1), s(2), s(3), s(4), s(9)], [0.1, 0.08535534, 0.05, 0.01464466, 0, 0], {
      atol: 1e-12,
    });
    const m = cosineLR(1, { totalSteps: 3, minLr: 0.4 });
    // t=1: 0.4 + 0.6·(1 + 0.5)/2 = 0.85; t=2: 0.4 + 0.6·(1 − 0.5)/2 = 0.55
    expectClose([m(0), m(1), m(2), m(3), m(100)], [1, 0.85, 0.55, 0.4, 0.4]);
  });

  it("warmup: a linear ramp to schedule(0), then the schedule shifted by the warmup", () => {
    const s = warmup(stepLR(1, { stepSize: 2, gamma: 0.5 }), { steps: 4, startFactor: 0.2 });
    // t < 4: 1·(0.2 + 0.8·t/4) = 0.2, 0.4, 0.6, 0.8; t = 4, 5 → stepLR(0, 1) = 1; t = 6 → stepLR(2) = 0.5
    expectClose([s(0), s(1), s(2), s(3), s(4), s(5), s(6)], [0.2, 0.4, 0.6, 0.8, 1, 1, 0.5]);
    // the ISSUE's composition: warmup(cosineLR(…)); startFactor 0 starts at 0
    const c = warmup(cosineLR(0.1, { totalSteps: 4 }), { steps: 2 });
    // t=0: 0; t=1: 0.05; t=2: cos(0) → 0.1; t=3: cosine step 1 = 0.08535534; t=6: 0
    expectClose([c(0), c(1), c(2), c(3), c(6)], [0, 0.05, 0.1, 0.08535534, 0], { atol: 1e-12 });
    // warmup of a warmup composes; steps 0 is the identity
    const ww = warmup(
      warmup(() => 1, { steps: 2 }),
      { steps: 2 },
    );
    // outer ramp: ww(0) = 0·inner(0), ww(1) = 0.5·inner(0) = 0 (inner(0) = 0); then inner: 0, 0.5, 1
    expect([ww(0), ww(1), ww(2), ww(3), ww(4)]).toEqual([0, 0, 0, 0.5, 1]);
    const id = warmup(exponentialLR(1, { gamma: 0.5 }), { steps: 0 });
    expect([id(0), id(1), id(2)]).toEqual([1, 0.5, 0.25]);
  });

  it("an optimizer reads its rate from the schedule at every step", () => {
    const w = tensor([0]);
    const opt = new SGD([w], { lr: stepLR(1, { stepSize: 2, gamma: 0.5 }) });
    const rates: number[] = [];
    for (let t = 0; t < 5; t++) {
      rates.push(opt.lr);
      tidy(() => opt.step([tensor([-1])])); // θ ← θ + lr
    }
    expect(rates).toEqual([1, 1, 0.5, 0.5, 0.25]);
    // θ = 1 + 1 + 0.5 + 0.5 + 0.25 = 3.25
    expect(w.toArray()).toEqual([3.25]);
    expect(opt.lr).toBe(0.25);
    opt.dispose();
    w.dispose();
  });

  it("bad options and steps are ArgumentErrors naming the schedule", () => {
    expect(() => stepLR(-1, { stepSize: 1 })).toThrow(/^stepLR: lr0 must be/);
    expect(() => stepLR(0.1, { stepSize: 0 })).toThrow(/^stepLR: stepSize must be an integer ≥ 1/);
    expect(() => stepLR(0.1, { stepSize: 1.5 })).toThrow(ArgumentError);
    expect(() => stepLR(0.1, { stepSize: 1, gamma: 0 })).toThrow(/^stepLR: gamma must be > 0/);
    expect(() => exponentialLR(0.1, { gamma: Number.NaN })).toThrow(/^exponentialLR: gamma/);
    expect(() => exponentialLR(Number.POSITIVE_INFINITY, { gamma: 0.5 })).toThrow(ArgumentError);
    expect(() => cosineLR(0.1, { totalSteps: -3 })).toThrow(/^cosineLR: totalSteps/);
    expect(() => cosineLR(0.1, { totalSteps: 10, minLr: -1 })).toThrow(/^cosineLR: minLr/);
    expect(() => warmup(0.1 as never, { steps: 3 })).toThrow(
      /^warmup: schedule must be a function/,
    );
    expect(() => warmup(() => 1, { steps: 3, startFactor: 1.5 })).toThrow(/^warmup: startFactor/);
    expect(() => warmup(() => 1, { steps: -1 })).toThrow(ArgumentError);
    expect(() => cosineLR(0.1, { totalSteps: 10, warmup: 3 } as never)).toThrow(
      /^cosineLR: unknown option 'warmup'/,
    );
    expect(() => stepLR(0.1, { stepSize: 1 })(-1)).toThrow(/^stepLR: step must be an integer ≥ 0/);
    expect(() => cosineLR(0.1, { totalSteps: 1 })(0.5)).toThrow(ArgumentError);
    expect(() => warmup(() => 1, { steps: 2 })(Number.NaN)).toThrow(/^warmup: step/);
  });
});
