import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  capabilities,
  conv2dWasm,
  gemmI8Wasm,
  gemmI8WasmPacked,
  gemmModuleBytes,
  gemmWasm,
  gemmWasmPackedB,
  type KernelSet,
  packF32Weights,
  packI8Weights,
  provideWasmModules,
  releaseWeights,
  setKernelSet,
} from "../../src/wasm/index.js";

const hasSimd = WebAssembly.validate(gemmModuleBytes("f32"));
const hasRelaxed = WebAssembly.validate(gemmModuleBytes("f32fma"));
const RELAXED_SKIP =
  "skipped: WebAssembly.validate rejects relaxed SIMD here (Node 20: run packages/tensor/scripts/test-relaxed.sh)";

function randomF32(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}

function randomI8(n: number, seed: number): Int8Array {
  const f = randomF32(n, seed);
  return Int8Array.from(f, (x) => Math.min(127, Math.floor(x * 128)));
}

function mismatches(x: Int32Array, y: Int32Array): number {
  let bad = x.length === y.length ? 0 : 1;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) bad++;
  return bad;
}

interface Gemm {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  alpha: number;
  beta: number;
  /** extra elements per row (leading dimension − width) and leading offsets */
  pad: number;
  off: number;
}

/** Runs `gemmWasm` and a naive float64 loop on the same data; returns |diff|, scale and result. */
function compare(g: Gemm, seed: number) {
  const { transA, transB, m, n, k, alpha, beta, pad, off } = g;
  const lda = (transA ? m : k) + pad;
  const ldb = (transB ? k : n) + pad;
  const ldc = n + pad;
  const a = randomF32(off + (transA ? k : m) * lda, seed);
  const b = randomF32(off + (transB ? n : k) * ldb, seed + 1);
  const c = randomF32(off + m * ldc, seed + 2);
  c[off] = beta === 0 ? Number.NaN : c[off]!; // β = 0 overwrites: NaN must not survive
  const want = Float64Array.from(c);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const x = a[off + (transA ? p * lda + i : i * lda + p)]!;
        const y = b[off + (transB ? j * ldb + p : p * ldb + j)]!;
        s += x * y;
      }
      const o = off + i * ldc + j;
      want[o] = alpha * s + (beta === 0 ? 0 : beta * c[o]!);
    }
  }
  gemmWasm(transA, transB, m, n, k, alpha, a, off, lda, b, off, ldb, beta, c, off, ldc);
  let err = 0;
  for (let i = 0; i < c.length; i++) {
    const d = Math.abs(c[i]! - want[i]!);
    err = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(err, d);
  }
  return { err, c, want };
}

/** float32 rounding bound: relative 1e-5 per unit of k (|products| ≤ 1, |C| ≤ 1). */
const tol = (g: Gemm) => 1e-5 * Math.max(1, g.k) * Math.max(1, Math.abs(g.alpha), Math.abs(g.beta));

const SETS: { set: KernelSet; available: boolean; why: string }[] = [
  { set: "js", available: true, why: "" },
  { set: "simd", available: hasSimd, why: "skipped: no WebAssembly SIMD" },
  { set: "relaxed-simd", available: hasRelaxed, why: RELAXED_SKIP },
];

afterAll(() => {
  setKernelSet("simd"); // the default
});

for (const { set, available, why } of SETS) {
  describe.skipIf(!available)(`gemmWasm, ${set} kernels${available ? "" : ` (${why})`}`, () => {
    it("selects the set", () => {
      const caps = setKernelSet(set);
      expect(caps.kernels).toBe(set);
      expect(caps.reason.length).toBeGreaterThan(0);
    });

    it("golden 2×2: [[1,2],[3,4]]·[[5,6],[7,8]] = [[19,22],[43,50]]", () => {
      setKernelSet(set);
      const c = new Float32Array(4);
      gemmWasm(
        false,
        false,
        2,
        2,
        2,
        1,
        Float32Array.of(1, 2, 3, 4),
        0,
        2,
        Float32Array.of(5, 6, 7, 8),
        0,
        2,
        0,
        c,
        0,
        2,
      );
      expect(Array.from(c)).toEqual([19, 22, 43, 50]);
    });

    it("agrees with a naive loop on odd shapes, every transpose", () => {
      setKernelSet(set);
      const dims = [1, 7, 13, 257];
      let seed = 1;
      for (const m of dims) {
        for (const n of dims) {
          for (const k of [1, 13, 257, 300]) {
            if (m * n * k > 5e5) continue;
            for (const transA of [false, true]) {
              for (const transB of [false, true]) {
                const g = { transA, transB, m, n, k, alpha: 1, beta: 0, pad: 0, off: 0 };
                const { err } = compare(g, seed++);
                if (!(err <= tol(g))) expect({ ...g, err }).toBeUndefined();
              }
            }
          }
        }
      }
    });

    it("agrees for each way B is packed: contiguous rows, strided wide rows, narrow rows", () => {
      setKernelSet(set);
      // n = 64, ldb = n: one copy; n = 128 + 3, ldb = n + 5: a copy per row; n = 16, ldb = 20: JS
      for (const [n, pad] of [
        [64, 0],
        [131, 5],
        [16, 4],
      ] as const) {
        const g = { transA: false, transB: false, m: 9, n, k: 300, alpha: 1, beta: 0, pad, off: 1 };
        expect(compare(g, n).err).toBeLessThanOrEqual(tol(g));
      }
    });

    it("agrees on random shapes, leading dimensions, offsets, alpha and beta", () => {
      setKernelSet(set);
      fc.assert(
        fc.property(
          fc.record({
            transA: fc.boolean(),
            transB: fc.boolean(),
            m: fc.integer({ min: 1, max: 70 }),
            n: fc.integer({ min: 1, max: 70 }),
            k: fc.integer({ min: 1, max: 600 }),
            alpha: fc.constantFrom(1, -0.5, 2),
            beta: fc.constantFrom(0, 1, 0.25),
            pad: fc.integer({ min: 0, max: 3 }),
            off: fc.integer({ min: 0, max: 5 }),
          }),
          fc.integer({ min: 1, max: 1e6 }),
          (g, seed) => {
            expect(compare(g, seed).err).toBeLessThanOrEqual(tol(g));
          },
        ),
        { numRuns: 40 },
      );
    });

    it("leaves C alone for m or n = 0 and scales it for k = 0 or alpha = 0", () => {
      setKernelSet(set);
      const c = Float32Array.of(1, 2, 3, 4);
      gemmWasm(
        false,
        false,
        0,
        2,
        2,
        1,
        new Float32Array(4),
        0,
        2,
        new Float32Array(4),
        0,
        2,
        0,
        c,
        0,
        2,
      );
      expect(Array.from(c)).toEqual([1, 2, 3, 4]);
      // k = 0: C = β·C
      gemmWasm(
        false,
        false,
        2,
        2,
        0,
        1,
        new Float32Array(0),
        0,
        0,
        new Float32Array(0),
        0,
        2,
        2,
        c,
        0,
        2,
      );
      expect(Array.from(c)).toEqual([2, 4, 6, 8]);
      gemmWasm(
        false,
        false,
        2,
        2,
        2,
        0,
        Float32Array.of(1, 1, 1, 1),
        0,
        2,
        Float32Array.of(1, 1, 1, 1),
        0,
        2,
        0,
        c,
        0,
        2,
      );
      expect(Array.from(c)).toEqual([0, 0, 0, 0]);
    });

    it("float32 packed weights: agree with a naive loop, survive other calls, release", () => {
      setKernelSet(set);
      let seed = 500;
      for (const [m, n, k] of [
        [1, 1, 1],
        [1, 13, 300],
        [7, 257, 13],
        [13, 7, 600],
        [4, 10, 784],
      ] as const) {
        for (const transB of [false, true]) {
          for (const transA of [false, true]) {
            const ldb = (transB ? k : n) + 1;
            const b = randomF32(2 + (transB ? n : k) * ldb, seed++);
            const a = randomF32(m * k, seed++);
            const c = randomF32(m * n, seed++);
            const want = new Float64Array(m * n);
            for (let i = 0; i < m; i++) {
              for (let j = 0; j < n; j++) {
                let s = 0;
                for (let p = 0; p < k; p++) {
                  const x = a[transA ? p * m + i : i * k + p]!;
                  s += x * b[2 + (transB ? j * ldb + p : p * ldb + j)]!;
                }
                want[i * n + j] = 0.5 * s + 2 * c[i * n + j]!;
              }
            }
            const pb = packF32Weights(transB, b, 2, ldb, k, n);
            // an unpacked call in between uses the scratch above the resident weights
            compare(
              { transA, transB, m: 9, n: 11, k: 40, alpha: 1, beta: 0, pad: 0, off: 0 },
              seed,
            );
            gemmWasmPackedB(transA, m, 0.5, a, 0, transA ? m : k, pb, 2, c, 0, n);
            releaseWeights(pb);
            let err = 0;
            for (let i = 0; i < m * n; i++) err = Math.max(err, Math.abs(c[i]! - want[i]!));
            expect(err, `${m}×${n}×${k} transA ${transA} transB ${transB}`).toBeLessThanOrEqual(
              3e-5 * k,
            );
            expect(() => gemmWasmPackedB(transA, m, 1, a, 0, k, pb, 0, c, 0, n)).toThrow(
              /released/,
            );
          }
        }
      }
    });

    it("conv2dWasm agrees with a naive convolution (stride, padding, dilation, groups, act)", () => {
      setKernelSet(set);
      let seed = 900;
      // [batch, inC, inH, inW, outC, kH, kW, stride, pad, dilation, groups, act]
      const cases = [
        [2, 3, 7, 9, 4, 3, 3, 1, 1, 1, 1, "relu"],
        [1, 3, 9, 8, 5, 3, 2, 2, 0, 1, 1, "none"],
        [1, 2, 11, 10, 8, 3, 3, 1, 2, 2, 1, "relu6"],
        [2, 4, 6, 6, 6, 3, 3, 1, 1, 1, 2, "none"],
        [1, 4, 5, 5, 4, 3, 3, 1, 1, 1, 4, "relu"], // depthwise: runs conv2d
        [1, 16, 14, 14, 32, 3, 3, 1, 1, 1, 1, "relu"], // K = 144
        [1, 8, 12, 12, 9, 1, 1, 1, 0, 1, 1, "none"], // pointwise
      ] as const;
      for (const [batch, inC, inH, inW, outC, kH, kW, st, pad, dil, groups, act] of cases) {
        const outH = Math.floor((inH + 2 * pad - dil * (kH - 1) - 1) / st) + 1;
        const outW = Math.floor((inW + 2 * pad - dil * (kW - 1) - 1) / st) + 1;
        const cinG = inC / groups;
        const coutG = outC / groups;
        const x = randomF32(batch * inC * inH * inW, seed++);
        const w = randomF32(outC * cinG * kH * kW, seed++);
        const bias = randomF32(outC, seed++);
        const want = new Float64Array(batch * outC * outH * outW);
        for (let n = 0; n < batch; n++) {
          for (let o = 0; o < outC; o++) {
            const gi = Math.floor(o / coutG);
            for (let oh = 0; oh < outH; oh++) {
              for (let ow = 0; ow < outW; ow++) {
                let s = bias[o]!;
                for (let c = 0; c < cinG; c++) {
                  for (let kh = 0; kh < kH; kh++) {
                    for (let kw = 0; kw < kW; kw++) {
                      const ih = oh * st - pad + kh * dil;
                      const iw = ow * st - pad + kw * dil;
                      if (ih < 0 || ih >= inH || iw < 0 || iw >= inW) continue;
                      const xv = x[((n * inC + gi * cinG + c) * inH + ih) * inW + iw]!;
                      s += xv * w[((o * cinG + c) * kH + kh) * kW + kw]!;
                    }
                  }
                }
                if (act !== "none") s = Math.max(s, 0);
                if (act === "relu6") s = Math.min(s, 6);
                want[((n * outC + o) * outH + oh) * outW + ow] = s;
              }
            }
          }
        }
        const y = new Float32Array(want.length + 2).fill(Number.NaN);
        const dims = { batch, inC, inH, inW, outC, outH, outW, kernelH: kH, kernelW: kW };
        const params = {
          strideH: st,
          strideW: st,
          padTop: pad,
          padLeft: pad,
          dilationH: dil,
          dilationW: dil,
          groups,
        };
        conv2dWasm(x, 0, w, 0, bias, 0, y, 1, dims, params, act);
        let err = 0;
        for (let i = 0; i < want.length; i++) {
          const e = Math.abs(y[i + 1]! - want[i]!);
          err = Number.isNaN(e) ? Number.POSITIVE_INFINITY : Math.max(err, e);
        }
        const k = cinG * kH * kW;
        expect(err, JSON.stringify(dims)).toBeLessThanOrEqual(1e-5 * k);
        expect(y[0]).toBeNaN(); // nothing written outside y
        expect(y[want.length + 1]).toBeNaN();
      }
    });

    it("int8: golden, exact on odd shapes, packed weights resident", () => {
      setKernelSet(set);
      // (x − zp)·w with zp = −1: x = [1, 2, 3] → [2, 3, 4]; W rows [1, 0, −1], [2, 2, 2]
      //   ⇒ [2 − 4, 2·(2 + 3 + 4)] = [−2, 18]
      const y = new Int32Array(2);
      gemmI8Wasm(
        1,
        2,
        3,
        Int8Array.of(1, 2, 3),
        0,
        3,
        -1,
        Int8Array.of(1, 0, -1, 2, 2, 2),
        0,
        3,
        y,
        0,
        2,
      );
      expect(Array.from(y)).toEqual([-2, 18]);
      let seed = 100;
      for (const m of [1, 7, 13, 257]) {
        for (const n of [1, 7, 13, 257]) {
          for (const k of [1, 2, 13, 784]) {
            if (m * n * k > 2e5) continue;
            const zp = (seed % 256) - 128;
            const a = randomI8(m * k, seed++);
            const w = randomI8(n * k, seed++);
            // extreme values: −128 − 127 = −255 times −128 (the largest |product|)
            a[0] = -128;
            w[0] = -128;
            const want = new Int32Array(m * n);
            for (let i = 0; i < m; i++) {
              for (let j = 0; j < n; j++) {
                let s = 0;
                for (let p = 0; p < k; p++) s += (a[i * k + p]! - zp) * w[j * k + p]!;
                want[i * n + j] = s;
              }
            }
            const got = new Int32Array(m * n);
            gemmI8Wasm(m, n, k, a, 0, k, zp, w, 0, k, got, 0, n);
            expect(mismatches(got, want), `${m}×${n}×${k}`).toBe(0);
            const pw = packI8Weights(w, 0, k, n, k);
            const got2 = new Int32Array(m * n).fill(7);
            gemmI8WasmPacked(m, pw, a, 0, k, zp, got2, 0, n);
            releaseWeights(pw);
            expect(mismatches(got2, want), `packed ${m}×${n}×${k}`).toBe(0);
          }
        }
      }
    });

    it("empty operands: k = 0 gives zeros (int8) or β·C (float32); n = 0 does nothing", () => {
      setKernelSet(set);
      const y = Int32Array.of(5, 5);
      gemmI8Wasm(1, 2, 0, new Int8Array(0), 0, 0, 0, new Int8Array(0), 0, 0, y, 0, 2);
      expect(Array.from(y)).toEqual([0, 0]);
      const pw = packI8Weights(new Int8Array(0), 0, 0, 2, 0);
      y.fill(5);
      gemmI8WasmPacked(1, pw, new Int8Array(0), 0, 0, 0, y, 0, 2);
      expect(Array.from(y)).toEqual([0, 0]);
      releaseWeights(pw);
      const empty = packI8Weights(new Int8Array(0), 0, 3, 0, 3);
      gemmI8WasmPacked(1, empty, Int8Array.of(1, 2, 3), 0, 3, 0, y, 0, 2);
      expect(Array.from(y)).toEqual([0, 0]);
      const pb = packF32Weights(false, new Float32Array(0), 0, 2, 0, 2);
      const c = Float32Array.of(1, 2);
      gemmWasmPackedB(false, 1, 1, new Float32Array(0), 0, 0, pb, 3, c, 0, 2);
      expect(Array.from(c)).toEqual([3, 6]);
      releaseWeights(pb);
      releaseWeights(empty);
    });

    it("int8: strided operands, several resident weight sets, release and reuse", () => {
      setKernelSet(set);
      const [m, n, k] = [5, 11, 9];
      const lda = k + 3;
      const ldb = k + 2;
      const ldc = n + 1;
      const a = randomI8(2 + m * lda, 7);
      const ws = [randomI8(1 + n * ldb, 8), randomI8(1 + n * ldb, 9), randomI8(1 + n * ldb, 10)];
      const ref = (w: Int8Array) => {
        const out = new Int32Array(m * ldc);
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            let s = 0;
            for (let p = 0; p < k; p++) s += (a[2 + i * lda + p]! - 3) * w[1 + j * ldb + p]!;
            out[i * ldc + j] = s;
          }
        }
        return out;
      };
      const run = (pw: ReturnType<typeof packI8Weights>) => {
        const out = new Int32Array(m * ldc);
        gemmI8WasmPacked(m, pw, a, 2, lda, 3, out, 0, ldc);
        return out;
      };
      const p0 = packI8Weights(ws[0]!, 1, ldb, n, k);
      const p1 = packI8Weights(ws[1]!, 1, ldb, n, k);
      releaseWeights(p0);
      const p2 = packI8Weights(ws[2]!, 1, ldb, n, k); // reuses p0's region
      expect(run(p1)).toEqual(ref(ws[1]!));
      expect(run(p2)).toEqual(ref(ws[2]!));
      const direct = new Int32Array(m * ldc);
      gemmI8Wasm(m, n, k, a, 2, lda, 3, ws[0]!, 1, ldb, direct, 0, ldc);
      expect(direct).toEqual(ref(ws[0]!));
      expect(run(p1)).toEqual(ref(ws[1]!)); // a direct call's scratch left p1 intact
      releaseWeights(p1);
      releaseWeights(p2);
      expect(() => run(p1)).toThrow(/released/);
    });
  });
}

describe("capabilities", () => {
  it("reports relaxed SIMD → SIMD → js by what validates", () => {
    const caps = setKernelSet("auto");
    expect(caps.kernels).toBe(hasRelaxed ? "relaxed-simd" : hasSimd ? "simd" : "js");
    if (!hasRelaxed && hasSimd) expect(caps.reason).toMatch(/relaxed/);
    expect(capabilities()).toEqual(caps);
  });

  it.runIf(hasSimd)(
    "without run-time compilation: falls back to js, or runs provided modules",
    () => {
      // workerd refuses `new WebAssembly.Module(bytes)`; simulate it
      const prebuilt = {
        f32: new WebAssembly.Module(gemmModuleBytes("f32")),
        i8: new WebAssembly.Module(gemmModuleBytes("i8")),
      };
      const RealModule = WebAssembly.Module;
      const refuse = function Module() {
        throw new WebAssembly.CompileError("Wasm code generation disallowed by embedder");
      };
      try {
        (WebAssembly as { Module: unknown }).Module = refuse;
        const caps = setKernelSet("auto");
        expect(caps.kernels).toBe("js");
        expect(caps.reason).toMatch(/disallowed by embedder.*provideWasmModules/);
        (WebAssembly as { Module: unknown }).Module = RealModule;
        // with prebuilt modules (a host's `import mod from "gemm-f32.wasm"`), no compilation happens
        (WebAssembly as { Module: unknown }).Module = refuse;
        const provided = provideWasmModules(prebuilt);
        // f32fma was not provided and cannot be compiled: SIMD mul+add, the next in line
        expect(provided.kernels).toBe("simd");
        if (hasRelaxed) expect(provided.reason).toMatch(/relaxed-SIMD module not compiled/);
        const c = new Float32Array(4);
        gemmWasm(
          false,
          true,
          2,
          2,
          1,
          1,
          Float32Array.of(1, 2),
          0,
          1,
          Float32Array.of(3, 4),
          0,
          1,
          0,
          c,
          0,
          2,
        );
        // [1, 2]ᵀ·[3, 4] = [[3, 4], [6, 8]]
        expect(Array.from(c)).toEqual([3, 4, 6, 8]);
      } finally {
        (WebAssembly as { Module: unknown }).Module = RealModule;
        provideWasmModules({});
        setKernelSet("auto");
      }
    },
  );

  it.runIf(process.env.EDGENN_EXPECT_RELAXED === "1")(
    "relaxed SIMD is available (EDGENN_EXPECT_RELAXED=1: the flag took effect)",
    () => {
      expect(hasRelaxed).toBe(true);
      expect(capabilities().kernels).toBe("relaxed-simd");
    },
  );
});
