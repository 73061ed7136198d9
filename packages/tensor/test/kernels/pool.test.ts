import type { Pool2dParams } from "@edgenn/tensor";
import { avgPool2d, avgPool2dBackward, maxPool2d, maxPool2dBackward } from "@edgenn/tensor/kernels";
import { describe, expect, it } from "vitest";

const P2: Pool2dParams = {
  kernelH: 2,
  kernelW: 2,
  strideH: 2,
  strideW: 2,
  padTop: 0,
  padLeft: 0,
  dilationH: 1,
  dilationW: 1,
  countIncludePad: false,
};

describe("pool kernels", () => {
  it("read and write at offsets, plane by plane", () => {
    // two 2×4 planes after 3 unused elements: windows [1,2,5,6] [3,4,7,8] and +10
    const x = Float32Array.of(9, 9, 9, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 16, 17, 18);
    const dims = { planes: 2, inH: 2, inW: 4, outH: 1, outW: 2 };
    const y = new Float32Array(6).fill(-1);
    maxPool2d(x, 3, y, 2, dims, P2);
    expect(Array.from(y)).toEqual([-1, -1, 6, 8, 16, 18]);
    avgPool2d(x, 3, y, 2, dims, P2);
    expect(Array.from(y)).toEqual([-1, -1, 3.5, 5.5, 13.5, 15.5]);
  });

  it("max backward routes dy to the first maximum (ties and NaN), overlaps add", () => {
    // 1×3 input [5, 5, 1], kernel 1×2 stride 1: windows [5,5] and [5,1] both pick index 0
    const p: Pool2dParams = { ...P2, kernelH: 1, strideH: 1, strideW: 1 };
    const dims = { planes: 1, inH: 1, inW: 3, outH: 1, outW: 2 };
    const dx = new Float32Array(3).fill(Number.NaN);
    maxPool2dBackward(Float32Array.of(5, 5, 1), 0, Float32Array.of(2, 3), 0, dx, 0, dims, p);
    expect(Array.from(dx)).toEqual([2, 3, 0]);
    maxPool2dBackward(
      Float32Array.of(1, Number.NaN, 7),
      0,
      Float32Array.of(2, 3),
      0,
      dx,
      0,
      dims,
      p,
    );
    // the forward gives NaN for both windows; the gradient goes to the NaN's position
    expect(Array.from(dx)).toEqual([0, 5, 0]);
  });

  it("avg backward spreads dy/count; countIncludePad divides by kH·kW", () => {
    const p: Pool2dParams = { ...P2, padTop: 1, padLeft: 1 };
    const dims = { planes: 1, inH: 2, inW: 2, outH: 2, outW: 2 };
    const dx = new Float32Array(4);
    // each window holds one input element: count 1, or 4 with padding included
    avgPool2dBackward(Float32Array.of(4, 8, 12, 16), 0, dx, 0, dims, p);
    expect(Array.from(dx)).toEqual([4, 8, 12, 16]);
    avgPool2dBackward(Float32Array.of(4, 8, 12, 16), 0, dx, 0, dims, {
      ...p,
      countIncludePad: true,
    });
    expect(Array.from(dx)).toEqual([1, 2, 3, 4]);
  });
});
