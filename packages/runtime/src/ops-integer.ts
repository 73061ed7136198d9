/*
 * ONNX's integer ops: matmulInteger (MatMulInteger) and convInteger (ConvInteger), int8 operands
 * with optional zero points and int32 outputs y = wrap32(Σ (a − za)·(b − zb)), and shift128, the
 * uint8 ↔ int8 conversion at a model's edges. uint8 data runs as int8: the ONNX importer stores
 * every uint8 tensor as q − 128 and every uint8 zero point as zp − 128, which leaves each
 * difference q − zp (and so every result) unchanged; shift128 converts a uint8 model input or
 * output. Zero points are inputs (ONNX allows non-constant ones) read at each run.
 *
 * matmulInteger with constant 2-D B and zero point, B − zb within int8 and K ≤ INT8_MAX_K runs on
 * the packed int8 GEMM (`linearQ8Int32`: Σ w·(a − za) exactly, wrapped like int32); so does
 * convInteger with constant w and zero point, w − zw within int8, on patches of the input (the
 * zero point in the padding, so a padding tap adds 0). Anything else runs a plain loop (integer
 * products summed exactly, wrapped to int32; convInteger's over the same patches).
 */
import { INT8_MAX_K, linearQ8Int32, prepareLinearQ8 } from "@edgenn/tensor/kernels";
import {
  bad,
  type Ctx,
  input,
  ints,
  num,
  type OpDef,
  prod,
  strides,
  type Val,
} from "./op-helpers.js";
import { broadcast, broadcastStrides } from "./ops-elementwise.js";
import { window2d } from "./ops-nn.js";

type I8 = Int8Array;

/** Output positions per patch chunk of convInteger's GEMM path. */
const CHUNK = 256;

/** Input `i` (required), which must be int8 (uint8 models arrive shifted to int8). */
function i8(c: Ctx, i: number): Val {
  const v = input(c, i);
  if (v.dtype !== "int8") bad(c, `input ${i} "${v.name}" must be int8, got ${v.dtype}`);
  return v;
}

/**
 * Optional zero-point input `i`: int8, a scalar or 1-D of 1 or `len` elements (`len` = 1: per
 * tensor only); `what` names what `len` counts.
 */
function zeroPoints(c: Ctx, i: number, len: number, what: string): Val | undefined {
  const z = c.ins[i];
  if (!z) return undefined;
  if (z.dtype !== "int8")
    bad(c, `zero point (input ${i}) "${z.name}" must be int8, got ${z.dtype}`);
  if (z.shape.length > 1 || (z.size !== 1 && z.size !== len)) {
    bad(
      c,
      `zero point (input ${i}) "${z.name}" must be a scalar or 1-D of ${len === 1 ? 1 : `1 or ${len}`} elements (${what}), got [${z.shape}]`,
    );
  }
  return z;
}

/**
 * matmulInteger: y[…, i, j] = wrap32(Σₚ (a[…, i, p] − za_i)·(b[…, p, j] − zb_j)) with NumPy matmul
 * shapes (1-D operands promoted, batch dims broadcast); za per tensor or per row of A, zb per
 * tensor or per column of B; int32 output.
 */
export const matmulInteger: OpDef = (c) => {
  const A = i8(c, 0);
  const B = i8(c, 1);
  const a = A.shape;
  const b = B.shape;
  if (!a[0] || !b[0]) bad(c, "operands must be at least 1-D");
  const m = a[1] ? a[a.length - 2]! : 1;
  const k = a[a.length - 1]!;
  const n = b[1] ? b[b.length - 1]! : 1;
  if ((b[1] ? b[b.length - 2] : b[0]) !== k) bad(c, `inner dimensions differ ([${a}] @ [${b}])`);
  const za = zeroPoints(c, 2, m, "rows of A");
  const zb = zeroPoints(c, 3, n, "columns of B");
  const ab = a.slice(0, -2);
  const bb = b.slice(0, -2);
  const batch = broadcast(c, ab, bb, "batch dims");
  const count = prod(batch);
  // the packed GEMM: B constant and shared by every batch, B − zb within int8
  const bd = B.data as I8 | undefined;
  const zd = zb?.data as I8 | undefined;
  let wt: I8 | null = null;
  if (bd && (!zb || zd) && b.length === 2 && k <= INT8_MAX_K) {
    // wt[j, p] = b[p, j] − zb_j; out of int8 range (as wt's wrap shows): the plain loop
    const t = new Int8Array(n * k);
    let isExact = true;
    for (let p = 0; p < k; p++) {
      for (let j = 0; j < n; j++) {
        const v = bd[p * n + j]! - (zd ? zd[zd.length === 1 ? 0 : j]! : 0);
        t[j * k + p] = v;
        isExact &&= t[j * k + p] === v;
      }
    }
    if (isExact) wt = t;
  }
  c.bytes += wt ? Math.ceil(n / 16) * 16 * k * 4 + 64 * n : 8 * count;
  const rows = count * m;
  return [
    "int32",
    [...batch, ...(a[1] ? [m] : []), ...(b[1] ? [n] : [])],
    (y) => {
      const aa = A.arr as I8;
      const ya = y.arr as Int32Array;
      const zaa = za?.arr as I8 | undefined;
      const zao = za?.off ?? 0;
      const perRow = za !== undefined && za.size > 1;
      if (wt) {
        const zeros = new Int32Array(n);
        const rq = {
          multipliers: zeros,
          shifts: zeros,
          outZeroPoint: 0,
          actMin: -128,
          actMax: 127,
        };
        const plan = prepareLinearQ8(wt, 0, n, k, null, 0, 0, rq);
        return () => {
          if (!perRow) {
            linearQ8Int32(plan, rows, aa, A.off, zaa ? zaa[zao]! : 0, ya, y.off);
            return;
          }
          for (let r = 0; r < rows; r++)
            linearQ8Int32(plan, 1, aa, A.off + r * k, zaa![zao + (r % m)]!, ya, y.off + r * n);
        };
      }
      // per batch i: the offsets of A's and B's matrices (stride 0 along broadcast batch dims)
      const sa = broadcastStrides(ab, batch);
      const sb = broadcastStrides(bb, batch);
      const st = strides(batch);
      const offs = new Int32Array(2 * count);
      for (let i = 0; i < count; i++) {
        st.forEach((s, d) => {
          const idx = Math.floor(i / s) % batch[d]!;
          offs[2 * i]! += idx * sa[d]! * m * k;
          offs[2 * i + 1]! += idx * sb[d]! * k * n;
        });
      }
      const ba = B.arr as I8;
      const zba = zb?.arr as I8 | undefined;
      const zbo = zb?.off ?? 0;
      const zbStep = zb && zb.size > 1 ? 1 : 0;
      const zaStep = perRow ? 1 : 0;
      // row by row: y[i, ·] = Σₚ (a[i, p] − za_i)·b[p, ·] − zb·Σₚ (a[i, p] − za_i), summed in
      // the int32 output (each step exact, wrapping as int32 does)
      return () => {
        for (let i = 0, o = y.off; i < count; i++, o += m * n) {
          const a0 = A.off + offs[2 * i]!;
          const b0 = B.off + offs[2 * i + 1]!;
          for (let r = 0; r < m; r++) {
            const zr = zaa ? zaa[zao + r * zaStep]! : 0;
            const ar = a0 + r * k;
            const yr = o + r * n;
            ya.fill(0, yr, yr + n);
            let sum = 0;
            for (let p = 0; p < k; p++) {
              const av = aa[ar + p]! - zr;
              sum += av;
              for (let j = 0, q = b0 + p * n; j < n; j++)
                ya[yr + j] = ya[yr + j]! + av * ba[q + j]!;
            }
            if (zba) {
              for (let j = 0; j < n; j++)
                ya[yr + j] = ya[yr + j]! - Math.imul(zba[zbo + j * zbStep]!, sum);
            }
          }
        }
      };
    },
  ];
};

/**
 * convInteger (NCHW): y[n, oc, oh, ow] = wrap32(Σ_{c, kh, kw} (x[n, g·C/G + c, ih, iw] − zx)·
 * (w[oc, c, kh, kw] − zw_oc)) over the taps inside the input (padding reads as the zero point,
 * i.e. adds 0), ih = oh·sH − padTop + kh·dH; zx per tensor, zw per tensor or per output channel;
 * ONNX Conv's attributes; int32 output.
 */
export const convInteger: OpDef = (c) => {
  const X = i8(c, 0);
  const W = i8(c, 1);
  const x = X.shape;
  const wsh = W.shape;
  if (x.length !== 4 || wsh.length !== 4)
    bad(c, `input and weights must be 4-D (2-D convolution), got [${x}], [${wsh}]`);
  const [batch, inC, inH, inW] = x as [number, number, number, number];
  const [outC, cg, kH, kW] = wsh as [number, number, number, number];
  const g = num(c, "group", 1, true, 1, inC);
  if (inC % g || outC % g || cg !== inC / g)
    bad(c, `weights [${wsh}] do not fit ${inC} input channels in ${g} groups`);
  const ks = ints(c, "kernel_shape", [kH, kW], 2)!;
  if (ks[0] !== kH || ks[1] !== kW)
    bad(c, `kernel_shape [${ks}] differs from the weights' [${kH},${kW}]`);
  const zx = zeroPoints(c, 2, 1, "per tensor");
  const zw = zeroPoints(c, 3, outC, "output channels");
  const { s, d, p, out } = window2d(c, inH, inW, [kH, kW]);
  const [outH, outW] = out;
  const [sH, sW] = s as [number, number];
  const [dH, dW] = d as [number, number];
  const [pT, pL] = p as [number, number];
  const kk = cg * kH * kW;
  const perG = outC / g;
  const hw = outH * outW;
  // the packed GEMM: w and zw constant, w − zw within int8
  const wd = W.data as I8 | undefined;
  const zwd = zw?.data as I8 | undefined;
  let wc: I8 | null = null;
  if (wd && (!zw || zwd) && kk <= INT8_MAX_K) {
    const t = new Int8Array(outC * kk);
    let isExact = true;
    for (let i = 0; i < t.length; i++) {
      const v = wd[i]! - (zwd ? zwd[zwd.length === 1 ? 0 : Math.floor(i / kk)]! : 0);
      t[i] = v;
      isExact &&= t[i] === v;
    }
    if (isExact) wc = t;
  }
  const chunk = Math.min(hw, CHUNK);
  c.bytes +=
    (wc ? g * (Math.ceil(perG / 16) * 16 * kk * 4 + 64 * perG) : 0) + chunk * (kk + 4 * perG);
  return [
    "int32",
    [batch, outC, outH, outW],
    (y) => {
      const xa = X.arr as I8;
      const wa = W.arr as I8;
      const ya = y.arr as Int32Array;
      const zxa = zx?.arr as I8 | undefined;
      const zwa = zw?.arr as I8 | undefined;
      const zwStep = zw && zw.size > 1 ? 1 : 0;
      const plane = inH * inW;
      const zeros = new Int32Array(perG);
      const rq = { multipliers: zeros, shifts: zeros, outZeroPoint: 0, actMin: -128, actMax: 127 };
      const plans = Array.from({ length: wc ? g : 0 }, (_, gi) =>
        prepareLinearQ8(wc!, gi * perG * kk, perG, kk, null, 0, 0, rq),
      );
      const patches = new Int8Array(chunk * kk);
      const acc = new Int32Array(chunk * perG);
      // per image, group and chunk of ≤ 256 output positions: the patches [len, K] (the input
      // taps, the zero point in the padding), times the group's weights, into the output planes
      return () => {
        const zxv = zxa ? zxa[zx!.off]! : 0;
        for (let nb = 0; nb < batch; nb++) {
          for (let gi = 0; gi < g; gi++) {
            const x0 = X.off + (nb * inC + gi * cg) * plane;
            const y0 = y.off + (nb * outC + gi * perG) * hw;
            for (let q0 = 0; q0 < hw; q0 += chunk) {
              const len = Math.min(chunk, hw - q0);
              for (let i = 0, t = 0; i < len; i++) {
                const oh = Math.floor((q0 + i) / outW);
                const ow = q0 + i - oh * outW;
                for (let ci = 0; ci < cg; ci++) {
                  for (let kh = 0; kh < kH; kh++) {
                    const ih = oh * sH - pT + kh * dH;
                    const row = x0 + ci * plane + ih * inW;
                    for (let kw = 0; kw < kW; kw++, t++) {
                      const iw = ow * sW - pL + kw * dW;
                      // unsigned compares: a negative index is out of range too
                      patches[t] = ih >>> 0 < inH && iw >>> 0 < inW ? xa[row + iw]! : zxv;
                    }
                  }
                }
              }
              if (wc) linearQ8Int32(plans[gi]!, len, patches, 0, zxv, acc, 0);
              for (let j = 0; j < perG; j++) {
                const yo = y0 + j * hw + q0;
                if (wc) {
                  for (let i = 0; i < len; i++) ya[yo + i] = acc[i * perG + j]!;
                  continue;
                }
                // the plain loop: Σₜ (patch − zx)·(w − zw), exact, wrapped to int32
                const oc = gi * perG + j;
                const zwv = zwa ? zwa[zw!.off + oc * zwStep]! : 0;
                const w0 = W.off + oc * kk;
                for (let i = 0; i < len; i++) {
                  let sum = 0;
                  for (let t = 0, pi = i * kk; t < kk; t++)
                    sum += (patches[pi + t]! - zxv) * (wa[w0 + t]! - zwv);
                  ya[yo + i] = sum;
                }
              }
            }
          }
        }
      };
    },
  ];
};

/**
 * shift128: y = x + 128 for int8 x (uint8 y), y = x − 128 for uint8 x (int8 y): the same real
 * values with the zero point moved by 128 (the importer's bridge for uint8 model inputs and
 * outputs).
 */
export const shift128: OpDef = (c) => {
  const X = input(c, 0);
  if (X.dtype !== "int8" && X.dtype !== "uint8")
    bad(c, `input 0 "${X.name}" must be int8 or uint8, got ${X.dtype}`);
  const d = X.dtype === "int8" ? 128 : -128;
  return [
    X.dtype === "int8" ? "uint8" : "int8",
    X.shape,
    (y) => {
      const xa = X.arr;
      const ya = y.arr;
      const { off, size } = X;
      const yo = y.off;
      return () => {
        for (let i = 0; i < size; i++) ya[yo + i] = xa[off + i]! + d;
      };
    },
  ];
};
