import { clone, slice, tensor, tidy, transpose } from "@edgenn/tensor";
import { arbTensorData, expectClose, expectGrad } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";

describe("clone", () => {
  it("copies a view into a contiguous buffer of its own (golden)", () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    const t = transpose(x);
    const c = clone(t);
    expect(c.isContiguous).toBe(true);
    expect(c.toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    // the copy outlives the original buffer
    x.dispose();
    t.dispose();
    expect(c.toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    const r = clone(slice(tensor([1, 2, 3, 4, 5]), [-1], [-Infinity], [0], [-2]));
    expect(r.toArray()).toEqual([5, 3, 1]);
    expect(r.offset).toBe(0);
    expect(clone(tensor([true, false])).dtype).toBe("bool");
  });

  fcTest.prop([arbTensorData({ maxRank: 4, maxDim: 4 })], { numRuns: 40 })(
    "equals its input elementwise",
    ({ shape, data }) => {
      tidy(() => {
        const c = clone(tensor(data, { shape }));
        expect(c.shape).toEqual(shape);
        expectClose(c, data, { rtol: 0, atol: 0 });
      });
    },
  );

  it("has an identity gradient", () => {
    expectGrad(
      (x) =>
        clone(transpose(x!))
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

  it("rejects disposed tensors and non-tensors", () => {
    const x = tensor([1]);
    x.dispose();
    expect(() => clone(x)).toThrow(/clone: tensor used after dispose/);
    expect(() => clone("x" as unknown as never)).toThrow(/clone: x must be a Tensor/);
  });
});
