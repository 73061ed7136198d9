import { valueAndGrad } from "@edgenn/autograd";
import {
  ArgumentError,
  arange,
  pad,
  reshape,
  ShapeError,
  tensor,
  tidy,
  transpose,
  zeros,
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

type Mode = "constant" | "reflect" | "edge";

/** The source index of output position j along a dim of size d (−1: the constant fill). */
function refSource(j: number, begin: number, d: number, mode: Mode): number {
  let i = j - begin;
  if (i >= 0 && i < d) return i;
  if (mode === "constant") return -1;
  if (mode === "edge") return i < 0 ? 0 : d - 1;
  // reflect: the mirror sequence 0,1,…,d−1,d−2,…,1 repeats with period 2(d−1)
  if (d === 1) return 0;
  const period = 2 * (d - 1);
  i = ((i % period) + period) % period;
  return i < d ? i : period - i;
}

/** Naive pad: crop negative pads, then read each output element from its source index. */
function refPad(data: number[], shape: number[], pads: number[], mode: Mode, value: number) {
  const r = shape.length;
  // crop first
  const lo = shape.map((_, i) => Math.max(0, -pads[i]!));
  const cropShape = shape.map((d, i) => d - lo[i]! - Math.max(0, -pads[i + r]!));
  const crop = Array.from({ length: size(cropShape) }, (_, o) => {
    const idx = unravel(o, cropShape);
    return data[
      ravel(
        idx.map((v, i) => v + lo[i]!),
        shape,
      )
    ]!;
  });
  const outShape = cropShape.map((d, i) => d + Math.max(0, pads[i]!) + Math.max(0, pads[i + r]!));
  const out = Array.from({ length: size(outShape) }, (_, o) => {
    const idx = unravel(o, outShape);
    const src = idx.map((j, i) => refSource(j, Math.max(0, pads[i]!), cropShape[i]!, mode));
    return src.some((s) => s < 0) ? value : crop[ravel(src, cropShape)]!;
  });
  return { data: out, shape: outShape };
}

describe("pad", () => {
  it("pads with a constant, cropping negative pads (golden)", () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    // pads [rows_begin, cols_begin, rows_end, cols_end] = [1, 0, 0, 2]
    expect(pad(x, [1, 0, 0, 2]).toArray()).toEqual([
      [0, 0, 0, 0],
      [1, 2, 0, 0],
      [3, 4, 0, 0],
    ]);
    expect(pad(x, [0, 1, 0, 0], { value: -1.5 }).toArray()).toEqual([
      [-1.5, 1, 2],
      [-1.5, 3, 4],
    ]);
    // negative: drop the first row, add a column at the end
    expect(pad(x, [-1, 0, 0, 1], { value: 9 }).toArray()).toEqual([[3, 4, 9]]);
    expect(pad(tensor([1, 2, 3], { dtype: "int8" }), [1, 1], { value: -128 }).toArray()).toEqual([
      -128, 1, 2, 3, -128,
    ]);
    expect(pad(zeros([0]), [2, 0], { value: 5 }).toArray()).toEqual([5, 5]);
    expect(pad(x, [-2, 0, 0, 0]).shape).toEqual([0, 2]);
    expect(pad(transpose(x), [0, 0, 0, 1]).toArray()).toEqual([
      [1, 3, 0],
      [2, 4, 0],
    ]);
  });

  it("reflects and repeats edges (golden)", () => {
    const x = tensor([1, 2, 3]);
    // reflect mirrors about the edge element: [3,2 | 1,2,3 | 2,1]
    expect(pad(x, [2, 2], { mode: "reflect" }).toArray()).toEqual([3, 2, 1, 2, 3, 2, 1]);
    // edge repeats it: [1,1 | 1,2,3 | 3]
    expect(pad(x, [2, 1], { mode: "edge" }).toArray()).toEqual([1, 1, 1, 2, 3, 3]);
    // ONNX Pad example (reflect, pads [0,2,0,0])
    const m = tensor([
      [1.0, 1.2],
      [2.3, 3.4],
      [4.5, 5.7],
    ]);
    expectClose(
      pad(m, [0, 2, 0, 0], { mode: "reflect" }),
      [1.0, 1.2, 1.0, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7, 4.5, 5.7],
    );
    expectClose(
      pad(m, [0, 2, 0, 0], { mode: "edge" }),
      [1.0, 1.0, 1.0, 1.2, 2.3, 2.3, 2.3, 3.4, 4.5, 4.5, 4.5, 5.7],
    );
    // wider than the dim: the reflection keeps bouncing (NumPy)
    expect(pad(tensor([1, 2]), [3, 0], { mode: "reflect" }).toArray()).toEqual([2, 1, 2, 1, 2]);
    expect(pad(tensor([7]), [2, 1], { mode: "reflect" }).toArray()).toEqual([7, 7, 7, 7]);
    // crop then reflect: [1,2,3,4] without its first element → [2,3,4], reflected 1 each side
    expect(pad(tensor([1, 2, 3, 4]), [-1, 1], { mode: "reflect" }).toArray()).toEqual([2, 3, 4, 3]);
  });

  fcTest.prop(
    [
      arbShape({ minRank: 1, maxRank: 3, maxDim: 4 }).chain((shape) =>
        fc.tuple(
          fc.constant(shape),
          fc.array(fc.integer({ min: -1, max: 3 }), {
            minLength: 2 * shape.length,
            maxLength: 2 * shape.length,
          }),
          fc.constantFrom<Mode>("constant", "reflect", "edge"),
        ),
      ),
    ],
    { numRuns: 80 },
  )("matches a naive index loop", ([shape, pads, mode]) => {
    const r = shape.length;
    // a dim cropped to nothing cannot be reflected; skip those draws
    const kept = shape.map((d, i) => d - Math.max(0, -pads[i]!) - Math.max(0, -pads[i + r]!));
    fc.pre(kept.every((k) => k > 0));
    tidy(() => {
      const data = Array.from({ length: size(shape) }, (_, i) => i + 1);
      const y = pad(tensor(data, { shape }), pads, { mode, value: -7 });
      const expected = refPad(data, shape, pads, mode, -7);
      expect(y.shape).toEqual(expected.shape);
      expectClose(y, expected.data, { rtol: 0, atol: 0 });
    });
  });

  it("has the right gradient in every mode", () => {
    const x = reshape(arange(6), [2, 3]).mul(0.1);
    const w = (shape: number[]) =>
      reshape(arange(size(shape)), shape)
        .mul(0.3)
        .add(-1);
    expectGrad(
      (x) =>
        pad(x!, [1, -1, 0, 2])
          .mul(w([3, 4]))
          .sum(),
      [x],
    );
    expectGrad(
      (x) =>
        pad(x!, [1, 2, 1, 1], { mode: "reflect" })
          .mul(w([4, 6]))
          .sum(),
      [x],
    );
    expectGrad(
      (x) =>
        pad(x!, [0, 2, 1, -1], { mode: "edge" })
          .mul(w([3, 4]))
          .sum(),
      [x],
    );
    const v = tensor([1, 2, 3]);
    const { grads } = valueAndGrad(() => pad(v, [2, 2], { mode: "reflect" }).sum(), [v]);
    // [3,2,1,2,3,2,1] uses x0 twice, x1 three times, x2 twice
    expectClose(grads[0]!, [2, 3, 2]);
  });

  it("leaks nothing across forward and backward", () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    expectNoLeaks(
      () => {
        const { value, grads } = valueAndGrad(
          () => pad(x, [1, 1, 0, 1], { mode: "reflect" }).sum(),
          [x],
        );
        value.dispose();
        grads[0]!.dispose();
      },
      { steps: 30 },
    );
  });

  it("rejects bad pads, modes and values", () => {
    const x = zeros([2, 3]);
    expect(() => pad(x, [1, 1])).toThrow(ShapeError);
    expect(() => pad(x, [1, 1])).toThrow(/pad: pads must have 2·rank entries \(expected 4/);
    expect(() => pad(x, [0, 0, 0, 1.5])).toThrow(ArgumentError);
    expect(() => pad(x, [-2, 0, -1, 0])).toThrow(/pad: pads crop more than the dim holds/);
    expect(() => pad(x, [0, 0, 0, 0], { mode: "wrap" as "edge" })).toThrow(/pad: unknown mode/);
    expect(() => pad(x, [0, 0, 0, 0], { value: Number.NaN })).toThrow(ArgumentError);
    expect(() => pad(zeros([2], "uint8"), [1, 0], { value: -1 })).toThrow(
      /pad: value -1 does not fit dtype uint8/,
    );
    expect(() => pad(zeros([2], "int32"), [1, 0], { value: 0.5 })).toThrow(ArgumentError);
    expect(() => pad(zeros([0, 2]), [1, 0, 0, 0], { mode: "reflect" })).toThrow(ShapeError);
    expect(() => pad(zeros([2, 2]), [-2, 0, 1, 0], { mode: "edge" })).toThrow(
      /pad: cannot edge-pad a dim with no elements left/,
    );
  });
});
