/*
 * conv2d through the emitted WebAssembly kernels: im2col in wasm (`ic`), B packing (`pb`) and the
 * SIMD GEMM of `gemm-wasm.ts`. A file of its own so that `kernels/conv.ts` may import `gemmWasm`
 * (for its backward passes) without an import cycle.
 */
import type { Conv2dParams, FusedActivation } from "../backend.js";
import { type Conv2dDims, conv2d } from "../kernels/conv.js";
import { internals } from "./gemm-wasm.js";

/**
 * y = act(conv2d(x, w) + bias), NCHW: the contract and signature of `conv2d` (kernels/conv.ts),
 * run per group and image as im2col into the wasm memory (the module's `ic`), B packing (`pb`)
 * and the SIMD GEMM onto C initialised to the bias, the activation applied while copying y out.
 * Depthwise convolutions, small products and hosts without the wasm kernels run `conv2d` itself.
 * Steps: zero the col matrix once (its padding positions are the same for every image); pack
 * W_g once per group (all K blocks); per image copy x in (memcpy), fill col's valid positions,
 * then GEMM y_g [coutG, hw] = W_g [coutG, K] · col [K, hw].
 * @param x - input `[batch, inC, inH, inW]` from `xOff`
 * @param w - weights `[outC, inC/groups, kH, kW]` from `wOff`
 * @param bias - `[outC]` from `biasOff`, or null
 * @param y - output `[batch, outC, outH, outW]` from `yOff`, overwritten
 * @param act - 'none', 'relu' or 'relu6' (min(max(v, 0), 6)), after the bias
 * @returns nothing: `y` holds the result
 * Example: `conv2dWasm(x, 0, w, 0, b, 0, y, 0, dims, params, "relu")`
 */
export function conv2dWasm(
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
  const { MR, NR, KC, NC, MIN_MNK, up, packA, packB, runF32 } = internals;
  const fam = internals.f32();
  const packKernel = internals.pack();
  const im2colKernel = internals.im2col();
  const { batch, inC, inH, inW, outC, outH, outW, kernelH: kH, kernelW: kW } = d;
  const g = p.groups;
  const cinG = inC / g;
  const coutG = outC / g;
  const k = cinG * kH * kW;
  const hw = outH * outW;
  const nPad = up(hw, NR);
  const mPad = up(coutG, MR);
  const kc0 = Math.min(k, KC);
  // scratch: x image | col [K, hw] | W_g packed, all K blocks | a packed B block | C [coutG, nPad]
  const xW = internals.scratch();
  const colW = xW + up(cinG * inH * inW * 4, 64);
  const aW = colW + up(k * hw * 4, 64);
  const bW = aW + mPad * k * 4;
  const cW = bW + Math.min(nPad, NC) * kc0 * 4;
  if (
    !fam ||
    !packKernel ||
    !im2colKernel ||
    (g === inC && inC === outC) ||
    coutG * hw * k < MIN_MNK ||
    !internals.ensure(cW + coutG * nPad * 4)
  ) {
    conv2d(x, xOff, w, wOff, bias, biasOff, y, yOff, d, p, act);
    return;
  }
  const f = internals.view();
  const ic = im2colKernel;
  const { strideH: sH, strideW: sW, dilationH: dH, dilationW: dW, padTop, padLeft } = p;
  f.fill(0, colW >> 2, (colW >> 2) + k * hw);
  for (let gi = 0; gi < g; gi++) {
    const wo = wOff + gi * coutG * k;
    for (let pc = 0; pc < k; pc += KC) {
      packA(false, 1, w, wo, k, coutG, pc, Math.min(KC, k - pc), (aW >> 2) + mPad * pc);
    }
    for (let n = 0; n < batch; n++) {
      const xo = xOff + (n * inC + gi * cinG) * inH * inW;
      f.set(x.subarray(xo, xo + cinG * inH * inW), xW >> 2);
      // col[(c·kH + kh)·kW + kw, oh·outW + ow] = x[c, oh·sH − padTop + kh·dH, ow·sW − padLeft + kw·dW]
      for (let c = 0, r = 0; c < cinG; c++) {
        for (let kh = 0; kh < kH; kh++) {
          for (let kw = 0; kw < kW; kw++, r++) {
            const shift = kw * dW - padLeft;
            const lo = shift >= 0 ? 0 : Math.min(outW, Math.ceil(-shift / sW));
            const hi = Math.max(lo, Math.min(outW, Math.ceil((inW - shift) / sW)));
            if (hi === lo) continue;
            const src = xW + (c * inH * inW + lo * sW + shift) * 4;
            const ih0 = kh * dH - padTop;
            ic(
              src,
              colW + (r * hw + lo) * 4,
              outH,
              ih0,
              sH,
              inH,
              inW * 4,
              hi - lo,
              sW * 4,
              outW * 4,
            );
          }
        }
      }
      // C starts as the bias (the kernels accumulate onto it)
      for (let o = 0, row = cW >> 2; o < coutG; o++, row += nPad) {
        f.fill(bias === null ? 0 : bias[biasOff + gi * coutG + o]!, row, row + nPad);
      }
      for (let pc = 0; pc < k; pc += KC) {
        const kc = Math.min(KC, k - pc);
        for (let jc = 0; jc < hw; jc += NC) {
          const nc = Math.min(NC, hw - jc);
          packB(false, f, colW >> 2, hw, pc, kc, jc, nc, bW >> 2, -1);
          runF32(fam, coutG, kc, aW + mPad * pc * 4, bW, Math.ceil(nc / NR), cW + jc * 4, nPad);
        }
      }
      const yo = yOff + (n * outC + gi * coutG) * hw;
      for (let o = 0; o < coutG; o++) {
        const src = (cW >> 2) + o * nPad;
        const dst = yo + o * hw;
        // Math.max/min keep NaN as NaN, as conv2d's epilogue
        if (act === "none") y.set(f.subarray(src, src + hw), dst);
        else if (act === "relu") for (let j = 0; j < hw; j++) y[dst + j] = Math.max(f[src + j]!, 0);
        else for (let j = 0; j < hw; j++) y[dst + j] = Math.min(Math.max(f[src + j]!, 0), 6);
      }
    }
  }
}
