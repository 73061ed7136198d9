/*
 * 2-D convolution (NCHW, weights [outC, inC/groups, kH, kW]) as im2col + GEMM:
 *  - forward, per image and group: col = im2col(x) is [K = inC/g·kH·kW, outH·outW], then
 *    y = W_g [outC/g, K] · col, then y = act(y + bias) in one pass; col is built 1024 output
 *    columns at a time, straight into the GEMM's packed float64 layout (no separate packing pass,
 *    and the scratch stays K·1024 whatever the image size);
 *  - gradient w.r.t. the input: col = W_gᵀ · dy, then col2im adds each column back onto the input
 *    positions it was read from;
 *  - gradient w.r.t. the weights: dW_g += dy [outC/g, outH·outW] · colᵀ, summed over the batch.
 * A 1×1 kernel with stride 1 and no padding needs no im2col: the input plane already is `col`.
 * Depthwise convolution (groups == inC == outC) has K = kH·kW and one output row per GEMM, too
 * small to pay for packing, so it runs as a direct loop instead.
 * Every kernel takes typed arrays with element offsets; the scratch buffers are kept between calls
 * (grown, never shrunk), so a steady state allocates nothing.
 */
import type { Conv2dParams, FusedActivation } from "../backend.js";
import { gemmWasm } from "../wasm/gemm-wasm.js";
import { gemm, gemmPackedB, PACK_KC, PACK_NR } from "./gemm.js";

/** Sizes of one conv2d call: input `[batch, inC, inH, inW]`, output `[batch, outC, outH, outW]`. */
export interface Conv2dDims {
  readonly batch: number;
  readonly inC: number;
  readonly inH: number;
  readonly inW: number;
  readonly outC: number;
  readonly outH: number;
  readonly outW: number;
  readonly kernelH: number;
  readonly kernelW: number;
}

let colScratch = new Float32Array(0);
let packedScratch = new Float64Array(0);
let planeScratch = new Float64Array(0);

/** Output columns per im2col chunk in the forward pass: bounds the packed scratch to K·1024. */
const CHUNK = 1024;

function colBuffer(size: number): Float32Array {
  if (colScratch.length < size) colScratch = new Float32Array(size);
  return colScratch;
}

function packedBuffer(size: number): Float64Array {
  if (packedScratch.length < size) packedScratch = new Float64Array(size);
  return packedScratch;
}

function planeBuffer(size: number): Float64Array {
  if (planeScratch.length < size) planeScratch = new Float64Array(size);
  return planeScratch;
}

/** True when the kernel is 1×1 with stride 1 and no padding: then `col` is the input itself. */
function isPointwise(d: Conv2dDims, p: Conv2dParams): boolean {
  return (
    d.kernelH === 1 &&
    d.kernelW === 1 &&
    p.strideH === 1 &&
    p.strideW === 1 &&
    p.padTop === 0 &&
    p.padLeft === 0 &&
    d.outH === d.inH &&
    d.outW === d.inW
  );
}

function isDepthwise(d: Conv2dDims, p: Conv2dParams): boolean {
  return p.groups === d.inC && d.inC === d.outC;
}

/** First output column `ow` whose input column `ow·stride + shift` is ≥ 0. */
function firstValid(shift: number, stride: number, outW: number): number {
  return shift >= 0 ? 0 : Math.min(outW, Math.ceil(-shift / stride));
}

/** One past the last output column whose input column `ow·stride + shift` is < `inW`. */
function endValid(shift: number, stride: number, inW: number, outW: number, lo: number): number {
  return Math.max(lo, Math.min(outW, Math.ceil((inW - shift) / stride)));
}

/**
 * col[(c·kH + kh)·kW + kw, oh·outW + ow] = x[c, oh·sH − padTop + kh·dH, ow·sW − padLeft + kw·dW],
 * zero where that position falls in the padding.
 * @param x - `channels` input planes of `inH×inW`, starting at `xOff`
 * @param col - the `[channels·kH·kW, outH·outW]` matrix, written from `colOff`
 * @returns nothing: `col` holds the result
 */
export function im2col(
  x: Float32Array,
  xOff: number,
  channels: number,
  inH: number,
  inW: number,
  kH: number,
  kW: number,
  outH: number,
  outW: number,
  p: Conv2dParams,
  col: Float32Array,
  colOff: number,
): void {
  const { strideH: sH, strideW: sW, dilationH: dH, dilationW: dW } = p;
  // loop order c → kh → kw → oh → ow: each (c, kh, kw) fills one contiguous row of col, and
  // within it each output row reads one input row, so the valid column range is computed per
  // row, never tested per element
  let row = colOff;
  for (let c = 0; c < channels; c++) {
    const plane = xOff + c * inH * inW;
    for (let kh = 0; kh < kH; kh++) {
      for (let kw = 0; kw < kW; kw++, row += outH * outW) {
        const shift = kw * dW - p.padLeft;
        const lo = firstValid(shift, sW, outW);
        const hi = endValid(shift, sW, inW, outW, lo);
        for (let oh = 0; oh < outH; oh++) {
          const ih = oh * sH - p.padTop + kh * dH;
          const dst = row + oh * outW;
          if (ih < 0 || ih >= inH) {
            col.fill(0, dst, dst + outW);
            continue;
          }
          const src = plane + ih * inW + shift;
          for (let ow = 0; ow < lo; ow++) col[dst + ow] = 0;
          if (sW === 1) for (let ow = lo; ow < hi; ow++) col[dst + ow] = x[src + ow]!;
          else for (let ow = lo; ow < hi; ow++) col[dst + ow] = x[src + ow * sW]!;
          for (let ow = hi; ow < outW; ow++) col[dst + ow] = 0;
        }
      }
    }
  }
}

/**
 * The transpose of `im2col`: x[c, ih, iw] += col[(c·kH + kh)·kW + kw, oh·outW + ow] for every
 * output position that read input position (ih, iw); padding positions are dropped.
 * @param col - the `[channels·kH·kW, outH·outW]` matrix, from `colOff`
 * @param x - `channels` planes of `inH×inW` from `xOff`, added into (not cleared)
 * @returns nothing: `x` holds the result
 */
export function col2im(
  col: Float32Array,
  colOff: number,
  channels: number,
  inH: number,
  inW: number,
  kH: number,
  kW: number,
  outH: number,
  outW: number,
  p: Conv2dParams,
  x: Float32Array,
  xOff: number,
): void {
  const { strideH: sH, strideW: sW, dilationH: dH, dilationW: dW } = p;
  // the same walk as im2col, adding instead of reading
  let row = colOff;
  for (let c = 0; c < channels; c++) {
    const plane = xOff + c * inH * inW;
    for (let kh = 0; kh < kH; kh++) {
      for (let kw = 0; kw < kW; kw++, row += outH * outW) {
        const shift = kw * dW - p.padLeft;
        const lo = firstValid(shift, sW, outW);
        const hi = endValid(shift, sW, inW, outW, lo);
        for (let oh = 0; oh < outH; oh++) {
          const ih = oh * sH - p.padTop + kh * dH;
          if (ih < 0 || ih >= inH) continue;
          const src = row + oh * outW;
          const dst = plane + ih * inW + shift;
          for (let ow = lo; ow < hi; ow++) x[dst + ow * sW]! += col[src + ow]!;
        }
      }
    }
  }
}

/**
 * im2col for output columns [j0, j0 + nc) only, written straight into GEMM's packed-B layout
 * (`gemmPackedB`) in float64: packed(r, j − j0) = col[r, j]. Fusing the two saves a full pass
 * over the K×N matrix. Columns of the last panel past `nc` are zero.
 */
function im2colPacked(
  x: Float32Array,
  xOff: number,
  channels: number,
  inH: number,
  inW: number,
  kH: number,
  kW: number,
  outW: number,
  p: Conv2dParams,
  j0: number,
  nc: number,
  bp: Float64Array,
): void {
  const { strideH: sH, strideW: sW, dilationH: dH, dilationW: dW } = p;
  const k = channels * kH * kW;
  const nPad = Math.ceil(nc / PACK_NR) * PACK_NR;
  // loop order c → kh → kw (one row r of B) → output positions j: a row of B is one strided
  // gather per output row, split into zero / copy / zero runs; `jj` walks the panel columns
  let r = 0;
  for (let c = 0; c < channels; c++) {
    const plane = xOff + c * inH * inW;
    for (let kh = 0; kh < kH; kh++) {
      for (let kw = 0; kw < kW; kw++, r++) {
        const pc = r - (r % PACK_KC);
        const kc = Math.min(PACK_KC, k - pc);
        const step = PACK_NR * kc;
        let dst = pc * nPad + (r - pc) * PACK_NR;
        let jj = 0;
        const shift = kw * dW - p.padLeft;
        const lo = firstValid(shift, sW, outW);
        const hi = endValid(shift, sW, inW, outW, lo);
        let oh = Math.floor(j0 / outW);
        let ow = j0 - oh * outW;
        for (let left = nc; left > 0; oh++, ow = 0) {
          const end = Math.min(outW, ow + left);
          left -= end - ow;
          const ih = oh * sH - p.padTop + kh * dH;
          const inside = ih >= 0 && ih < inH;
          const a = inside ? Math.min(Math.max(ow, lo), end) : end;
          const b = inside ? Math.max(a, Math.min(hi, end)) : end;
          const src = plane + ih * inW + shift;
          for (let e = ow; e < a; e++) {
            bp[dst + jj] = 0;
            if (++jj === PACK_NR) {
              jj = 0;
              dst += step;
            }
          }
          for (let e = a; e < b; e++) {
            bp[dst + jj] = x[src + e * sW]!;
            if (++jj === PACK_NR) {
              jj = 0;
              dst += step;
            }
          }
          for (let e = b; e < end; e++) {
            bp[dst + jj] = 0;
            if (++jj === PACK_NR) {
              jj = 0;
              dst += step;
            }
          }
        }
        for (; jj > 0 && jj < PACK_NR; jj++) bp[dst + jj] = 0;
      }
    }
  }
}

/**
 * y = act(conv2d(x, w) + bias), NCHW: y[n, o, oh, ow] = bias[o] + Σ x[n, g·Cg + c, oh·sH − padTop +
 * kh·dH, ow·sW − padLeft + kw·dW]·w[o, c, kh, kw] over c < inC/groups, kh, kw, for o in group g.
 * Bottom/right padding is implied by `outH`, `outW`.
 * @param x - input `[batch, inC, inH, inW]` from `xOff`
 * @param w - weights `[outC, inC/groups, kH, kW]` from `wOff`
 * @param bias - `[outC]` from `biasOff`, or null
 * @param y - output `[batch, outC, outH, outW]` from `yOff`, overwritten
 * @param act - activation applied after the bias: 'none', 'relu' or 'relu6' (min(max(v, 0), 6))
 * @returns nothing: `y` holds the result
 */
export function conv2d(
  x: Float32Array,
  xOff: number,
  w: Float32Array,
  wOff: number,
  bias: Float32Array | null,
  biasOff: number,
  y: Float32Array,
  yOff: number,
  d: Conv2dDims,
  p: Conv2dParams,
  act: FusedActivation,
): void {
  if (isDepthwise(d, p)) {
    depthwiseForward(x, xOff, w, wOff, bias, biasOff, y, yOff, d, p, act);
    return;
  }
  const { batch, inC, inH, inW, outC, outH, outW, kernelH: kH, kernelW: kW } = d;
  const g = p.groups;
  const cinG = inC / g;
  const coutG = outC / g;
  const k = cinG * kH * kW;
  const hw = outH * outW;
  const inHW = inH * inW;
  const direct = isPointwise(d, p);
  const chunk = Math.min(hw, CHUNK);
  const bp = direct ? null : packedBuffer(k * Math.ceil(chunk / PACK_NR) * PACK_NR);
  for (let n = 0; n < batch; n++) {
    for (let gi = 0; gi < g; gi++) {
      const xo = xOff + (n * inC + gi * cinG) * inHW;
      const wo = wOff + gi * coutG * k;
      const yo = yOff + (n * outC + gi * coutG) * hw;
      // y_g [coutG, hw] = W_g [coutG, K] · col [K, hw], col = the input plane when pointwise
      if (bp === null) gemm(false, false, coutG, hw, k, 1, w, wo, k, x, xo, hw, 0, y, yo, hw);
      else {
        for (let j0 = 0; j0 < hw; j0 += chunk) {
          const nc = Math.min(chunk, hw - j0);
          im2colPacked(x, xo, cinG, inH, inW, kH, kW, outW, p, j0, nc, bp);
          gemmPackedB(false, coutG, nc, k, 1, w, wo, k, bp, 0, 0, y, yo + j0, hw);
        }
      }
    }
  }
  biasActivation(y, yOff, batch * outC, outC, hw, bias, biasOff, act);
}

/** y[plane] = act(y[plane] + bias[plane mod channels]) over `planes` planes of `hw` elements. */
function biasActivation(
  y: Float32Array,
  yOff: number,
  planes: number,
  channels: number,
  hw: number,
  bias: Float32Array | null,
  biasOff: number,
  act: FusedActivation,
): void {
  if (bias === null && act === "none") return;
  for (let pl = 0; pl < planes; pl++) {
    const b = bias === null ? 0 : bias[biasOff + (pl % channels)]!;
    const start = yOff + pl * hw;
    const end = start + hw;
    // the switch is outside the element loop; Math.max/min keep NaN as NaN
    if (act === "none") for (let i = start; i < end; i++) y[i]! += b;
    else if (act === "relu") {
      for (let i = start; i < end; i++) {
        const v = y[i]! + b;
        y[i] = Math.max(v, 0);
      }
    } else {
      for (let i = start; i < end; i++) {
        const v = y[i]! + b;
        y[i] = Math.min(Math.max(v, 0), 6);
      }
    }
  }
}

/** Depthwise forward: one output plane per input plane, accumulated in float64. */
function depthwiseForward(
  x: Float32Array,
  xOff: number,
  w: Float32Array,
  wOff: number,
  bias: Float32Array | null,
  biasOff: number,
  y: Float32Array,
  yOff: number,
  d: Conv2dDims,
  p: Conv2dParams,
  act: FusedActivation,
): void {
  const { batch, inC: ch, inH, inW, outH, outW, kernelH: kH, kernelW: kW } = d;
  const { strideH: sH, strideW: sW, dilationH: dH, dilationW: dW } = p;
  const hw = outH * outW;
  const acc = planeBuffer(hw);
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < ch; c++) {
      const plane = xOff + (n * ch + c) * inH * inW;
      acc.fill(bias === null ? 0 : bias[biasOff + c]!, 0, hw);
      // loop order kh → kw → oh → ow: each tap is one scaled, strided row added over the valid
      // output columns of each output row, with no bounds test inside the row
      for (let kh = 0; kh < kH; kh++) {
        for (let kw = 0; kw < kW; kw++) {
          const wv = w[wOff + (c * kH + kh) * kW + kw]!;
          const shift = kw * dW - p.padLeft;
          const lo = firstValid(shift, sW, outW);
          const hi = endValid(shift, sW, inW, outW, lo);
          for (let oh = 0; oh < outH; oh++) {
            const ih = oh * sH - p.padTop + kh * dH;
            if (ih < 0 || ih >= inH) continue;
            const src = plane + ih * inW + shift;
            const dst = oh * outW;
            for (let ow = lo; ow < hi; ow++) acc[dst + ow]! += wv * x[src + ow * sW]!;
          }
        }
      }
      const out = yOff + (n * ch + c) * hw;
      for (let i = 0; i < hw; i++) y[out + i] = acc[i]!;
    }
  }
  biasActivation(y, yOff, batch * ch, ch, hw, null, 0, act);
}

/**
 * The gradient of `conv2d` with respect to its input (also the forward of a transposed
 * convolution): dx[n, c, ih, iw] = Σ dy[n, o, oh, ow]·w[o, c − g·Cg, kh, kw] over the (o, oh, ow,
 * kh, kw) for which conv2d read x[n, c, ih, iw].
 * @param dy - `[batch, outC, outH, outW]` from `dyOff`
 * @param w - weights `[outC, inC/groups, kH, kW]` from `wOff`
 * @param dx - `[batch, inC, inH, inW]` from `dxOff`, overwritten
 * @returns nothing: `dx` holds the result
 */
export function conv2dBackpropInput(
  dy: Float32Array,
  dyOff: number,
  w: Float32Array,
  wOff: number,
  dx: Float32Array,
  dxOff: number,
  d: Conv2dDims,
  p: Conv2dParams,
): void {
  const { batch, inC, inH, inW, outC, outH, outW, kernelH: kH, kernelW: kW } = d;
  const inHW = inH * inW;
  if (isDepthwise(d, p)) {
    dx.fill(0, dxOff, dxOff + batch * inC * inHW);
    depthwiseBackpropInput(dy, dyOff, w, wOff, dx, dxOff, d, p);
    return;
  }
  const direct = isPointwise(d, p);
  // col2im adds into dx; the pointwise GEMM overwrites it
  if (!direct) dx.fill(0, dxOff, dxOff + batch * inC * inHW);
  const g = p.groups;
  const cinG = inC / g;
  const coutG = outC / g;
  const k = cinG * kH * kW;
  const hw = outH * outW;
  const col = direct ? dx : colBuffer(k * hw);
  for (let n = 0; n < batch; n++) {
    for (let gi = 0; gi < g; gi++) {
      const xo = dxOff + (n * inC + gi * cinG) * inHW;
      // col [K, hw] = W_gᵀ [K, coutG] · dy_g [coutG, hw]
      gemmWasm(
        true,
        false,
        k,
        hw,
        coutG,
        1,
        w,
        wOff + gi * coutG * k,
        k,
        dy,
        dyOff + (n * outC + gi * coutG) * hw,
        hw,
        0,
        col,
        direct ? xo : 0,
        hw,
      );
      if (!direct) col2im(col, 0, cinG, inH, inW, kH, kW, outH, outW, p, dx, xo);
    }
  }
}

/** Depthwise gradient w.r.t. the input (`dx` already zero): the forward walk, scattering. */
function depthwiseBackpropInput(
  dy: Float32Array,
  dyOff: number,
  w: Float32Array,
  wOff: number,
  dx: Float32Array,
  dxOff: number,
  d: Conv2dDims,
  p: Conv2dParams,
): void {
  const { batch, inC: ch, inH, inW, outH, outW, kernelH: kH, kernelW: kW } = d;
  const { strideH: sH, strideW: sW, dilationH: dH, dilationW: dW } = p;
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < ch; c++) {
      const plane = dxOff + (n * ch + c) * inH * inW;
      const dyPlane = dyOff + (n * ch + c) * outH * outW;
      // loop order as the forward: per tap, one strided row of dx gains w·(a row of dy)
      for (let kh = 0; kh < kH; kh++) {
        for (let kw = 0; kw < kW; kw++) {
          const wv = w[wOff + (c * kH + kh) * kW + kw]!;
          const shift = kw * dW - p.padLeft;
          const lo = firstValid(shift, sW, outW);
          const hi = endValid(shift, sW, inW, outW, lo);
          for (let oh = 0; oh < outH; oh++) {
            const ih = oh * sH - p.padTop + kh * dH;
            if (ih < 0 || ih >= inH) continue;
            const dst = plane + ih * inW + shift;
            const src = dyPlane + oh * outW;
            for (let ow = lo; ow < hi; ow++) dx[dst + ow * sW]! += wv * dy[src + ow]!;
          }
        }
      }
    }
  }
}

/**
 * The gradient of `conv2d` with respect to its weights: dw[o, c, kh, kw] = Σ dy[n, o, oh, ow]·
 * x[n, g·Cg + c, oh·sH − padTop + kh·dH, ow·sW − padLeft + kw·dW] over n, oh, ow.
 * @param x - input `[batch, inC, inH, inW]` from `xOff`
 * @param dy - `[batch, outC, outH, outW]` from `dyOff`
 * @param dw - `[outC, inC/groups, kH, kW]` from `dwOff`, overwritten
 * @returns nothing: `dw` holds the result
 */
export function conv2dBackpropFilter(
  x: Float32Array,
  xOff: number,
  dy: Float32Array,
  dyOff: number,
  dw: Float32Array,
  dwOff: number,
  d: Conv2dDims,
  p: Conv2dParams,
): void {
  const { batch, inC, inH, inW, outC, outH, outW, kernelH: kH, kernelW: kW } = d;
  const g = p.groups;
  const cinG = inC / g;
  const coutG = outC / g;
  const k = cinG * kH * kW;
  if (batch === 0) {
    dw.fill(0, dwOff, dwOff + outC * k);
    return;
  }
  if (isDepthwise(d, p)) {
    depthwiseBackpropFilter(x, xOff, dy, dyOff, dw, dwOff, d, p);
    return;
  }
  const hw = outH * outW;
  const inHW = inH * inW;
  const direct = isPointwise(d, p);
  const col = direct ? x : colBuffer(k * hw);
  for (let n = 0; n < batch; n++) {
    for (let gi = 0; gi < g; gi++) {
      const xo = xOff + (n * inC + gi * cinG) * inHW;
      if (!direct) im2col(x, xo, cinG, inH, inW, kH, kW, outH, outW, p, col, 0);
      // dW_g [coutG, K] (+)= dy_g [coutG, hw] · colᵀ [hw, K]; the first image overwrites
      gemmWasm(
        false,
        true,
        coutG,
        k,
        hw,
        1,
        dy,
        dyOff + (n * outC + gi * coutG) * hw,
        hw,
        col,
        direct ? xo : 0,
        hw,
        n === 0 ? 0 : 1,
        dw,
        dwOff + gi * coutG * k,
        k,
      );
    }
  }
}

/** Depthwise gradient w.r.t. the weights: one float64 dot product per tap over the batch. */
function depthwiseBackpropFilter(
  x: Float32Array,
  xOff: number,
  dy: Float32Array,
  dyOff: number,
  dw: Float32Array,
  dwOff: number,
  d: Conv2dDims,
  p: Conv2dParams,
): void {
  const { batch, inC: ch, inH, inW, outH, outW, kernelH: kH, kernelW: kW } = d;
  const { strideH: sH, strideW: sW, dilationH: dH, dilationW: dW } = p;
  // loop order c → kh → kw → n → oh → ow: each weight is one dot product of a strided window of x
  // with dy, rows clipped to their valid columns once
  for (let c = 0; c < ch; c++) {
    for (let kh = 0; kh < kH; kh++) {
      for (let kw = 0; kw < kW; kw++) {
        const shift = kw * dW - p.padLeft;
        const lo = firstValid(shift, sW, outW);
        const hi = endValid(shift, sW, inW, outW, lo);
        let s = 0;
        for (let n = 0; n < batch; n++) {
          const plane = xOff + (n * ch + c) * inH * inW;
          const dyPlane = dyOff + (n * ch + c) * outH * outW;
          for (let oh = 0; oh < outH; oh++) {
            const ih = oh * sH - p.padTop + kh * dH;
            if (ih < 0 || ih >= inH) continue;
            const src = plane + ih * inW + shift;
            const g = dyPlane + oh * outW;
            for (let ow = lo; ow < hi; ow++) s += dy[g + ow]! * x[src + ow * sW]!;
          }
        }
        dw[dwOff + (c * kH + kh) * kW + kw] = s;
      }
    }
  }
}
