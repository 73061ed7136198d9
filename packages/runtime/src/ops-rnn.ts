/*
 * Sequence and normalisation ops the layer set needs beyond ONNX's core: gru (PyTorch's GRU,
 * batch first) and layerNorm (ONNX LayerNormalization). Both prepare their scratch once and run
 * without allocating.
 */
import { gemm as gemmKernel, sigmoid, tanh } from "@edgenn/tensor/kernels";
import {
  axis,
  bad,
  type Ctx,
  f32,
  gemmScratch,
  num,
  type OpDef,
  prod,
  type Val,
} from "./op-helpers.js";

type F32 = Float32Array;

/** Checks that input `i` has `shape`, naming it `what` in the message. */
function expectShape(c: Ctx, v: Val, shape: readonly number[], what: string): void {
  if (`${v.shape}` !== `${shape}`) bad(c, `${what} must be [${shape}], got [${v.shape}]`);
}

/**
 * gru (one layer, batch first, PyTorch's equations with linear_before_reset, gate order r, z, n):
 * inputs x [N, T, F], W_ih [3H, F], W_hh [3H, H], b_ih [3H], b_hh [3H]; h₀ = 0; per step t
 *   r = σ(x_t·W_irᵀ + b_ir + h·W_hrᵀ + b_hr),  z = σ(x_t·W_izᵀ + b_iz + h·W_hzᵀ + b_hz),
 *   n = tanh(x_t·W_inᵀ + b_in + r ⊙ (h·W_hnᵀ + b_hn)),  h' = (1 − z) ⊙ n + z ⊙ h.
 * Attributes: hiddenSize (H, default W_hh's columns), returnSequences (0: y = h_T [N, H];
 * 1: y = every h_t, [N, T, H]).
 * Run: one GEMM projects every step's input at once ([N·T, F]·W_ihᵀ into a scratch prepared at
 * load), then per step one GEMM h·W_hhᵀ and a gate loop that writes h_t straight into y; the
 * previous state is read from y (the row for t − 1, or the same row when only h_T is returned).
 */
export const gru: OpDef = (c) => {
  const X = f32(c, 0);
  const Wi = f32(c, 1);
  const Wh = f32(c, 2);
  const Bi = f32(c, 3);
  const Bh = f32(c, 4);
  if (X.shape.length !== 3) bad(c, `x must be [N, T, F], got [${X.shape}]`);
  const [n, steps, f] = X.shape as [number, number, number];
  const h = num(c, "hiddenSize", Wh.shape.length === 2 ? Wh.shape[1]! : 1, true, 1, 2 ** 24);
  const g = 3 * h;
  expectShape(c, Wi, [g, f], "W_ih (input 1)");
  expectShape(c, Wh, [g, h], "W_hh (input 2)");
  expectShape(c, Bi, [g], "b_ih (input 3)");
  expectShape(c, Bh, [g], "b_hh (input 4)");
  const isSeq = num(c, "returnSequences", 0, true, 0, 1) === 1;
  gemmScratch(c.scratch, n * steps, g, f);
  gemmScratch(c.scratch, n, g, h);
  c.bytes += 4 * g * (n * steps + n);
  return [
    "float32",
    isSeq ? [n, steps, h] : [n, h],
    (y) => {
      // gi[(s·T + t)·3H + j] = (x_t·W_ihᵀ)[s, j]; gh[s·3H + j] = (h·W_hhᵀ)[s, j]
      const gi = new Float32Array(n * steps * g);
      const gh = new Float32Array(n * g);
      const { arr: xa, off: xo } = X;
      const { arr: wia, off: wio } = Wi;
      const { arr: wha, off: who } = Wh;
      const { arr: bia, off: bio } = Bi;
      const { arr: bha, off: bho } = Bh;
      const ya = y.arr as F32;
      const yo = y.off;
      // h_t of sample s sits at yo + s·ld + t·step (step 0: h_T only, updated in place)
      const ld = isSeq ? steps * h : h;
      const step = isSeq ? h : 0;
      return () => {
        gemmKernel(
          false,
          true,
          n * steps,
          g,
          f,
          1,
          xa as F32,
          xo,
          f,
          wia as F32,
          wio,
          f,
          0,
          gi,
          0,
          g,
        );
        for (let t = 0; t < steps; t++) {
          const prev = yo + (t - 1) * step;
          if (t > 0)
            gemmKernel(false, true, n, g, h, 1, ya, prev, ld, wha as F32, who, h, 0, gh, 0, g);
          for (let s = 0; s < n; s++) {
            const io = (s * steps + t) * g;
            const ho = s * g;
            const po = prev + s * ld;
            const out = yo + s * ld + t * step;
            for (let j = 0; j < h; j++) {
              // h = 0 before the first step: its projection h·W_hhᵀ is 0
              const hr = t > 0 ? gh[ho + j]! : 0;
              const hz = t > 0 ? gh[ho + h + j]! : 0;
              const hn = t > 0 ? gh[ho + 2 * h + j]! : 0;
              const r = sigmoid(gi[io + j]! + bia[bio + j]! + hr + bha[bho + j]!);
              const z = sigmoid(gi[io + h + j]! + bia[bio + h + j]! + hz + bha[bho + h + j]!);
              const cand = tanh(
                gi[io + 2 * h + j]! + bia[bio + 2 * h + j]! + r * (hn + bha[bho + 2 * h + j]!),
              );
              const hp = t > 0 ? ya[po + j]! : 0;
              // (1 − z)·n + z·h = n + z·(h − n)
              ya[out + j] = cand + z * (hp - cand);
            }
          }
        }
      };
    },
  ];
};

/**
 * layerNorm (ONNX LayerNormalization): over the dims axis … rank − 1 of each slice,
 * y = (x − μ)/√(σ² + ε)·scale + bias with μ the mean and σ² the biased variance (two passes,
 * float64). Inputs x, optional scale and bias shaped as the normalised dims (leading 1s allowed);
 * attributes axis (default −1), epsilon (default 1e-5).
 */
export const layerNorm: OpDef = (c) => {
  const X = f32(c, 0);
  const r = X.shape.length;
  if (r < 1) bad(c, "input must be at least 1-D");
  const ax = axis(c, num(c, "axis", -1, true), r);
  const eps = num(c, "epsilon", 1e-5, false, 0);
  const norm = X.shape.slice(ax);
  const inner = prod(norm);
  const [S, B] = [1, 2].map((i) => {
    const v = c.ins[i] && f32(c, i);
    if (v) {
      const s = v.shape.slice(Math.max(0, v.shape.length - norm.length));
      if (v.shape.length < norm.length || `${s}` !== `${norm}` || v.size !== inner) {
        bad(c, `input ${i} must be [${norm}] (the normalised dims), got [${v.shape}]`);
      }
    }
    return v;
  }) as [Val | undefined, Val | undefined];
  return [
    "float32",
    X.shape,
    (y) => {
      const { arr: xa, off: xo, size } = X;
      const ya = y.arr as F32;
      const yo = y.off;
      const sa = S?.arr;
      const so = S?.off ?? 0;
      const ba = B?.arr;
      const bo = B?.off ?? 0;
      return () => {
        for (let o = 0; o < size; o += inner) {
          const x0 = xo + o;
          let mu = 0;
          for (let i = 0; i < inner; i++) mu += xa[x0 + i]!;
          mu /= inner;
          let v = 0;
          for (let i = 0; i < inner; i++) {
            const d = xa[x0 + i]! - mu;
            v += d * d;
          }
          const inv = 1 / Math.sqrt(v / inner + eps);
          for (let i = 0; i < inner; i++) {
            const e = (xa[x0 + i]! - mu) * inv;
            ya[yo + o + i] = (sa ? e * sa[so + i]! : e) + (ba ? ba[bo + i]! : 0);
          }
        }
      };
    },
  ];
};
