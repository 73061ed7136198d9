// A two-layer network, 1 → 16 (tanh) → 1, fitted to y = sin(x) on [−π, π] by full-batch gradient
// descent, written with nothing but tensors, ops and valueAndGrad.
import {
  add,
  arange,
  dispose,
  matmul,
  mul,
  randn,
  sub,
  sum,
  tanh,
  tensor,
  tidy,
  valueAndGrad,
  zeros,
} from "edgenn";

/** Mean squared error between two tensors of the same shape. */
function mse(pred, target) {
  const d = sub(pred, target);
  return mul(sum(mul(d, d)), 1 / d.size);
}

/**
 * Trains the network and returns the losses it logged.
 * @param {{ steps?: number, lr?: number, seed?: number, logEvery?: number, log?: (s: string) => void }} options
 */
export function train({ steps = 2000, lr = 0.03, seed = 7, logEvery = 200, log = () => {} } = {}) {
  // 64 points x in [−π, π), as a [64, 1] column; target sin(x) computed in plain JS
  const x = tidy(() => arange(-Math.PI, Math.PI, (2 * Math.PI) / 64).reshape([64, 1]));
  const y = tensor(Array.from(x.dataSync(), Math.sin), { shape: [64, 1] });
  const params = [
    randn([1, 16], { seed }), // w1 ~ N(0, 1)
    zeros([16]), // b1
    randn([16, 1], { seed: seed + 1, std: 1 }), // w2 ~ N(0, 1)
    zeros([1]), // b2
  ];
  const forward = ([w1, b1, w2, b2]) => add(matmul(tanh(add(matmul(x, w1), b1)), w2), b2);
  const losses = [];
  for (let step = 0; step <= steps; step++) {
    const { value, grads } = valueAndGrad(() => mse(forward(params), y), params);
    if (step % logEvery === 0) {
      const loss = value.item();
      losses.push({ step, loss });
      log(`step ${String(step).padStart(5)}  loss ${loss.toFixed(5)}`);
    }
    // plain gradient descent: p ← p − lr·∂loss/∂p (new tensors; the old ones are disposed)
    for (let i = 0; i < params.length; i++) {
      const next = tidy(() => sub(params[i], mul(grads[i], lr)));
      params[i].dispose();
      params[i] = next;
    }
    dispose([value, grads]);
  }
  dispose([x, y, params]);
  return losses;
}
