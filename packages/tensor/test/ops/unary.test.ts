/*
 * The elementwise one-input ops, table-driven: neg abs exp log sqrt square sign relu sigmoid tanh
 * softplus. Each row gives a float64 reference formula (written here, independent of the kernels),
 * the input domain where it is smooth, and its golden values.
 */
import {
  abs,
  type DType,
  DTypeError,
  exp,
  log,
  neg,
  relu,
  sigmoid,
  sign,
  softplus,
  sqrt,
  square,
  type Tensor,
  tanh,
  tensor,
  tidy,
} from "@edgenn/tensor";
import { arbTensorData, expectClose, expectGrad } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";

interface Row {
  readonly name: string;
  readonly op: (x: Tensor | number) => Tensor;
  /** float64 reference. */
  readonly ref: (x: number) => number;
  /** Inputs for the property test and the gradient check (smooth there). */
  readonly domain: { min: number; max: number; awayFrom?: number };
  /** [input, expected] pairs with their derivation. */
  readonly golden: readonly [number[], number[]];
  /** Takes integer dtypes too. */
  readonly integer: boolean;
}

const refSigmoid = (x: number): number =>
  x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
const refSoftplus = (x: number): number =>
  x > 30 ? x + Math.exp(-x) : x < -30 ? Math.exp(x) : Math.log(1 + Math.exp(x));

const ROWS: readonly Row[] = [
  // −[1, −2.5, 0] = [−1, 2.5, −0]
  {
    name: "neg",
    op: neg,
    ref: (x) => -x,
    domain: { min: -5, max: 5 },
    golden: [
      [1, -2.5, 0],
      [-1, 2.5, -0],
    ],
    integer: true,
  },
  // |[−1.5, 2, 0]| = [1.5, 2, 0]
  {
    name: "abs",
    op: abs,
    ref: Math.abs,
    domain: { min: -5, max: 5, awayFrom: 0.05 },
    golden: [
      [-1.5, 2, 0],
      [1.5, 2, 0],
    ],
    integer: true,
  },
  // e^[0, 1, −1] = [1, e, 1/e]
  {
    name: "exp",
    op: exp,
    ref: Math.exp,
    domain: { min: -5, max: 5 },
    golden: [
      [0, 1, -1],
      [1, Math.E, 1 / Math.E],
    ],
    integer: false,
  },
  // ln[1, e, 0.5, 0, −1] = [0, 1, −ln 2, −∞, NaN]
  {
    name: "log",
    op: log,
    ref: Math.log,
    domain: { min: 0.1, max: 10 },
    golden: [
      [1, Math.E, 0.5, 0, -1],
      [0, 1, -Math.LN2, -Infinity, Number.NaN],
    ],
    integer: false,
  },
  // √[4, 2, 0, −1] = [2, 1.4142135, 0, NaN]
  {
    name: "sqrt",
    op: sqrt,
    ref: Math.sqrt,
    domain: { min: 0.1, max: 10 },
    golden: [
      [4, 2, 0, -1],
      [2, Math.SQRT2, 0, Number.NaN],
    ],
    integer: false,
  },
  // [−3, 0.5]² = [9, 0.25]
  {
    name: "square",
    op: square,
    ref: (x) => x * x,
    domain: { min: -5, max: 5 },
    golden: [
      [-3, 0.5],
      [9, 0.25],
    ],
    integer: true,
  },
  // sign[−2, 0, 3, NaN] = [−1, 0, 1, NaN]
  {
    name: "sign",
    op: sign,
    ref: Math.sign,
    domain: { min: -5, max: 5, awayFrom: 0.05 },
    golden: [
      [-2, 0, 3, Number.NaN],
      [-1, 0, 1, Number.NaN],
    ],
    integer: true,
  },
  // max([−1, 2, 0, NaN], 0) = [0, 2, 0, NaN]
  {
    name: "relu",
    op: relu,
    ref: (x) => Math.max(x, 0),
    domain: { min: -5, max: 5, awayFrom: 0.05 },
    golden: [
      [-1, 2, 0, Number.NaN],
      [0, 2, 0, Number.NaN],
    ],
    integer: true,
  },
  // σ(0) = ½, σ(2) = 1/(1 + e⁻²) = 0.8807971, σ(−2) = 1 − σ(2) = 0.1192029
  {
    name: "sigmoid",
    op: sigmoid,
    ref: refSigmoid,
    domain: { min: -8, max: 8 },
    golden: [
      [0, 2, -2],
      [0.5, 0.8807970779778823, 0.11920292202211755],
    ],
    integer: false,
  },
  // tanh(0) = 0, tanh(1) = (e² − 1)/(e² + 1) = 0.7615942
  {
    name: "tanh",
    op: tanh,
    ref: Math.tanh,
    domain: { min: -5, max: 5 },
    golden: [
      [0, 1, -1],
      [0, 0.7615941559557649, -0.7615941559557649],
    ],
    integer: false,
  },
  // softplus(0) = ln 2, softplus(1) = ln(1 + e) = 1.3132617, softplus(−1) = ln(1 + 1/e) = 0.3132617
  {
    name: "softplus",
    op: softplus,
    ref: refSoftplus,
    domain: { min: -8, max: 8 },
    golden: [
      [0, 1, -1],
      [Math.LN2, 1.3132616875182228, 0.31326168751822286],
    ],
    integer: false,
  },
];

describe.each(ROWS)("$name", (row) => {
  it("gives the golden values", () => {
    tidy(() => {
      const [input, expected] = row.golden;
      const y = row.op(tensor(input));
      expect(y.dtype).toBe("float32");
      expect(y.shape).toEqual([input.length]);
      expectClose(y, expected, { rtol: 1e-6, atol: 0 });
      // a plain number is a float32 scalar
      const s = row.op(input[0]!);
      expect(s.shape).toEqual([]);
      expectClose(s, [expected[0]!], { rtol: 1e-6, atol: 0 });
    });
  });

  fcTest.prop([arbTensorData({ maxRank: 3, ...row.domain })], { numRuns: 30 })(
    "matches the float64 formula elementwise",
    ({ shape, data }) => {
      tidy(() => {
        const y = row.op(tensor(data, { shape }));
        expect(y.shape).toEqual(shape);
        expectClose(
          y,
          data.map((v) => row.ref(Math.fround(v))),
          { rtol: 2e-6, atol: 1e-7 },
        );
      });
    },
  );

  it("works on strided views (a transposed input)", () => {
    tidy(() => {
      const x = tensor([
        [0.5, 1.5, 2.5],
        [3, 4, 5],
      ]);
      const y = row.op(x.transpose());
      expect(y.shape).toEqual([3, 2]);
      expectClose(y, [0.5, 3, 1.5, 4, 2.5, 5].map(row.ref), { rtol: 2e-6, atol: 1e-7 });
    });
  });

  it("matches central differences (sign: zero)", () => {
    tidy(() => {
      const { min, max, awayFrom = 0 } = row.domain;
      // points spread over the smooth domain, kept away from kinks
      const xs = [0.13, 0.37, 0.61, 0.89].map((f) => {
        const v = min + f * (max - min);
        return Math.abs(v) < awayFrom ? v + 2 * awayFrom : v;
      });
      const w = tensor([1, -2, 0.5, 3]);
      expectGrad((x) => row.op(x!).mul(w).sum(), [tensor(xs)]);
    });
  });

  if (row.integer) {
    it("keeps int32, int8 and uint8 dtypes", () => {
      tidy(() => {
        const ints = [-7, -1, 0, 3, 11];
        for (const dtype of ["int32", "int8"] as DType[]) {
          const y = row.op(tensor(ints, { dtype }));
          expect(y.dtype).toBe(dtype);
          expect(y.toArray()).toEqual(ints.map((v) => row.ref(v) + 0));
        }
        const u = row.op(tensor([0, 3, 9], { dtype: "uint8" }));
        expect(u.dtype).toBe("uint8");
        // uint8 wraps modulo 256 (neg 3 → 253), as a C uint8_t
        expect(u.toArray()).toEqual([0, 3, 9].map((v) => (((row.ref(v) % 256) + 256) % 256) + 0));
      });
    });
  } else {
    it("rejects integer inputs with a DTypeError naming the op", () => {
      tidy(() => {
        expect(() => row.op(tensor([1, 2], { dtype: "int32" }))).toThrow(DTypeError);
        expect(() => row.op(tensor([1, 2], { dtype: "int32" }))).toThrow(
          new RegExp(`^${row.name}: x has dtype int32 \\(expected float32`),
        );
      });
    });
  }

  it("rejects bool inputs and non-tensors", () => {
    tidy(() => {
      expect(() => row.op(tensor([true, false]))).toThrow(DTypeError);
      expect(() => row.op(tensor([true, false]))).toThrow(
        new RegExp(`^${row.name}: x has dtype bool`),
      );
      expect(() => row.op("1" as never)).toThrow(new RegExp(`^${row.name}: x must be a Tensor`));
    });
  });
});

describe("integer unary ops (golden)", () => {
  it("neg, abs, square, relu on int32", () => {
    tidy(() => {
      const x = tensor([-7, -1, 0, 5], { dtype: "int32" });
      // −x, |x|, x², max(x, 0)
      expect(neg(x).toArray()).toEqual([7, 1, 0, -5]);
      expect(abs(x).toArray()).toEqual([7, 1, 0, 5]);
      expect(square(x).toArray()).toEqual([49, 1, 0, 25]);
      expect(relu(x).toArray()).toEqual([0, 0, 0, 5]);
      expect(sign(x).toArray()).toEqual([-1, -1, 0, 1]);
      for (const y of [neg(x), abs(x), square(x), relu(x), sign(x)]) expect(y.dtype).toBe("int32");
    });
  });

  it("wraps on overflow like two's complement (int8: −(−128) = −128, 12² = 144 → −112)", () => {
    tidy(() => {
      expect(neg(tensor([-128], { dtype: "int8" })).toArray()).toEqual([-128]);
      expect(abs(tensor([-128], { dtype: "int8" })).toArray()).toEqual([-128]);
      expect(square(tensor([12], { dtype: "int8" })).toArray()).toEqual([-112]);
    });
  });
});

describe("extreme inputs stay finite and accurate", () => {
  const EXTREMES = [-1e4, -100, -88, -20, 0, 20, 88, 100, 1e4];

  it.each([
    ["sigmoid", sigmoid, refSigmoid],
    ["tanh", tanh, Math.tanh],
    ["softplus", softplus, refSoftplus],
  ] as const)("%s at ±1e4, ±100, ±88", (_name, op, ref) => {
    tidy(() => {
      const y = op(tensor(EXTREMES));
      const got = Array.from(y.dataSync());
      for (const v of got) expect(Number.isFinite(v)).toBe(true);
      // relative accuracy down to the float32 subnormal range (σ(−100) = 3.7e−44 is subnormal)
      expectClose(y, EXTREMES.map(ref), { rtol: 1e-6, atol: 1e-44 });
    });
  });

  it.each([
    ["sigmoid", sigmoid],
    ["tanh", tanh],
    ["softplus", softplus],
  ] as const)("%s has finite gradients at ±1e4, ±100, ±88", (_name, op) => {
    for (const v of EXTREMES) tidy(() => expectGrad((x) => op(x!).sum(), [tensor([v])]));
  });

  it("exp overflows to ∞ and underflows to 0 like float32", () => {
    tidy(() => {
      // e^89 > 3.4e38 = float32 max; e^−104 < 1.4e−45 = the smallest float32 subnormal
      expect(exp(tensor([89, -104])).toArray()).toEqual([Infinity, 0]);
    });
  });
});
