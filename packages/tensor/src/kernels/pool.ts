/*
 * 2-D max and average pooling over NCHW planes, and their gradients. A window starts at
 * (oh·sH − padTop, ow·sW − padLeft) and has kH×kW taps `dilation` apart; taps in the padding are
 * skipped (max ignores them; avg divides by the valid count, or by kH·kW with countIncludePad).
 * Each window's valid tap range is computed once (columns once per call), never tested per tap.
 * Windows must hold at least one valid tap (the ops check it): an empty max window gives −∞.
 */
import type { Pool2dParams } from "../backend.js";

/** Sizes of one pooling call: `planes` (batch·channels) planes of `inH×inW` → `outH×outW`. */
export interface Pool2dDims {
  readonly planes: number;
  readonly inH: number;
  readonly inW: number;
  readonly outH: number;
  readonly outW: number;
}

/** First tap index `t` with `start + t·dil ≥ 0`. */
function tapLo(start: number, dil: number): number {
  return start >= 0 ? 0 : Math.ceil(-start / dil);
}

/** One past the last tap index `t < k` with `start + t·dil < size`. */
function tapHi(start: number, dil: number, k: number, size: number): number {
  return Math.min(k, Math.ceil((size - start) / dil));
}

/** The valid tap range [lo, hi) of every output column, interleaved: `r[2·ow]`, `r[2·ow + 1]`. */
function columnRanges(outW: number, inW: number, p: Pool2dParams): Int32Array {
  const r = new Int32Array(2 * outW);
  for (let ow = 0; ow < outW; ow++) {
    const ws = ow * p.strideW - p.padLeft;
    r[2 * ow] = tapLo(ws, p.dilationW);
    r[2 * ow + 1] = tapHi(ws, p.dilationW, p.kernelW, inW);
  }
  return r;
}

/**
 * y[pl, oh, ow] = max over the window's valid taps of x[pl, oh·sH − padTop + kh·dH, ow·sW −
 * padLeft + kw·dW]; NaN wins (it propagates, as in ONNX Runtime and PyTorch).
 * @param x - `planes` input planes from `xOff`
 * @param y - `planes` output planes from `yOff`, overwritten
 * @returns nothing: `y` holds the result
 */
export function maxPool2d(
  x: Float32Array,
  xOff: number,
  y: Float32Array,
  yOff: number,
  d: Pool2dDims,
  p: Pool2dParams,
): void {
  const { planes, inH, inW, outH, outW } = d;
  const { kernelH: kH, strideH: sH, strideW: sW, dilationH: dH, dilationW: dW } = p;
  const cols = columnRanges(outW, inW, p);
  // loop order plane → oh → ow → kh → kw: each window is reduced in registers and written once
  let out = yOff;
  for (let pl = 0; pl < planes; pl++) {
    const plane = xOff + pl * inH * inW;
    for (let oh = 0; oh < outH; oh++) {
      const hs = oh * sH - p.padTop;
      const khLo = tapLo(hs, dH);
      const khHi = tapHi(hs, dH, kH, inH);
      for (let ow = 0; ow < outW; ow++, out++) {
        const base = plane + hs * inW + ow * sW - p.padLeft;
        const kwLo = cols[2 * ow]!;
        const kwHi = cols[2 * ow + 1]!;
        let m = Number.NEGATIVE_INFINITY;
        for (let kh = khLo; kh < khHi; kh++) {
          const row = base + kh * dH * inW;
          for (let kw = kwLo; kw < kwHi; kw++) {
            const v = x[row + kw * dW]!;
            if (v > m || v !== v) m = v;
          }
        }
        y[out] = m;
      }
    }
  }
}

/**
 * y[pl, oh, ow] = (Σ of the window's valid taps) / count, count = kH·kW when
 * `p.countIncludePad` (padding counts as zeros), else the valid taps. With countIncludePad a window
 * is assumed to lie within the padded input (the avgPool2d op pads explicitly when a ceilMode
 * window would run past it).
 * @param x - `planes` input planes from `xOff`
 * @param y - `planes` output planes from `yOff`, overwritten
 * @returns nothing: `y` holds the result
 */
export function avgPool2d(
  x: Float32Array,
  xOff: number,
  y: Float32Array,
  yOff: number,
  d: Pool2dDims,
  p: Pool2dParams,
): void {
  const { planes, inH, inW, outH, outW } = d;
  const { kernelH: kH, kernelW: kW, strideH: sH, strideW: sW, dilationH: dH, dilationW: dW } = p;
  const cols = columnRanges(outW, inW, p);
  // loop order as maxPool2d
  let out = yOff;
  for (let pl = 0; pl < planes; pl++) {
    const plane = xOff + pl * inH * inW;
    for (let oh = 0; oh < outH; oh++) {
      const hs = oh * sH - p.padTop;
      const khLo = tapLo(hs, dH);
      const khHi = tapHi(hs, dH, kH, inH);
      for (let ow = 0; ow < outW; ow++, out++) {
        const base = plane + hs * inW + ow * sW - p.padLeft;
        const kwLo = cols[2 * ow]!;
        const kwHi = cols[2 * ow + 1]!;
        let s = 0;
        for (let kh = khLo; kh < khHi; kh++) {
          const row = base + kh * dH * inW;
          for (let kw = kwLo; kw < kwHi; kw++) s += x[row + kw * dW]!;
        }
        y[out] = s / (p.countIncludePad ? kH * kW : (khHi - khLo) * (kwHi - kwLo));
      }
    }
  }
}

/**
 * The gradient of `maxPool2d`: each dy goes to the first tap holding its window's maximum
 * (windows may overlap, so contributions add).
 * @param x - the forward input, `planes` planes from `xOff`
 * @param dy - `planes` output-gradient planes from `dyOff`
 * @param dx - `planes` planes like `x` from `dxOff`, overwritten
 * @returns nothing: `dx` holds the result
 */
export function maxPool2dBackward(
  x: Float32Array,
  xOff: number,
  dy: Float32Array,
  dyOff: number,
  dx: Float32Array,
  dxOff: number,
  d: Pool2dDims,
  p: Pool2dParams,
): void {
  const { planes, inH, inW, outH, outW } = d;
  const { kernelH: kH, strideH: sH, strideW: sW, dilationH: dH, dilationW: dW } = p;
  const cols = columnRanges(outW, inW, p);
  dx.fill(0, dxOff, dxOff + planes * inH * inW);
  // loop order as maxPool2d; the window's argmax is found again rather than stored
  let g = dyOff;
  for (let pl = 0; pl < planes; pl++) {
    const plane = pl * inH * inW;
    for (let oh = 0; oh < outH; oh++) {
      const hs = oh * sH - p.padTop;
      const khLo = tapLo(hs, dH);
      const khHi = tapHi(hs, dH, kH, inH);
      for (let ow = 0; ow < outW; ow++, g++) {
        const base = plane + hs * inW + ow * sW - p.padLeft;
        const kwLo = cols[2 * ow]!;
        const kwHi = cols[2 * ow + 1]!;
        let m = Number.NEGATIVE_INFINITY;
        let at = -1;
        for (let kh = khLo; kh < khHi; kh++) {
          const row = base + kh * dH * inW;
          for (let kw = kwLo; kw < kwHi; kw++) {
            const v = x[xOff + row + kw * dW]!;
            if (v > m || (v !== v && m === m) || at < 0) {
              m = v;
              at = row + kw * dW;
            }
          }
        }
        if (at >= 0) dx[dxOff + at]! += dy[g]!;
      }
    }
  }
}

/**
 * The gradient of `avgPool2d`: each dy is spread evenly, dy/count, over its window's valid taps.
 * @param dy - `planes` output-gradient planes from `dyOff`
 * @param dx - `planes` input-shaped planes from `dxOff`, overwritten
 * @returns nothing: `dx` holds the result
 */
export function avgPool2dBackward(
  dy: Float32Array,
  dyOff: number,
  dx: Float32Array,
  dxOff: number,
  d: Pool2dDims,
  p: Pool2dParams,
): void {
  const { planes, inH, inW, outH, outW } = d;
  const { kernelH: kH, kernelW: kW, strideH: sH, strideW: sW, dilationH: dH, dilationW: dW } = p;
  const cols = columnRanges(outW, inW, p);
  dx.fill(0, dxOff, dxOff + planes * inH * inW);
  // loop order as avgPool2d, scattering instead of gathering
  let g = dyOff;
  for (let pl = 0; pl < planes; pl++) {
    const plane = dxOff + pl * inH * inW;
    for (let oh = 0; oh < outH; oh++) {
      const hs = oh * sH - p.padTop;
      const khLo = tapLo(hs, dH);
      const khHi = tapHi(hs, dH, kH, inH);
      for (let ow = 0; ow < outW; ow++, g++) {
        const base = plane + hs * inW + ow * sW - p.padLeft;
        const kwLo = cols[2 * ow]!;
        const kwHi = cols[2 * ow + 1]!;
        const v = dy[g]! / (p.countIncludePad ? kH * kW : (khHi - khLo) * (kwHi - kwLo));
        for (let kh = khLo; kh < khHi; kh++) {
          const row = base + kh * dH * inW;
          for (let kw = kwLo; kw < kwHi; kw++) dx[row + kw * dW]! += v;
        }
      }
    }
  }
}
