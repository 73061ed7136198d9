import { describe, expect, it } from "vitest";
// @ts-expect-error: the example is plain JavaScript
import { loadDigits, loadMnist, mulberry32, splitOrder } from "../data.mjs";

const counts = (labels: ArrayLike<number>): number[] => {
  const c = new Array<number>(10).fill(0);
  for (let i = 0; i < labels.length; i++) c[labels[i]!]!++;
  return c;
};

describe("MNIST split (shared/notes/DATA.md)", () => {
  it("mulberry32(42) gives the published stream", () => {
    const next = mulberry32(42);
    expect([next(), next(), next()]).toEqual([
      0.6011037519201636, 0.44829055899754167, 0.8524657934904099,
    ]);
  });

  it("loads the 10,000 digits of the package in file order", () => {
    const { pixels, labels } = loadDigits();
    expect(labels.length).toBe(10000);
    expect(pixels.length).toBe(10000 * 784);
    // digit files 0 … 9 hold 1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978 images
    expect(counts(labels)).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    expect(labels[0]).toBe(0);
    expect(labels[1001]).toBe(1);
    expect(labels[9999]).toBe(9);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of pixels) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    expect([lo, hi]).toEqual([0, 1]);
  });

  it("splits by Fisher–Yates over mulberry32(42): pinned order, labels and class counts", () => {
    const order: Int32Array = splitOrder(10000);
    expect(Array.from(order.subarray(0, 5))).toEqual([8139, 4527, 8983, 6438, 7978]);
    expect(Array.from(order.subarray(8000, 8005))).toEqual([9736, 3723, 5543, 4293, 5238]);
    expect(new Set(order).size).toBe(10000); // a permutation: train and test are disjoint

    const { train, test } = loadMnist();
    expect(train.x.shape).toEqual([8000, 784]);
    expect(test.x.shape).toEqual([2000, 784]);
    expect([train.x.dtype, train.y.dtype]).toEqual(["float32", "int32"]);
    const trainY = train.y.dataSync();
    const testY = test.y.dataSync();
    expect(Array.from(trainY.subarray(0, 12))).toEqual([8, 4, 8, 6, 7, 0, 5, 5, 4, 7, 1, 9]);
    expect(Array.from(testY.subarray(0, 12))).toEqual([9, 3, 5, 4, 5, 1, 0, 6, 5, 9, 7, 9]);
    expect(counts(trainY)).toEqual([807, 880, 811, 834, 775, 674, 802, 873, 751, 793]);
    expect(counts(testY)).toEqual([194, 247, 180, 198, 205, 189, 212, 197, 193, 185]);

    // the first training image is digit 8139 of the package, pixel for pixel
    const { pixels } = loadDigits();
    const first = train.x.dataSync().subarray(0, 784);
    expect(first.every((v: number, i: number) => v === pixels[8139 * 784 + i])).toBe(true);

    // images as [N, 1, 28, 28] hold the same numbers
    const img = loadMnist({ shape: "image" });
    expect(img.train.x.shape).toEqual([8000, 1, 28, 28]);
    const flat = test.x.dataSync();
    expect(img.test.x.dataSync().every((v: number, i: number) => v === flat[i])).toBe(true);
    for (const t of [
      train.x,
      train.y,
      test.x,
      test.y,
      img.train.x,
      img.train.y,
      img.test.x,
      img.test.y,
    ])
      t.dispose();
  });
});
