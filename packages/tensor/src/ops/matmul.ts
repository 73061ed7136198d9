import type { TensorInfo } from "../backend.js";
import { allocTensor, backendFor, record } from "../engine.js";
import { ShapeError } from "../errors.js";
import { asTensor, checkDType, compose, FLOAT } from "../op-helpers.js";
import { broadcastShapes, broadcastStrides, fmt, sizeOf } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { reshape } from "./reshape.js";
import { transpose } from "./transpose.js";

/**
 * The kernel view of a `[...batch, R, C]` operand broadcast to `batch`, as `[B, R, C]`: possible
 * without a copy when its batch strides collapse to one stride and one matrix dim has stride 1.
 */
function asBatched(t: Tensor, batch: readonly number[]): TensorInfo | null {
  const r = t.shape[t.rank - 2]!;
  const c = t.shape[t.rank - 1]!;
  // a size-1 dim never steps, so its stride is free: pick the one that makes the layout plain
  const cs = c === 1 ? 1 : t.strides[t.rank - 1]!;
  const rs = r === 1 ? (cs === 1 ? c : 1) : t.strides[t.rank - 2]!;
  if (cs !== 1 && rs !== 1) return null;
  const bStrides = broadcastStrides(t.shape.slice(0, -2), t.strides.slice(0, -2), batch);
  // the batch dims must walk with one stride: s[i] == s[i+1]·n[i+1] (size-1 dims never step)
  let stride = 0;
  let expect: number | null = null;
  for (let i = batch.length - 1; i >= 0; i--) {
    if (batch[i] === 1) continue;
    if (expect === null) {
      stride = bStrides[i]!;
      expect = stride * batch[i]!;
    } else if (bStrides[i] === expect) expect *= batch[i]!;
    else if (bStrides[i] === 0 && stride === 0) continue;
    else return null;
  }
  return {
    dataId: t.dataId,
    dtype: t.dtype,
    shape: [sizeOf(batch), r, c],
    strides: [stride, rs, cs],
    offset: t.offset,
  };
}

/** Matrix product of operands of rank ≥ 2 (batch dims broadcast). */
function matmulNd(a: Tensor, b: Tensor): Tensor {
  const m = a.shape[a.rank - 2]!;
  const k = a.shape[a.rank - 1]!;
  const n = b.shape[b.rank - 1]!;
  if (b.shape[b.rank - 2] !== k) {
    throw new ShapeError(
      `matmul: inner dimensions differ (expected a[-1] == b[-2], got ${fmt(a.shape)} @ ${fmt(b.shape)})`,
    );
  }
  const batch = broadcastShapes("matmul", a.shape.slice(0, -2), b.shape.slice(0, -2));
  const be = backendFor("matmul", "matmul", "float32");
  const y = allocTensor("matmul", [...batch, m, n], "float32", be);
  let ac: Tensor | null = null;
  let bc: Tensor | null = null;
  let ai = asBatched(a, batch);
  if (!ai) {
    ac = allocTensor("matmul", [...batch, m, k], "float32", a.backend);
    a.backend.copy(
      {
        ...a,
        dataId: a.dataId,
        shape: [...batch, m, k],
        strides: broadcastStrides(a.shape, a.strides, [...batch, m, k]),
      },
      ac,
    );
    ai = asBatched(ac, batch)!;
  }
  let bi = asBatched(b, batch);
  if (!bi) {
    bc = allocTensor("matmul", [...batch, k, n], "float32", b.backend);
    b.backend.copy(
      {
        ...b,
        dataId: b.dataId,
        shape: [...batch, k, n],
        strides: broadcastStrides(b.shape, b.strides, [...batch, k, n]),
      },
      bc,
    );
    bi = asBatched(bc, batch)!;
  }
  be.matmul(ai, bi, {
    dataId: y.dataId,
    dtype: "float32",
    shape: [sizeOf(batch), m, n],
    strides: [m * n, n, 1],
    offset: 0,
  });
  ac?.dispose();
  bc?.dispose();
  // d(a·b) = dy·bᵀ for a and aᵀ·dy for b; broadcast batch dims are summed back by the tape
  record("matmul", [a, b], y, (dy, needs) => [
    needs[0] ? matmulNd(dy, swapLast(b)) : null,
    needs[1] ? matmulNd(swapLast(a), dy) : null,
  ]);
  return y;
}

function swapLast(t: Tensor): Tensor {
  const perm = t.shape.map((_, i) => i);
  perm[t.rank - 2] = t.rank - 1;
  perm[t.rank - 1] = t.rank - 2;
  return transpose(t, perm);
}

/**
 * Matrix product with NumPy semantics: 1-D operands are promoted (a row for `a`, a column for
 * `b`) and the added dim removed; leading (batch) dims broadcast. `matmul(a, b)_ij = Σₖ a_ik·b_kj`.
 * @param a - float32 tensor, rank ≥ 1
 * @param b - float32 tensor, rank ≥ 1
 * @returns a new float32 tensor owned by the caller
 * @throws {ShapeError} if the inner dimensions differ, an operand is a scalar, or batch dims do not broadcast
 * @throws {DTypeError} for non-float32 operands
 * @example
 * matmul(tensor([[1, 2], [3, 4]]), tensor([[5], [6]])).toArray(); // [[17], [39]]
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  return compose(() => matmulImpl(a, b));
}

function matmulImpl(a: Tensor, b: Tensor): Tensor {
  const x = asTensor("matmul", a, "a");
  const w = asTensor("matmul", b, "b");
  checkDType("matmul", x, FLOAT, "a");
  checkDType("matmul", w, FLOAT, "b");
  if (x.rank === 0 || w.rank === 0) {
    throw new ShapeError(
      `matmul: operands must have rank ≥ 1 (got ${fmt(x.shape)} @ ${fmt(w.shape)}); use mul for scalars`,
    );
  }
  if (x.rank >= 2 && w.rank >= 2) return matmulNd(x, w);
  if (x.rank === 1 && w.rank >= 2 && w.shape[w.rank - 2] !== x.shape[0]) {
    throw new ShapeError(
      `matmul: inner dimensions differ (expected a[0] == b[-2], got ${fmt(x.shape)} @ ${fmt(w.shape)})`,
    );
  }
  if (w.rank === 1 && x.shape[x.rank - 1] !== w.shape[0]) {
    throw new ShapeError(
      `matmul: inner dimensions differ (expected a[-1] == b[0], got ${fmt(x.shape)} @ ${fmt(w.shape)})`,
    );
  }
  const a2 = x.rank === 1 ? reshape(x, [1, x.shape[0]!]) : x;
  const b2 = w.rank === 1 ? reshape(w, [w.shape[0]!, 1]) : w;
  const y2 = matmulNd(a2, b2);
  const outShape = y2.shape.slice();
  if (w.rank === 1) outShape.pop();
  if (x.rank === 1) outShape.splice(outShape.length - (w.rank === 1 ? 1 : 2), 1);
  return reshape(y2, outShape);
}
