import { valueAndGrad } from "@edgenn/autograd";
import {
  ArgumentError,
  arange,
  memory,
  reshape,
  ShapeError,
  slice,
  tensor,
  tidy,
  transpose,
} from "@edgenn/tensor";
import {
  arbShape,
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

/** The indices ONNX Slice takes along a dim of size d, by filtering 0 … d−1 (the spec's words). */
function refIndices(d: number, start: number, end: number, step: number): number[] {
  let s = start < 0 ? start + d : start;
  let e = end < 0 ? end + d : end;
  const out: number[] = [];
  if (step > 0) {
    s = Math.min(Math.max(s, 0), d);
    e = Math.min(Math.max(e, 0), d);
    for (let k = 0; k < d; k++) if (k >= s && k < e && (k - s) % step === 0) out.push(k);
  } else {
    s = Math.min(Math.max(s, 0), d - 1);
    e = Math.min(Math.max(e, -1), d - 1);
    for (let k = d - 1; k >= 0; k--) if (k <= s && k > e && (s - k) % -step === 0) out.push(k);
  }
  return out;
}

/** Naive slice: the elements at the cartesian product of each dim's indices. */
function refSlice(data: readonly number[], shape: readonly number[], idx: number[][]) {
  const outShape = idx.map((l) => l.length);
  const out: number[] = [];
  for (let o = 0; o < size(outShape); o++) {
    const m = unravel(o, outShape);
    out.push(
      data[
        ravel(
          m.map((v, d) => idx[d]![v]!),
          shape,
        )
      ]!,
    );
  }
  return { data: out, shape: outShape };
}

const arbSlice = arbShape({ minRank: 1, maxRank: 4, maxDim: 5 }).chain((shape) =>
  fc.tuple(
    fc.constant(shape),
    fc.array(
      fc.record({
        start: fc.oneof(fc.integer({ min: -7, max: 7 }), fc.constantFrom(Infinity, -Infinity)),
        end: fc.oneof(fc.integer({ min: -7, max: 7 }), fc.constantFrom(Infinity, -Infinity)),
        step: fc.integer({ min: -3, max: 3 }).filter((s) => s !== 0),
      }),
      { minLength: shape.length, maxLength: shape.length },
    ),
    fc.subarray(shape.map((_, i) => i)),
    fc.boolean(),
  ),
);

describe("slice", () => {
  it("takes ONNX slices: negative indices, clamping, steps (golden)", () => {
    tidy(() => {
      const x = reshape(arange(12), [3, 4]); // [[0,1,2,3],[4,5,6,7],[8,9,10,11]]
      const before = memory().bytes;
      // rows 1..2, cols 1..2
      expect(slice(x, [1, 1], [3, 3]).toArray()).toEqual([
        [5, 6],
        [9, 10],
      ]);
      // cols from the end: -3 → 1, to -1 → 3
      expect(slice(x, [-3], [-1], [1]).toArray()).toEqual([
        [1, 2],
        [5, 6],
        [9, 10],
      ]);
      // clamping: end 100 → 4; step 2 → cols 0, 2
      expect(slice(x, [0], [100], [-1], [2]).toArray()).toEqual([
        [0, 2],
        [4, 6],
        [8, 10],
      ]);
      // reversed rows: start -1 → 2, end -∞ clamps to -1, step -1 → rows 2, 1, 0
      expect(slice(x, [-1], [-Infinity], [0], [-1]).toArray()).toEqual([
        [8, 9, 10, 11],
        [4, 5, 6, 7],
        [0, 1, 2, 3],
      ]);
      // start 10 clamps to 3 stepping back by 2 → cols 3, 1
      expect(slice(x, [10], [-10], [1], [-2]).toArray()).toEqual([
        [3, 1],
        [7, 5],
        [11, 9],
      ]);
      // empty: start ≥ end stepping forward
      expect(slice(x, [2], [1], [0]).shape).toEqual([0, 4]);
      expect(memory().bytes).toBe(before);
      // a slice of a transposed view
      expect(slice(transpose(x), [1], [3]).toArray()).toEqual([
        [1, 5, 9],
        [2, 6, 10],
      ]);
    });
  });

  fcTest.prop([arbSlice], { numRuns: 80 })(
    "matches a naive index loop, also on a transposed view",
    ([shape, specs, axesPick, viaTranspose]) => {
      tidy(() => {
        const data = Array.from({ length: size(shape) }, (_, i) => i);
        const r = shape.length;
        let x = tensor(data, { shape });
        if (viaTranspose) {
          // store reversed dims, view back: same values, strided
          const rev = shape.slice().reverse();
          const stored = data.map((_, o) => data[ravel(unravel(o, rev).reverse(), shape)]!);
          x = transpose(tensor(stored, { shape: rev }));
        }
        const axes = axesPick.length ? axesPick.map((a, i) => (i % 2 ? a - r : a)) : undefined;
        const used = axesPick.length ? axesPick : shape.map((_, i) => i);
        const ss = used.map((a) => specs[a]!);
        const y = slice(
          x,
          ss.map((s) => s.start),
          ss.map((s) => s.end),
          axes,
          ss.map((s) => s.step),
        );
        const idx = shape.map((d, a) => {
          const s = specs[a]!;
          return used.includes(a) ? refIndices(d, s.start, s.end, s.step) : [...Array(d).keys()];
        });
        const expected = refSlice(data, shape, idx);
        expect(y.shape).toEqual(expected.shape);
        expectClose(y, expected.data, { rtol: 0, atol: 0 });
      });
    },
  );

  it("has the right gradient: dy scattered into zeros", () => {
    const w = tensor([
      [1, -2],
      [3, 0.5],
    ]);
    expectGrad(
      (x) => slice(x!, [2, -1], [0, -Infinity], [0, 1], [-1, -2]).mul(w).sum(),
      [reshape(arange(12), [3, 4]).mul(0.1)],
    );
    const x = tensor([1, 2, 3, 4, 5]);
    const { grads } = valueAndGrad(
      () =>
        slice(x, [1], [5], [0], [2])
          .mul(tensor([10, 20]))
          .sum(),
      [x],
    );
    // elements 1 and 3 were taken, weighted 10 and 20
    expectClose(grads[0]!, [0, 10, 0, 20, 0]);
  });

  it("leaks nothing across forward and backward", () => {
    const x = reshape(arange(12), [3, 4]);
    expectNoLeaks(
      () => {
        const { value, grads } = valueAndGrad(
          () => slice(x, [-1], [-Infinity], [1], [-2]).sum(),
          [x],
        );
        value.dispose();
        grads[0]!.dispose();
      },
      { steps: 50 },
    );
  });

  it("rejects bad arguments with typed errors", () => {
    const x = arange(6);
    expect(() => slice(x, [0], [1], [0], [0])).toThrow(ArgumentError);
    expect(() => slice(x, [0], [1], [0], [0])).toThrow(/slice: steps must not be 0/);
    expect(() => slice(x, [0, 1], [1])).toThrow(/slice: ends must have one entry per sliced axis/);
    expect(() => slice(x, [0], [1], [1])).toThrow(ShapeError);
    expect(() => slice(x, [0], [1], [1])).toThrow(/slice: axis out of range/);
    expect(() => slice(x, [0, 0], [1, 1])).toThrow(/slice: more starts than dims/);
    expect(() => slice(reshape(x, [2, 3]), [0, 0], [1, 1], [1, -1])).toThrow(/slice: axes repeat/);
    expect(() => slice(x, [0.5], [1])).toThrow(/slice: starts must be integers/);
    expect(() => slice(x, [Number.NaN], [1])).toThrow(ArgumentError);
    expect(() => slice(x, [0], [1], [0], [Infinity])).toThrow(ArgumentError);
    expect(() => slice(x, 0 as unknown as number[], [1])).toThrow(ArgumentError);
  });
});
