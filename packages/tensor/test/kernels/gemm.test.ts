import { gemm } from "@edgenn/tensor/kernels";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

/** A deterministic pseudo-random float32 array in [-1, 1). */
function randomArray(n: number, seed: number): Float32Array {
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

/** C = alpha·op(A)·op(B) + beta·C by the definition, in float64, element by element. */
function naiveGemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  aOff: number,
  lda: number,
  b: Float32Array,
  bOff: number,
  ldb: number,
  beta: number,
  c: Float32Array,
  cOff: number,
  ldc: number,
): Float64Array {
  const out = Float64Array.from(c);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const av = transA ? a[aOff + p * lda + i]! : a[aOff + i * lda + p]!;
        const bv = transB ? b[bOff + j * ldb + p]! : b[bOff + p * ldb + j]!;
        s += av * bv;
      }
      const prev = beta === 0 ? 0 : beta * c[cOff + i * ldc + j]!;
      out[cOff + i * ldc + j] = alpha * s + prev;
    }
  }
  return out;
}

interface Case {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  alpha: number;
  beta: number;
  /** Extra elements per row beyond the minimal leading dimension. */
  padA: number;
  padB: number;
  padC: number;
  /** Leading offsets into each buffer. */
  off: number;
}

/** Runs `gemm` and the naive loop on the same random buffers and compares every element of C. */
function check(t: Case, seed = 1): void {
  const { transA, transB, m, n, k, alpha, beta, padA, padB, padC, off } = t;
  const lda = (transA ? m : k) + padA;
  const ldb = (transB ? k : n) + padB;
  const ldc = n + padC;
  const a = randomArray(off + (transA ? k : m) * lda, seed);
  const b = randomArray(off + (transB ? n : k) * ldb, seed + 1);
  const c = randomArray(off + m * ldc, seed + 2);
  const expected = naiveGemm(
    transA,
    transB,
    m,
    n,
    k,
    alpha,
    a,
    off,
    lda,
    b,
    off,
    ldb,
    beta,
    c,
    off,
    ldc,
  );
  gemm(transA, transB, m, n, k, alpha, a, off, lda, b, off, ldb, beta, c, off, ldc);
  for (let i = 0; i < c.length; i++) {
    const tol = 1e-5 * (Math.abs(expected[i]!) + Math.sqrt(k) * Math.abs(alpha)) + 1e-6;
    if (!(Math.abs(c[i]! - expected[i]!) <= tol)) {
      expect.fail(
        `${JSON.stringify(t)}: c[${i}] = ${c[i]}, expected ${expected[i]} (|Δ| ${Math.abs(c[i]! - expected[i]!)})`,
      );
    }
  }
}

const ODD = [1, 7, 13, 33, 65, 257];

describe("gemm kernel", () => {
  it("computes a 2×2 product by hand", () => {
    // [[1,2],[3,4]]·[[5,6],[7,8]] = [[1·5+2·7, 1·6+2·8], [3·5+4·7, 3·6+4·8]] = [[19,22],[43,50]]
    const c = new Float32Array(4);
    gemm(
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
    // alpha = 2, beta = 0.5 over C = 10: 2·19 + 5 = 43, …
    const c2 = new Float32Array(4).fill(10);
    gemm(
      false,
      false,
      2,
      2,
      2,
      2,
      Float32Array.of(1, 2, 3, 4),
      0,
      2,
      Float32Array.of(5, 6, 7, 8),
      0,
      2,
      0.5,
      c2,
      0,
      2,
    );
    expect(Array.from(c2)).toEqual([43, 49, 91, 105]);
  });

  it("matches the naive loop on odd square sizes, every transpose combination", () => {
    for (const size of ODD) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          check({
            transA,
            transB,
            m: size,
            n: size,
            k: size,
            alpha: 1,
            beta: 0,
            padA: 0,
            padB: 0,
            padC: 0,
            off: 0,
          });
        }
      }
    }
  });

  it("matches on rectangular odd shapes with alpha, beta, padded leading dims and offsets", () => {
    let seed = 10;
    for (const m of ODD) {
      for (const n of [1, 7, 33, 257]) {
        for (const k of [1, 13, 65]) {
          const transA = seed % 2 === 0;
          const transB = seed % 3 === 0;
          check(
            { transA, transB, m, n, k, alpha: -1.5, beta: 0.25, padA: 3, padB: 5, padC: 2, off: 7 },
            seed++,
          );
        }
      }
    }
  });

  it("spans several K, N and M blocks (k > 256, m > 128)", () => {
    check({
      transA: false,
      transB: false,
      m: 131,
      n: 19,
      k: 600,
      alpha: 1,
      beta: 1,
      padA: 0,
      padB: 0,
      padC: 0,
      off: 0,
    });
    check({
      transA: true,
      transB: true,
      m: 300,
      n: 9,
      k: 257,
      alpha: 0.5,
      beta: 0,
      padA: 1,
      padB: 1,
      padC: 1,
      off: 3,
    });
  });

  fcTest.prop(
    [
      fc.record({
        transA: fc.boolean(),
        transB: fc.boolean(),
        m: fc.integer({ min: 1, max: 40 }),
        n: fc.integer({ min: 1, max: 40 }),
        k: fc.integer({ min: 1, max: 40 }),
        alpha: fc.constantFrom(1, -2, 0.5),
        beta: fc.constantFrom(0, 1, -0.5),
        padA: fc.integer({ min: 0, max: 4 }),
        padB: fc.integer({ min: 0, max: 4 }),
        padC: fc.integer({ min: 0, max: 4 }),
        off: fc.integer({ min: 0, max: 5 }),
      }),
    ],
    { numRuns: 60 },
  )("matches the naive loop on random shapes", (t) => {
    check(t);
  });

  it("broadcasts an operand with leading dimension 0", () => {
    // lda = 0: every row of A is the same k values; op(A)·B then has identical rows
    const a = Float32Array.of(1, 2, 3);
    const b = randomArray(3 * 5, 3);
    const c = new Float32Array(4 * 5);
    gemm(false, false, 4, 5, 3, 1, a, 0, 0, b, 0, 5, 0, c, 0, 5);
    const expected = naiveGemm(
      false,
      false,
      4,
      5,
      3,
      1,
      a,
      0,
      0,
      b,
      0,
      5,
      0,
      new Float32Array(20),
      0,
      5,
    );
    for (let i = 0; i < 20; i++) expect(c[i]).toBeCloseTo(expected[i]!, 5);
    // ldb = 0 with transB: every column of op(B) is the same
    const c2 = new Float32Array(4 * 6);
    const a2 = randomArray(4 * 3, 4);
    gemm(false, true, 4, 6, 3, 1, a2, 0, 3, a, 0, 0, 0, c2, 0, 6);
    for (let i = 0; i < 4; i++) {
      for (let j = 1; j < 6; j++) expect(c2[i * 6 + j]).toBe(c2[i * 6]);
    }
  });

  it("beta = 0 overwrites NaN in C; k = 0 scales C by beta; empty m or n writes nothing", () => {
    const c = new Float32Array(8 * 8).fill(Number.NaN);
    const a = randomArray(64, 5);
    gemm(false, false, 8, 8, 8, 1, a, 0, 8, a, 0, 8, 0, c, 0, 8);
    expect(c.every((v) => Number.isFinite(v))).toBe(true);
    const c1 = Float32Array.of(Number.NaN, 2);
    gemm(false, false, 1, 2, 3, 1, a, 0, 3, a, 0, 2, 0, c1, 0, 2);
    expect(c1.every((v) => Number.isFinite(v))).toBe(true);
    const c2 = Float32Array.of(2, 4);
    gemm(false, false, 1, 2, 0, 1, a, 0, 0, a, 0, 2, 0.5, c2, 0, 2);
    expect(Array.from(c2)).toEqual([1, 2]);
    const c3 = Float32Array.of(7);
    gemm(false, false, 0, 1, 3, 1, a, 0, 3, a, 0, 1, 0, c3, 0, 1);
    expect(c3[0]).toBe(7);
  });

  it("leaves C outside the m×n block alone", () => {
    const ldc = 12;
    const c = new Float32Array(10 * ldc).fill(-7);
    const a = randomArray(9 * 5, 6);
    const b = randomArray(5 * 10, 7);
    gemm(false, false, 9, 10, 5, 1, a, 0, 5, b, 0, 10, 0, c, ldc, ldc);
    for (let j = 0; j < ldc; j++) expect(c[j]).toBe(-7); // row before the block
    for (let i = 1; i < 10; i++) {
      expect(c[i * ldc + 10]).toBe(-7);
      expect(c[i * ldc + 11]).toBe(-7);
    }
  });
});
