import {
  ArgumentError,
  arange,
  DTypeError,
  gemm,
  reshape,
  ShapeError,
  tensor,
  tidy,
} from "@edgenn/tensor";
import { arbValues, expectClose, expectGrad, refMatmul } from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/** Row-major transpose of an r×c array. */
function tr(a: readonly number[], r: number, c: number): number[] {
  const out = new Array<number>(a.length);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = a[i * c + j]!;
  return out;
}

describe("gemm", () => {
  it("computes alpha·op(a)·op(b) + beta·c (golden)", () => {
    const a = tensor([
      [1, 2],
      [3, 4],
    ]);
    const b = tensor([
      [5, 6],
      [7, 8],
    ]);
    // a·b = [[19,22],[43,50]]
    expect(gemm(a, b).toArray()).toEqual([
      [19, 22],
      [43, 50],
    ]);
    // 2·a·b + 1·[10, 20] (row broadcast) = [[48,64],[96,120]]
    expect(gemm(a, b, tensor([10, 20]), { alpha: 2 }).toArray()).toEqual([
      [48, 64],
      [96, 120],
    ]);
    // aᵀ·bᵀ = [[1,3],[2,4]]·[[5,7],[6,8]] = [[23,31],[34,46]]; − 0.5·[[2],[4]] (column broadcast)
    expect(
      gemm(a, b, tensor([[2], [4]]), { transA: true, transB: true, beta: -0.5 }).toArray(),
    ).toEqual([
      [22, 30],
      [32, 44],
    ]);
    // a number c is a scalar
    expect(gemm(a, b, 1, { beta: 2 }).toArray()).toEqual([
      [21, 24],
      [45, 52],
    ]);
    // beta 0 still multiplies c (ONNX: alpha·AB + beta·C)
    expect(gemm(a, b, tensor([[1, 1]]), { beta: 0 }).toArray()).toEqual([
      [19, 22],
      [43, 50],
    ]);
  });

  fcTest.prop(
    [
      fc
        .tuple(
          fc.integer({ min: 1, max: 4 }),
          fc.integer({ min: 1, max: 4 }),
          fc.integer({ min: 1, max: 4 }),
          fc.boolean(),
          fc.boolean(),
          fc.constantFrom("none", "scalar", "row", "col", "full"),
          fc.double({ min: -2, max: 2, noNaN: true }),
          fc.double({ min: -2, max: 2, noNaN: true }),
        )
        .chain(([m, k, n, transA, transB, cKind, alpha, beta]) =>
          fc.tuple(
            fc.constant({ m, k, n, transA, transB, cKind, alpha, beta }),
            arbValues(m * k),
            arbValues(k * n),
            arbValues(m * n),
          ),
        ),
    ],
    { numRuns: 60 },
  )("matches a naive loop", ([p, da, db, dc]) => {
    tidy(() => {
      const a = p.transA
        ? tensor(tr(da, p.m, p.k), { shape: [p.k, p.m] })
        : tensor(da, { shape: [p.m, p.k] });
      const b = p.transB
        ? tensor(tr(db, p.k, p.n), { shape: [p.n, p.k] })
        : tensor(db, { shape: [p.k, p.n] });
      const cShape = { none: null, scalar: [], row: [p.n], col: [p.m, 1], full: [p.m, p.n] }[
        p.cKind
      ]!;
      const cData = cShape
        ? dc.slice(
            0,
            cShape.reduce((x, y) => x * y, 1),
          )
        : [];
      const c = cShape ? tensor(cData, { shape: cShape }) : undefined;
      const ab = refMatmul(da, db, p.m, p.k, p.n);
      const alpha = Math.fround(p.alpha);
      const beta = Math.fround(p.beta);
      const expected = ab.map((v, o) => {
        const i = Math.floor(o / p.n);
        const j = o % p.n;
        const cv =
          p.cKind === "none"
            ? 0
            : p.cKind === "scalar"
              ? cData[0]!
              : p.cKind === "row"
                ? cData[j]!
                : p.cKind === "col"
                  ? cData[i]!
                  : cData[o]!;
        return alpha * v + (p.cKind === "none" ? 0 : beta * cv);
      });
      const y = gemm(a, b, c, { alpha, beta, transA: p.transA, transB: p.transB });
      expect(y.shape).toEqual([p.m, p.n]);
      expectClose(y, expected, { rtol: 1e-5, atol: 1e-5 });
    });
  });

  it("has the right gradient", () => {
    const w = reshape(arange(6), [2, 3]).mul(0.2).add(-0.5);
    expectGrad(
      (a, b, c) => gemm(a!, b!, c!, { alpha: 1.5, beta: -2, transA: true }).mul(w).sum(),
      [
        tensor([
          [0.1, 0.2],
          [0.3, 0.4],
          [0.5, -0.6],
        ]),
        tensor([
          [1, -1, 0.5],
          [2, 0.25, -3],
          [0.5, 1, 1],
        ]),
        tensor([0.3, -0.2, 0.1]),
      ],
    );
    expectGrad(
      (a, b) => gemm(a!, b!, undefined, { transB: true }).sum(),
      [
        tensor([[0.1, 0.2]]),
        tensor([
          [1, 2],
          [3, 4],
        ]),
      ],
    );
  });

  it("rejects bad ranks, shapes, dtypes and options", () => {
    const a = tensor([[1, 2, 3]]);
    const b = tensor([[1], [2], [3]]);
    expect(() => gemm(tensor([1, 2, 3]), b)).toThrow(ShapeError);
    expect(() => gemm(tensor([1, 2, 3]), b)).toThrow(/gemm: a and b must be 2-D/);
    expect(() => gemm(a, a)).toThrow(/gemm: inner dimensions differ/);
    expect(() => gemm(a, a, undefined, { transB: true }).toArray()).not.toThrow();
    expect(() => gemm(a, b, tensor([1, 2]))).toThrow(ShapeError);
    // c must broadcast to [M, N] without growing it
    expect(() => gemm(a, b, tensor([[1], [2]]))).toThrow(/gemm: c must broadcast to \[M, N\]/);
    expect(() => gemm(a, b, tensor([[1]], { dtype: "int32" }))).toThrow(DTypeError);
    expect(() => gemm(tensor([[1]], { dtype: "int32" }), b)).toThrow(DTypeError);
    expect(() => gemm(a, b, undefined, { alpha: Number.NaN })).toThrow(ArgumentError);
    expect(() => gemm(a, b, undefined, { transA: 1 as unknown as boolean })).toThrow(
      /gemm: transA must be a boolean/,
    );
  });
});
