import { memory } from "edgenn";
import { describe, expect, it } from "vitest";
// @ts-expect-error: the demo is plain JavaScript
import { train } from "../train.mjs";

describe("autograd demo", () => {
  it("fits sin(x): the loss falls by more than 100× and nothing leaks", () => {
    const before = memory().tensors;
    const losses: { step: number; loss: number }[] = train({ steps: 2000 });
    const first = losses[0]!.loss;
    const last = losses[losses.length - 1]!.loss;
    expect(last).toBeLessThan(first / 100);
    // every logged loss after the first third is lower than the one before (steady descent)
    for (let i = 4; i < losses.length; i++)
      expect(losses[i]!.loss).toBeLessThan(losses[i - 1]!.loss);
    expect(memory().tensors).toBe(before);
  });
});
