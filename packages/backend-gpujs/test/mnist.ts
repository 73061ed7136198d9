/*
 * The MNIST split of examples/mnist-node (shared/notes DATA.md): the 10,000 digits of the `mnist`
 * package in package order, shuffled by mulberry32(42) Fisher–Yates; the first 8,000 train.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Pixels `[N·784]` in [0, 1] and labels `[N]` of the train and test split, as plain arrays. */
export function loadMnistArrays(): {
  train: { x: Float32Array; y: Int32Array };
  test: { x: Float32Array; y: Int32Array };
} {
  const require = createRequire(
    join(import.meta.dirname, "../../../examples/mnist-node/package.json"),
  );
  const dir = join(dirname(require.resolve("mnist/package.json")), "src", "digits");
  const images: number[][] = [];
  const labels: number[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const { data } = JSON.parse(readFileSync(join(dir, `${digit}.json`), "utf8")) as {
      data: number[];
    };
    for (let i = 0; i < data.length; i += 784) {
      images.push(data.slice(i, i + 784));
      labels.push(digit);
    }
  }
  const order = Array.from({ length: labels.length }, (_, i) => i);
  const rng = mulberry32(42);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const take = (from: number, to: number) => {
    const x = new Float32Array((to - from) * 784);
    const y = new Int32Array(to - from);
    for (let i = from; i < to; i++) {
      x.set(images[order[i]!]!, (i - from) * 784);
      y[i - from] = labels[order[i]!]!;
    }
    return { x, y };
  };
  return { train: take(0, 8000), test: take(8000, labels.length) };
}
