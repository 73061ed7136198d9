// Test digits and their strokes: real MNIST test images, turned into mouse strokes.
// @ts-expect-error: the mnist-node example is plain JavaScript
import { loadMnist } from "../../mnist-node/data.mjs";

/** A digit of the test split: its index in the split, label and 784 pixels in [0, 1]. */
export interface Digit {
  index: number;
  label: number;
  pixels: Float32Array;
}

/** The 2,000 test digits of the mnist-node split. */
export function testDigits(): Digit[] {
  const { train, test } = loadMnist();
  try {
    const x = test.x.dataSync() as Float32Array;
    const y = test.y.dataSync() as Int32Array;
    return Array.from(y, (label, index) => ({
      index,
      label,
      pixels: x.slice(index * 784, (index + 1) * 784),
    }));
  } finally {
    for (const t of [train.x, train.y, test.x, test.y]) t.dispose();
  }
}

/** Pixels darker than this are drawn. */
export const DRAW_THRESHOLD = 0.5;

/** A horizontal stroke over the pixels `c0 … c1` (inclusive) of image row `row`. */
export interface Run {
  row: number;
  c0: number;
  c1: number;
}

/** The strokes that draw `pixels`: one per horizontal run of pixels above DRAW_THRESHOLD. */
export function strokes(pixels: ArrayLike<number>): Run[] {
  const runs: Run[] = [];
  for (let row = 0; row < 28; row++) {
    let c0 = -1;
    for (let c = 0; c <= 28; c++) {
      const on = c < 28 && pixels[row * 28 + c]! > DRAW_THRESHOLD;
      if (on && c0 < 0) c0 = c;
      if (!on && c0 >= 0) {
        runs.push({ row, c0, c1: c - 1 });
        c0 = -1;
      }
    }
  }
  return runs;
}

/**
 * What the strokes draw with a pen as wide as one image pixel, on a canvas `scale` times the image:
 * each drawn pixel becomes a scale × scale block of ink 1 (ignoring the pen's round caps and
 * anti-aliasing, which the browser adds).
 */
export function rasterise(runs: Run[], scale: number): Float32Array {
  const side = 28 * scale;
  const ink = new Float32Array(side * side);
  for (const { row, c0, c1 } of runs)
    for (let y = row * scale; y < (row + 1) * scale; y++)
      ink.fill(1, y * side + c0 * scale, y * side + (c1 + 1) * scale);
  return ink;
}
