// The README's demo: fit a small network to sin(x) and watch the loss fall.
import { memory } from "edgenn";
import { train } from "./train.mjs";

console.log("edgenn autograd demo: a 1→16→1 tanh network fitted to sin(x) by gradient descent\n");
const t0 = performance.now();
const losses = train({ log: (line) => console.log(line) });
const ms = performance.now() - t0;
const first = losses[0].loss;
const last = losses[losses.length - 1].loss;
console.log(
  `\nloss ${first.toFixed(4)} → ${last.toFixed(5)} (${(first / last).toFixed(0)}× lower) in ${ms.toFixed(0)} ms`,
);
console.log(`live tensors after training: ${memory().tensors}`);
