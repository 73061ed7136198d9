import { ArgumentError, DTypeError, ShapeError, tensor, tidy, where } from "@edgenn/tensor";
import {
  arbBroadcastShapes,
  arbValues,
  expectClose,
  expectGrad,
  readBroadcast,
  refBroadcast,
  size,
  unravel,
} from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

describe("where", () => {
  it("selects elementwise (golden), broadcasting all three operands", () => {
    tidy(() => {
      // where([t, f], [1, 2], 0) = [1, 0]
      expect(where(tensor([true, false]), tensor([1, 2]), 0).toArray()).toEqual([1, 0]);
      // cond [2,1], a [3], b scalar → [2,3]: row 0 from a, row 1 all b
      const y = where(tensor([[true], [false]]), tensor([1, 2, 3]), tensor(-1));
      expect(y.shape).toEqual([2, 3]);
      expect(y.toArray()).toEqual([
        [1, 2, 3],
        [-1, -1, -1],
      ]);
      // a boolean cond picks one side everywhere
      expect(where(false, tensor([1, 2]), tensor([3, 4])).toArray()).toEqual([3, 4]);
    });
  });

  it("keeps the dtype of a and b (int32, bool)", () => {
    tidy(() => {
      const y = where(
        tensor([true, false]),
        tensor([7, 8], { dtype: "int32" }),
        tensor([-1, -2], { dtype: "int32" }),
      );
      expect(y.dtype).toBe("int32");
      expect(y.toArray()).toEqual([7, -2]);
      const z = where(tensor([true, false]), tensor([false, false]), tensor([true, true]));
      expect(z.dtype).toBe("bool");
      expect(z.toArray()).toEqual([0, 1]);
      // a number takes the dtype of the tensor on the other side
      expect(where(tensor([true, false]), 5, tensor([1, 2], { dtype: "int8" })).dtype).toBe("int8");
    });
  });

  fcTest.prop(
    [
      arbBroadcastShapes(3, 3).chain(([sc, sa]) =>
        fc.tuple(
          fc.constant(sc),
          fc.constant(sa),
          // b has a's shape with its leading dims dropped
          fc.integer({ min: 0, max: sa.length }).map((k) => sa.slice(k)),
          fc.array(fc.boolean(), { minLength: size(sc), maxLength: size(sc) }),
          arbValues(size(sa)),
        ),
      ),
    ],
    { numRuns: 40 },
  )("matches a naive broadcasting select", ([sc, sa, sb, dc, da]) => {
    tidy(() => {
      const db = Array.from({ length: size(sb) }, (_, i) => 100 + i);
      const shape = refBroadcast(refBroadcast(sc, sa)!, sb)!;
      const expected = Array.from({ length: size(shape) }, (_, i) => {
        const idx = unravel(i, shape);
        return readBroadcast(dc.map(Number), sc, idx)
          ? readBroadcast(da, sa, idx)
          : readBroadcast(db, sb, idx);
      });
      const y = where(
        tensor(dc, { shape: sc, dtype: "bool" }),
        tensor(da, { shape: sa }),
        tensor(db, { shape: sb }),
      );
      expect(y.shape).toEqual(shape);
      expectClose(y, expected, { rtol: 0, atol: 0 });
    });
  });

  it("sends the gradient to the chosen side, summed back over broadcast dims", () => {
    tidy(() => {
      const c = tensor([
        [true, false, true],
        [false, false, true],
      ]);
      const w = tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      // d/da = Σ_rows where(c, w, 0) = [1, 0, 9]; d/db = where(c, 0, w) = [[0,2,0],[4,5,0]]
      expectGrad(
        (a, b) => where(c, a!, b!).mul(w).sum(),
        [
          tensor([0.5, -1, 2]),
          tensor([
            [1, 2, 3],
            [4, 5, 6],
          ]),
        ],
      );
    });
  });

  it("rejects a non-bool cond, a number cond, mixed dtypes and bad shapes", () => {
    tidy(() => {
      expect(() => where(tensor([1, 0]) as never, 1, 2)).toThrow(DTypeError);
      expect(() => where(tensor([1, 0]) as never, 1, 2)).toThrow(
        /^where: cond has dtype float32 \(expected bool/,
      );
      expect(() => where(1 as never, 1, 2)).toThrow(ArgumentError);
      expect(() => where(0.5 as never, 1, 2)).toThrow(/^where: cond must be a bool Tensor/);
      expect(() => where(tensor([true]), tensor([1]), tensor([1], { dtype: "int32" }))).toThrow(
        /^where: a and b have different dtypes/,
      );
      expect(() => where(tensor([true, false]), tensor([1, 2, 3]), 0)).toThrow(ShapeError);
      expect(() => where(tensor([true, false]), tensor([1, 2, 3]), 0)).toThrow(/^where: /);
      expect(() => where(tensor([true]), "a" as never, 0)).toThrow(ArgumentError);
    });
  });
});
