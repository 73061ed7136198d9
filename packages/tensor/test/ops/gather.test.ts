import { valueAndGrad } from "@edgenn/autograd";
import {
  ArgumentError,
  arange,
  DTypeError,
  gather,
  reshape,
  ShapeError,
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

/** Naive ONNX Gather: y[p…, i…, q…] = x[p…, wrap(idx[i…]), q…]. */
function refGather(
  data: readonly number[],
  shape: readonly number[],
  idx: readonly number[],
  idxShape: readonly number[],
  axis: number,
) {
  const outShape = [...shape.slice(0, axis), ...idxShape, ...shape.slice(axis + 1)];
  const out = Array.from({ length: size(outShape) }, (_, o) => {
    const m = unravel(o, outShape);
    const i = idx[ravel(m.slice(axis, axis + idxShape.length), idxShape)]!;
    const src = [
      ...m.slice(0, axis),
      i < 0 ? i + shape[axis]! : i,
      ...m.slice(axis + idxShape.length),
    ];
    return data[ravel(src, shape)]!;
  });
  return { data: out, shape: outShape };
}

describe("gather", () => {
  it("takes slices at the indices (golden)", () => {
    const x = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    // ONNX example: rows [0,1] and [1,2] → [[[1,2],[3,4]],[[3,4],[5,6]]]
    expect(
      gather(
        x,
        [
          [0, 1],
          [1, 2],
        ],
        0,
      ).toArray(),
    ).toEqual([
      [
        [1, 2],
        [3, 4],
      ],
      [
        [3, 4],
        [5, 6],
      ],
    ]);
    // negative indices wrap: -1 → 2, -3 → 0
    expect(gather(x, [-1, -3]).toArray()).toEqual([
      [5, 6],
      [1, 2],
    ]);
    // along axis 1, with an int32 tensor of indices and repeats
    expect(gather(x, tensor([1, 1, 0], { dtype: "int32" }), 1).toArray()).toEqual([
      [2, 2, 1],
      [4, 4, 3],
      [6, 6, 5],
    ]);
    // a scalar index drops the axis
    expect(gather(x, 1, -1).toArray()).toEqual([2, 4, 6]);
    expect(gather(x, [], 0).shape).toEqual([0, 2]);
    // strided x and int8 / uint8 indices
    expect(gather(transpose(x), tensor([2], { dtype: "uint8" }), 1).toArray()).toEqual([[5], [6]]);
    expect(gather(tensor([true, false]), tensor([1, 0], { dtype: "int8" })).toArray()).toEqual([
      0, 1,
    ]);
  });

  fcTest.prop(
    [
      arbShape({ minRank: 1, maxRank: 3, maxDim: 4 }).chain((shape) =>
        fc.integer({ min: 0, max: shape.length - 1 }).chain((axis) =>
          arbShape({ maxRank: 2, maxDim: 3 }).chain((idxShape) =>
            fc.tuple(
              fc.constant(shape),
              fc.constant(axis),
              fc.constant(idxShape),
              fc.array(fc.integer({ min: -shape[axis]!, max: shape[axis]! - 1 }), {
                minLength: size(idxShape),
                maxLength: size(idxShape),
              }),
            ),
          ),
        ),
      ),
    ],
    { numRuns: 60 },
  )("matches a naive index loop", ([shape, axis, idxShape, idx]) => {
    tidy(() => {
      const data = Array.from({ length: size(shape) }, (_, i) => i);
      const y = gather(
        tensor(data, { shape }),
        tensor(idx, { shape: idxShape, dtype: "int32" }),
        axis,
      );
      const expected = refGather(data, shape, idx, idxShape, axis);
      expect(y.shape).toEqual(expected.shape);
      expectClose(y, expected.data, { rtol: 0, atol: 0 });
    });
  });

  it("has the right gradient: repeated indices add up", () => {
    const x = reshape(arange(6), [3, 2]).mul(0.5);
    expectGrad(
      (x) =>
        gather(x!, [2, 0, 2, -1], 0)
          .mul(reshape(arange(8), [4, 2]))
          .sum(),
      [x],
    );
    expectGrad(
      (x) =>
        gather(transpose(x!), [[1], [0]], 1)
          .mul(tensor([[[1]], [[-2]]]))
          .sum(),
      [x],
    );
    const v = tensor([1, 2, 3]);
    const { grads } = valueAndGrad(() => gather(v, [0, 2, 2, -1]).sum(), [v]);
    // index 0 once, index 2 three times (2, 2, −1)
    expectClose(grads[0]!, [1, 0, 3]);
  });

  it("leaks nothing across forward and backward", () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    expectNoLeaks(
      () => {
        const { value, grads } = valueAndGrad(() => gather(x, [1, -1, 0]).sum(), [x]);
        value.dispose();
        grads[0]!.dispose();
      },
      { steps: 50 },
    );
  });

  it("rejects out-of-range and non-integer indices, bad axes and dtypes", () => {
    const x = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(() => gather(x, [0, 3])).toThrow(ShapeError);
    expect(() => gather(x, [0, 3])).toThrow(
      /gather: index 3 at position 1 is out of range \(expected in \[-3, 2\]/,
    );
    expect(() => gather(x, [-4])).toThrow(/gather: index -4/);
    expect(() => gather(x, tensor([2], { dtype: "int32" }), 1)).toThrow(/gather: index 2/);
    expect(() => gather(x, [0.5])).toThrow(ArgumentError);
    expect(() => gather(x, [[0], [1, 2]])).toThrow(/gather: ragged indices/);
    expect(() => gather(x, tensor([0]))).toThrow(DTypeError);
    expect(() => gather(x, tensor([0]))).toThrow(/gather: indices has dtype float32/);
    expect(() => gather(x, [0], 2)).toThrow(/gather: axis out of range/);
    expect(() => gather(tensor(1), [0])).toThrow(ShapeError);
    expect(() => gather(x, "0" as unknown as number)).toThrow(ArgumentError);
    expect(() => gather([1, 2] as unknown as never, [0])).toThrow(/gather: x must be a Tensor/);
  });
});
