/*
 * The elementwise two-input ops, table-driven: the arithmetic ops sub mul div pow maximum minimum
 * (add has its own file), each with a float64 reference on float32-rounded operands, and the
 * comparisons equal greater less greaterEqual lessEqual, which yield bool.
 */
import {
  type DType,
  DTypeError,
  div,
  equal,
  greater,
  greaterEqual,
  less,
  lessEqual,
  maximum,
  minimum,
  mul,
  pow,
  ShapeError,
  sub,
  type Tensor,
  tensor,
  tidy,
} from "@edgenn/tensor";
import {
  arbBroadcastShapes,
  arbValues,
  expectClose,
  expectGrad,
  refBinary,
  size,
} from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

type Op = (a: Tensor | number, b: Tensor | number) => Tensor;

interface Row {
  readonly name: string;
  readonly op: Op;
  readonly ref: (a: number, b: number) => number;
  /** Operand ranges where the op is smooth (for the property test and the gradient check). */
  readonly a: { min: number; max: number; awayFrom?: number };
  readonly b: { min: number; max: number; awayFrom?: number };
  readonly integer: boolean;
}

const ROWS: readonly Row[] = [
  {
    name: "sub",
    op: sub,
    ref: (a, b) => a - b,
    a: { min: -5, max: 5 },
    b: { min: -5, max: 5 },
    integer: true,
  },
  {
    name: "mul",
    op: mul,
    ref: (a, b) => a * b,
    a: { min: -5, max: 5 },
    b: { min: -5, max: 5 },
    integer: true,
  },
  {
    name: "div",
    op: div,
    ref: (a, b) => a / b,
    a: { min: -5, max: 5 },
    b: { min: -5, max: 5, awayFrom: 0.5 },
    integer: true,
  },
  {
    name: "pow",
    op: pow,
    ref: (a, b) => a ** b,
    a: { min: 0.2, max: 3 },
    b: { min: -2, max: 2 },
    integer: false,
  },
  {
    name: "maximum",
    op: maximum,
    ref: Math.max,
    a: { min: -5, max: 5 },
    b: { min: -5, max: 5 },
    integer: true,
  },
  {
    name: "minimum",
    op: minimum,
    ref: Math.min,
    a: { min: -5, max: 5 },
    b: { min: -5, max: 5 },
    integer: true,
  },
];

describe.each(ROWS)("$name", (row) => {
  fcTest.prop(
    [
      arbBroadcastShapes(3, 4).chain(([sa, sb]) =>
        fc.tuple(
          fc.constant(sa),
          fc.constant(sb),
          arbValues(size(sa), row.a),
          arbValues(size(sb), row.b),
        ),
      ),
    ],
    { numRuns: 30 },
  )("matches a naive broadcasting loop", ([sa, sb, da, db]) => {
    tidy(() => {
      const expected = refBinary(da, sa, db, sb, (x, y) => row.ref(Math.fround(x), Math.fround(y)));
      const y = row.op(tensor(da, { shape: sa }), tensor(db, { shape: sb }));
      expect(y.shape).toEqual(expected.shape);
      expect(y.dtype).toBe("float32");
      expectClose(y, expected.data, { rtol: 2e-6, atol: 1e-7 });
    });
  });

  it("matches central differences, summed back over broadcast dims", () => {
    tidy(() => {
      const pick = (r: Row["a"], fs: number[]): number[] =>
        fs.map((f) => {
          const v = r.min + f * (r.max - r.min);
          return Math.abs(v) < (r.awayFrom ?? 0) ? v + 2 * r.awayFrom! : v;
        });
      // a [2,3] against b [3] (broadcast over rows) and against a scalar b
      const a = tensor(pick(row.a, [0.1, 0.25, 0.4, 0.55, 0.7, 0.85]), { shape: [2, 3] });
      const b = tensor(pick(row.b, [0.15, 0.45, 0.9]));
      const w = tensor([
        [1, -2, 0.5],
        [3, 0.25, -1],
      ]);
      expectGrad((x, y) => row.op(x!, y!).mul(w).sum(), [a, b]);
      expectGrad((x, y) => row.op(x!, y!).mul(w).sum(), [a, tensor(pick(row.b, [0.8])[0]!)]);
    });
  });

  it("takes a number as a scalar of the other operand's dtype", () => {
    tidy(() => {
      const y = row.op(tensor([1.5, 2.5]), 2);
      expectClose(y, [row.ref(1.5, 2), row.ref(2.5, 2)]);
      const z = row.op(2, tensor([1.5, 2.5]));
      expectClose(z, [row.ref(2, 1.5), row.ref(2, 2.5)]);
    });
  });

  it("rejects shapes that do not broadcast, mixed dtypes and bool, naming the op", () => {
    tidy(() => {
      expect(() => row.op(tensor([1, 2, 3]), tensor([1, 2]))).toThrow(ShapeError);
      expect(() => row.op(tensor([1, 2, 3]), tensor([1, 2]))).toThrow(
        new RegExp(`^${row.name}: shapes do not broadcast.*\\[3\\] and \\[2\\]`),
      );
      expect(() => row.op(tensor([1]), tensor([1], { dtype: "int32" }))).toThrow(DTypeError);
      expect(() => row.op(tensor([1]), tensor([1], { dtype: "int32" }))).toThrow(
        new RegExp(`^${row.name}: operands have different dtypes`),
      );
      expect(() => row.op(tensor([true]), tensor([false]))).toThrow(
        new RegExp(`^${row.name}: a has dtype bool`),
      );
      if (!row.integer) {
        expect(() =>
          row.op(tensor([1], { dtype: "int32" }), tensor([1], { dtype: "int32" })),
        ).toThrow(new RegExp(`^${row.name}: a has dtype int32 \\(expected float32`));
      }
    });
  });

  if (row.integer) {
    it("computes in int32 and int8", () => {
      tidy(() => {
        const as = [-7, 7, -7, 9, 0, 100];
        const bs = [2, -2, -2, 3, 5, 1];
        for (const dtype of ["int32", "int8"] as DType[]) {
          const y = row.op(tensor(as, { dtype }), tensor(bs, { dtype }));
          expect(y.dtype).toBe(dtype);
          // integer results truncate toward zero (only div produces fractions)
          expect(y.toArray()).toEqual(as.map((a, i) => Math.trunc(row.ref(a, bs[i]!)) + 0));
        }
      });
    });
  }
});

describe("integer arithmetic (golden)", () => {
  it("div truncates toward zero: −7/2 = −3, 7/−2 = −3, −7/−2 = 3, and x/0 = 0", () => {
    tidy(() => {
      const a = tensor([-7, 7, -7, 7, 6, 5, -5], { dtype: "int32" });
      const b = tensor([2, -2, -2, 2, 3, 0, 0], { dtype: "int32" });
      const y = div(a, b);
      expect(y.dtype).toBe("int32");
      expect(y.toArray()).toEqual([-3, -3, 3, 3, 2, 0, 0]);
      expect(div(tensor([-7], { dtype: "int8" }), 2).toArray()).toEqual([-3]);
      expect(div(tensor([255, 7], { dtype: "uint8" }), 2).toArray()).toEqual([127, 3]);
    });
  });

  it("sub keeps int32 and broadcasts a number", () => {
    tidy(() => {
      // [5, −3] − 2 = [3, −5]; 2 − [5, −3] = [−3, 5]
      const x = tensor([5, -3], { dtype: "int32" });
      expect(sub(x, 2).toArray()).toEqual([3, -5]);
      expect(sub(2, x).toArray()).toEqual([-3, 5]);
      expect(sub(x, 2).dtype).toBe("int32");
    });
  });
});

describe("float edge cases (golden)", () => {
  it("div by zero gives ±∞ and NaN", () => {
    tidy(() => {
      // 1/0 = ∞, −1/0 = −∞, 0/0 = NaN
      expectClose(div(tensor([1, -1, 0]), 0), [Infinity, -Infinity, Number.NaN]);
    });
  });

  it("pow follows ONNX Pow: 0⁰ = 1, (−2)³ = −8, (−8)^⅓ = NaN, 4^−½ = ½", () => {
    tidy(() => {
      expectClose(pow(tensor([0, -2, -8, 4]), tensor([0, 3, 1 / 3, -0.5])), [
        1,
        -8,
        Number.NaN,
        0.5,
      ]);
    });
  });

  it("pow's gradient in a is 0 where b = 0, even at a = 0, and exact for a negative base", () => {
    tidy(() => {
      // d(aᵇ)/da = b·aᵇ⁻¹: at (0, 0) → 0 (not 0·0⁻¹ = NaN), at (−2, 3) → 3·4 = 12, (1.5, 2) → 3
      const b = tensor([0, 3, 2]);
      expectGrad((a) => pow(a!, b).sum(), [tensor([0, -2, 1.5])]);
    });
  });

  it("maximum and minimum propagate NaN", () => {
    tidy(() => {
      const a = tensor([Number.NaN, 1, 2]);
      const b = tensor([0, Number.NaN, 1]);
      expectClose(maximum(a, b), [Number.NaN, Number.NaN, 2]);
      expectClose(minimum(a, b), [Number.NaN, Number.NaN, 1]);
    });
  });
});

const COMPARISONS = [
  { name: "equal", op: equal, ref: (a: number, b: number) => a === b },
  { name: "greater", op: greater, ref: (a: number, b: number) => a > b },
  { name: "less", op: less, ref: (a: number, b: number) => a < b },
  { name: "greaterEqual", op: greaterEqual, ref: (a: number, b: number) => a >= b },
  { name: "lessEqual", op: lessEqual, ref: (a: number, b: number) => a <= b },
] as const;

describe.each(COMPARISONS)("$name", ({ name, op, ref }) => {
  // small integers, so that equal values are common
  const arbInts = (n: number) =>
    fc.array(fc.integer({ min: -2, max: 2 }), { minLength: n, maxLength: n });

  fcTest.prop(
    [
      arbBroadcastShapes(3, 4).chain(([sa, sb]) =>
        fc.tuple(fc.constant(sa), fc.constant(sb), arbInts(size(sa)), arbInts(size(sb))),
      ),
      fc.constantFrom<DType>("float32", "int32", "int8", "uint8"),
    ],
    { numRuns: 30 },
  )(
    "matches a naive broadcasting loop, as bool, for every numeric dtype",
    ([sa, sb, da, db], dtype) => {
      tidy(() => {
        const fix = (v: number) => (dtype === "uint8" ? v + 2 : v);
        const a = da.map(fix);
        const b = db.map(fix);
        const expected = refBinary(a, sa, b, sb, (x, y) => (ref(x, y) ? 1 : 0));
        const y = op(tensor(a, { shape: sa, dtype }), tensor(b, { shape: sb, dtype }));
        expect(y.dtype).toBe("bool");
        expect(y.shape).toEqual(expected.shape);
        expect(Array.from(y.dataSync())).toEqual(expected.data);
      });
    },
  );

  it("compares bools, numbers and NaN (NaN compares false)", () => {
    tidy(() => {
      const t = tensor([true, true, false, false]);
      const f = tensor([true, false, true, false]);
      expect(op(t, f).toArray()).toEqual(
        [
          [1, 1],
          [1, 0],
          [0, 1],
          [0, 0],
        ].map(([x, y]) => (ref(x!, y!) ? 1 : 0)),
      );
      // a number takes the tensor's dtype; on the left too
      expect(op(tensor([1, 2, 3]), 2).toArray()).toEqual([1, 2, 3].map((v) => (ref(v, 2) ? 1 : 0)));
      expect(op(2, tensor([1, 2, 3])).toArray()).toEqual([1, 2, 3].map((v) => (ref(2, v) ? 1 : 0)));
      expect(op(tensor([Number.NaN, Number.NaN]), tensor([Number.NaN, 1])).toArray()).toEqual([
        0, 0,
      ]);
    });
  });

  it("rejects mixed dtypes and shapes that do not broadcast, naming the op", () => {
    tidy(() => {
      expect(() => op(tensor([1]), tensor([1], { dtype: "int32" }))).toThrow(DTypeError);
      expect(() => op(tensor([1]), tensor([true]))).toThrow(
        new RegExp(`^${name}: operands have different dtypes`),
      );
      expect(() => op(tensor([1, 2]), tensor([1, 2, 3]))).toThrow(ShapeError);
      expect(() => op(tensor([1, 2]), tensor([1, 2, 3]))).toThrow(new RegExp(`^${name}: `));
    });
  });
});

describe("comparisons (golden)", () => {
  it("broadcast a column against a row", () => {
    tidy(() => {
      // [[1],[2],[3]] vs [1,2,3]: the 3×3 comparison tables
      const a = tensor([[1], [2], [3]]);
      const b = tensor([1, 2, 3]);
      expect(equal(a, b).toArray()).toEqual([
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ]);
      expect(greater(a, b).toArray()).toEqual([
        [0, 0, 0],
        [1, 0, 0],
        [1, 1, 0],
      ]);
      expect(lessEqual(a, b).toArray()).toEqual([
        [1, 1, 1],
        [0, 1, 1],
        [0, 0, 1],
      ]);
    });
  });

  it("are not differentiable: the gradient through them is zero", () => {
    tidy(() => {
      // f = Σ [x > 0]·x ⇒ df/dx = [x > 0] away from 0: nothing flows back through the comparison
      expectGrad((x) => greater(x!, 0).cast("float32").mul(x!).sum(), [tensor([-1.5, 0.5, 2])]);
    });
  });
});
