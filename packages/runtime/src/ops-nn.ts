/*
 * The layers: gemm and matmul (the packed GEMM kernel), conv2d (im2col + GEMM kernel, relu fused),
 * max/avg/global pooling and batchNorm (loops over tap ranges and per-channel constants computed
 * once at prepare).
 */
import { conv2d as convKernel, gemm as gemmKernel } from "@edgenn/tensor/kernels";
import {
  bad,
  type Ctx,
  constant,
  f32,
  gemmScratch,
  ints,
  num,
  type OpDef,
  prod,
  str,
  strides,
} from "./op-helpers.js";
import { broadcastStrides } from "./ops-elementwise.js";

type F32 = Float32Array;

/** gemm: Y = α·op(A)·op(B) + β·C, op = transpose when transA/transB; C broadcasts to [M, N]. */
export const gemm: OpDef = (c) => {
  const A = f32(c, 0);
  const B = f32(c, 1);
  const C = c.ins[2] && f32(c, 2);
  const a = A.shape;
  const b = B.shape;
  if (a.length !== 2 || b.length !== 2) bad(c, `A and B must be 2-D, got [${a}] and [${b}]`);
  const tA = num(c, "transA", 0, true, 0, 1);
  const tB = num(c, "transB", 0, true, 0, 1);
  const alpha = num(c, "alpha", 1);
  const beta = num(c, "beta", 1);
  const m = a[tA]!;
  const k = a[1 - tA]!;
  const n = b[1 - tB]!;
  if (b[tB] !== k) {
    bad(c, `inner dimensions differ ([${a}], [${b}], transA=${tA}, transB=${tB})`);
  }
  const cs = C && broadcastStrides(C.shape, [m, n]);
  if (
    C &&
    (C.shape.length > 2 || C.shape.some((d, i) => d !== 1 && d !== [m, n][i + 2 - C.shape.length]))
  ) {
    bad(c, `C must broadcast to [${m},${n}], got [${C.shape}]`);
  }
  gemmScratch(c.scratch, m, n, k);
  return [
    "float32",
    [m, n],
    (y) => {
      const { arr: aa, off: ao } = A;
      const { arr: ba, off: bo } = B;
      const ya = y.arr as F32;
      const yo = y.off;
      const hasC = C !== undefined && beta !== 0;
      const isRelu = c.act === "relu";
      return () => {
        if (hasC) {
          // Y = β·C first; the product then accumulates onto it (gemm with β = 1)
          const [cr, cc] = cs as [number, number];
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) ya[yo + i * n + j] = beta * C.arr[C.off + i * cr + j * cc]!;
          }
        }
        gemmKernel(
          tA === 1,
          tB === 1,
          m,
          n,
          k,
          alpha,
          aa as F32,
          ao,
          tA ? m : k,
          ba as F32,
          bo,
          tB ? k : n,
          hasC ? 1 : 0,
          ya,
          yo,
          n,
        );
        if (isRelu) for (let i = yo; i < yo + m * n; i++) ya[i] = Math.max(ya[i]!, 0);
      };
    },
  ];
};

/** matmul with NumPy semantics: 1-D operands promoted, batch dims broadcast. */
export const matmul: OpDef = (c) => {
  const A = f32(c, 0);
  const B = f32(c, 1);
  const a = A.shape;
  const b = B.shape;
  if (a.length === 0 || b.length === 0) bad(c, "operands must be at least 1-D");
  const m = a.length === 1 ? 1 : a[a.length - 2]!;
  const k = a[a.length - 1]!;
  const n = b.length === 1 ? 1 : b[b.length - 1]!;
  if ((b.length === 1 ? b[0] : b[b.length - 2]) !== k)
    bad(c, `inner dimensions differ ([${a}] @ [${b}])`);
  const ab = a.slice(0, -2);
  const bb = b.slice(0, -2);
  const r = Math.max(ab.length, bb.length);
  const batch: number[] = [];
  for (let d = 0; d < r; d++) {
    const x = ab[d - r + ab.length] ?? 1;
    const z = bb[d - r + bb.length] ?? 1;
    if (x !== z && x !== 1 && z !== 1) bad(c, `batch dims do not broadcast ([${a}] @ [${b}])`);
    batch.push(x === 1 ? z : x);
  }
  const count = prod(batch);
  // B shared by every batch (no batch dims): A's batches fold into the rows of one GEMM
  const fold = prod(bb) === 1 && prod(ab) === count;
  gemmScratch(c.scratch, fold ? count * m : m, n, k);
  if (!fold) c.bytes += 8 * count;
  const out = [...batch];
  if (a.length > 1) out.push(m);
  if (b.length > 1) out.push(n);
  return [
    "float32",
    out,
    (y) => {
      const aa = A.arr as F32;
      const ba = B.arr as F32;
      const ya = y.arr as F32;
      const { off: ao } = A;
      const { off: bo } = B;
      const yo = y.off;
      if (fold)
        return () =>
          gemmKernel(false, false, count * m, n, k, 1, aa, ao, k, ba, bo, n, 0, ya, yo, n);
      // per batch i: the offsets of A's and B's matrices (stride 0 along broadcast batch dims)
      const sa = broadcastStrides(ab, batch);
      const sb = broadcastStrides(bb, batch);
      const st = strides(batch);
      const offs = new Int32Array(2 * count);
      for (let i = 0; i < count; i++) {
        for (let d = 0; d < st.length; d++) {
          const idx = Math.floor(i / st[d]!) % batch[d]!;
          offs[2 * i]! += idx * sa[d]! * m * k;
          offs[2 * i + 1]! += idx * sb[d]! * k * n;
        }
      }
      return () => {
        for (let i = 0; i < count; i++) {
          gemmKernel(
            false,
            false,
            m,
            n,
            k,
            1,
            aa,
            ao + offs[2 * i]!,
            k,
            ba,
            bo + offs[2 * i + 1]!,
            n,
            0,
            ya,
            yo + i * m * n,
            n,
          );
        }
      };
    },
  ];
};

/**
 * The 2-D window geometry of conv and pool (ONNX attributes): strides, dilations, pads
 * [top, left, bottom, right] (from `pads` or `auto_pad`), and the output size per dim,
 * ⌊(in + pads − span)/stride⌋ + 1 (⌈⌉ with ceil_mode, dropping a window that starts in the end
 * padding).
 */
function window2d(c: Ctx, inH: number, inW: number, k: number[], ceil = false) {
  const s = ints(c, "strides", [1, 1], 2, 1)!;
  const d = ints(c, "dilations", [1, 1], 2, 1)!;
  const mode = str(c, "auto_pad", ["NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"]);
  const p = mode === "NOTSET" ? ints(c, "pads", [0, 0, 0, 0], 4, 0)! : [0, 0, 0, 0];
  const out = [inH, inW].map((size, i) => {
    const span = d[i]! * (k[i]! - 1) + 1;
    if (mode[0] === "S") {
      // SAME: out = ⌈in/s⌉; the odd pixel of padding goes at the end (UPPER) or the start
      const total = Math.max(0, (Math.ceil(size / s[i]!) - 1) * s[i]! + span - size);
      p[i] = mode === "SAME_UPPER" ? total >> 1 : total - (total >> 1);
      p[i + 2] = total - p[i]!;
    }
    const q = (size + p[i]! + p[i + 2]! - span) / s[i]!;
    let o = (ceil ? Math.ceil(q) : Math.floor(q)) + 1;
    if (ceil && (o - 1) * s[i]! >= size + p[i]!) o--;
    if (!(o >= 1))
      bad(c, `window ${span} does not fit input ${size} with pads ${p[i]}+${p[i + 2]}`);
    return o;
  }) as [number, number];
  return { s, d, p, out };
}

/**
 * conv2d (NCHW), weights [outC, inC/group, kH, kW], optional bias [outC]; a following relu fuses.
 */
export const conv2d: OpDef = (c) => {
  const X = f32(c, 0);
  const W = f32(c, 1);
  const B = c.ins[2] && f32(c, 2);
  const x = X.shape;
  const w = W.shape;
  if (x.length !== 4 || w.length !== 4) bad(c, `input and weights must be 4-D, got [${x}], [${w}]`);
  const [batch, inC, inH, inW] = x as [number, number, number, number];
  const [outC, cg, kH, kW] = w as [number, number, number, number];
  const g = num(c, "group", 1, true, 1, inC);
  if (inC % g || outC % g || cg !== inC / g)
    bad(c, `weights [${w}] do not fit ${inC} input channels in ${g} groups`);
  const ks = ints(c, "kernel_shape", [kH, kW], 2)!;
  if (ks[0] !== kH || ks[1] !== kW)
    bad(c, `kernel_shape [${ks}] differs from the weights' [${kH},${kW}]`);
  if (B && (B.shape.length !== 1 || B.shape[0] !== outC))
    bad(c, `bias must be [${outC}], got [${B.shape}]`);
  const { s, d, p, out } = window2d(c, inH, inW, [kH, kW]);
  const hw = out[0] * out[1];
  const kk = cg * kH * kW;
  const sc = c.scratch;
  // the conv kernel's scratch (conv.ts): depthwise keeps a float64 plane; pointwise is one GEMM;
  // otherwise im2col packs up to 1024 output columns of K rows in float64 for gemmPackedB
  if (g === inC && inC === outC) sc.plane = Math.max(sc.plane, 8 * hw);
  else if (kk === cg && s[0] === 1 && s[1] === 1 && !p.some((v) => v))
    gemmScratch(sc, outC / g, hw, kk);
  else {
    sc.col = Math.max(sc.col, 8 * kk * Math.ceil(Math.min(hw, 1024) / 8) * 8);
    sc.gemmA = Math.max(sc.gemmA, 8 * Math.min(Math.ceil(outC / g / 8) * 8, 128) * 256);
  }
  const dims = { batch, inC, inH, inW, outC, outH: out[0], outW: out[1], kernelH: kH, kernelW: kW };
  const params = {
    strideH: s[0]!,
    strideW: s[1]!,
    padTop: p[0]!,
    padLeft: p[1]!,
    dilationH: d[0]!,
    dilationW: d[1]!,
    groups: g,
  };
  return [
    "float32",
    [batch, outC, out[0], out[1]],
    (y) => {
      const { arr: xa, off: xo } = X;
      const { arr: wa, off: wo } = W;
      const ba = B ? (B.arr as F32) : null;
      const bo = B ? B.off : 0;
      const { arr: ya, off: yo } = y;
      const act = c.act;
      return () =>
        convKernel(xa as F32, xo, wa as F32, wo, ba, bo, ya as F32, yo, dims, params, act);
    },
  ];
};

/**
 * maxPool2d / avgPool2d (NCHW): kernel_shape, strides, pads, dilations, ceil_mode,
 * count_include_pad.
 */
export function pool(isMax: boolean): OpDef {
  return (c) => {
    const X = f32(c, 0);
    const x = X.shape;
    if (x.length !== 4) bad(c, `input must be 4-D (NCHW), got [${x}]`);
    const k = ints(c, "kernel_shape", undefined, 2, 1);
    if (!k) bad(c, "attribute kernel_shape is required");
    const ceil = num(c, "ceil_mode", 0, true, 0, 1) === 1;
    const inclPad = num(c, "count_include_pad", 0, true, 0, 1) === 1;
    const { s, d, p, out } = window2d(c, x[2]!, x[3]!, k, ceil);
    c.bytes += 12 * (out[0] + out[1]);
    const planes = x[0]! * x[1]!;
    const [inH, inW] = [x[2]!, x[3]!];
    const [outH, outW] = out;
    const [sH, sW] = s as [number, number];
    const [dH, dW] = d as [number, number];
    return [
      "float32",
      [x[0]!, x[1]!, outH, outW],
      (y) => {
        // per output row/column o: the tap range [lo, hi) inside the input and the count of taps
        // inside the padded input (avg's divisor with count_include_pad)
        const [rows, cols] = out.map((n, i) => {
          const size = x[i + 2]!;
          const r = new Int32Array(3 * n);
          for (let o = 0; o < n; o++) {
            const start = o * s[i]! - p[i]!;
            r[3 * o] = start >= 0 ? 0 : Math.ceil(-start / d[i]!);
            r[3 * o + 1] = Math.min(k[i]!, Math.ceil((size - start) / d[i]!));
            r[3 * o + 2] = Math.min(k[i]!, Math.ceil((size + p[i + 2]! - start) / d[i]!));
            if (r[3 * o + 1]! <= r[3 * o]!)
              bad(c, `pooling window ${o} lies entirely in the padding`);
          }
          return r;
        }) as [Int32Array, Int32Array];
        const { arr: xa, off: xo } = X;
        const { arr: ya, off: yo } = y;
        return () => {
          // loop order plane → oh → ow → kh → kw over the tap ranges computed above
          let o = yo;
          for (let pl = 0; pl < planes; pl++) {
            for (let oh = 0; oh < outH; oh++) {
              const h0 = rows[3 * oh]!;
              const h1 = rows[3 * oh + 1]!;
              for (let ow = 0; ow < outW; ow++, o++) {
                const w0 = cols[3 * ow]!;
                const w1 = cols[3 * ow + 1]!;
                const base = xo + pl * inH * inW + (oh * sH - p[0]!) * inW + ow * sW - p[1]!;
                let acc = isMax ? Number.NEGATIVE_INFINITY : 0;
                for (let kh = h0; kh < h1; kh++) {
                  for (let kw = w0; kw < w1; kw++) {
                    const v = xa[base + kh * dH * inW + kw * dW]!;
                    // max: NaN wins, as ONNX Runtime and PyTorch
                    if (!isMax) acc += v;
                    else if (v > acc || v !== v) acc = v;
                  }
                }
                ya[o] = isMax
                  ? acc
                  : acc / (inclPad ? rows[3 * oh + 2]! * cols[3 * ow + 2]! : (h1 - h0) * (w1 - w0));
              }
            }
          }
        };
      },
    ];
  };
}

/** globalAvgPool2d: the mean of each [N, C] plane over all spatial dims; output [N, C, 1, …]. */
export const globalAvgPool2d: OpDef = (c) => {
  const x = f32(c, 0);
  if (x.shape.length < 3) bad(c, `input must be at least 3-D, got [${x.shape}]`);
  return [
    "float32",
    x.shape.map((v, i) => (i < 2 ? v : 1)),
    (y) => {
      const { arr: xa, off: xo } = x;
      const { arr: ya, off: yo, size: planes } = y;
      const hw = x.size / planes;
      return () => {
        for (let pl = 0; pl < planes; pl++) {
          let s = 0;
          for (let i = xo + pl * hw; i < xo + (pl + 1) * hw; i++) s += xa[i]!;
          ya[yo + pl] = s / hw;
        }
      };
    },
  ];
};

/**
 * batchNorm (inference): y = (x − mean)/√(var + ε)·scale + bias = x·a[c] + b[c], folded at prepare.
 */
export const batchNorm: OpDef = (c) => {
  const x = f32(c, 0);
  const ch = x.shape[1]!;
  if (x.shape.length < 2) bad(c, `input must be at least 2-D, got [${x.shape}]`);
  // scale, bias, mean, variance
  const [sc, bi, mu, va] = [1, 2, 3, 4].map((i) => {
    const v = f32(c, i);
    if (v.shape.length !== 1 || v.shape[0] !== ch)
      bad(c, `input ${i} must be [${ch}], got [${v.shape}]`);
    return constant(c, i);
  }) as [F32, F32, F32, F32];
  const eps = num(c, "epsilon", 1e-5, false, 0);
  c.bytes += 8 * ch;
  return [
    "float32",
    x.shape,
    (y) => {
      // a = scale/√(var + ε), b = bias − mean·a
      const ab = new Float32Array(2 * ch);
      for (let i = 0; i < ch; i++) {
        ab[i] = sc[i]! / Math.sqrt(va[i]! + eps);
        ab[ch + i] = bi[i]! - mu[i]! * ab[i]!;
      }
      const hw = prod(x.shape, 2);
      const { arr: xa, off: xo, size } = x;
      const { arr: ya, off: yo } = y;
      return () => {
        for (let pl = 0, i = 0; i < size; pl++) {
          const a = ab[pl % ch]!;
          const b = ab[ch + (pl % ch)]!;
          for (const end = i + hw; i < end; i++) ya[yo + i] = xa[xo + i]! * a + b;
        }
      };
    },
  ];
};
