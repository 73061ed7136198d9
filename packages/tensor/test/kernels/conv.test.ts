import type { Conv2dParams, FusedActivation } from "@edgenn/tensor";
import {
  type Conv2dDims,
  col2im,
  conv2d,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  im2col,
} from "@edgenn/tensor/kernels";
import { describe, expect, it } from "vitest";

function randomArray(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 32) * 4 - 2;
  }
  return out;
}

interface Geometry {
  d: Conv2dDims;
  p: Conv2dParams;
}

/** A geometry with output sizes from the floor rule and `bottom`/`right` pads. */
function geometry(
  batch: number,
  inC: number,
  outC: number,
  [inH, inW]: [number, number],
  [kernelH, kernelW]: [number, number],
  [strideH, strideW]: [number, number],
  [padTop, padLeft, bottom, right]: [number, number, number, number],
  [dilationH, dilationW]: [number, number],
  groups: number,
): Geometry {
  const outH = Math.floor((inH + padTop + bottom - (kernelH - 1) * dilationH - 1) / strideH) + 1;
  const outW = Math.floor((inW + padLeft + right - (kernelW - 1) * dilationW - 1) / strideW) + 1;
  return {
    d: { batch, inC, inH, inW, outC, outH, outW, kernelH, kernelW },
    p: { strideH, strideW, padTop, padLeft, dilationH, dilationW, groups },
  };
}

/** Visits every (n, o, oh, ow, c, kh, kw) term of the convolution with its x and w indices. */
function forEachTerm(
  { d, p }: Geometry,
  visit: (yi: number, xi: number, wi: number, o: number) => void,
): void {
  const cg = d.inC / p.groups;
  const og = d.outC / p.groups;
  for (let n = 0; n < d.batch; n++)
    for (let o = 0; o < d.outC; o++)
      for (let i = 0; i < d.outH; i++)
        for (let j = 0; j < d.outW; j++)
          for (let c = 0; c < cg; c++)
            for (let a = 0; a < d.kernelH; a++)
              for (let b = 0; b < d.kernelW; b++) {
                const ih = i * p.strideH - p.padTop + a * p.dilationH;
                const iw = j * p.strideW - p.padLeft + b * p.dilationW;
                if (ih < 0 || ih >= d.inH || iw < 0 || iw >= d.inW) continue;
                const ci = Math.floor(o / og) * cg + c;
                visit(
                  ((n * d.outC + o) * d.outH + i) * d.outW + j,
                  ((n * d.inC + ci) * d.inH + ih) * d.inW + iw,
                  ((o * cg + c) * d.kernelH + a) * d.kernelW + b,
                  o,
                );
              }
}

const sizes = (g: Geometry) => ({
  x: g.d.batch * g.d.inC * g.d.inH * g.d.inW,
  w: g.d.outC * (g.d.inC / g.p.groups) * g.d.kernelH * g.d.kernelW,
  y: g.d.batch * g.d.outC * g.d.outH * g.d.outW,
});

const CASES: Geometry[] = [
  geometry(2, 3, 4, [7, 6], [3, 2], [2, 1], [1, 0, 2, 1], [1, 2], 1), // general
  geometry(2, 4, 6, [5, 5], [3, 3], [1, 2], [1, 1, 1, 1], [1, 1], 2), // grouped
  geometry(2, 3, 3, [6, 7], [3, 3], [2, 2], [1, 2, 0, 1], [2, 1], 3), // depthwise
  geometry(3, 5, 4, [4, 3], [1, 1], [1, 1], [0, 0, 0, 0], [1, 1], 1), // pointwise
  geometry(1, 4, 2, [4, 4], [1, 1], [1, 1], [0, 0, 0, 0], [3, 3], 2), // grouped pointwise
  // K = 30·9 = 270 > 256 (two packed K blocks), 40·33 = 1320 output columns (two im2col chunks,
  // the second starting mid-row), 9 output channels (a partial GEMM row panel)
  geometry(1, 30, 9, [40, 33], [3, 3], [1, 1], [1, 1, 1, 1], [1, 1], 1),
];

const OFF = 5;

function close(actual: Float32Array, off: number, expected: Float64Array, what: string): void {
  for (let i = 0; i < expected.length; i++) {
    const a = actual[off + i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= 1e-4 + 1e-4 * Math.abs(e)))
      expect.fail(`${what}: element ${i} = ${a}, expected ${e}`);
  }
}

describe("conv kernels", () => {
  it("conv2d fuses bias and relu/relu6, on every path, reading at offsets", () => {
    for (const g of CASES) {
      const n = sizes(g);
      const x = randomArray(OFF + n.x, 1);
      const w = randomArray(OFF + n.w, 2);
      const bias = randomArray(OFF + g.d.outC, 3);
      const raw = new Float64Array(n.y);
      forEachTerm(g, (yi, xi, wi) => {
        raw[yi]! += x[OFF + xi]! * w[OFF + wi]!;
      });
      const hw = g.d.outH * g.d.outW;
      for (const act of ["none", "relu", "relu6"] as FusedActivation[]) {
        const expected = raw.map((v, i) => {
          const u = v + bias[OFF + (Math.floor(i / hw) % g.d.outC)]!;
          return act === "none" ? u : act === "relu" ? Math.max(u, 0) : Math.min(Math.max(u, 0), 6);
        });
        const y = new Float32Array(OFF + n.y).fill(Number.NaN);
        conv2d(x, OFF, w, OFF, bias, OFF, y, OFF, g.d, g.p, act);
        close(y, OFF, expected, `conv2d ${act} ${JSON.stringify(g)}`);
      }
      // no bias, no activation: the raw sums
      const y = new Float32Array(OFF + n.y);
      conv2d(x, OFF, w, OFF, null, 0, y, OFF, g.d, g.p, "none");
      close(y, OFF, raw, "conv2d without bias");
    }
  });

  it("relu keeps NaN as NaN (nothing turns it into 0)", () => {
    const g = geometry(1, 1, 1, [1, 2], [1, 1], [1, 1], [0, 0, 0, 0], [1, 1], 1);
    const y = new Float32Array(2);
    conv2d(
      Float32Array.of(Number.NaN, -1),
      0,
      Float32Array.of(1),
      0,
      null,
      0,
      y,
      0,
      g.d,
      g.p,
      "relu",
    );
    expect(Number.isNaN(y[0]!)).toBe(true);
    expect(y[1]).toBe(0);
  });

  it("backprop kernels match the definitions: dx = Σ dy·w, dw = Σ dy·x", () => {
    for (const g of CASES) {
      const n = sizes(g);
      const x = randomArray(OFF + n.x, 4);
      const w = randomArray(OFF + n.w, 5);
      const dy = randomArray(OFF + n.y, 6);
      const dxRef = new Float64Array(n.x);
      const dwRef = new Float64Array(n.w);
      forEachTerm(g, (yi, xi, wi) => {
        dxRef[xi]! += dy[OFF + yi]! * w[OFF + wi]!;
        dwRef[wi]! += dy[OFF + yi]! * x[OFF + xi]!;
      });
      const dx = new Float32Array(OFF + n.x).fill(Number.NaN);
      conv2dBackpropInput(dy, OFF, w, OFF, dx, OFF, g.d, g.p);
      close(dx, OFF, dxRef, `dx ${JSON.stringify(g)}`);
      const dw = new Float32Array(OFF + n.w).fill(Number.NaN);
      conv2dBackpropFilter(x, OFF, dy, OFF, dw, OFF, g.d, g.p);
      close(dw, OFF, dwRef, `dw ${JSON.stringify(g)}`);
    }
  });

  it("conv2dBackpropFilter over an empty batch is zero", () => {
    const g = geometry(0, 2, 2, [3, 3], [2, 2], [1, 1], [0, 0, 0, 0], [1, 1], 1);
    const dw = new Float32Array(16).fill(9);
    conv2dBackpropFilter(new Float32Array(0), 0, new Float32Array(0), 0, dw, 0, g.d, g.p);
    expect(Array.from(dw)).toEqual(new Array(16).fill(0));
  });

  it("im2col and col2im are adjoint: ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩", () => {
    const { d, p } = geometry(1, 3, 1, [6, 5], [3, 2], [2, 1], [2, 1, 0, 2], [1, 2], 1);
    const rows = d.inC * d.kernelH * d.kernelW;
    const cols = d.outH * d.outW;
    const x = randomArray(d.inC * d.inH * d.inW, 7);
    const c = randomArray(rows * cols, 8);
    const col = new Float32Array(rows * cols).fill(Number.NaN);
    im2col(x, 0, d.inC, d.inH, d.inW, d.kernelH, d.kernelW, d.outH, d.outW, p, col, 0);
    const back = new Float32Array(x.length);
    col2im(c, 0, d.inC, d.inH, d.inW, d.kernelH, d.kernelW, d.outH, d.outW, p, back, 0);
    let lhs = 0;
    let rhs = 0;
    for (let i = 0; i < col.length; i++) lhs += col[i]! * c[i]!;
    for (let i = 0; i < x.length; i++) rhs += x[i]! * back[i]!;
    expect(lhs).toBeCloseTo(rhs, 3);
    // a padding position reads zero: (oh, ow) = (0, 0) with kh = 0 reads row −2
    expect(col[0]).toBe(0);
  });
});
