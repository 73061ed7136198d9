/*
 * Generators of register-blocked GEMM micro-kernels as WebAssembly modules. A module exports
 * `m1` … `mR` (R = the tile's rows; float32 modules also `pb`, the B packing, and `ic`, im2col).
 * `mr(ap, bp, c, ldc, mBlocks, nPanels, kSteps)`, all i32 (byte addresses into the imported
 * memory `env.memory`, `ldc` in bytes), computes
 *   for each of nPanels B panels (4·nrv columns, walked left to right; C advances one panel):
 *     for each of mBlocks r-row blocks of packed A (walked down; C advances r rows):
 *       C[r × cols tile] += Σ over kSteps of (A column) ⊗ (B row)
 * Steps of one tile: load the C tile into r·nrv v128 locals; per k step load the nrv B vectors,
 * then per row splat one A element (v128.load32_splat) and multiply-add it into the row's nrv
 * accumulators; store the tile back. On V8/x64 (16 xmm registers) 4×8 (8 accumulators + 2 B + 1
 * splat) fits in registers with no k unrolling; bigger tiles or unrolling spill (measured).
 * Packed layouts the host writes:
 *   f32, f32fma: A block [kSteps][r] float32 (the r rows' elements at step p), B panel
 *     [kSteps][4·nrv] float32; C float32.
 *   i8: one step covers two k; A block [kSteps][r][2] int16 (x − zero point), B panel
 *     [kSteps][4·nrv][2] int8 (loaded 4 columns × 2 k at a time by v128.load8x8_s, sign-extended
 *     to i16x8), products summed in pairs by i32x4.dot_i16x8_s into int32 C (exact, wrapping).
 */
import { Code, encodeModule, I32, Simd, V128, type ValType } from "./encoder.js";

/** What a kernel multiplies: float32 (mul then add), float32 with relaxed FMA, int8 into int32. */
export type GemmKind = "f32" | "f32fma" | "i8";

/** A micro-tile: `mr` rows × 4·`nrv` columns (`nrv` v128 vectors per row). */
export interface GemmTile {
  readonly kind: GemmKind;
  readonly mr: number;
  readonly nrv: number;
}

// parameter and local indices of every kernel function
const AP = 0;
const BP = 1;
const C = 2;
const LDC = 3;
const MBLOCKS = 4;
const NPANELS = 5;
const KSTEPS = 6;
const A = 7; // A pointer, walks the packed A
const B = 8; // B pointer, walks one panel
const CROW = 9; // C pointer of the current row block
const IB = 10; // row blocks left
const P = 11; // k steps left
const T = 12; // C row pointer while loading/storing a tile
const I32_LOCALS = 6;
const ACC = 13; // r·nrv accumulators, then nrv B vectors, then the A splat

/**
 * Emits the body of `m<r>`: the tile walker with an r × 4·nrv tile of `kind`.
 * @returns the function definition, exported as `m<r>`
 */
function kernel(kind: GemmKind, r: number, nrv: number) {
  const acc = (i: number, v: number) => ACC + i * nrv + v;
  const bv = (v: number) => ACC + r * nrv + v;
  const splat = ACC + r * nrv + nrv;
  const bBytes = kind === "i8" ? 8 : 16; // B bytes per vector per k step
  const c = new Code();
  const tile = (store: boolean) => {
    c.get(CROW).set(T);
    for (let i = 0; i < r; i++) {
      if (i) c.get(T).get(LDC).i32Add().set(T);
      for (let v = 0; v < nrv; v++) {
        if (store)
          c.get(T)
            .get(acc(i, v))
            .simd(Simd.v128Store, [4, 16 * v]);
        else
          c.get(T)
            .simd(Simd.v128Load, [4, 16 * v])
            .set(acc(i, v));
      }
    }
  };
  c.loop(); // panels
  c.get(AP).set(A).get(C).set(CROW).get(MBLOCKS).set(IB);
  c.loop(); // row blocks
  tile(false);
  c.get(BP).set(B).get(KSTEPS).set(P);
  c.loop(); // k steps
  for (let v = 0; v < nrv; v++) {
    const load = kind === "i8" ? Simd.v128Load8x8S : Simd.v128Load;
    c.get(B)
      .simd(load, [kind === "i8" ? 3 : 4, bBytes * v])
      .set(bv(v));
  }
  for (let i = 0; i < r; i++) {
    c.get(A)
      .simd(Simd.v128Load32Splat, [2, 4 * i])
      .set(splat);
    for (let v = 0; v < nrv; v++) {
      if (kind === "f32") {
        // acc += a·b (two roundings)
        c.get(acc(i, v)).get(splat).get(bv(v)).simd(Simd.f32x4Mul).simd(Simd.f32x4Add);
      } else if (kind === "f32fma") {
        // acc = a·b + acc (relaxed: fused or not)
        c.get(splat).get(bv(v)).get(acc(i, v)).simd(Simd.f32x4RelaxedMadd);
      } else {
        // acc += a₀·b₀ + a₁·b₁ per column (i16 products summed in i32, exact)
        c.get(acc(i, v)).get(splat).get(bv(v)).simd(Simd.i32x4DotI16x8S).simd(Simd.i32x4Add);
      }
      c.set(acc(i, v));
    }
  }
  c.addTo(A, 4 * r).addTo(B, bBytes * nrv);
  c.get(P).i32Const(1).i32Sub().tee(P).brIf(0);
  c.end();
  tile(true);
  // next row block: CROW += r·ldc
  c.get(CROW).get(LDC).i32Const(r).i32Mul().i32Add().set(CROW);
  c.get(IB).i32Const(1).i32Sub().tee(IB).brIf(0);
  c.end();
  // next panel: B continues where the last row block's k loop ended; C moves one panel right
  c.get(B)
    .set(BP)
    .addTo(C, 16 * nrv);
  c.get(NPANELS).i32Const(1).i32Sub().tee(NPANELS).brIf(0);
  c.end();
  const locals: ValType[] = [];
  for (let i = 0; i < I32_LOCALS; i++) locals.push(I32);
  for (let i = 0; i < r * nrv + nrv + 1; i++) locals.push(V128);
  return {
    params: [I32, I32, I32, I32, I32, I32, I32],
    results: [],
    locals,
    code: c,
    name: `m${r}`,
  };
}

/**
 * `pb(src, dst, lds, kSteps, panels)`: packs float32 rows (row p of `src` at byte src + p·lds)
 * into panels of 8 columns, [panel][k][8], with two v128 copies per row per panel: the B packing
 * in wasm, for B first copied into the memory row by row (memcpy speed).
 */
function packPanels() {
  const [SRC, DST, LDS, KS, PANELS, S, K] = [0, 1, 2, 3, 4, 5, 6];
  const c = new Code();
  c.loop().get(SRC).set(S).get(KS).set(K);
  c.loop();
  for (const off of [0, 16])
    c.get(DST).get(S).simd(Simd.v128Load, [4, off]).simd(Simd.v128Store, [4, off]);
  c.addTo(DST, 32).get(S).get(LDS).i32Add().set(S);
  c.get(K).i32Const(1).i32Sub().tee(K).brIf(0);
  c.end();
  c.addTo(SRC, 32);
  c.get(PANELS).i32Const(1).i32Sub().tee(PANELS).brIf(0);
  c.end();
  return {
    params: [I32, I32, I32, I32, I32],
    results: [],
    locals: [I32, I32],
    code: c,
    name: "pb",
  };
}

/**
 * `ic(src, dst, rows, ih0, sH, inH, rowBytes, count, sWBytes, dstRowBytes)`: one row of an
 * im2col matrix, output row by output row: for r < rows, with ih = ih0 + r·sH inside [0, inH),
 * copies `count` float32 from `src + ih·rowBytes` (stepping sWBytes) to `dst + r·dstRowBytes`
 * (stepping 4; 4 at a time by v128 when sWBytes = 4); rows with ih outside are left alone (the
 * host zeroes the matrix once).
 */
function im2colRow() {
  const [SRC, DST, ROWS, IH, SH, INH, ROWB, CNT, SWB, DROW, S, D, N] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
  ];
  const c = new Code();
  c.loop();
  // (u32) ih < inH: a negative ih wraps to a large unsigned value
  c.get(IH).get(INH).op(0x49, 0x04, 0x40);
  c.get(IH).get(ROWB).i32Mul().get(SRC).i32Add().set(S).get(DST).set(D).get(CNT).set(N);
  // unit stride: 4 floats per v128 copy while 4 remain
  c.get(SWB).i32Const(4).op(0x46, 0x04, 0x40); // i32.eq; if
  c.block().loop();
  c.get(N).i32Const(4).op(0x48).brIf(1); // i32.lt_s: fewer than 4 left
  c.get(D).get(S).simd(Simd.v128Load, [0, 0]).simd(Simd.v128Store, [0, 0]);
  c.addTo(S, 16).addTo(D, 16).get(N).i32Const(4).i32Sub().set(N);
  c.op(0x0c, 0x00); // br (loop)
  c.end().end();
  c.end(); // if
  c.block().get(N).op(0x45).brIf(0); // i32.eqz: none left
  c.loop();
  c.get(D).get(S).op(0x2a, 0x02, 0x00).op(0x38, 0x02, 0x00); // f32.store(d, f32.load(s))
  c.get(S).get(SWB).i32Add().set(S).addTo(D, 4);
  c.get(N).i32Const(1).i32Sub().tee(N).brIf(0);
  c.end();
  c.end();
  c.end(); // if
  c.get(DST).get(DROW).i32Add().set(DST).get(IH).get(SH).i32Add().set(IH);
  c.get(ROWS).i32Const(1).i32Sub().tee(ROWS).brIf(0);
  c.end();
  return {
    params: [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32],
    results: [],
    locals: [I32, I32, I32],
    code: c,
    name: "ic",
  };
}

/**
 * Emits the module of a GEMM micro-kernel family: `m1` … `m<mr>` (the full tile and the
 * remainder-row tiles), plus `pb` (B packing) and `ic` (im2col) for float32 tiles 8 columns wide,
 * importing
 * `env.memory` (shared when `shared`, then with `maxPages`).
 * Every argument of a call must be ≥ 1 (mBlocks, nPanels, kSteps): the loops test at the end.
 * @param tile - kind, rows (1…8) and v128 vectors per row (1…4)
 * @param shared - import a shared memory (for worker threads)
 * @param maxPages - the shared memory's maximum in 64 KiB pages
 * @returns the module's bytes (about 1.5 KB for 4×8), owned by the caller
 * @throws RangeError for a tile outside 1…8 × 1…4
 * Example: `new WebAssembly.Module(emitGemmModule({ kind: "f32", mr: 4, nrv: 2 }))`
 */
export function emitGemmModule(tile: GemmTile, shared = false, maxPages = 65536): Uint8Array {
  const { kind, mr, nrv } = tile;
  if (!(Number.isInteger(mr) && mr >= 1 && mr <= 8 && Number.isInteger(nrv) && nrv >= 1)) {
    throw new RangeError(
      `emitGemmModule: bad tile (expected 1 ≤ mr ≤ 8, nrv ≥ 1, got ${mr}×${nrv})`,
    );
  }
  if (nrv > 4) throw new RangeError(`emitGemmModule: bad tile (expected nrv ≤ 4, got ${nrv})`);
  const funcs = [];
  for (let r = 1; r <= mr; r++) funcs.push(kernel(kind, r, nrv));
  if (kind !== "i8" && nrv === 2) funcs.push(packPanels(), im2colRow());
  return encodeModule({
    memory: shared
      ? { module: "env", name: "memory", min: 1, max: maxPages, shared: true }
      : { module: "env", name: "memory", min: 1 },
    funcs,
  });
}
