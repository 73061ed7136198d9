import {
  arange,
  DTypeError,
  expand,
  matmul,
  reshape,
  ShapeError,
  slice,
  type Tensor,
  tensor,
  tidy,
  transpose,
} from "@edgenn/tensor";
import {
  arbBroadcastShapes,
  arbValues,
  expectClose,
  expectGrad,
  ravel,
  refBroadcast,
  refMatmul,
  size,
  unravel,
} from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/** Naive batched matmul of `[...ba, m, k]` by `[...bb, k, n]`, batch dims broadcast. */
function refBatched(
  a: readonly number[],
  ba: readonly number[],
  b: readonly number[],
  bb: readonly number[],
  m: number,
  k: number,
  n: number,
): { data: number[]; shape: number[] } {
  const batch = refBroadcast(ba, bb)!;
  const out: number[] = [];
  for (let i = 0; i < size(batch); i++) {
    const idx = unravel(i, batch);
    const pick = (shape: readonly number[]) =>
      ravel(
        shape.map((d, j) => (d === 1 ? 0 : idx[batch.length - shape.length + j]!)),
        shape,
      );
    const ia = pick(ba);
    const ib = pick(bb);
    out.push(
      ...refMatmul(
        a.slice(ia * m * k, (ia + 1) * m * k),
        b.slice(ib * k * n, (ib + 1) * k * n),
        m,
        k,
        n,
      ),
    );
  }
  return { data: out, shape: [...batch, m, n] };
}

/** `data` (row-major `[...batch, r, c]`) as a tensor, optionally stored transposed and viewed back. */
function maybeTransposed(
  data: readonly number[],
  batch: number[],
  r: number,
  c: number,
  t: boolean,
): Tensor {
  if (!t) return tensor(data as number[], { shape: [...batch, r, c] });
  const stored = new Array<number>(data.length);
  const nb = size(batch);
  for (let p = 0; p < nb; p++)
    for (let i = 0; i < r; i++)
      for (let j = 0; j < c; j++) stored[p * r * c + j * r + i] = data[p * r * c + i * c + j]!;
  const x = tensor(stored, { shape: [...batch, c, r] });
  const perm = [...batch.map((_, i) => i), batch.length + 1, batch.length];
  return transpose(x, perm);
}

describe("matmul", () => {
  it("multiplies matrices (golden)", () => {
    // [[1,2],[3,4]]·[[5,6],[7,8]] = [[1·5+2·7, 1·6+2·8], [3·5+4·7, 3·6+4·8]] = [[19,22],[43,50]]
    expect(
      matmul(
        tensor([
          [1, 2],
          [3, 4],
        ]),
        tensor([
          [5, 6],
          [7, 8],
        ]),
      ).toArray(),
    ).toEqual([
      [19, 22],
      [43, 50],
    ]);
  });

  it("promotes 1-D operands and drops the added dim", () => {
    const m = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    // vec·vec: 1·4 + 2·5 + 3·6 = 32, a scalar
    const s = matmul(tensor([1, 2, 3]), tensor([4, 5, 6]));
    expect(s.shape).toEqual([]);
    expect(s.item()).toBe(32);
    // mat·vec: [1+4+9, 4+10+18] = [14, 32]
    expect(matmul(m, tensor([1, 2, 3])).toArray()).toEqual([14, 32]);
    // vec·mat: [1·1+1·4, 1·2+1·5, 1·3+1·6] = [5, 7, 9]
    expect(matmul(tensor([1, 1]), m).toArray()).toEqual([5, 7, 9]);
    // vec·batched mat: [2,2,3] → [2,3]
    const bm = reshape(arange(12), [2, 2, 3]);
    expect(matmul(tensor([1, 0]), bm).toArray()).toEqual([
      [0, 1, 2],
      [6, 7, 8],
    ]);
    // batched mat·vec: [2,2,3]·[3] → [2,2]
    expect(matmul(bm, tensor([1, 1, 1])).toArray()).toEqual([
      [3, 12],
      [21, 30],
    ]);
  });

  it("reads transposed, sliced, reversed and broadcast views", () => {
    tidy(() => {
      const a = reshape(arange(12), [3, 4]);
      const b = reshape(arange(8), [4, 2]);
      const ref = (x: Tensor, y: Tensor) =>
        refMatmul(
          Array.from(x.dataSync()),
          Array.from(y.dataSync()),
          x.shape[0]!,
          x.shape[1]!,
          y.shape[1]!,
        );
      // aᵀ·a: both operands strided
      expectClose(matmul(transpose(a), a), ref(transpose(a), a));
      // every other column of a ([3,2]), reversed rows of b
      const as = slice(a, [0], [4], [1], [2]);
      const br = slice(b, [-1], [-Infinity], [0], [-1]);
      expectClose(matmul(as, slice(br, [0], [2])), ref(as, slice(br, [0], [2])));
      expectClose(matmul(a, br), ref(a, br));
      // reversed columns (negative unit stride) on the left
      const ac = slice(a, [-1], [-Infinity], [1], [-1]);
      expectClose(matmul(ac, b), ref(ac, b));
      // a batch dim that is a zero-stride broadcast, and a row-broadcast matrix
      const eb = expand(b, [5, 4, 2]);
      const y = matmul(a, eb);
      expect(y.shape).toEqual([5, 3, 2]);
      for (let i = 0; i < 5; i++) expectClose(y.dataSync().slice(i * 6, i * 6 + 6), ref(a, b));
      const rows = expand(tensor([[1, 2, 3, 4]]), [3, 4]);
      expectClose(matmul(rows, b), ref(rows, b));
    });
  });

  fcTest.prop(
    [
      fc
        .tuple(
          arbBroadcastShapes(3, 3),
          fc.integer({ min: 1, max: 4 }),
          fc.integer({ min: 1, max: 4 }),
          fc.integer({ min: 1, max: 4 }),
          fc.boolean(),
          fc.boolean(),
        )
        .chain(([[ba, bb], m, k, n, ta, tb]) =>
          fc.tuple(
            fc.constant({ ba, bb, m, k, n, ta, tb }),
            arbValues(size(ba) * m * k),
            arbValues(size(bb) * k * n),
          ),
        ),
    ],
    { numRuns: 60 },
  )("matches a naive batched loop with broadcast batch dims", ([p, da, db]) => {
    tidy(() => {
      const a = maybeTransposed(da, p.ba, p.m, p.k, p.ta);
      const b = maybeTransposed(db, p.bb, p.k, p.n, p.tb);
      const expected = refBatched(da, p.ba, db, p.bb, p.m, p.k, p.n);
      const y = matmul(a, b);
      expect(y.shape).toEqual(expected.shape);
      expectClose(y, expected.data, { rtol: 1e-5, atol: 1e-5 });
    });
  });

  it("has the right gradient, with batch broadcasting and 1-D operands", () => {
    expectGrad(
      (a, b) =>
        matmul(a!, b!)
          .mul(
            tensor([
              [1, -1],
              [2, 0.5],
            ]),
          )
          .sum(),
      [
        tensor([
          [0.1, 0.2, 0.3],
          [0.4, 0.5, 0.6],
        ]),
        tensor([
          [1, 2],
          [3, -4],
          [0.5, 0.25],
        ]),
      ],
    );
    // a [2,1,2,3] against b [3,3,2] → [2,3,2,2]; grads summed back over the broadcast dims
    expectGrad(
      (a, b) =>
        matmul(a!, b!)
          .mul(reshape(arange(24), [2, 3, 2, 2]).mul(0.1))
          .sum(),
      [reshape(arange(12), [2, 1, 2, 3]).mul(0.1), reshape(arange(18), [3, 3, 2]).mul(-0.05)],
    );
    expectGrad(
      (a, b) =>
        matmul(a!, b!)
          .mul(tensor([3, -1]))
          .sum(),
      [
        tensor([0.5, -1, 2]),
        tensor([
          [1, 2],
          [3, 4],
          [5, 6],
        ]),
      ],
    );
    expectGrad((a, b) => matmul(a!, b!), [tensor([0.5, -1, 2]), tensor([1, 2, 3])]);
    expectGrad(
      (a) => matmul(transpose(a!), a!).sum(),
      [
        tensor([
          [0.1, 0.2],
          [0.3, 0.4],
          [0.5, 0.6],
        ]),
      ],
    );
  });

  it("rejects mismatched inner dims, scalars and non-float dtypes", () => {
    const a = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(() => matmul(a, a)).toThrow(ShapeError);
    expect(() => matmul(a, a)).toThrow(/matmul: inner dimensions differ.*\[2,3\] @ \[2,3\]/);
    expect(() => matmul(tensor([1, 2]), tensor([1, 2, 3]))).toThrow(ShapeError);
    expect(() => matmul(a, tensor([1, 2]))).toThrow(ShapeError);
    expect(() => matmul(tensor([1, 2]), a.reshape([3, 2]))).toThrow(ShapeError);
    expect(() => matmul(tensor(2), a)).toThrow(/matmul: operands must have rank ≥ 1/);
    expect(() => matmul(reshape(arange(12), [2, 2, 3]), reshape(arange(18), [3, 3, 2]))).toThrow(
      /matmul: shapes do not broadcast/,
    );
    expect(() =>
      matmul(tensor([[1]], { dtype: "int32" }), tensor([[1]], { dtype: "int32" })),
    ).toThrow(DTypeError);
  });
});
