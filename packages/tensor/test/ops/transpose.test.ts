import { memory, ShapeError, tensor, tidy, transpose } from "@edgenn/tensor";
import { arbTensorData, expectClose, expectGrad, ravel, size, unravel } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/** Naive transpose: y[i] = x[i permuted back]. */
function refTranspose(data: readonly number[], shape: readonly number[], perm: readonly number[]) {
  const outShape = perm.map((p) => shape[p]!);
  const out = new Array<number>(size(outShape));
  for (let o = 0; o < out.length; o++) {
    const idx = unravel(o, outShape);
    const src = new Array<number>(shape.length);
    perm.forEach((p, i) => {
      src[p] = idx[i]!;
    });
    out[o] = data[ravel(src, shape)]!;
  }
  return { data: out, shape: outShape };
}

const arbPermuted = arbTensorData({ maxRank: 5, maxDim: 4 }).chain(({ shape, data }) =>
  fc.tuple(
    fc.constant(shape),
    fc.constant(data),
    fc.shuffledSubarray(
      shape.map((_, i) => i),
      { minLength: shape.length, maxLength: shape.length },
    ),
  ),
);

describe("transpose", () => {
  it("permutes dims, reversing them by default (golden)", () => {
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(transpose(x).toArray()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    expect(transpose(x, [-2, -1]).toArray()).toEqual(x.toArray());
    const y = transpose(tensor([[[1, 2]], [[3, 4]]]), [2, 0, 1]); // [2,1,2] → [2,2,1]
    expect(y.toArray()).toEqual([
      [[1], [3]],
      [[2], [4]],
    ]);
    expect(transpose(tensor(5)).item()).toBe(5);
  });

  it("is a view: no bytes are allocated", () => {
    tidy(() => {
      const x = tensor([
        [1, 2],
        [3, 4],
      ]);
      const before = memory().bytes;
      const y = transpose(x);
      expect(memory().bytes).toBe(before);
      expect(y.isContiguous).toBe(false);
    });
  });

  fcTest.prop([arbPermuted], { numRuns: 60 })(
    "matches a naive index loop and inverts",
    ([shape, data, perm]) => {
      tidy(() => {
        const x = tensor(data, { shape });
        const y = transpose(x, perm);
        const expected = refTranspose(data, shape, perm);
        expect(y.shape).toEqual(expected.shape);
        expectClose(y, expected.data, { rtol: 0, atol: 0 });
        const inv = new Array<number>(perm.length);
        perm.forEach((p, i) => {
          inv[p] = i;
        });
        const back = transpose(y, inv);
        expect(back.shape).toEqual(shape);
        expectClose(back, data, { rtol: 0, atol: 0 });
      });
    },
  );

  it("has the right gradient", () => {
    const w = tensor([
      [[1], [-1], [2]],
      [[0.5], [3], [4]],
    ]); // [2,3,1]
    expectGrad(
      (x) => transpose(x!, [1, 2, 0]).mul(w).sum(),
      [tensor([[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]]).reshape([1, 2, 3])],
    );
    expectGrad(
      (x) =>
        transpose(x!)
          .mul(tensor([1, 2, 3]))
          .sum(),
      [
        tensor([
          [0.1, 0.2],
          [0.3, 0.4],
          [0.5, 0.6],
        ]),
      ],
    );
  });

  it("rejects perms that are not permutations", () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(() => transpose(x, [0, 0])).toThrow(ShapeError);
    expect(() => transpose(x, [0, 0])).toThrow(/transpose: perm must be a permutation/);
    expect(() => transpose(x, [0])).toThrow(ShapeError);
    expect(() => transpose(x, [0, 1, 2])).toThrow(ShapeError);
    expect(() => transpose(x, [0, 2])).toThrow(/transpose: axis out of range/);
    expect(() => transpose(x, [0, 0.5])).toThrow(ShapeError);
    expect(() => transpose(x, 1 as unknown as number[])).toThrow(ShapeError);
  });
});
