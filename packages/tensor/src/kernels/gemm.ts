/**
 * C = alpha·op(A)·op(B) + beta·C for row-major float32 matrices, BLAS-style: `op(A)` is M×K
 * (A stored K×M when `transA`), `op(B)` is K×N, leading dimensions `lda`, `ldb`, `ldc`.
 * beta = 0 overwrites C (NaN in C does not propagate).
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
  // reference loop order i-p-j: the inner loop runs along a row of B and C
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let p = 0; p < k; p++) {
      const av = transA ? a[aOff + p * lda + i]! : a[aOff + i * lda + p]!;
      if (av === 0) continue;
      if (transB) for (let j = 0; j < n; j++) row[j]! += av * b[bOff + j * ldb + p]!;
      else {
        const bo = bOff + p * ldb;
        for (let j = 0; j < n; j++) row[j]! += av * b[bo + j]!;
      }
    }
    const co = cOff + i * ldc;
    if (beta === 0) for (let j = 0; j < n; j++) c[co + j] = alpha * row[j]!;
    else for (let j = 0; j < n; j++) c[co + j] = alpha * row[j]! + beta * c[co + j]!;
  }
}
