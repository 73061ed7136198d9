/*
 * Packed, register-blocked GEMM (the Goto/BLIS scheme) in plain TypeScript:
 *  1. C ← β·C once (β = 0 overwrites, so NaN in C never propagates).
 *  2. For each block of NC columns and KC depth, copy op(B) into panels of NR columns (pack B);
 *     for each block of MC rows, copy α·op(A) into panels of MR rows (pack A). Packing turns any
 *     layout (transposed, arbitrary or zero leading dimension) into unit-stride float64 streams,
 *     and zero-fills partial panels, so the inner kernel has no edge cases.
 *  3. A micro-kernel computes one MR×NR (8×8) tile of C over the KC block with its 64 accumulators
 *     in local variables (registers or spill slots V8 keeps hot), reading MR + NR packed values per
 *     step and doing MR·NR multiply-adds with them; it adds the tile into C. Partial tiles at the
 *     edges go through a small scratch tile.
 * Float64 panels avoid a float32→float64 conversion per load in the inner loop (measured ≈ 15%).
 * A single row or column (matrix-vector) skips packing: each matrix element is used once, so
 * packing would cost as much as the product; so do the rows of a last panel of at most MR/2 rows.
 */

/** Micro-tile rows. */
const MR = 8;
/** Micro-tile columns. */
const NR = 8;
/** Depth of a packed block: an A panel (MR×KC) plus a B panel (KC×NR) stay in L1. */
const KC = 256;
/** Rows of a packed A block (MC×KC float64 = 256 KiB, in L2); a multiple of MR. */
const MC = 128;
/** Columns of a packed B block (KC×NC float64 = 4 MiB, in L3). */
const NC = 2048;

// pure: a bundle that never calls gemm drops these (the kernel grows them on first use)
let packedA = /* @__PURE__ */ new Float64Array(0);
let packedB = /* @__PURE__ */ new Float64Array(0);
let rowAcc = /* @__PURE__ */ new Float64Array(0);
/** An MR×NR tile for partial tiles at the right and bottom edges. */
const edgeTile = /* @__PURE__ */ new Float32Array(MR * NR);

/**
 * C = alpha·op(A)·op(B) + beta·C for row-major float32 matrices, BLAS-style: `op(A)` is M×K
 * (A stored K×M when `transA`), `op(B)` is K×N, leading dimensions `lda`, `ldb`, `ldc` (any value,
 * 0 included: a broadcast operand). beta = 0 overwrites C (NaN in C does not propagate).
 * Products accumulate in float64 within each block of 256 along K.
 * @param transA - A is stored transposed (K×M)
 * @param transB - B is stored transposed (N×K)
 * @param m - rows of op(A) and C
 * @param n - columns of op(B) and C
 * @param k - columns of op(A), rows of op(B)
 * @param alpha - scale of the product
 * @param a - A's elements, starting at `aOff`
 * @param b - B's elements, starting at `bOff`
 * @param beta - scale of C's previous contents
 * @param c - C's elements, starting at `cOff`; written in place
 * @returns nothing: `c` holds the result
 */
export function gemm(
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
): void {
  if (m <= 0 || n <= 0) return;
  scaleC(m, n, beta, c, cOff, ldc);
  if (k <= 0 || alpha === 0) return;
  if (n === 1) {
    // (A·b)ᵀ = bᵀ·Aᵀ: x = B's column, M(p, i) = op(A)[i, p], C's column stepped by ldc
    rowTimesMatrix(
      m,
      k,
      alpha,
      b,
      bOff,
      transB ? 1 : ldb,
      a,
      aOff,
      transA ? lda : 1,
      transA ? 1 : lda,
      c,
      cOff,
      ldc,
    );
    return;
  }
  // a last panel of at most MR/2 rows (a single row included) goes row by matrix, unpacked.
  // Measured against the half-height 4×8 kernel this replaces (GFLOP/s, n·k = 784·64 … 256·256):
  // m = 10: 3.0 vs 2.7; m = 12: 2.9 vs 3.4; m = 20: 3.0 vs 3.5; m = 36: 3.7 vs 4.0; that kernel
  // cost ≈ 0.2 KB gzipped in every bundle with gemm. gemmPackedB pads such a panel to 8 rows.
  const tail = m % MR <= MR / 2 ? m % MR : 0;
  for (let i = m - tail; i < m; i++) {
    // row · matrix: x = A's row i, M(p, j) = op(B)[p, j]
    rowTimesMatrix(
      n,
      k,
      alpha,
      a,
      aOff + i * (transA ? 1 : lda),
      transA ? lda : 1,
      b,
      bOff,
      transB ? 1 : ldb,
      transB ? ldb : 1,
      c,
      cOff + i * ldc,
      1,
    );
  }
  m -= tail;
  if (!m) return;
  const kcMax = Math.min(k, KC);
  const ncMax = Math.min(roundUp(n, NR), NC);
  if (packedB.length < ncMax * kcMax) packedB = new Float64Array(ncMax * kcMax);
  const bp = packedB;
  // loop order jc → pc → (ic → jr → ir in blockProduct): a packed B block is reused by every row
  // block of A
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packB(transB, b, bOff, ldb, pc, jc, kc, nc, bp);
      blockProduct(transA, alpha, a, aOff, lda, m, pc, kc, bp, 0, nc, c, cOff + jc, ldc);
    }
  }
}

/** Columns of a packed B panel (`gemmPackedB`'s layout unit). */
export const PACK_NR = NR;
/** Rows of a packed B block (`gemmPackedB`'s layout unit). */
export const PACK_KC = KC;

/**
 * C = alpha·op(A)·B + beta·C with B (K×N) already packed as `packB` lays it out for the whole
 * matrix: the block of rows [pc, pc + kc) (pc a multiple of `PACK_KC`, kc = min(PACK_KC, K − pc))
 * starts at `bpOff + pc·roundUp(N, PACK_NR)`; in it, element (pc + p, j) is at
 * `⌊j / NR⌋·NR·kc + p·NR + j mod NR`. Lets a caller (im2col) write B straight into that layout.
 * @param bp - the packed B, float64
 * @returns nothing: `c` holds the result
 */
export function gemmPackedB(
  transA: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  aOff: number,
  lda: number,
  bp: Float64Array,
  bpOff: number,
  beta: number,
  c: Float32Array,
  cOff: number,
  ldc: number,
): void {
  if (m <= 0 || n <= 0) return;
  scaleC(m, n, beta, c, cOff, ldc);
  if (k <= 0 || alpha === 0) return;
  const nPad = roundUp(n, NR);
  for (let pc = 0; pc < k; pc += KC) {
    const kc = Math.min(KC, k - pc);
    blockProduct(transA, alpha, a, aOff, lda, m, pc, kc, bp, bpOff + pc * nPad, n, c, cOff, ldc);
  }
}

/**
 * C[0:m, 0:nc] += alpha·op(A)[0:m, pc:pc+kc] · (the packed kc×nc block of B at `bpOff`).
 * Loop order ic → jr → ir: A is packed MC rows at a time; within a row block, a B micro-panel
 * (kc×NR) stays in L1 while the MR-row panels of the A block stream past it.
 */
function blockProduct(
  transA: boolean,
  alpha: number,
  a: Float32Array,
  aOff: number,
  lda: number,
  m: number,
  pc: number,
  kc: number,
  bp: Float64Array,
  bpOff: number,
  nc: number,
  c: Float32Array,
  cOff: number,
  ldc: number,
): void {
  const need = Math.min(roundUp(m, MR), MC) * kc;
  if (packedA.length < need) packedA = new Float64Array(Math.min(roundUp(m, MR), MC) * KC);
  const ap = packedA;
  for (let ic = 0; ic < m; ic += MC) {
    const mc = Math.min(MC, m - ic);
    packA(transA, alpha, a, aOff, lda, ic, pc, mc, kc, ap);
    for (let jr = 0; jr < nc; jr += NR) {
      const nr = Math.min(NR, nc - jr);
      const bo = bpOff + jr * kc;
      for (let ir = 0; ir < mc; ir += MR) {
        const mr = Math.min(MR, mc - ir);
        const co = cOff + (ic + ir) * ldc + jr;
        if (nr === NR && mr === MR) kernel8x8(kc, ap, ir * kc, bp, bo, c, co, ldc);
        else {
          edgeTile.fill(0);
          kernel8x8(kc, ap, ir * kc, bp, bo, edgeTile, 0, NR);
          for (let i = 0; i < mr; i++) {
            for (let j = 0; j < nr; j++) c[co + i * ldc + j]! += edgeTile[i * NR + j]!;
          }
        }
      }
    }
  }
}

function roundUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

/** C ← beta·C over an m×n block (beta = 0 writes zeros; beta = 1 leaves C alone). */
function scaleC(m: number, n: number, beta: number, c: Float32Array, cOff: number, ldc: number) {
  if (beta === 1) return;
  for (let i = 0; i < m; i++) {
    const row = cOff + i * ldc;
    if (beta === 0) c.fill(0, row, row + n);
    else for (let j = row; j < row + n; j++) c[j]! *= beta;
  }
}

/**
 * Copies rows [ic, ic+mc) × depth [pc, pc+kc) of alpha·op(A) into panels of MR rows:
 * `ap[ir·kc + p·MR + ii] = alpha·op(A)[ic+ir+ii, pc+p]`, rows past `mc` zero.
 */
function packA(
  transA: boolean,
  alpha: number,
  a: Float32Array,
  aOff: number,
  lda: number,
  ic: number,
  pc: number,
  mc: number,
  kc: number,
  ap: Float64Array,
): void {
  // op(A)[i, p] lives at aOff + i·rs + p·ps
  const rs = transA ? 1 : lda;
  const ps = transA ? lda : 1;
  for (let ir = 0; ir < mc; ir += MR) {
    const base = ir * kc;
    const rows = Math.min(MR, mc - ir);
    for (let ii = 0; ii < MR; ii++) {
      let dst = base + ii;
      if (ii >= rows) {
        for (let p = 0; p < kc; p++, dst += MR) ap[dst] = 0;
        continue;
      }
      let src = aOff + (ic + ir + ii) * rs + pc * ps;
      for (let p = 0; p < kc; p++, dst += MR, src += ps) ap[dst] = alpha * a[src]!;
    }
  }
}

/**
 * Copies depth [pc, pc+kc) × columns [jc, jc+nc) of op(B) into panels of NR columns:
 * `bp[jr·kc + p·NR + jj] = op(B)[pc+p, jc+jr+jj]`, columns past `nc` zero.
 */
function packB(
  transB: boolean,
  b: Float32Array,
  bOff: number,
  ldb: number,
  pc: number,
  jc: number,
  kc: number,
  nc: number,
  bp: Float64Array,
): void {
  // op(B)[p, j] lives at bOff + p·ps + j·js
  const ps = transB ? 1 : ldb;
  const js = transB ? ldb : 1;
  for (let jr = 0; jr < nc; jr += NR) {
    const base = jr * kc;
    const cols = Math.min(NR, nc - jr);
    if (cols === NR && js === 1) {
      // the common case: eight consecutive floats of one row of B per step
      let src = bOff + pc * ps + jc + jr;
      for (let p = 0, dst = base; p < kc; p++, dst += NR, src += ps) {
        bp[dst] = b[src]!;
        bp[dst + 1] = b[src + 1]!;
        bp[dst + 2] = b[src + 2]!;
        bp[dst + 3] = b[src + 3]!;
        bp[dst + 4] = b[src + 4]!;
        bp[dst + 5] = b[src + 5]!;
        bp[dst + 6] = b[src + 6]!;
        bp[dst + 7] = b[src + 7]!;
      }
      continue;
    }
    for (let jj = 0; jj < NR; jj++) {
      let dst = base + jj;
      if (jj >= cols) {
        for (let p = 0; p < kc; p++, dst += NR) bp[dst] = 0;
        continue;
      }
      let src = bOff + pc * ps + (jc + jr + jj) * js;
      for (let p = 0; p < kc; p++, dst += NR, src += ps) bp[dst] = b[src]!;
    }
  }
}

/**
 * C[0:8, 0:8] += Σₚ ap[p·8 + i]·bp[p·8 + j] over `kc` steps, C's rows `ldc` apart. The 64
 * accumulators are locals; each step loads 8 + 8 packed values and does 64 multiply-adds.
 * (Measured against 4×4, 4×8, 6×8, 8×12: 8×8 and 6×8 are fastest, ≈ 10% over 4×8; 8 rows divide
 * the usual channel counts.)
 */
// biome-ignore format: one row of the tile per line
function kernel8x8(
  kc: number,
  ap: Float64Array,
  ao: number,
  bp: Float64Array,
  bo: number,
  c: Float32Array,
  co: number,
  ldc: number,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c04 = 0, c05 = 0, c06 = 0, c07 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0, c15 = 0, c16 = 0, c17 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c24 = 0, c25 = 0, c26 = 0, c27 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0, c34 = 0, c35 = 0, c36 = 0, c37 = 0;
  let c40 = 0, c41 = 0, c42 = 0, c43 = 0, c44 = 0, c45 = 0, c46 = 0, c47 = 0;
  let c50 = 0, c51 = 0, c52 = 0, c53 = 0, c54 = 0, c55 = 0, c56 = 0, c57 = 0;
  let c60 = 0, c61 = 0, c62 = 0, c63 = 0, c64 = 0, c65 = 0, c66 = 0, c67 = 0;
  let c70 = 0, c71 = 0, c72 = 0, c73 = 0, c74 = 0, c75 = 0, c76 = 0, c77 = 0;
  // pointer bumps at the end of the body, not in the loop header: V8 runs this form ≈ 15% faster
  for (let p = 0; p < kc; p++) {
    const b0 = bp[bo]!, b1 = bp[bo + 1]!, b2 = bp[bo + 2]!, b3 = bp[bo + 3]!;
    const b4 = bp[bo + 4]!, b5 = bp[bo + 5]!, b6 = bp[bo + 6]!, b7 = bp[bo + 7]!;
    let a = ap[ao]!;
    c00 += a * b0; c01 += a * b1; c02 += a * b2; c03 += a * b3;
    c04 += a * b4; c05 += a * b5; c06 += a * b6; c07 += a * b7;
    a = ap[ao + 1]!;
    c10 += a * b0; c11 += a * b1; c12 += a * b2; c13 += a * b3;
    c14 += a * b4; c15 += a * b5; c16 += a * b6; c17 += a * b7;
    a = ap[ao + 2]!;
    c20 += a * b0; c21 += a * b1; c22 += a * b2; c23 += a * b3;
    c24 += a * b4; c25 += a * b5; c26 += a * b6; c27 += a * b7;
    a = ap[ao + 3]!;
    c30 += a * b0; c31 += a * b1; c32 += a * b2; c33 += a * b3;
    c34 += a * b4; c35 += a * b5; c36 += a * b6; c37 += a * b7;
    a = ap[ao + 4]!;
    c40 += a * b0; c41 += a * b1; c42 += a * b2; c43 += a * b3;
    c44 += a * b4; c45 += a * b5; c46 += a * b6; c47 += a * b7;
    a = ap[ao + 5]!;
    c50 += a * b0; c51 += a * b1; c52 += a * b2; c53 += a * b3;
    c54 += a * b4; c55 += a * b5; c56 += a * b6; c57 += a * b7;
    a = ap[ao + 6]!;
    c60 += a * b0; c61 += a * b1; c62 += a * b2; c63 += a * b3;
    c64 += a * b4; c65 += a * b5; c66 += a * b6; c67 += a * b7;
    a = ap[ao + 7]!;
    c70 += a * b0; c71 += a * b1; c72 += a * b2; c73 += a * b3;
    c74 += a * b4; c75 += a * b5; c76 += a * b6; c77 += a * b7;
    ao += 8;
    bo += 8;
  }
  c[co]! += c00; c[co + 1]! += c01; c[co + 2]! += c02; c[co + 3]! += c03;
  c[co + 4]! += c04; c[co + 5]! += c05; c[co + 6]! += c06; c[co + 7]! += c07;
  co += ldc;
  c[co]! += c10; c[co + 1]! += c11; c[co + 2]! += c12; c[co + 3]! += c13;
  c[co + 4]! += c14; c[co + 5]! += c15; c[co + 6]! += c16; c[co + 7]! += c17;
  co += ldc;
  c[co]! += c20; c[co + 1]! += c21; c[co + 2]! += c22; c[co + 3]! += c23;
  c[co + 4]! += c24; c[co + 5]! += c25; c[co + 6]! += c26; c[co + 7]! += c27;
  co += ldc;
  c[co]! += c30; c[co + 1]! += c31; c[co + 2]! += c32; c[co + 3]! += c33;
  c[co + 4]! += c34; c[co + 5]! += c35; c[co + 6]! += c36; c[co + 7]! += c37;
  co += ldc;
  c[co]! += c40; c[co + 1]! += c41; c[co + 2]! += c42; c[co + 3]! += c43;
  c[co + 4]! += c44; c[co + 5]! += c45; c[co + 6]! += c46; c[co + 7]! += c47;
  co += ldc;
  c[co]! += c50; c[co + 1]! += c51; c[co + 2]! += c52; c[co + 3]! += c53;
  c[co + 4]! += c54; c[co + 5]! += c55; c[co + 6]! += c56; c[co + 7]! += c57;
  co += ldc;
  c[co]! += c60; c[co + 1]! += c61; c[co + 2]! += c62; c[co + 3]! += c63;
  c[co + 4]! += c64; c[co + 5]! += c65; c[co + 6]! += c66; c[co + 7]! += c67;
  co += ldc;
  c[co]! += c70; c[co + 1]! += c71; c[co + 2]! += c72; c[co + 3]! += c73;
  c[co + 4]! += c74; c[co + 5]! += c75; c[co + 6]! += c76; c[co + 7]! += c77;
}

/**
 * out[j·os] += alpha·Σₚ x[p·xs]·M(p, j) for j < n, with M(p, j) at `mOff + p·ps + j·js`: the
 * matrix-vector case, where packing would cost as much as the product. Loop order p-j into a
 * float64 row, eight rows of M per pass: each accumulator load/store carries eight independent
 * multiply-adds (one running sum per output waits on its own previous add each step, ≈ 0.5
 * GFLOP/s; this runs ≈ 2.4× faster on the MLP layers, for M stored either way round: a transposed
 * M is read eight contiguous floats per output column, still in L1 on the next pass).
 */
function rowTimesMatrix(
  n: number,
  k: number,
  alpha: number,
  x: Float32Array,
  xOff: number,
  xs: number,
  mat: Float32Array,
  mOff: number,
  ps: number,
  js: number,
  out: Float32Array,
  oOff: number,
  os: number,
): void {
  if (rowAcc.length < n) rowAcc = new Float64Array(n);
  const acc = rowAcc;
  acc.fill(0, 0, n);
  let p = 0;
  for (; p + 8 <= k; p += 8) {
    let i = xOff + p * xs;
    const x0 = x[i]!;
    const x1 = x[(i += xs)]!;
    const x2 = x[(i += xs)]!;
    const x3 = x[(i += xs)]!;
    const x4 = x[(i += xs)]!;
    const x5 = x[(i += xs)]!;
    const x6 = x[(i += xs)]!;
    const x7 = x[(i += xs)]!;
    for (let j = 0, q = mOff + p * ps; j < n; j++, q += js) {
      let r = q;
      // biome-ignore format: one sum
      acc[j]! += x0 * mat[r]! + x1 * mat[(r += ps)]! + x2 * mat[(r += ps)]! + x3 * mat[(r += ps)]! +
        x4 * mat[(r += ps)]! + x5 * mat[(r += ps)]! + x6 * mat[(r += ps)]! + x7 * mat[(r += ps)]!;
    }
  }
  for (; p < k; p++) {
    const xv = x[xOff + p * xs]!;
    for (let j = 0, q = mOff + p * ps; j < n; j++, q += js) acc[j]! += xv * mat[q]!;
  }
  for (let j = 0; j < n; j++) out[oOff + j * os]! += alpha * acc[j]!;
}
