import { valueAndGrad } from "@edgenn/autograd";
import {
  type Conv2dParams,
  CpuBackend,
  conv2d,
  randn,
  setBackend,
  sum,
  type TensorInfo,
} from "@edgenn/tensor";
import { afterEach, describe, expect, it } from "vitest";

class CountingBackend extends CpuBackend {
  override readonly name: string = "counting";
  backpropInputCalls = 0;
  override conv2dBackpropInput(
    dy: TensorInfo,
    w: TensorInfo,
    out: TensorInfo,
    p: Conv2dParams,
  ): void {
    this.backpropInputCalls++;
    super.conv2dBackpropInput(dy, w, out, p);
  }
}

afterEach(() => {
  setBackend("cpu");
});

describe("gradient rules skip inputs that need no gradient", () => {
  it("conv2d computes dx only when x is differentiated", () => {
    const be = new CountingBackend();
    setBackend(be);
    const x = randn([2, 3, 8, 8], { seed: 1 });
    const w = randn([4, 3, 3, 3], { seed: 2 });
    valueAndGrad(() => sum(conv2d(x, w, undefined, { padding: 1 })), [w]);
    expect(be.backpropInputCalls).toBe(0);
    const { grads } = valueAndGrad(() => sum(conv2d(x, w, undefined, { padding: 1 })), [x, w]);
    expect(be.backpropInputCalls).toBe(1);
    expect(grads[0]!.shape).toEqual([2, 3, 8, 8]);
  });
});
