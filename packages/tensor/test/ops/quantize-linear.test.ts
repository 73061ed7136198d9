import { valueAndGrad } from "@edgenn/autograd";
import {
  ArgumentError,
  cast,
  DTypeError,
  dequantizeLinear,
  quantizeLinear,
  ShapeError,
  tensor,
  tidy,
} from "@edgenn/tensor";
import { arbShape, arbValues, expectNoLeaks, size, unravel } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/** Round half to even, written from Math.round (which rounds half up): fix the odd ties. */
function roundHalfEvenRef(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const RANGE = { int8: [-128, 127], uint8: [0, 255] } as const;

/** Naive per-axis quantization: y[i] = clamp(round(x/scale[c]) + zp[c]) with c = i's index on axis. */
function refQuantize(
  x: readonly number[],
  shape: readonly number[],
  axis: number,
  scale: readonly number[],
  zp: readonly number[],
  dtype: "int8" | "uint8",
): number[] {
  const [lo, hi] = RANGE[dtype];
  return x.map((v, i) => {
    const c = scale.length === 1 ? 0 : unravel(i, shape)[axis]!;
    // x / scale as float32 arithmetic does it
    const q = roundHalfEvenRef(Math.fround(Math.fround(v) / Math.fround(scale[c]!))) + zp[c]!;
    return Math.min(hi, Math.max(lo, q));
  });
}

describe("quantizeLinear", () => {
  it("rounds half to even and saturates (golden)", () => {
    tidy(() => {
      // [−1.2, 0.25, 0.75, 300] / 0.5 = [−2.4, 0.5, 1.5, 600] → round½even [−2, 0, 2, 600]
      // → int8 saturates 600 to 127
      const q = quantizeLinear(tensor([-1.2, 0.25, 0.75, 300]), 0.5);
      expect(q.dtype).toBe("int8");
      expect(q.toArray()).toEqual([-2, 0, 2, 127]);
      // ties go to the even neighbour: ±0.5 → 0, ±1.5 → ±2, ±2.5 → ±2, 3.5 → 4
      expect(quantizeLinear(tensor([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5]), 1).toArray()).toEqual([
        0, 2, 2, 4, 0, -2, -2,
      ]);
      // saturation at both ends; NaN → 0 (cast), ±∞ → the range ends
      expect(
        quantizeLinear(tensor([-1000, 1000, Number.NaN, Infinity, -Infinity]), 1).toArray(),
      ).toEqual([-128, 127, 0, 127, -128]);
    });
  });

  it("adds the zero point and supports uint8", () => {
    tidy(() => {
      // uint8, zp 128, scale 1: [−1, 0, 1, 200, −300] → [127, 128, 129, 328 → 255, −172 → 0]
      const q = quantizeLinear(tensor([-1, 0, 1, 200, -300]), 1, 128, { dtype: "uint8" });
      expect(q.dtype).toBe("uint8");
      expect(q.toArray()).toEqual([127, 128, 129, 255, 0]);
      // int8 zero point tensor −3, scale 0.5: [1, 2] → [2 − 3, 4 − 3] = [−1, 1]
      const zp = tensor(-3, { dtype: "int8" });
      expect(quantizeLinear(tensor([1, 2]), tensor(0.5), zp).toArray()).toEqual([-1, 1]);
      // the zero point is added before saturating: 127.4 → 127, + (−3) = 124
      expect(quantizeLinear(tensor([127.4]), 1, zp).toArray()).toEqual([124]);
    });
  });

  it("quantizes per axis (golden)", () => {
    tidy(() => {
      // axis 1, scale [1, 0.5, 0.25], zp [0, 1, −1]:
      // col 0: [1, 2]/1 = [1, 2]; col 1: [1, −2]/0.5 + 1 = [3, −3]; col 2: [1, 0.3]/0.25 − 1 =
      // [4 − 1, round(1.2) − 1] = [3, 0]
      const x = tensor([
        [1, 1, 1],
        [2, -2, 0.3],
      ]);
      const scale = tensor([1, 0.5, 0.25]);
      const zp = tensor([0, 1, -1], { dtype: "int8" });
      const e = [
        [1, 3, 3],
        [2, -3, 0],
      ];
      expect(quantizeLinear(x, scale, zp).toArray()).toEqual(e);
      expect(quantizeLinear(x, scale, zp, { axis: -1 }).toArray()).toEqual(e);
      // axis 0, scale [1, 2]: row 0 /1, row 1 /2 → [[1, 1, 1], [1, −1, round(0.15) = 0]]
      expect(quantizeLinear(x, tensor([1, 2]), undefined, { axis: 0 }).toArray()).toEqual([
        [1, 1, 1],
        [1, -1, 0],
      ]);
      // a scalar scale ignores axis, even one out of range for x
      expect(quantizeLinear(tensor([3]), 2, undefined, { axis: 5 }).toArray()).toEqual([2]);
    });
  });

  fcTest.prop(
    [
      fc
        .record({
          dtype: fc.constantFrom("int8" as const, "uint8" as const),
          scale: fc.double({ min: 1e-3, max: 100, noNaN: true }).map(Math.fround),
          n: fc.integer({ min: 1, max: 40 }),
        })
        .chain(({ dtype, scale, n }) => {
          const [lo, hi] = RANGE[dtype];
          return fc.record({
            dtype: fc.constant(dtype),
            scale: fc.constant(scale),
            zp: fc.integer({ min: lo, max: hi }),
            // fractions of the representable range [(lo − zp)·s, (hi − zp)·s]
            t: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }),
          });
        }),
    ],
    { numRuns: 80 },
  )("|x − deq(q(x))| ≤ scale/2 inside the representable range", ({ dtype, scale, zp, t }) => {
    tidy(() => {
      const [lo, hi] = RANGE[dtype];
      const x = t.map((f) => Math.fround((lo - zp + f * (hi - lo)) * scale));
      const zpT = tensor(zp, { dtype });
      const q = quantizeLinear(tensor(x), scale, zpT, { dtype });
      const back = dequantizeLinear(q, scale, zpT).dataSync();
      x.forEach((v, i) => {
        // float32 division/multiplication add a few ulps on top of the rounding error
        const budget = (scale / 2) * (1 + 1e-5) + Math.abs(v) * 1e-6;
        const err = Math.abs(v - back[i]!);
        if (!(err <= budget)) expect.fail(`x = ${v}: error ${err} > ${budget} (scale ${scale})`);
      });
    });
  });

  fcTest.prop(
    [
      arbShape({ minRank: 1, maxRank: 4, maxDim: 4 }).chain((shape) =>
        fc.integer({ min: -shape.length, max: shape.length - 1 }).chain((ax) => {
          const axis = ax < 0 ? ax + shape.length : ax;
          const c = shape[axis]!;
          return fc.constantFrom("int8" as const, "uint8" as const).chain((dtype) =>
            fc.record({
              shape: fc.constant(shape),
              axis: fc.constant(ax),
              dtype: fc.constant(dtype),
              x: arbValues(size(shape), { min: -200, max: 200 }),
              scale: arbValues(c, { min: 0.05, max: 4 }).map((s) =>
                s.map((v) => Math.max(v, 0.05)),
              ),
              zp: fc.array(fc.integer({ min: RANGE[dtype][0], max: RANGE[dtype][1] }), {
                minLength: c,
                maxLength: c,
              }),
            }),
          );
        }),
      ),
    ],
    { numRuns: 80 },
  )("matches a naive per-axis loop", (p) => {
    tidy(() => {
      const axis = p.axis < 0 ? p.axis + p.shape.length : p.axis;
      const q = quantizeLinear(
        tensor(p.x, { shape: p.shape }),
        tensor(p.scale),
        tensor(p.zp, { dtype: p.dtype }),
        { axis: p.axis, dtype: p.dtype },
      );
      expect(q.dtype).toBe(p.dtype);
      expect(q.shape).toEqual(p.shape);
      expect(Array.from(q.dataSync())).toEqual(
        refQuantize(p.x, p.shape, axis, p.scale, p.zp, p.dtype),
      );
    });
  });

  it("is not differentiable: nothing is recorded", () => {
    tidy(() => {
      const x = tensor([0.3, 1.7]);
      const { grads } = valueAndGrad(
        () =>
          cast(quantizeLinear(x, 0.5), "float32")
            .mul(tensor([1, 2]))
            .sum(),
        [x],
      );
      expect(grads[0]!.toArray()).toEqual([0, 0]);
    });
  });

  it("rejects bad input with typed errors naming the op", () => {
    tidy(() => {
      const x = tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      for (const s of [0, -1, Number.NaN, Infinity]) {
        expect(() => quantizeLinear(x, s)).toThrow(ArgumentError);
      }
      expect(() => quantizeLinear(x, tensor([1, 0, 2]))).toThrow(
        /quantizeLinear: scale must be positive and finite \(got 0 at index 1/,
      );
      expect(() => quantizeLinear(x, tensor([1, 2, 3], { dtype: "int32" }))).toThrow(DTypeError);
      expect(() => quantizeLinear(x, tensor([[1, 2, 3]]))).toThrow(ShapeError);
      expect(() => quantizeLinear(x, tensor([1, 2]))).toThrow(
        /quantizeLinear: a 1-D scale needs one value per slice along axis 1 \(expected \[3\], got \[2\]/,
      );
      expect(() => quantizeLinear(x, tensor([1, 2]), undefined, { axis: 2 })).toThrow(
        /quantizeLinear: axis out of range/,
      );
      expect(() => quantizeLinear(x, 1, undefined, { axis: 0.5 })).toThrow(ShapeError);
      expect(() => quantizeLinear(x, 1, tensor(3, { dtype: "uint8" }))).toThrow(
        /quantizeLinear: zeroPoint has dtype uint8 \(expected int8/,
      );
      expect(() => quantizeLinear(x, 1, tensor(3, { dtype: "int8" }), { dtype: "uint8" })).toThrow(
        DTypeError,
      );
      expect(() => quantizeLinear(x, tensor([1, 1, 1]), tensor([0, 0], { dtype: "int8" }))).toThrow(
        /quantizeLinear: zeroPoint must have scale's shape/,
      );
      expect(() => quantizeLinear(x, 1, tensor([0], { dtype: "int8" }))).toThrow(ShapeError);
      expect(() => quantizeLinear(x, 1, 200)).toThrow(
        /quantizeLinear: zeroPoint does not fit int8 \(expected an integer in \[-128, 127\], got 200\)/,
      );
      expect(() => quantizeLinear(x, 1, -1, { dtype: "uint8" })).toThrow(ArgumentError);
      expect(() => quantizeLinear(x, 1, 1.5)).toThrow(ArgumentError);
      expect(() =>
        quantizeLinear(x, 1, undefined, { dtype: "int32" as unknown as "int8" }),
      ).toThrow(/quantizeLinear: dtype must be int8 or uint8/);
      expect(() => quantizeLinear(x, 1, undefined, { dtype: "int4" as unknown as "int8" })).toThrow(
        DTypeError,
      );
      expect(() => quantizeLinear(tensor([1], { dtype: "int32" }), 1)).toThrow(DTypeError);
    });
  });

  it("frees its intermediates", () => {
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const scale = tensor([0.5, 1, 2]);
    const zp = tensor([1, 2, 3], { dtype: "int8" });
    expectNoLeaks(() => quantizeLinear(x, scale, zp).dispose(), { steps: 50 });
    expectNoLeaks(() => quantizeLinear(x, 0.1, 3, { dtype: "uint8" }).dispose(), { steps: 50 });
  });
});
