import { valueAndGrad } from "@edgenn/autograd";
import {
  ArgumentError,
  arange,
  concat,
  DTypeError,
  reshape,
  ShapeError,
  slice,
  tensor,
  tidy,
  transpose,
  zeros,
} from "@edgenn/tensor";
import {
  arbShape,
  arbValues,
  expectClose,
  expectGrad,
  expectNoLeaks,
  ravel,
  size,
  unravel,
} from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/** Naive concat: each output index reads the input whose window along `axis` holds it. */
function refConcat(parts: { data: number[]; shape: number[] }[], axis: number) {
  const shape = parts[0]!.shape.slice();
  shape[axis] = parts.reduce((s, p) => s + p.shape[axis]!, 0);
  const out: number[] = [];
  for (let o = 0; o < size(shape); o++) {
    const idx = unravel(o, shape);
    let k = idx[axis]!;
    let p = 0;
    while (k >= parts[p]!.shape[axis]!) k -= parts[p++]!.shape[axis]!;
    const local = idx.slice();
    local[axis] = k;
    out.push(parts[p]!.data[ravel(local, parts[p]!.shape)]!);
  }
  return { data: out, shape };
}

const arbParts = arbShape({ minRank: 1, maxRank: 4, maxDim: 3 }).chain((base) =>
  fc.integer({ min: 0, max: base.length - 1 }).chain((axis) =>
    fc.tuple(
      fc.constant(axis),
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }).chain((sizes) =>
        fc.tuple(
          ...sizes.map((n) => {
            const shape = base.slice();
            shape[axis] = n;
            return arbValues(size(shape)).map((data) => ({ data, shape }));
          }),
        ),
      ),
    ),
  ),
);

describe("concat", () => {
  it("joins along an axis (golden)", () => {
    const a = tensor([
      [1, 2],
      [3, 4],
    ]);
    const b = tensor([[5, 6]]);
    expect(concat([a, b], 0).toArray()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(concat([a, tensor([[7], [8]])], -1).toArray()).toEqual([
      [1, 2, 7],
      [3, 4, 8],
    ]);
    // strided inputs: aᵀ = [[1,3],[2,4]]
    expect(concat([transpose(a), a], 1).toArray()).toEqual([
      [1, 3, 1, 2],
      [2, 4, 3, 4],
    ]);
    // empty parts contribute nothing; a single input is copied
    expect(concat([zeros([0, 2]), b], 0).toArray()).toEqual([[5, 6]]);
    const one = concat([b], 0);
    expect(one).not.toBe(b);
    expect(one.toArray()).toEqual([[5, 6]]);
    expect(concat([tensor([1], { dtype: "int8" }), tensor([2], { dtype: "int8" })], 0).dtype).toBe(
      "int8",
    );
  });

  fcTest.prop([arbParts], { numRuns: 60 })(
    "matches a naive loop, and slicing the result gives the inputs back",
    ([axis, parts]) => {
      tidy(() => {
        const xs = parts.map((p) => tensor(p.data, { shape: p.shape }));
        const y = concat(xs, axis);
        const expected = refConcat(parts, axis);
        expect(y.shape).toEqual(expected.shape);
        expectClose(y, expected.data, { rtol: 0, atol: 0 });
        let start = 0;
        for (const p of parts) {
          const back = slice(y, [start], [start + p.shape[axis]!], [axis]);
          expect(back.shape).toEqual(p.shape);
          expectClose(back, p.data, { rtol: 0, atol: 0 });
          start += p.shape[axis]!;
        }
      });
    },
  );

  it("has the right gradient: the slices of dy", () => {
    const w = reshape(arange(15), [3, 5]).mul(0.1);
    expectGrad(
      (a, b) => concat([a!, b!, a!], 1).mul(w).sum(),
      [
        tensor([[1], [2], [3]]),
        tensor([
          [0.5, -1, 2],
          [0.1, 0.2, 0.3],
          [1, 1, 1],
        ]),
      ],
    );
    const a = tensor([1, 2]);
    const { grads } = valueAndGrad(
      () =>
        concat([a, a], 0)
          .mul(tensor([1, 2, 3, 4]))
          .sum(),
      [a],
    );
    // a appears twice: [1+3, 2+4]
    expectClose(grads[0]!, [4, 6]);
  });

  it("leaks nothing across forward and backward", () => {
    const a = tensor([[1, 2]]);
    const b = tensor([[3, 4]]);
    expectNoLeaks(
      () => {
        const { value, grads } = valueAndGrad(() => concat([a, b], 0).sum(), [a, b]);
        value.dispose();
        for (const g of grads) g.dispose();
      },
      { steps: 50 },
    );
  });

  it("rejects mismatched shapes and dtypes, bad axes and empty lists", () => {
    const a = zeros([2, 3]);
    expect(() => concat([a, zeros([2, 4])], 0)).toThrow(ShapeError);
    expect(() => concat([a, zeros([2, 4])], 0)).toThrow(
      /concat: shapes differ off axis 0.*got \[2,4\] for xs\[1\]/,
    );
    expect(() => concat([a, zeros([2, 3, 1])], 0)).toThrow(ShapeError);
    expect(() => concat([a, zeros([2, 3], "int32")], 0)).toThrow(DTypeError);
    expect(() => concat([a, zeros([2, 3], "int32")], 0)).toThrow(
      /concat: inputs have different dtypes \(expected float32, got int32/,
    );
    expect(() => concat([a, a], 2)).toThrow(/concat: axis out of range/);
    expect(() => concat([tensor(1), tensor(2)], 0)).toThrow(/concat: inputs must have rank ≥ 1/);
    expect(() => concat([], 0)).toThrow(ArgumentError);
    expect(() => concat([a, 1 as unknown as never], 0)).toThrow(/concat: xs\[1\] must be a Tensor/);
  });
});
