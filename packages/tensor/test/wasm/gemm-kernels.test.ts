import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { emitGemmModule, type GemmKind, gemmModuleBytes } from "../../src/wasm/index.js";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** The library's modules (4×8 tile, m1…m4, and pb, ic for float32): size and SHA-256 pinned, so any generator change shows. */
const GOLDEN: Record<GemmKind, [number, string]> = {
  f32: [1601, "94d4151998777845fd8b81c47f28847d623a5e00254f53139987919461669908"],
  f32fma: [1541, "37a57d99b29d54b1dd9ca0bf6b5cf1a11027d9b794fb2dcb74c2db7fcd33f2c7"],
  i8: [1328, "734bc8285cdbfc210c7b9b7e46ae99d4ab6438164d2e30e9e444bda25055d8b9"],
};

/** A relaxed-SIMD module validates only where the engine has it (Node 20: behind a flag). */
const hasRelaxed = WebAssembly.validate(gemmModuleBytes("f32fma"));

describe("emitted GEMM modules", () => {
  for (const kind of ["f32", "f32fma", "i8"] as const) {
    it(`${kind} 4×8: pinned size and hash`, () => {
      const bytes = gemmModuleBytes(kind);
      expect([bytes.length, sha256(bytes)]).toEqual(GOLDEN[kind]);
      // pure: the same bytes every time
      expect(gemmModuleBytes(kind)).toEqual(bytes);
    });
  }

  it("f32 1×4 (one function): pinned bytes", () => {
    // biome-ignore format: the module as hex
    const hex =
      "0061736d01000000010b0160077f7f7f7f7f7f7f00020f0103656e76066d656d6f727902000103020100070601026d3100000a9a0101970102067f037b034020002107200221092004210a03402009210c200cfd000400210d200121082006210b03402008fd000400210e2007fd090200210f200d200f200efde601fde401210d200741046a2107200841106a2108200b41016b220b0d000b2009210c200c200dfd0b04002009200341016c6a2109200a41016b220a0d000b20082101200241106a2102200541016b22050d000b0b";
    const bytes = emitGemmModule({ kind: "f32", mr: 1, nrv: 1 });
    expect(Buffer.from(bytes).toString("hex")).toBe(hex);
    // the body's inner step: v128.load (B), v128.load32_splat (A), f32x4.mul, f32x4.add
    expect(hex).toContain("2008fd000400210e2007fd090200210f200d200f200efde601fde401210d");
  });

  it("SIMD modules validate; the relaxed one as the engine allows", () => {
    expect(WebAssembly.validate(gemmModuleBytes("f32"))).toBe(true);
    expect(WebAssembly.validate(gemmModuleBytes("i8"))).toBe(true);
    expect(WebAssembly.validate(gemmModuleBytes("f32fma"))).toBe(hasRelaxed);
    for (const mr of [1, 2, 6, 8]) {
      for (const nrv of [1, 3, 4]) {
        expect(WebAssembly.validate(emitGemmModule({ kind: "f32", mr, nrv }))).toBe(true);
        expect(WebAssembly.validate(emitGemmModule({ kind: "i8", mr, nrv }))).toBe(true);
      }
    }
    // a shared memory import (worker threads) validates too
    expect(WebAssembly.validate(emitGemmModule({ kind: "f32", mr: 4, nrv: 2 }, true, 1024))).toBe(
      true,
    );
  });

  it("every module exports m1…mR taking 7 i32, float32 ones also pb and ic", () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const ex = new WebAssembly.Instance(new WebAssembly.Module(gemmModuleBytes("f32")), {
      env: { memory },
    }).exports;
    expect(Object.keys(ex)).toEqual(["m1", "m2", "m3", "m4", "pb", "ic"]);
    expect((ex.m4 as (...a: number[]) => void).length).toBe(7);
  });

  it("runs a 4×8 tile: C += A·B by hand", () => {
    // A (4×2) = [[1,2],[3,4],[5,6],[7,8]], packed [p][4]; B (2×8): B[0,j] = j, B[1,j] = 1
    // ⇒ C[i,j] = A[i,0]·j + A[i,1]; C starts at 100 everywhere
    const memory = new WebAssembly.Memory({ initial: 1 });
    const m4 = new WebAssembly.Instance(new WebAssembly.Module(gemmModuleBytes("f32")), {
      env: { memory },
    }).exports.m4 as (...a: number[]) => void;
    const f = new Float32Array(memory.buffer);
    f.set([1, 3, 5, 7, 2, 4, 6, 8], 0);
    f.set([0, 1, 2, 3, 4, 5, 6, 7, 1, 1, 1, 1, 1, 1, 1, 1], 64);
    f.fill(100, 256, 256 + 32);
    m4(0, 256, 1024, 32, 1, 1, 2);
    expect(Array.from(f.subarray(256, 264))).toEqual([102, 103, 104, 105, 106, 107, 108, 109]);
    // row 3: 7·j + 8 + 100
    expect(Array.from(f.subarray(280, 288))).toEqual([108, 115, 122, 129, 136, 143, 150, 157]);
  });

  it("pb packs rows into panels of 8: [panel][k][8]", () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const pb = new WebAssembly.Instance(new WebAssembly.Module(gemmModuleBytes("f32")), {
      env: { memory },
    }).exports.pb as (...a: number[]) => void;
    const f = new Float32Array(memory.buffer);
    // 3 rows × 16 columns, row stride 20 floats: element (p, j) = 100p + j
    for (let p = 0; p < 3; p++) for (let j = 0; j < 16; j++) f[p * 20 + j] = 100 * p + j;
    pb(0, 1024, 80, 3, 2);
    // panel 0 = rows 0…2 of columns 0…7, then panel 1 = columns 8…15
    const want: number[] = [];
    for (const q of [0, 1])
      for (let p = 0; p < 3; p++) for (let j = 0; j < 8; j++) want.push(100 * p + 8 * q + j);
    expect(Array.from(f.subarray(256, 256 + 48))).toEqual(want);
  });

  it("ic copies one im2col row, skipping rows outside the input", () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const ic = new WebAssembly.Instance(new WebAssembly.Module(gemmModuleBytes("f32")), {
      env: { memory },
    }).exports.ic as (...a: number[]) => void;
    const f = new Float32Array(memory.buffer);
    // a 4×5 input x[ih, iw] = 10·ih + iw; kernel tap kh = 0, kw = 0 with padding 1 and stride 1:
    // col[oh, ow] = x[oh − 1, ow − 1], valid for oh ≥ 1 and ow ≥ 1 (lo = 1, count 4)
    for (let i = 0; i < 20; i++) f[i] = 10 * Math.floor(i / 5) + (i % 5);
    // src = x + (lo·sW + shift)·4 = x + 0; dst = col + lo·4; rows 4, ih0 = −1, sH 1, inH 4,
    // rowBytes 20, count 4, sWBytes 4, dstRowBytes 20
    ic(0, 1024 + 4, 4, -1, 1, 4, 20, 4, 4, 20);
    // biome-ignore format: one output row per line
    expect(Array.from(f.subarray(256, 276))).toEqual([
      0, 0, 0, 0, 0,
      0, 0, 1, 2, 3,
      0, 10, 11, 12, 13,
      0, 20, 21, 22, 23,
    ]);
  });

  it("rejects a bad tile", () => {
    expect(() => emitGemmModule({ kind: "f32", mr: 0, nrv: 2 })).toThrow(RangeError);
    expect(() => emitGemmModule({ kind: "f32", mr: 4, nrv: 5 })).toThrow(/nrv ≤ 4/);
    expect(() => emitGemmModule({ kind: "i8", mr: 2.5, nrv: 1 })).toThrow(/emitGemmModule/);
  });
});
