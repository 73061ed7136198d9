import {
  memory,
  ShapeError,
  slice,
  squeeze,
  tensor,
  tidy,
  transpose,
  unsqueeze,
  zeros,
} from "@edgenn/tensor";
import { arbShape, expectClose, expectGrad, size } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";

describe("squeeze", () => {
  it("drops size-1 dims as a view (golden)", () => {
    tidy(() => {
      const x = tensor([[[1], [2], [3]]]); // [1,3,1]
      const before = memory().bytes;
      expect(squeeze(x).shape).toEqual([3]);
      expect(squeeze(x).toArray()).toEqual([1, 2, 3]);
      expect(squeeze(x, 0).shape).toEqual([3, 1]);
      expect(squeeze(x, [-1]).toArray()).toEqual([[1, 2, 3]]);
      expect(squeeze(x, [0, 2]).shape).toEqual([3]);
      expect(memory().bytes).toBe(before);
      expect(squeeze(tensor([[5]])).shape).toEqual([]);
      expect(squeeze(zeros([2, 0])).shape).toEqual([2, 0]);
      // a strided view: column 1 of [[0,1,2],[3,4,5]]ᵀ is [[3],[4],[5]] with stride 1
      const t = slice(
        transpose(
          tensor([
            [0, 1, 2],
            [3, 4, 5],
          ]),
        ),
        [1],
        [2],
        [1],
      );
      expect(squeeze(t, 1).toArray()).toEqual([3, 4, 5]);
    });
  });

  fcTest.prop([arbShape({ maxRank: 5, minDim: 1, maxDim: 3 })], { numRuns: 60 })(
    "keeps the elements and inverts unsqueeze",
    (shape) => {
      tidy(() => {
        const data = Array.from({ length: size(shape) }, (_, i) => i);
        const x = tensor(data, { shape });
        const y = squeeze(x);
        expect(y.shape).toEqual(shape.filter((d) => d !== 1));
        expectClose(y, data, { rtol: 0, atol: 0 });
        const ones = shape.flatMap((d, i) => (d === 1 ? [i] : []));
        if (ones.length > 0) {
          const back = unsqueeze(y, ones);
          expect(back.shape).toEqual(shape);
          expectClose(back, data, { rtol: 0, atol: 0 });
        }
      });
    },
  );

  it("has the right gradient", () => {
    expectGrad(
      (x) =>
        squeeze(x!)
          .mul(tensor([1, -2, 3]))
          .sum(),
      [tensor([[[0.1], [0.2], [0.3]]])],
    );
  });

  it("rejects axes that are not size 1 or out of range", () => {
    const x = zeros([1, 3]);
    expect(() => squeeze(x, 1)).toThrow(ShapeError);
    expect(() => squeeze(x, 1)).toThrow(/squeeze: axis 1 has size 3 \(expected 1/);
    expect(() => squeeze(x, 2)).toThrow(/squeeze: axis out of range/);
    expect(() => squeeze(x, [0, 0])).toThrow(/squeeze: axes repeat/);
    expect(() => squeeze(x, 0.5)).toThrow(ShapeError);
  });
});
