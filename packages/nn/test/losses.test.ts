import { fileURLToPath } from "node:url";
import { valueAndGrad } from "@edgenn/autograd";
import * as api from "@edgenn/tensor";
import {
  ArgumentError,
  DTypeError,
  dispose,
  mul,
  ShapeError,
  slice,
  sum,
  type Tensor,
  tensor,
  tidy,
} from "@edgenn/tensor";
import {
  collectDocExamples,
  expectClose,
  expectGrad,
  expectNoLeaks,
  runDocExample,
} from "@edgenn/testkit";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as losses from "../src/losses.js";
import {
  binaryCrossEntropy,
  crossEntropy,
  huber,
  type LossOptions,
  mse,
  type Reduction,
} from "../src/losses.js";

const labels = (v: number[] | number[][]): Tensor => tensor(v, { dtype: "int32" });
const reduceRef = (v: number[], r: Reduction, count = v.length): number[] | number =>
  r === "none"
    ? v
    : r === "sum"
      ? v.reduce((a, b) => a + b, 0)
      : v.reduce((a, b) => a + b, 0) / count;

/** float64 log-softmax of one row. */
function logSoftmaxRef(row: number[]): number[] {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
  return row.map((v) => v - lse);
}

/** Naive float64 cross-entropy over `[N, C, D]` data (D positions per sample, flattened). */
function crossEntropyRef(
  x: number[],
  n: number,
  c: number,
  d: number,
  target: { labels?: number[]; probs?: number[] },
  eps: number,
  ignore: number | undefined,
): { values: number[]; count: number } {
  const values: number[] = [];
  let count = 0;
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < d; p++) {
      const row = Array.from({ length: c }, (_, k) => x[i * c * d + k * d + p]!);
      const lp = logSoftmaxRef(row);
      let loss = 0;
      if (target.labels) {
        const y = target.labels[i * d + p]!;
        if (y === ignore) {
          values.push(0);
          continue;
        }
        count++;
        for (let k = 0; k < c; k++) loss -= ((k === y ? 1 - eps : 0) + eps / c) * lp[k]!;
      } else {
        count++;
        for (let k = 0; k < c; k++) {
          const q = (1 - eps) * target.probs![i * c * d + k * d + p]! + eps / c;
          loss -= q * lp[k]!;
        }
      }
      values.push(loss);
    }
  }
  return { values, count };
}

describe("crossEntropy", () => {
  it("matches hand-derived values (golden)", () => {
    tidy(() => {
      // −log(e²/(e²+e+1)) = log(11.107338) − 2 = 0.4076060
      expectClose(crossEntropy(tensor([[2, 1, 0]]), labels([0])), 0.407606);
      // a probability target [1, 0, 0] is the same
      expectClose(crossEntropy(tensor([[2, 1, 0]]), tensor([[1, 0, 0]])), 0.407606);
      // row 2 is uniform: −log(1/3) = 1.0986123; mean = (0.4076060 + 1.0986123)/2 = 0.7531091
      const x = tensor([
        [2, 1, 0],
        [0, 0, 0],
      ]);
      const y = labels([0, 2]);
      expectClose(crossEntropy(x, y), 0.7531091);
      expectClose(crossEntropy(x, y, { reduction: "sum" }), 1.5062183);
      const none = crossEntropy(x, y, { reduction: "none" });
      expect(none.shape).toEqual([2]);
      expectClose(none, [0.407606, 1.0986123]);
      // [N, C, d] = [1, 3, 2]: position 0 has logits [2, 1, 0] label 1 → 1.4076060;
      // position 1 has logits [0, 0, 0] label 2 → 1.0986123
      const x3 = tensor([
        [
          [2, 0],
          [1, 0],
          [0, 0],
        ],
      ]);
      const none3 = crossEntropy(x3, labels([[1, 2]]), { reduction: "none" });
      expect(none3.shape).toEqual([1, 2]);
      expectClose(none3, [1.407606, 1.0986123]);
      expectClose(crossEntropy(x3, labels([[1, 2]])), (1.407606 + 1.0986123) / 2);
    });
  });

  it("smooths labels as PyTorch does (golden)", () => {
    tidy(() => {
      // ε = 0.3, C = 3: q = [0.7 + 0.1, 0.1, 0.1]; logp = [−0.4076, −1.4076, −2.4076]
      // loss = 0.8·0.4076060 + 0.1·1.4076060 + 0.1·2.4076060 = 0.7076060
      expectClose(
        crossEntropy(tensor([[2, 1, 0]]), labels([0]), { labelSmoothing: 0.3 }),
        0.707606,
      );
      // probabilities t = [0.5, 0.5, 0]: q = 0.7·t + 0.1 = [0.45, 0.45, 0.1]
      // loss = 0.45·0.4076060 + 0.45·1.4076060 + 0.1·2.4076060 = 1.0576060
      expectClose(
        crossEntropy(tensor([[2, 1, 0]]), tensor([[0.5, 0.5, 0]]), { labelSmoothing: 0.3 }),
        1.057606,
      );
      // ε = 1: the target is uniform whatever the label: (0.4076 + 1.4076 + 2.4076)/3 = 1.4076060
      expectClose(crossEntropy(tensor([[2, 1, 0]]), labels([2]), { labelSmoothing: 1 }), 1.407606);
    });
  });

  it("skips ignoreIndex positions and averages over the rest (golden)", () => {
    tidy(() => {
      const x = tensor([
        [2, 1, 0],
        [5, -5, 3],
        [0, 0, 0],
      ]);
      // row 1 ignored: mean = (0.4076060 + 1.0986123)/2, not /3
      const y = labels([0, -100, 2]);
      expectClose(crossEntropy(x, y, { ignoreIndex: -100 }), 0.7531091);
      expectClose(crossEntropy(x, y, { ignoreIndex: -100, reduction: "sum" }), 1.5062183);
      // one position left: the mean is that position's loss
      expectClose(crossEntropy(x, labels([-100, -100, 2]), { ignoreIndex: -100 }), 1.0986123);
      expectClose(
        crossEntropy(x, y, { ignoreIndex: -100, reduction: "none" }),
        [0.407606, 0, 1.0986123],
      );
      // an in-range class can be the ignored one; with smoothing, ignored rows still give 0
      // row 0 (label 0), ε = 0.3 → 0.7076060; row 2 (label 2, uniform logits) → 1.0986123
      expectClose(
        crossEntropy(x, labels([0, 1, 2]), { ignoreIndex: 1, labelSmoothing: 0.3 }),
        (0.707606 + 1.0986123) / 2,
      );
    });
  });

  it("gives 0 and zero gradients when every label is ignored", () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    const y = labels([-1, -1]);
    const { value, grads } = valueAndGrad(() => crossEntropy(x, y, { ignoreIndex: -1 }), [x]);
    expect(value.item()).toBe(0);
    expect(grads[0]!.toArray()).toEqual([
      [0, 0],
      [0, 0],
    ]);
    dispose([x, y, value, grads]);
  });

  it("stays finite and exact for logits of ±1e4", () => {
    tidy(() => {
      const x = tensor([
        [1e4, -1e4, 0],
        [1e4, -1e4, 0],
        [1e4, -1e4, 0],
        [-1e4, -1e4, -1e4],
      ]);
      // logp = [0, −2e4, −1e4] (e^−1e4 underflows): losses 0, 2e4, 1e4; the last row is uniform
      const y = labels([0, 1, 2, 1]);
      expectClose(crossEntropy(x, y, { reduction: "none" }), [0, 2e4, 1e4, Math.log(3)]);
      // ε = 0.1: 0.9·2e4 + (0.1/3)·(0 + 2e4 + 1e4) = 19000
      expectClose(crossEntropy(slice(x, [1], [2]), labels([1]), { labelSmoothing: 0.1 }), 19000);
      // d loss/d logits = softmax − onehot = [1, 0, 0] − [0, 1, 0] for row 1
      const x1 = tensor([[1e4, -1e4, 0]]);
      const { value, grads } = valueAndGrad(() => crossEntropy(x1, labels([1])), [x1]);
      expect(Number.isFinite(value.item())).toBe(true);
      expectClose(grads[0]!, [[1, -1, 0]]);
    });
  });

  fcTest.prop(
    [
      fc
        .record({
          n: fc.integer({ min: 1, max: 4 }),
          c: fc.integer({ min: 1, max: 5 }),
          inner: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
          eps: fc.constantFrom(0, 0.1, 0.5),
          reduction: fc.constantFrom<Reduction>("mean", "sum", "none"),
          probs: fc.boolean(),
          ignore: fc.constantFrom(undefined, -100, 0),
          seed: fc.integer(),
        })
        .chain((o) => {
          const d = o.inner.reduce((a, b) => a * b, 1);
          return fc.record({
            o: fc.constant(o),
            x: fc.array(fc.double({ min: -20, max: 20, noNaN: true }), {
              minLength: o.n * o.c * d,
              maxLength: o.n * o.c * d,
            }),
            y: fc.array(fc.integer({ min: o.ignore === -100 ? -1 : 0, max: o.c - 1 }), {
              minLength: o.n * d,
              maxLength: o.n * d,
            }),
            p: fc.array(fc.double({ min: 0.01, max: 1, noNaN: true }), {
              minLength: o.n * o.c * d,
              maxLength: o.n * o.c * d,
            }),
          });
        }),
    ],
    { numRuns: 60 },
  )("matches a naive float64 loop", ({ o, x, y, p }) => {
    tidy(() => {
      const d = o.inner.reduce((a, b) => a * b, 1);
      const shape = [o.n, o.c, ...o.inner];
      const xf = x.map(Math.fround);
      const ys = y.map((v) => (v === -1 ? -100 : v));
      let probs: number[] | undefined;
      if (o.probs) {
        // normalise over the class axis
        probs = p.slice();
        for (let i = 0; i < o.n; i++)
          for (let q = 0; q < d; q++) {
            let s = 0;
            for (let k = 0; k < o.c; k++) s += p[i * o.c * d + k * d + q]!;
            for (let k = 0; k < o.c; k++)
              probs[i * o.c * d + k * d + q] = p[i * o.c * d + k * d + q]! / s;
          }
        probs = probs.map(Math.fround);
      }
      const target = probs
        ? tensor(probs, { shape })
        : tensor(ys, { shape: [o.n, ...o.inner], dtype: "int32" });
      const ignore = probs ? undefined : o.ignore;
      const ref = crossEntropyRef(
        xf,
        o.n,
        o.c,
        d,
        probs ? { probs } : { labels: ys },
        o.eps,
        ignore,
      );
      const got = crossEntropy(tensor(xf, { shape }), target, {
        labelSmoothing: o.eps,
        ignoreIndex: ignore,
        reduction: o.reduction,
      });
      const count = ignore === undefined ? ref.values.length : Math.max(ref.count, 1);
      expectClose(got, reduceRef(ref.values, o.reduction, count) as number | number[], {
        rtol: 1e-5,
        atol: 2e-5,
      });
    });
  });

  it("has the right gradient (labels, smoothing, ignore, probabilities, [N, C, d])", () => {
    tidy(() => {
      const x = tensor([
        [0.3, -1.2, 2.0, 0.5],
        [1.1, 0.4, -0.7, -2.0],
        [-0.5, 0.9, 0.2, 1.3],
      ]);
      const y = labels([2, 0, 3]);
      expectGrad((a) => crossEntropy(a!, y), [x]);
      expectGrad((a) => crossEntropy(a!, y, { labelSmoothing: 0.2, reduction: "sum" }), [x]);
      expectGrad((a) => crossEntropy(a!, labels([2, 7, 3]), { ignoreIndex: 7 }), [x]);
      const p = tensor([
        [0.1, 0.2, 0.3, 0.4],
        [0.7, 0.1, 0.1, 0.1],
        [0.25, 0.25, 0.25, 0.25],
      ]);
      expectGrad((a, t) => crossEntropy(a!, t!, { labelSmoothing: 0.1 }), [x, p]);
      const x3 = tensor([
        [
          [0.3, -1.2],
          [2.0, 0.5],
          [1.1, 0.4],
        ],
        [
          [-0.7, -2.0],
          [-0.5, 0.9],
          [0.2, 1.3],
        ],
      ]);
      const w = tensor([
        [1, 2],
        [3, 4],
      ]);
      expectGrad(
        (a) =>
          sum(
            mul(
              crossEntropy(
                a!,
                labels([
                  [0, 2],
                  [1, 1],
                ]),
                { reduction: "none" },
              ),
              w,
            ),
          ),
        [x3],
      );
    });
  });

  it("rejects bad labels, shapes, dtypes and options with typed errors", () => {
    tidy(() => {
      const x = tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      expect(() => crossEntropy(x, labels([0, 3]))).toThrow(ArgumentError);
      expect(() => crossEntropy(x, labels([0, 3]))).toThrow(
        /crossEntropy: label 3 at position 1 is out of range \(expected in \[0, 2\] for 3 classes\)/,
      );
      expect(() => crossEntropy(x, labels([-1, 0]))).toThrow(/label -1 at position 0/);
      expect(() => crossEntropy(x, labels([-1, 0]), { ignoreIndex: -100 })).toThrow(
        /label -1 at position 0 .* or ignoreIndex -100/,
      );
      const x3 = tensor([
        [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
      ]);
      expect(() => crossEntropy(x3, labels([[0, 5]]))).toThrow(/label 5 at position \[0,1\]/);
      expect(() => crossEntropy(x, labels([0, 1, 2]))).toThrow(ShapeError);
      expect(() => crossEntropy(x, labels([0, 1, 2]))).toThrow(
        /crossEntropy: labels must have shape \[2\] for logits \[2,3\] \(got \[3\]\)/,
      );
      expect(() => crossEntropy(x, tensor([[1, 0]]))).toThrow(ShapeError);
      expect(() => crossEntropy(tensor([1, 2, 3]), labels([0]))).toThrow(ShapeError);
      expect(() => crossEntropy(x, tensor([0, 1], { dtype: "int8" }))).toThrow(DTypeError);
      expect(() => crossEntropy(x, tensor([0, 1], { dtype: "int8" }))).toThrow(
        /crossEntropy: target has dtype int8 \(expected int32 labels \[2\] or float32 probabilities \[2,3\]\)/,
      );
      expect(() => crossEntropy(labels([[1, 2]]), labels([0]))).toThrow(DTypeError);
      expect(() => crossEntropy(x, labels([0, 1]), { labelSmoothing: 1.5 })).toThrow(ArgumentError);
      expect(() => crossEntropy(x, labels([0, 1]), { labelSmoothing: Number.NaN })).toThrow(
        ArgumentError,
      );
      expect(() => crossEntropy(x, labels([0, 1]), { ignoreIndex: 0.5 })).toThrow(ArgumentError);
      expect(() =>
        crossEntropy(x, labels([0, 1]), { reduction: "avg" as unknown as Reduction }),
      ).toThrow(/crossEntropy: reduction must be "mean", "sum" or "none" \(got "avg"\)/);
      expect(() =>
        crossEntropy(
          x,
          tensor([
            [1, 0, 0],
            [0, 1, 0],
          ]),
          { ignoreIndex: 0 },
        ),
      ).toThrow(ArgumentError);
      expect(() => crossEntropy(x, [0, 1] as unknown as Tensor)).toThrow(ArgumentError);
    });
  });

  it("releases every intermediate in a training step", () => {
    const x = tensor([
      [0.3, -1.2, 2.0],
      [1.1, 0.4, -0.7],
    ]);
    const y = labels([2, 0]);
    expectNoLeaks(
      () => {
        const { value, grads } = valueAndGrad(
          () => crossEntropy(x, y, { labelSmoothing: 0.1, ignoreIndex: 5 }),
          [x],
        );
        dispose([value, grads]);
      },
      { steps: 50 },
    );
    dispose([x, y]);
  });
});

/** Stable float64 BCE with logits: p·t·softplus(−x) + (1 − t)·softplus(x). */
function bceRef(x: number, t: number, p = 1): number {
  const sp = (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
  return p * t * sp(-x) + (1 - t) * sp(x);
}

describe("binaryCrossEntropy", () => {
  it("matches hand-derived values (golden)", () => {
    tidy(() => {
      // x = 0, t = 1: −log σ(0) = log 2 = 0.6931472
      expectClose(binaryCrossEntropy(tensor([0]), tensor([1])), Math.LN2);
      // x = 2, t = 0.25: max(2, 0) − 2·0.25 + log(1 + e⁻²) = 1.5 + 0.1269280 = 1.6269280
      expectClose(binaryCrossEntropy(tensor([2]), tensor([0.25])), 1.626928);
      // posWeight 3, x = 0, t = 1: 3·log 2 = 2.0794415; t = 0 is unaffected: log 2
      expectClose(
        binaryCrossEntropy(tensor([0, 0]), tensor([1, 0]), { posWeight: 3, reduction: "none" }),
        [2.0794415, Math.LN2],
      );
      // per-class posWeight [2, 1] over [N, C] = [1, 2]: [2·log 2, log 2]; sum = 3·log 2
      expectClose(
        binaryCrossEntropy(tensor([[0, 0]]), tensor([[1, 1]]), {
          posWeight: tensor([2, 1]),
          reduction: "sum",
        }),
        2.0794415,
      );
    });
  });

  it("stays finite and exact for logits of ±1e4", () => {
    tidy(() => {
      // x = 1e4, t = 0 → 1e4; x = −1e4, t = 1 → 1e4; x = ±1e4 with the matching target → 0
      const x = tensor([1e4, -1e4, 1e4, -1e4]);
      const t = tensor([0, 1, 1, 0]);
      expectClose(binaryCrossEntropy(x, t, { reduction: "none" }), [1e4, 1e4, 0, 0]);
      expectClose(binaryCrossEntropy(x, t, { reduction: "none", posWeight: 2 }), [1e4, 2e4, 0, 0]);
      // d/dx = σ(x) − t (p = 1): [1, −1, 0, 0]
      const { value, grads } = valueAndGrad(
        () => binaryCrossEntropy(x, t, { reduction: "sum" }),
        [x],
      );
      expect(Number.isFinite(value.item())).toBe(true);
      expectClose(grads[0]!, [1, -1, 0, 0]);
    });
  });

  fcTest.prop(
    [
      fc.integer({ min: 1, max: 12 }).chain((n) =>
        fc.record({
          x: fc.array(fc.double({ min: -30, max: 30, noNaN: true }), {
            minLength: n,
            maxLength: n,
          }),
          t: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }),
          p: fc.option(fc.double({ min: 0, max: 5, noNaN: true })),
          reduction: fc.constantFrom<Reduction>("mean", "sum", "none"),
        }),
      ),
    ],
    { numRuns: 60 },
  )("matches a naive float64 loop", ({ x, t, p, reduction }) => {
    tidy(() => {
      const xf = x.map(Math.fround);
      const tf = t.map(Math.fround);
      const pf = p === null ? undefined : Math.fround(p);
      const ref = xf.map((v, i) => bceRef(v, tf[i]!, pf));
      const got = binaryCrossEntropy(tensor(xf), tensor(tf), { reduction, posWeight: pf });
      expectClose(got, reduceRef(ref, reduction) as number | number[], { rtol: 1e-5, atol: 1e-5 });
    });
  });

  it("has the right gradient w.r.t. logits, target and posWeight", () => {
    tidy(() => {
      const x = tensor([
        [0.3, -1.2, 2.0],
        [1.1, 0.4, -0.7],
      ]);
      const t = tensor([
        [1, 0, 0.5],
        [0.2, 1, 0],
      ]);
      expectGrad((a, b) => binaryCrossEntropy(a!, b!), [x, t]);
      expectGrad(
        (a, b, p) => binaryCrossEntropy(a!, b!, { posWeight: p! }),
        [x, t, tensor([0.5, 2, 3])],
      );
      expectGrad((a) => binaryCrossEntropy(a!, t, { posWeight: 4, reduction: "sum" }), [x]);
    });
  });

  it("rejects bad shapes, dtypes and options with typed errors", () => {
    tidy(() => {
      const x = tensor([[1, 2, 3]]);
      expect(() => binaryCrossEntropy(x, tensor([1, 0, 1]))).toThrow(ShapeError);
      expect(() => binaryCrossEntropy(x, tensor([1, 0, 1]))).toThrow(
        /binaryCrossEntropy: target must have the shape of logits \(expected \[1,3\], got \[3\]\)/,
      );
      expect(() => binaryCrossEntropy(x, tensor([[1, 0, 1]], { dtype: "int32" }))).toThrow(
        DTypeError,
      );
      expect(() =>
        binaryCrossEntropy(x, tensor([[1, 0, 1]]), { posWeight: tensor([1, 2]) }),
      ).toThrow(ShapeError);
      expect(() =>
        binaryCrossEntropy(x, tensor([[1, 0, 1]]), { posWeight: tensor([[1], [2]]) }),
      ).toThrow(/posWeight must broadcast to the logits' shape/);
      expect(() => binaryCrossEntropy(x, tensor([[1, 0, 1]]), { posWeight: Number.NaN })).toThrow(
        ArgumentError,
      );
      expect(() =>
        binaryCrossEntropy(x, tensor([[1, 0, 1]]), { reduction: "max" as unknown as Reduction }),
      ).toThrow(ArgumentError);
    });
  });
});

describe("mse and huber", () => {
  it("match hand-derived values (golden)", () => {
    tidy(() => {
      // (1 − 0)² = 1, (2 − 4)² = 4 → mean 2.5, sum 5
      expectClose(mse(tensor([1, 2]), tensor([0, 4])), 2.5);
      expectClose(mse(tensor([1, 2]), tensor([0, 4]), { reduction: "sum" }), 5);
      expectClose(mse(tensor([[1, 2]]), tensor([[0, 4]]), { reduction: "none" }), [[1, 4]]);
      // δ = 1: d = 0.5 → ½·0.25 = 0.125; d = −3 → 1·(3 − 0.5) = 2.5
      expectClose(huber(tensor([0.5, -3]), tensor([0, 0]), { reduction: "none" }), [0.125, 2.5]);
      // δ = 2: d = 1.5 → ½·2.25 = 1.125; d = 3 → 2·(3 − 1) = 4; mean 2.5625
      expectClose(huber(tensor([1.5, 4]), tensor([0, 1]), { delta: 2 }), 2.5625);
    });
  });

  fcTest.prop(
    [
      fc.integer({ min: 1, max: 12 }).chain((n) =>
        fc.record({
          a: fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: n, maxLength: n }),
          b: fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: n, maxLength: n }),
          delta: fc.double({ min: 0.1, max: 3, noNaN: true }),
          reduction: fc.constantFrom<Reduction>("mean", "sum", "none"),
        }),
      ),
    ],
    { numRuns: 60 },
  )("match naive float64 loops", ({ a, b, delta, reduction }) => {
    tidy(() => {
      const af = a.map(Math.fround);
      const bf = b.map(Math.fround);
      const df = Math.fround(delta);
      const sq = af.map((v, i) => (v - bf[i]!) ** 2);
      const hu = af.map((v, i) => {
        const d = Math.abs(v - bf[i]!);
        return d < df ? 0.5 * d * d : df * (d - 0.5 * df);
      });
      const opts = { rtol: 1e-5, atol: 1e-5 };
      expectClose(
        mse(tensor(af), tensor(bf), { reduction }),
        reduceRef(sq, reduction) as number,
        opts,
      );
      expectClose(
        huber(tensor(af), tensor(bf), { delta: df, reduction }),
        reduceRef(hu, reduction) as number,
        opts,
      );
    });
  });

  it("have the right gradients (away from huber's kinks at |d| = δ and d = 0)", () => {
    tidy(() => {
      const a = tensor([0.3, -1.2, 2.0, 0.5, 1.7]);
      const b = tensor([0.1, 0.4, -0.7, 0.9, -0.2]);
      expectGrad((p, t) => mse(p!, t!), [a, b]);
      expectGrad((p, t) => mse(p!, t!, { reduction: "sum" }), [a, b]);
      // d = [0.2, −1.6, 2.7, −0.4, 1.9]; δ = 1 puts some on each side
      expectGrad((p, t) => huber(p!, t!), [a, b]);
      expectGrad((p, t) => huber(p!, t!, { delta: 2, reduction: "sum" }), [a, b]);
    });
  });

  it("reject bad shapes, dtypes and options with typed errors", () => {
    tidy(() => {
      expect(() => mse(tensor([1, 2]), tensor([[1, 2]]))).toThrow(ShapeError);
      expect(() => mse(tensor([1, 2]), tensor([[1, 2]]))).toThrow(
        /mse: target must have the shape of pred \(expected \[2\], got \[1,2\]\)/,
      );
      expect(() => mse(tensor([1, 2]), tensor([1, 2], { dtype: "int32" }))).toThrow(DTypeError);
      expect(() => huber(tensor([1]), tensor([1]), { delta: 0 })).toThrow(ArgumentError);
      expect(() => huber(tensor([1]), tensor([1]), { delta: 0 })).toThrow(
        /huber: delta must be a finite number > 0 \(got 0\)/,
      );
      expect(() => huber(tensor([1]), tensor([2, 3]))).toThrow(ShapeError);
      expect(() => mse(tensor([1]), tensor([1]), null as unknown as LossOptions)).toThrow(
        ArgumentError,
      );
    });
  });
});

describe("TSDoc examples of losses.ts", () => {
  const examples = collectDocExamples(fileURLToPath(new URL("../src", import.meta.url))).filter(
    (e) => e.file === "losses.ts",
  );
  it("finds them", () => expect(examples.length).toBe(4));
  for (const ex of examples) {
    it(`${ex.file}:${ex.line}`, () => {
      tidy(() => {
        expect(runDocExample(ex, { ...api, ...losses })).toBeGreaterThan(0);
      });
    });
  }
});
