/*
 * The layers: gemm and matmul (the GEMM kernel), conv2d (blocks of im2col columns in one shared
 * scratch times the weights through the GEMM kernel; pointwise convs multiply the input directly;
 * depthwise convs accumulate tap by tap), max/avg pooling (one window loop) and batchNorm
 * (per-channel constants folded at prepare).
 */
import { gemm as gemmKernel } from "@edgenn/tensor/kernels";
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
  type Step,
  str,
  strides,
  type Val,
} from "./op-helpers.js";
import { broadcast, broadcastStrides, walk } from "./ops-elementwise.js";

const NOTHING = (): void => {};

type F32 = Float32Array;

/**
 * A kernel that multiplies by a constant B packed once at load (the WebAssembly SIMD kernels of
 * `@edgenn/tensor/kernels`, passed in by the `simdOps` op set so the core bundle stays small).
 */
export interface PackedGemm<P> {
  /** Packs op(B), K×N (B stored N×K when transB), from b[bOff…] with leading dimension ldb. */
  pack(transB: boolean, b: Float32Array, bOff: number, ldb: number, k: number, n: number): P;
  /** C = α·op(A)·B + β·C with B packed. */
  run(
    transA: boolean,
    m: number,
    alpha: number,
    a: Float32Array,
    aOff: number,
    lda: number,
    pb: P,
    beta: number,
    c: Float32Array,
    cOff: number,
    ldc: number,
  ): void;
  /** Frees a packed B (called once its session is garbage). */
  release(pb: P): void;
}

/**
 * gemm: Y = α·op(A)·op(B) + β·C, op = transpose when transA/transB; C broadcasts to [M, N]. With
 * `packed`, a constant B (an initializer) is packed at prepare and multiplied by that kernel.
 */
export function gemmOp<P>(packed?: PackedGemm<P>): OpDef {
  // packed weights live as long as the step that uses them: freed when the session is dropped
  const registry = packed && new FinalizationRegistry<P>((pb) => packed.release(pb));
  return (c) => {
    const A = f32(c, 0);
    const B = f32(c, 1);
    const C = c.ins[2] && f32(c, 2);
    const a = A.shape;
    const b = B.shape;
    if (a.length !== 2 || b.length !== 2) bad(c, `A and B must be 2-D, got [${a}] and [${b}]`);
    const tA = num(c, "transA", 0, true, 0, 1);
    const tB = num(c, "transB", 0, true, 0, 1);
    const alpha = num(c, "alpha", 1);
    const beta = C ? num(c, "beta", 1) : 0;
    const m = a[tA]!;
    const k = a[1 - tA]!;
    const n = b[1 - tB]!;
    if (b[tB] !== k) bad(c, `inner dimensions differ ([${a}], [${b}], transA=${tA}, transB=${tB})`);
    if (C && `${broadcast(c, C.shape, [m, n], "C and A·B")}` !== `${[m, n]}`)
      bad(c, `C must broadcast to [${m},${n}], got [${C.shape}]`);
    gemmScratch(c.scratch, m, n, k);
    c.bytes += 52;
    return [
      "float32",
      [m, n],
      (y) => {
        const [cr, cc] = C ? broadcastStrides(C.shape, [m, n]) : [];
        const ya = y.arr as F32;
        const isRelu = c.act === "relu";
        const pb = packed && B.data && packed.pack(tB === 1, B.arr as F32, B.off, tB ? k : n, k, n);
        const step = () => {
          // Y = β·C first; the product then accumulates onto it (gemm with β = 1)
          for (let i = 0; beta && i < m; i++) {
            for (let j = 0; j < n; j++)
              ya[y.off + i * n + j] = beta * C!.arr[C!.off + i * cr! + j * cc!]!;
          }
          if (pb) {
            packed.run(
              tA === 1,
              m,
              alpha,
              A.arr as F32,
              A.off,
              tA ? m : k,
              pb,
              +!!beta,
              ya,
              y.off,
              n,
            );
          } else {
            gemmKernel(
              tA === 1,
              tB === 1,
              m,
              n,
              k,
              alpha,
              A.arr as F32,
              A.off,
              tA ? m : k,
              B.arr as F32,
              B.off,
              tB ? k : n,
              +!!beta,
              ya,
              y.off,
              n,
            );
          }
          for (let i = y.off; isRelu && i < y.off + m * n; i++) ya[i] = Math.max(ya[i]!, 0);
        };
        if (pb) registry!.register(step, pb);
        return step;
      },
    ];
  };
}

/** gemm on the TypeScript GEMM kernel (the core op). */
export const gemm: OpDef = /* @__PURE__ */ gemmOp();

/** matmul with NumPy semantics: 1-D operands promoted, batch dims broadcast. */
export const matmul: OpDef = (c) => {
  const A = f32(c, 0);
  const B = f32(c, 1);
  const a = A.shape;
  const b = B.shape;
  if (!a[0] || !b[0]) bad(c, "operands must be at least 1-D");
  const m = a[1] ? a[a.length - 2]! : 1;
  const k = a[a.length - 1]!;
  const n = b[1] ? b[b.length - 1]! : 1;
  if ((b[1] ? b[b.length - 2] : b[0]) !== k) bad(c, `inner dimensions differ ([${a}] @ [${b}])`);
  const ab = a.slice(0, -2);
  const bb = b.slice(0, -2);
  const batch = broadcast(c, ab, bb, "batch dims");
  const count = prod(batch);
  // B shared by every batch (no batch dims): A's batches fold into the rows of one GEMM
  const fold = prod(bb) === 1 && prod(ab) === count;
  const rows = fold ? count * m : m;
  gemmScratch(c.scratch, rows, n, k);
  c.bytes += 8 * count;
  return [
    "float32",
    [...batch, ...(a[1] ? [m] : []), ...(b[1] ? [n] : [])],
    (y) => {
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
      const aa = A.arr as F32;
      const ba = B.arr as F32;
      const ya = y.arr as F32;
      return () => {
        for (let i = 0; i < (fold ? 1 : count); i++) {
          gemmKernel(
            false,
            false,
            rows,
            n,
            k,
            1,
            aa,
            A.off + offs[2 * i]!,
            k,
            ba,
            B.off + offs[2 * i + 1]!,
            n,
            0,
            ya,
            y.off + i * m * n,
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
export function window2d(c: Ctx, inH: number, inW: number, k: number[], ceil?: number) {
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
  return { s, d, p, out, k };
}

/** The geometry `window2d` returns, with the kernel size. */
type Win = { [K in keyof ReturnType<typeof window2d>]: number[] };

/**
 * Max (NaN wins, as ONNX Runtime and PyTorch) or mean pooling over every window of X (NCHW), one
 * window at a time, skipping taps in the padding; the mean divides by the taps inside the input,
 * or inside the padded input with `inclPad`.
 */
function slide(w: Win, isMax: boolean, X: Val, y: Val, inclPad: number): Step {
  const {
    s: [sH, sW],
    d: [dH, dW],
    p: [pT, pL, pB, pR],
    out: [outH, outW],
    k: [kH, kW],
  } = w;
  const [, , inH, inW] = X.shape as number[];
  const planes = X.size / inH! / inW!;
  const xa = X.arr;
  const ya = y.arr;
  return () => {
    for (let pl = 0, o = y.off; pl < planes; pl++) {
      const xb = X.off + pl * inH! * inW!;
      for (let oh = 0; oh < outH!; oh++) {
        for (let ow = 0; ow < outW!; ow++) {
          let acc = isMax ? Number.NEGATIVE_INFINITY : 0;
          let n = 0;
          let inPad = 0;
          for (let kh = 0; kh < kH!; kh++) {
            const ih = oh * sH! - pT! + kh * dH!;
            for (let kw = 0; kw < kW!; kw++) {
              const iw = ow * sW! - pL! + kw * dW!;
              if (ih < inH! + pB! && iw < inW! + pR!) inPad++;
              // unsigned compares: a negative index is out of range too
              if (ih >>> 0 < inH! && iw >>> 0 < inW!) {
                const v = xa[xb + ih * inW! + iw]!;
                n++;
                if (!isMax) acc += v;
                else if (v > acc || v !== v) acc = v;
              }
            }
          }
          ya[o++] = isMax ? acc : acc / (inclPad ? inPad : n);
        }
      }
    }
  };
}

/** The float64 plane a depthwise conv accumulates into, shared, grown at prepare. */
let plane = new Float64Array(0);

/**
 * Depthwise conv (one input channel per output channel): per plane, the float64 plane starts at
 * the bias and takes each tap as one multiply-add over every output row, along the run of output
 * columns whose tap lies inside the input (no per-tap test); then the fused relu.
 */
function depthwise(w: Win, X: Val, W: Val, B: Val | undefined, y: Val, relu: boolean): Step {
  const {
    s: [sH, sW],
    d: [dH, dW],
    p: [pT, pL],
    out: [outH, outW],
    k: [kH, kW],
  } = w;
  const [, ch, inH, inW] = X.shape as number[];
  const hw = outH! * outW!;
  const xa = X.arr;
  const ya = y.arr;
  if (plane.length < hw) plane = new Float64Array(hw);
  return () => {
    const acc = plane;
    for (let pl = 0; pl < X.size / inH! / inW!; pl++) {
      const c = pl % ch!;
      acc.fill(B ? B.arr[B.off + c]! : 0, 0, hw);
      for (let kh = 0; kh < kH!; kh++) {
        for (let kw = 0; kw < kW!; kw++) {
          const wv = W.arr[W.off + (c * kH! + kh) * kW! + kw]!;
          // output column ow reads input column ow·sW + x0: inside the input for ow in [lo, hi)
          const x0 = kw * dW! - pL!;
          const lo = x0 < 0 ? Math.ceil(-x0 / sW!) : 0;
          const hi = Math.min(outW!, Math.ceil((inW! - x0) / sW!));
          for (let oh = 0; oh < outH!; oh++) {
            const ih = oh * sH! - pT! + kh * dH!;
            if (ih >>> 0 >= inH!) continue;
            const xr = X.off + (pl * inH! + ih) * inW! + x0;
            for (let ow = lo, a = oh * outW! + lo; ow < hi; ow++, a++)
              acc[a]! += wv * xa[xr + ow * sW!]!;
          }
        }
      }
      for (let i = 0, o = y.off + pl * hw; i < hw; i++)
        ya[o + i] = relu ? Math.max(acc[i]!, 0) : acc[i]!;
    }
  };
}

/** Output columns per im2col block (rounded to whole output rows). */
const COLS = 1024;
/** The im2col block shared by every conv of every session, grown at prepare. */
let col = new Float32Array(0);

/**
 * conv2d (NCHW), weights [outC, inC/group, kH, kW], optional bias [outC]; a following relu fuses.
 */
export const conv2d: OpDef = (c) => {
  const X = f32(c, 0);
  const W = f32(c, 1);
  const B = c.ins[2] && f32(c, 2);
  const x = X.shape;
  const wsh = W.shape;
  if (x.length !== 4 || wsh.length !== 4)
    bad(c, `input and weights must be 4-D, got [${x}], [${wsh}]`);
  const [batch, inC, inH, inW] = x as [number, number, number, number];
  const [outC, cg, kH, kW] = wsh as [number, number, number, number];
  const g = num(c, "group", 1, true, 1, inC);
  if (inC % g || outC % g || cg !== inC / g)
    bad(c, `weights [${wsh}] do not fit ${inC} input channels in ${g} groups`);
  const ks = ints(c, "kernel_shape", [kH, kW], 2)!;
  if (ks[0] !== kH || ks[1] !== kW)
    bad(c, `kernel_shape [${ks}] differs from the weights' [${kH},${kW}]`);
  if (B && (B.shape.length !== 1 || B.shape[0] !== outC))
    bad(c, `bias must be [${outC}], got [${B.shape}]`);
  const w = window2d(c, inH, inW, [kH, kW]);
  const { s, d, p, out } = w;
  const [outH, outW] = out;
  const hw = outH * outW;
  const kk = cg * kH * kW;
  const og = outC / g;
  const relu = c.act === "relu";
  const sc = c.scratch;
  // depthwise: tap by tap over a float64 plane; pointwise (1×1, stride 1, no pads): the input is
  // the GEMM's B
  const isDepthwise = cg === 1 && og === 1;
  const pointwise = kk === cg && s[0] === 1 && s[1] === 1 && !p.some((v) => v);
  // im2col blocks of whole output rows, about COLS columns (the whole image when pointwise)
  const rows = pointwise ? outH : Math.max(1, Math.min(outH, Math.floor(COLS / outW)));
  const nc = rows * outW;
  if (isDepthwise) sc.plane = Math.max(sc.plane, 8 * hw);
  else gemmScratch(sc, og, nc, kk);
  if (!isDepthwise && !pointwise) sc.col = Math.max(sc.col, 4 * kk * nc);
  c.bytes += 8 * outC + 72;
  return [
    "float32",
    [batch, outC, outH, outW],
    (y) => {
      if (isDepthwise) return depthwise(w, X, W, B, y, relu);
      if (col.length < kk * nc) col = new Float32Array(kk * nc);
      // bias and the fused relu: max(y·1 + bias, 0 or −∞) per channel
      const sb = new Float32Array(2 * outC).fill(1, 0, outC);
      if (B) sb.set(B.arr.subarray(B.off, B.off + outC), outC);
      const shape = [batch, outC, hw];
      const st = [outC * hw, hw, 1];
      const post =
        B || relu
          ? walk(
              "affine",
              shape,
              [y, st],
              [{ arr: sb, off: 0 }, [0, 1, 0]],
              [y, st],
              outC,
              relu ? 0 : -Infinity,
            )
          : NOTHING;
      const xa = X.arr as F32;
      const ya = y.arr as F32;
      const [sH, sW] = s as [number, number];
      const [dH, dW] = d as [number, number];
      const [pT, pL] = p as [number, number];
      return () => {
        // a later session's prepare may have grown the block
        const cb = col;
        for (let b = 0; b < batch; b++) {
          for (let gi = 0; gi < g; gi++) {
            const xb = X.off + (b * inC + gi * cg) * inH * inW;
            const yb = y.off + (b * outC + gi * og) * hw;
            for (let oh0 = 0; oh0 < outH; oh0 += rows) {
              const j0 = oh0 * outW;
              const n = Math.min(rows, outH - oh0) * outW;
              // im2col: col[r, j] = x[channel, oh·sH − pT + kh·dH, ow·sW − pL + kw·dW] (0 in the
              // padding) for row r = (channel, kh, kw) and output pixel j0 + j = (oh, ow); along a
              // row, output column ow reads input column ow·sW + x0, inside the input for [lo, hi)
              for (let r = 0; !pointwise && r < kk; r++) {
                const kw = r % kW;
                const kh = Math.floor(r / kW) % kH;
                const xc = xb + Math.floor(r / kW / kH) * inH * inW;
                const x0 = kw * dW - pL;
                const lo = Math.min(outW, x0 < 0 ? Math.ceil(-x0 / sW) : 0);
                const hi = Math.max(lo, Math.min(outW, Math.ceil((inW - x0) / sW)));
                for (let j = r * n, oh = oh0; j < (r + 1) * n; j += outW, oh++) {
                  const ih = oh * sH - pT + kh * dH;
                  if (ih >>> 0 >= inH) {
                    cb.fill(0, j, j + outW);
                    continue;
                  }
                  cb.fill(0, j, j + lo).fill(0, j + hi, j + outW);
                  for (let ow = lo, i = xc + ih * inW + x0 + lo * sW; ow < hi; ow++, i += sW)
                    cb[j + ow] = xa[i]!;
                }
              }
              gemmKernel(
                false,
                false,
                og,
                n,
                kk,
                1,
                W.arr as F32,
                W.off + gi * og * kk,
                kk,
                pointwise ? xa : cb,
                pointwise ? xb + j0 : 0,
                pointwise ? hw : n,
                0,
                ya,
                yb + j0,
                hw,
              );
            }
          }
        }
        post();
      };
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
    const ceil = num(c, "ceil_mode", 0, true, 0, 1);
    const inclPad = num(c, "count_include_pad", 0, true, 0, 1);
    const w = window2d(c, x[2]!, x[3]!, k, ceil);
    const { s, d, p, out } = w;
    return [
      "float32",
      [x[0]!, x[1]!, ...out],
      (y) => {
        // every window needs a tap inside the input: the first one at or past 0 (checked at
        // prepare, once the arena is placed)
        out.forEach((o, i) => {
          for (let j = 0; j < o; j++) {
            const start = j * s[i]! - p[i]!;
            const t = start < 0 ? Math.ceil(-start / d[i]!) : 0;
            if (t >= k[i]! || start + t * d[i]! >= x[i + 2]!)
              bad(c, `pooling window ${j} lies entirely in the padding`);
          }
        });
        return slide(w, isMax, X, y, inclPad);
      },
    ];
  };
}

/**
 * batchNorm (inference): y = (x − mean)/√(var + ε)·scale + bias = x·a[c] + b[c], folded at prepare.
 */
export const batchNorm: OpDef = (c) => {
  const x = f32(c, 0);
  const [n, ch] = x.shape as number[];
  if (!ch) bad(c, `input must be at least 2-D, got [${x.shape}]`);
  // scale, bias, mean, variance
  const [sc, bi, mu, va] = [1, 2, 3, 4].map((i) => {
    const v = f32(c, i);
    if (`${v.shape}` !== `${ch}`) bad(c, `input ${i} must be [${ch}], got [${v.shape}]`);
    return constant(c, i);
  }) as [F32, F32, F32, F32];
  const eps = num(c, "epsilon", 1e-5, false, 0);
  c.bytes += 8 * ch + 72;
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
      const hw = x.size / n! / ch;
      const st = [ch * hw, hw, 1];
      return walk(
        "affine",
        [n!, ch, hw],
        [x, st],
        [{ arr: ab, off: 0 }, [0, 1, 0]],
        [y, st],
        ch,
        -Infinity,
      );
    },
  ];
};
