import { valueAndGrad } from "@edgenn/autograd";
import { add, exp, log, matmul, memory, mul, randn, sub, sum, tanh, tidy } from "@edgenn/tensor";
import { expectNoLeaks } from "@edgenn/testkit";
import { describe, expect, it } from "vitest";

describe("a training-style loop keeps memory flat", () => {
  it("1,000 steps of forward + backward + update inside tidy: live tensors and bytes never grow", () => {
    const x = randn([16, 8], { seed: 1 });
    const target = randn([16, 4], { seed: 2 });
    let w1 = randn([8, 12], { seed: 3, std: 0.3 });
    let w2 = randn([12, 4], { seed: 4, std: 0.3 });
    const losses: number[] = [];
    const step = (): void => {
      const [n1, n2] = tidy(() => {
        const { value, grads } = valueAndGrad(() => {
          const h = tanh(matmul(x, w1));
          const y = matmul(h, w2);
          // a smooth loss: Σ log(1 + e^{(y − t)²})/n
          const d = sub(y, target);
          return mul(sum(log(add(exp(mul(d, d)), 1))), 1 / d.size);
        }, [w1, w2]);
        losses.push(value.item());
        return [sub(w1, mul(grads[0]!, 0.05)), sub(w2, mul(grads[1]!, 0.05))];
      });
      w1.dispose();
      w2.dispose();
      w1 = n1!;
      w2 = n2!;
    };
    const peakBefore = memory().peakBytes;
    expectNoLeaks(step, { steps: 1000, warmup: 5 });
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!);
    // the pool serves every step's buffers: the peak stays within a few steps' worth of memory
    expect(memory().peakBytes - peakBefore).toBeLessThan(64 * 1024);
  });
});
