import {
  ArgumentError,
  DTypeError,
  dequantizeLinear,
  ShapeError,
  tensor,
  tidy,
} from "@edgenn/tensor";
import { arbShape, expectClose, expectGrad, expectNoLeaks, size, unravel } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

const RANGE = { int8: [-128, 127], uint8: [0, 255], int32: [-(2 ** 24), 2 ** 24] } as const;
type QType = keyof typeof RANGE;

describe("dequantizeLinear", () => {
  it("computes (q − zp)·scale in float32 (golden)", () => {
    tidy(() => {
      // int8 [−2, 0, 2, 127], zp 1, scale 0.5 → [−3, −1, 1, 126]·0.5 = [−1.5, −0.5, 0.5, 63]
      const y = dequantizeLinear(tensor([-2, 0, 2, 127], { dtype: "int8" }), 0.5, 1);
      expect(y.dtype).toBe("float32");
      expect(y.toArray()).toEqual([-1.5, -0.5, 0.5, 63]);
      // uint8 [0, 128, 255], zp 128 (tensor), scale 0.1 → [−128, 0, 127]·0.1 = [−12.8, 0, 12.7]
      expectClose(
        dequantizeLinear(
          tensor([0, 128, 255], { dtype: "uint8" }),
          tensor(0.1),
          tensor(128, { dtype: "uint8" }),
        ),
        [-12.8, 0, 12.7],
      );
      // int32 without zero point: [1000000, −5]·0.001 = [1000, −0.005]
      expectClose(
        dequantizeLinear(tensor([1000000, -5], { dtype: "int32" }), 0.001),
        [1000, -0.005],
      );
    });
  });

  it("dequantizes per axis (golden)", () => {
    tidy(() => {
      // axis 0: row 0 (q − 0)·1 = [1, 2]; row 1 (q − 1)·10 = [20, 30]
      const q = tensor(
        [
          [1, 2],
          [3, 4],
        ],
        { dtype: "int8" },
      );
      const zp = tensor([0, 1], { dtype: "int8" });
      expect(dequantizeLinear(q, tensor([1, 10]), zp, { axis: 0 }).toArray()).toEqual([
        [1, 2],
        [20, 30],
      ]);
      // default axis 1: column 0 (q − 0)·1, column 1 (q − 1)·10 → [[1, 10], [3, 30]]
      expect(dequantizeLinear(q, tensor([1, 10]), zp).toArray()).toEqual([
        [1, 10],
        [3, 30],
      ]);
      // a number zero point with a 1-D scale applies to every slice: (q − 2)·[1, 10]
      expect(dequantizeLinear(q, tensor([1, 10]), 2).toArray()).toEqual([
        [-1, 0],
        [1, 20],
      ]);
    });
  });

  fcTest.prop(
    [
      arbShape({ minRank: 1, maxRank: 4, maxDim: 4 }).chain((shape) =>
        fc.integer({ min: -shape.length, max: shape.length - 1 }).chain((ax) => {
          const c = shape[ax < 0 ? ax + shape.length : ax]!;
          return fc.constantFrom<QType>("int8", "uint8", "int32").chain((dtype) => {
            const int = fc.integer({ min: RANGE[dtype][0], max: RANGE[dtype][1] });
            return fc.record({
              shape: fc.constant(shape),
              axis: fc.constant(ax),
              dtype: fc.constant(dtype),
              q: fc.array(int, { minLength: size(shape), maxLength: size(shape) }),
              scale: fc.array(fc.double({ min: -4, max: 4, noNaN: true }).map(Math.fround), {
                minLength: c,
                maxLength: c,
              }),
              zp: fc.array(int, { minLength: c, maxLength: c }),
            });
          });
        }),
      ),
    ],
    { numRuns: 80 },
  )("matches a naive per-axis loop", (p) => {
    tidy(() => {
      const axis = p.axis < 0 ? p.axis + p.shape.length : p.axis;
      const y = dequantizeLinear(
        tensor(p.q, { shape: p.shape, dtype: p.dtype }),
        tensor(p.scale),
        tensor(p.zp, { dtype: p.dtype }),
        { axis: p.axis },
      );
      expect(y.shape).toEqual(p.shape);
      const ref = p.q.map((v, i) => {
        const c = unravel(i, p.shape)[axis]!;
        return (v - p.zp[c]!) * p.scale[c]!;
      });
      expectClose(y, ref, { rtol: 1e-6, atol: 1e-30 });
    });
  });

  it("is differentiable w.r.t. scale: d((q − zp)·s)/ds = q − zp", () => {
    tidy(() => {
      const q = tensor(
        [
          [-3, 5, 7],
          [100, -128, 0],
        ],
        { dtype: "int8" },
      );
      const zp = tensor([1, -2, 0], { dtype: "int8" });
      const w = tensor([
        [0.5, -1, 2],
        [0.25, 0.1, -0.3],
      ]);
      expectGrad((s) => dequantizeLinear(q, s!, zp).mul(w).sum(), [tensor([0.1, 0.02, 0.5])]);
    });
  });

  it("rejects bad input with typed errors naming the op", () => {
    tidy(() => {
      const q = tensor([1, 2, 3], { dtype: "int8" });
      expect(() => dequantizeLinear(tensor([1, 2]), 1)).toThrow(
        /dequantizeLinear: q has dtype float32/,
      );
      expect(() => dequantizeLinear(tensor([true]), 1)).toThrow(DTypeError);
      expect(() => dequantizeLinear(q, 1, tensor(1, { dtype: "uint8" }))).toThrow(
        /dequantizeLinear: zeroPoint has dtype uint8 \(expected int8/,
      );
      expect(() => dequantizeLinear(q, tensor(1, { dtype: "int32" }))).toThrow(DTypeError);
      expect(() => dequantizeLinear(q, tensor([1, 2]), undefined, { axis: 0 })).toThrow(
        /dequantizeLinear: a 1-D scale needs one value per slice along axis 0 \(expected \[3\], got \[2\]/,
      );
      // default axis 1 does not exist on a 1-D q
      expect(() => dequantizeLinear(q, tensor([1, 2, 3]))).toThrow(ShapeError);
      expect(() => dequantizeLinear(q, tensor([[1]]))).toThrow(ShapeError);
      expect(() => dequantizeLinear(q, 1, 128)).toThrow(ArgumentError);
      expect(() => dequantizeLinear(q, 1, undefined, { axis: Number.NaN })).toThrow(ShapeError);
    });
  });

  it("frees its intermediates", () => {
    const q = tensor([[1, 2, 3]], { dtype: "uint8" });
    const scale = tensor([0.5, 1, 2]);
    const zp = tensor([1, 2, 3], { dtype: "uint8" });
    expectNoLeaks(() => dequantizeLinear(q, scale, zp).dispose(), { steps: 50 });
    expectNoLeaks(() => dequantizeLinear(q, 0.5, 3).dispose(), { steps: 50 });
  });
});
