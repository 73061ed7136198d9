/*
 * The host side of the emitted GEMM kernels: feature detection, instantiation, one growing
 * `WebAssembly.Memory`, and drop-in kernel functions.
 *  1. Detection (at first use): `WebAssembly.validate` on the relaxed-SIMD FMA module, then on the
 *     SIMD mul+add module; the first that validates is compiled synchronously (each module is
 *     ≈ 1.3 KB, under every engine's synchronous-compile limit) and instantiated on the shared
 *     memory. Hosts that forbid run-time compilation (workerd: "Wasm code generation disallowed by
 *     embedder") pass the prebuilt `.wasm` modules with `provideWasmModules`; otherwise, or without
 *     SIMD, every function here runs the plain TypeScript kernels.
 *  2. Memory: [resident packed weights (`packF32Weights`, `packI8Weights`; first-fit regions) |
 *     scratch of the current call]. A call packs its operands into the scratch (A in 4-row blocks,
 *     B in 8-column panels, zero-padded, α folded into A), copies C in (β applied), runs the
 *     kernels over cache blocks, and copies C out. The memory grows to the largest call and stays
 *     (flat across training steps); `wasmMemoryBytes` reports it.
 *  3. float32 blocking: KC = 256 deep (an 8-column B panel of 8 KiB stays in L1 while the A rows
 *     of one MC block stream past it from L2), NC = 256 columns of B per packed block.
 */
import { gemm } from "../kernels/gemm.js";
import { emitGemmModule, type GemmKind } from "./gemm-kernels.js";

/** Which kernel set runs: relaxed-SIMD FMA, SIMD mul+add, or the plain TypeScript kernels. */
export type KernelSet = "relaxed-simd" | "simd" | "js";

/** What `capabilities()` reports. */
export interface WasmCapabilities {
  /** The float32 kernel set in use. */
  readonly kernels: KernelSet;
  /** Why that set was chosen. */
  readonly reason: string;
}

/** The micro-tile: 4 rows × 8 columns (2 v128 per row). */
const MR = 4;
const NRV = 2;
const NR = 8;
/** float32 depth block. */
const KC = 256;
/** float32 columns of a packed B block. */
const NC = 256;
/** Rows of A per kernel call (a multiple of MR): MC×KC float32 = 64 KiB, in L2. */
const MC = 64;
const PAGE = 65536;
/**
 * Where `gemmWasm` runs `gemm` instead (ratios wasm/TS, GFLOP/s, 2-core dev VM, /tmp sweep of
 * shapes as benchmarks/wasm.mjs builds them): tiny products, where copying C in and out dominates
 * (8³: 0.96 vs 1.31; 16³: 3.5 vs 2.3); a single column (gemm's matrix-vector path: 64×1×64 0.28×);
 * fewer than 4 rows unless B is wide (1×10×128: 0.25×, 1×64×64: 2.3×, 1×128×784: 2.4×).
 */
const MIN_MNK = 4096;
/** Columns from which 1 to 3 rows still run in wasm. */
const WIDE_N = 32;

/** A compiled `WebAssembly.Module` (typed loosely: ES2022 declares no WebAssembly). */
export type WasmModule = object;
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
/** The part of the `WebAssembly` global used here. */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (m: WasmModule, imports: object) => { readonly exports: Record<string, unknown> };
  Memory: new (d: { initial: number }) => WasmMemory;
}
const wasmApi = (): WasmApi | undefined => (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

type Kernel = (
  ap: number,
  bp: number,
  c: number,
  ldc: number,
  mBlocks: number,
  nPanels: number,
  kSteps: number,
) => void;

type PackKernel = (src: number, dst: number, lds: number, kSteps: number, panels: number) => void;
type Im2colKernel = (...args: number[]) => void;

interface State {
  readonly caps: WasmCapabilities;
  /** f32 (or f32fma) kernels m1…m4 at index r, null for the JS path. */
  readonly f32: (Kernel | null)[] | null;
  /** int8 kernels m1…m4, null without SIMD. */
  readonly i8: (Kernel | null)[] | null;
}

let state: State | null = null;
// plain SIMD by default: relaxed-SIMD FMA rounds differently (and differs across engines and
// CPUs), so it is opt-in with setKernelSet("relaxed-simd"); the same seed then gives the same bits
// on every engine with WebAssembly SIMD
let preference: KernelSet | "auto" = "simd";
let provided: Partial<Record<GemmKind, WasmModule>> = {};
let memory: WasmMemory | null = null;
/** The int8 kernels once instantiated: packed weights stay usable whatever the kernel set. */
let i8Kernels: (Kernel | null)[] | null = null;
/** The float32 module's `pb` (B packing in wasm), null with a prebuilt module that lacks it. */
let packKernel: PackKernel | null = null;
/** The float32 module's `ic` (one im2col row), null with a prebuilt module that lacks it. */
let im2colKernel: Im2colKernel | null = null;
let f32v = new Float32Array(0);
let i32v = new Int32Array(0);
let i16v = new Int16Array(0);
let i8v = new Int8Array(0);
/** Resident regions [offset, bytes, live] (packed weights), in address order. */
const regions: [number, number, boolean][] = [];
/** First byte after the resident regions: the scratch of a call starts here. */
let residentTop = 0;

/** The module of `kind` with the library's 4×8 tile (what `emit-wasm.mjs` writes to `dist/`). */
export function gemmModuleBytes(kind: GemmKind): Uint8Array {
  return emitGemmModule({ kind, mr: MR, nrv: NRV });
}

function instantiate(wa: WasmApi, kind: GemmKind, bytes: Uint8Array | null): (Kernel | null)[] {
  if (!memory) memory = new wa.Memory({ initial: 1 });
  const mod = provided[kind] ?? new wa.Module(bytes ?? gemmModuleBytes(kind));
  const ex = new wa.Instance(mod, { env: { memory } }).exports;
  const out: (Kernel | null)[] = [null];
  for (let r = 1; r <= MR; r++) out.push(ex[`m${r}`] as Kernel);
  if (kind !== "i8") {
    packKernel = (ex.pb as PackKernel | undefined) ?? null;
    im2colKernel = (ex.ic as Im2colKernel | undefined) ?? null;
  }
  return out;
}

function detect(): State {
  const js = (reason: string): State => ({ caps: { kernels: "js", reason }, f32: null, i8: null });
  if (preference === "js") return js("requested");
  const wa = wasmApi();
  if (!wa) return js("no WebAssembly");
  const fma = provided.f32fma ? null : gemmModuleBytes("f32fma");
  const f32 = provided.f32 ? null : gemmModuleBytes("f32");
  if (!(f32 === null || wa.validate(f32))) {
    return js("WebAssembly.validate rejected the SIMD module (no SIMD support)");
  }
  const hasFma = preference !== "simd" && (fma === null || wa.validate(fma));
  let why = hasFma
    ? ""
    : preference === "simd"
      ? "SIMD (the default; relaxed-SIMD FMA is opt-in with setKernelSet, since it rounds differently across engines)"
      : "WebAssembly.validate rejected relaxed SIMD (Node 20: --experimental-wasm-relaxed-simd)";
  const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
  let i8: (Kernel | null)[] | null = null;
  try {
    i8 = i8Kernels = instantiate(wa, "i8", null);
  } catch {
    // no int8 module (not provided on a no-codegen host): gemmI8Wasm runs its JS loop
  }
  if (hasFma) {
    try {
      const reason = "WebAssembly.validate accepted the relaxed-SIMD module (f32x4.relaxed_madd)";
      return { caps: { kernels: "relaxed-simd", reason }, f32: instantiate(wa, "f32fma", fma), i8 };
    } catch (e) {
      why = `relaxed-SIMD module not compiled (${message(e)})`;
    }
  }
  try {
    const reason = `${why}; SIMD module validated`;
    return { caps: { kernels: "simd", reason }, f32: instantiate(wa, "f32", f32), i8 };
  } catch (e) {
    return js(
      `compiling WebAssembly failed (${message(e)}); prebuilt modules can be passed to provideWasmModules`,
    );
  }
}

function init(): State {
  return (state ??= detect());
}

/**
 * The kernel set the wasm entry points run, and why (detected at first use: relaxed SIMD → SIMD →
 * plain TypeScript).
 * @returns `{ kernels, reason }`, a new object
 * Example: `capabilities().kernels // "simd" on Node 20 without flags`
 */
export function capabilities(): WasmCapabilities {
  return { ...init().caps };
}

/**
 * Chooses the kernel set: "simd" is the default (bit-identical on every engine with WebAssembly
 * SIMD); "auto" and "relaxed-simd" take relaxed-SIMD FMA where it validates (faster, but its
 * rounding depends on the engine and CPU); "js" the TypeScript kernels. A set the host lacks falls
 * back as detection would. Packed int8 weights stay valid.
 * @param set - "auto", "relaxed-simd", "simd" or "js"
 * @returns the capabilities now in effect
 * Example: `setKernelSet("simd").kernels // "simd" where SIMD validates`
 */
export function setKernelSet(set: KernelSet | "auto"): WasmCapabilities {
  preference = set;
  state = null;
  return capabilities();
}

/**
 * Supplies precompiled modules (`dist/wasm/gemm-*.wasm`, imported as modules) for hosts that
 * forbid compiling WebAssembly at run time; detection then uses them instead of compiling.
 * @param modules - any of `f32`, `f32fma`, `i8`
 * @returns the capabilities now in effect
 * Example: `provideWasmModules({ f32: mod }) // mod: import mod from "./gemm-f32.wasm" (workerd)`
 */
export function provideWasmModules(
  modules: Partial<Record<GemmKind, WasmModule>>,
): WasmCapabilities {
  provided = { ...modules };
  state = null;
  return capabilities();
}

/**
 * Bytes held by the kernels' `WebAssembly.Memory` (resident weights and the largest call's
 * scratch; 0 before first use).
 * @returns the memory's size in bytes
 * Example: `wasmMemoryBytes() // 65536 after a small call`
 */
export function wasmMemoryBytes(): number {
  return memory ? memory.buffer.byteLength : 0;
}

/** Makes the memory at least `bytes` long (false if it cannot grow) and refreshes the views. */
function ensure(bytes: number): boolean {
  const mem = memory!;
  const have = mem.buffer.byteLength;
  if (bytes > have) {
    try {
      mem.grow(Math.ceil((bytes - have) / PAGE));
    } catch {
      return false;
    }
  }
  if (f32v.buffer !== mem.buffer) {
    f32v = new Float32Array(mem.buffer);
    i32v = new Int32Array(mem.buffer);
    i16v = new Int16Array(mem.buffer);
    i8v = new Int8Array(mem.buffer);
  }
  return true;
}

function up(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

/**
 * C = alpha·op(A)·op(B) + beta·C for row-major float32 matrices: `gemm`'s contract and signature
 * (BLAS-style, any leading dimensions, beta = 0 overwrites), run by the emitted WebAssembly SIMD
 * kernels (float32 accumulation) or, without SIMD, by `gemm` itself.
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
 * Example: `gemmWasm(false, false, 2, 2, 2, 1, a, 0, 2, b, 0, 2, 0, c, 0, 2)`
 */
export function gemmWasm(
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
  const fam = init().f32;
  const nPad = up(n, NR);
  const kc0 = Math.min(k, KC);
  const cW = residentTop;
  const aW = cW + m * nPad * 4;
  const bW = aW + up(m, MR) * kc0 * 4;
  if (
    !fam ||
    n < 2 ||
    (m < MR && n < WIDE_N) ||
    m * n * k < MIN_MNK ||
    alpha === 0 ||
    !ensure(bW + 2 * Math.min(nPad, NC) * kc0 * 4)
  ) {
    gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    return;
  }
  copyCIn(m, n, beta, c, cOff, ldc, cW, nPad);
  for (let pc = 0; pc < k; pc += KC) {
    const kc = Math.min(KC, k - pc);
    packA(transA, alpha, a, aOff, lda, m, pc, kc, aW >> 2);
    for (let jc = 0; jc < n; jc += NC) {
      const nc = Math.min(NC, n - jc);
      packB(transB, b, bOff, ldb, pc, kc, jc, nc, bW >> 2, bW + Math.min(nPad, NC) * kc0 * 4);
      runF32(fam, m, kc, aW, bW, Math.ceil(nc / NR), cW + jc * 4, nPad);
    }
  }
  copyCOut(m, n, c, cOff, ldc, cW, nPad);
}

/** C (m×n from `cOff`, row stride ldc) times beta into the wasm tile at byte `cW`, rows nPad apart. */
function copyCIn(
  m: number,
  n: number,
  beta: number,
  c: Float32Array,
  cOff: number,
  ldc: number,
  cW: number,
  nPad: number,
): void {
  const f = f32v;
  if (beta === 0) {
    f.fill(0, cW >> 2, (cW >> 2) + m * nPad);
    return;
  }
  // element loops, not subarray + set: a view per call would make inference allocate
  for (let i = 0, w = cW >> 2; i < m; i++, w += nPad) {
    const row = cOff + i * ldc;
    for (let j = 0; j < n; j++) f[w + j] = beta * c[row + j]!;
  }
}

function copyCOut(
  m: number,
  n: number,
  c: Float32Array,
  cOff: number,
  ldc: number,
  cW: number,
  nPad: number,
): void {
  const f = f32v;
  // element loops, not subarray + set: a view per call would make inference allocate
  for (let i = 0, w = cW >> 2; i < m; i++, w += nPad) {
    const row = cOff + i * ldc;
    for (let j = 0; j < n; j++) c[row + j] = f[w + j]!;
  }
}

/**
 * C[m × panels·8 at byte cC] += (packed A at aW, m rows × kc) · (panels of packed B at bW): full
 * 4-row blocks MC rows per call (the B panel stays in L1 across them), then the m mod 4 rows.
 */
function runF32(
  fam: (Kernel | null)[],
  m: number,
  kc: number,
  aW: number,
  bW: number,
  panels: number,
  cC: number,
  nPad: number,
): void {
  const full = m & ~3;
  for (let ic = 0; ic < full; ic += MC) {
    const blocks = Math.min(MC, full - ic) / MR;
    fam[MR]!(aW + ic * kc * 4, bW, cC + ic * nPad * 4, nPad * 4, blocks, panels, kc);
  }
  if (m & 3) fam[m & 3]!(aW + full * kc * 4, bW, cC + full * nPad * 4, nPad * 4, 1, panels, kc);
}

/**
 * Packs alpha·op(A)[0:m, pc:pc+kc] at float index `d0`: rows in blocks of 4, block b (rows 4b…)
 * at `d0 + 4b·kc` as [p][rows of the block] (the last block has m mod 4 rows).
 */
function packA(
  transA: boolean,
  alpha: number,
  a: Float32Array,
  aOff: number,
  lda: number,
  m: number,
  pc: number,
  kc: number,
  d0: number,
): void {
  const f = f32v;
  const full = m >> 2;
  if (!transA) {
    for (let i = 0; i < m; i++) {
      const r = i >> 2 < full ? MR : m & 3;
      let d = d0 + (i >> 2) * MR * kc + (i & 3);
      for (let s = aOff + i * lda + pc, e = s + kc; s < e; s++, d += r) f[d] = alpha * a[s]!;
    }
    return;
  }
  // A stored K×M: row p of the stored matrix holds op(A)[·, p], read contiguously
  for (let p = 0; p < kc; p++) {
    const src = aOff + (pc + p) * lda;
    for (let i = 0; i < m; i++) {
      const r = i >> 2 < full ? MR : m & 3;
      f[d0 + (i >> 2) * MR * kc + p * r + (i & 3)] = alpha * a[src + i]!;
    }
  }
}

/**
 * Packs op(B)[pc:pc+kc, jc:jc+nc] at float index `d0` as panels of 8 columns, panel q at
 * `d0 + 8q·kc` as [p][8], columns past nc zero.
 */
function packB(
  transB: boolean,
  b: Float32Array,
  bOff: number,
  ldb: number,
  pc: number,
  kc: number,
  jc: number,
  nc: number,
  d0: number,
  stage: number,
): void {
  const f = f32v;
  const ncPad = up(nc, NR);
  if (ncPad !== nc) {
    // zero the pad columns of the last panel
    const last = d0 + (ncPad - NR) * kc;
    for (let p = 0; p < kc; p++) f.fill(0, last + p * NR + (nc & 7), last + p * NR + NR);
  }
  if (!transB) {
    // JS: panel by panel, so the writes run sequentially (row by row, scattered across the
    // panels, measured 2.6 ns an element; this ≈ 1)
    const full = nc & ~7;
    const src0 = bOff + pc * ldb + jc;
    // rows copied in by memcpy (one copy when they are contiguous), then packed by the module's
    // `pb`: ≈ 0.2 ns an element against ≈ 1 for the loop below; a narrow B with strided rows
    // stays in JS (a subarray per row costs more than its 8 or 16 elements)
    const resident = b === f;
    const inWasm =
      packKernel !== null && full > 0 && (resident || (stage >= 0 && (ldb === full || full >= 64)));
    if (resident && inWasm) packKernel!(src0 * 4, d0 * 4, ldb * 4, kc, full / NR);
    else if (inWasm) {
      if (ldb === full) f.set(b.subarray(src0, src0 + kc * full), stage >> 2);
      else {
        for (let p = 0, src = src0; p < kc; p++, src += ldb) {
          f.set(b.subarray(src, src + full), (stage >> 2) + p * full);
        }
      }
      packKernel!(stage, d0 * 4, full * 4, kc, full / NR);
    }
    let d = d0;
    for (let j = inWasm ? full : 0; j < full; j += NR) {
      for (let p = 0, src = bOff + pc * ldb + jc + j; p < kc; p++, src += ldb, d += NR) {
        f[d] = b[src]!;
        f[d + 1] = b[src + 1]!;
        f[d + 2] = b[src + 2]!;
        f[d + 3] = b[src + 3]!;
        f[d + 4] = b[src + 4]!;
        f[d + 5] = b[src + 5]!;
        f[d + 6] = b[src + 6]!;
        f[d + 7] = b[src + 7]!;
      }
    }
    for (let j = full; j < nc; j++) {
      let dj = d0 + full * kc + (j & 7);
      for (let p = 0, src = bOff + pc * ldb + jc + j; p < kc; p++, src += ldb, dj += NR)
        f[dj] = b[src]!;
    }
    return;
  }
  // B stored N×K: column j of op(B) is contiguous
  for (let j = 0; j < nc; j++) {
    const src = bOff + (jc + j) * ldb + pc;
    let d = d0 + (j >> 3) * NR * kc + (j & 7);
    for (let p = 0; p < kc; p++, d += NR) f[d] = b[src + p]!;
  }
}

/** float32 weights op(B) (K×N) packed once into the wasm memory (`packF32Weights`). */
export interface PackedF32 {
  readonly k: number;
  readonly n: number;
  /** Byte offset of the packed blocks, −1 when the JS path holds `w` instead (−2: released). */
  offset: number;
  /** op(B) as a K×N row-major copy for the JS path (null when packed in wasm). */
  readonly w: Float32Array | null;
}

/**
 * Packs op(B) (K×N; B stored N×K when `transB`) once into the wasm memory for repeated
 * `gemmWasmPackedB` calls (weights of a layer): K blocks of 256 rows, block pc at
 * `offset + 4·pc·⌈N/8⌉·8`, each as ⌈N/8⌉ panels of [kc][8]. Without SIMD it keeps a copy.
 * @param transB - B is stored N×K
 * @param b - B's elements from `bOff`, leading dimension `ldb`
 * @param k - rows of op(B)
 * @param n - columns of op(B)
 * @returns a handle, owned by the caller: `releaseWeights` frees its memory
 * Example: `const pb = packF32Weights(true, w, 0, 784, 784, 128) // W [128, 784] as Wᵀ`
 */
export function packF32Weights(
  transB: boolean,
  b: Float32Array,
  bOff: number,
  ldb: number,
  k: number,
  n: number,
): PackedF32 {
  const nPad = up(n, NR);
  const at = init().f32 && n > 0 && k > 0 ? allocResident(k * nPad * 4) : -1;
  if (at < 0) {
    const w = new Float32Array(k * n);
    for (let p = 0; p < k; p++) {
      for (let j = 0; j < n; j++) w[p * n + j] = b[bOff + (transB ? j * ldb + p : p * ldb + j)]!;
    }
    return { k, n, offset: -1, w };
  }
  for (let pc = 0; pc < k; pc += KC) {
    const kc = Math.min(KC, k - pc);
    const stage = ensure(residentTop + kc * nPad * 4) ? residentTop : -1;
    packB(transB, b, bOff, ldb, pc, kc, 0, n, (at >> 2) + pc * nPad, stage);
  }
  return { k, n, offset: at, w: null };
}

/**
 * C = alpha·op(A)·B + beta·C with B packed by `packF32Weights`: `gemmWasm` without packing B,
 * so a single row (batch-1 inference) runs in wasm too.
 * @param transA - A is stored transposed (K×M)
 * @param m - rows of op(A) and C
 * @param alpha - scale of the product
 * @param a - A's elements from `aOff`, leading dimension `lda`
 * @param pb - the packed B (K×N)
 * @param beta - scale of C's previous contents (0 overwrites)
 * @param c - C's elements from `cOff`, leading dimension `ldc`; written in place
 * @returns nothing: `c` holds the result
 * @throws Error for released weights
 * Example: `gemmWasmPackedB(false, 1, 1, x, 0, 784, pb, 0, y, 0, 128)`
 */
export function gemmWasmPackedB(
  transA: boolean,
  m: number,
  alpha: number,
  a: Float32Array,
  aOff: number,
  lda: number,
  pb: PackedF32,
  beta: number,
  c: Float32Array,
  cOff: number,
  ldc: number,
): void {
  const { k, n } = pb;
  if (pb.offset === -2) throw new Error("gemmWasmPackedB: weights were released");
  if (m <= 0 || n <= 0) return;
  const fam = init().f32;
  const nPad = up(n, NR);
  const cW = residentTop;
  const aW = cW + m * nPad * 4;
  if (pb.w || !fam || alpha === 0 || !ensure(aW + up(m, MR) * Math.min(k, KC) * 4)) {
    const w = pb.w ?? unpackF32(pb);
    gemm(transA, false, m, n, k, alpha, a, aOff, lda, w, 0, n, beta, c, cOff, ldc);
    return;
  }
  copyCIn(m, n, beta, c, cOff, ldc, cW, nPad);
  for (let pc = 0; pc < k; pc += KC) {
    const kc = Math.min(KC, k - pc);
    packA(transA, alpha, a, aOff, lda, m, pc, kc, aW >> 2);
    runF32(fam, m, kc, aW, pb.offset + pc * nPad * 4, nPad / NR, cW, nPad);
  }
  copyCOut(m, n, c, cOff, ldc, cW, nPad);
}

/** op(B) back as K×N row-major from its packed blocks (the rare fallback of `gemmWasmPackedB`). */
function unpackF32(pb: PackedF32): Float32Array {
  const { k, n } = pb;
  const nPad = up(n, NR);
  const w = new Float32Array(k * n);
  for (let pc = 0; pc < k; pc += KC) {
    const kc = Math.min(KC, k - pc);
    const d0 = (pb.offset >> 2) + pc * nPad;
    for (let p = 0; p < kc; p++) {
      for (let j = 0; j < n; j++)
        w[(pc + p) * n + j] = f32v[d0 + (j >> 3) * NR * kc + p * NR + (j & 7)]!;
    }
  }
  return w;
}

// ---------------------------------------------------------------------------------------------
// int8
// ---------------------------------------------------------------------------------------------

/** int8 weights packed once into the wasm memory (`packI8Weights`); `release` frees them. */
export interface PackedI8 {
  /** Output channels N (rows of W). */
  readonly n: number;
  /** Depth K. */
  readonly k: number;
  /** Byte offset of the panels in the memory, −1 when the JS path holds `w` instead. */
  offset: number;
  /** The weights for the JS path (null when packed in wasm). */
  readonly w: Int8Array | null;
}

/** Bytes of packed int8 B: ⌈N/8⌉ panels of [⌈K/2⌉][8][2]. */
function i8PackedBytes(n: number, k: number): number {
  return up(n, NR) * up(k, 2);
}

/** Packs W (N×K int8, row j at `bOff + j·ldb`) as panels of 8 channels × K pairs at byte `d0`. */
function packI8B(b: Int8Array, bOff: number, ldb: number, n: number, k: number, d0: number): void {
  const v = i8v;
  const kp = (k + 1) >> 1;
  const nPad = up(n, NR);
  if (nPad !== n || k & 1) v.fill(0, d0, d0 + nPad * kp * 2);
  for (let j = 0; j < n; j++) {
    const src = bOff + j * ldb;
    let d = d0 + (j >> 3) * kp * 16 + (j & 7) * 2;
    let p = 0;
    for (; p + 1 < k; p += 2, d += 16) {
      v[d] = b[src + p]!;
      v[d + 1] = b[src + p + 1]!;
    }
    if (p < k) v[d] = b[src + p]!;
  }
}

/** Reserves `bytes` (rounded up to 64) of resident memory: first fit in a freed region, else at
 * the top; returns the byte offset (views refreshed), or −1 if the memory cannot grow. */
function allocResident(bytes: number): number {
  bytes = up(bytes, 64);
  for (const r of regions) {
    if (!r[2] && r[1] >= bytes) {
      // the rest of the freed region stays free
      if (r[1] > bytes)
        regions.splice(regions.indexOf(r) + 1, 0, [r[0] + bytes, r[1] - bytes, false]);
      r[1] = bytes;
      r[2] = true;
      ensure(0);
      return r[0];
    }
  }
  if (!ensure(residentTop + bytes)) return -1;
  regions.push([residentTop, bytes, true]);
  residentTop += bytes;
  return residentTop - bytes;
}

/**
 * Packs int8 weights W (N×K, row j at `wOff + j·ldw`) once into the wasm memory, for repeated
 * `gemmI8WasmPacked` calls (the runtime's resident weights); without SIMD it keeps a copy.
 * @param w - the weights
 * @param n - rows of W (output channels)
 * @param k - columns of W (depth)
 * @returns a handle, owned by the caller: `releaseWeights` frees its memory
 * Example: `const pw = packI8Weights(w, 0, k, n, k)`
 */
export function packI8Weights(
  w: Int8Array,
  wOff: number,
  ldw: number,
  n: number,
  k: number,
): PackedI8 {
  const copy = () => {
    const c = new Int8Array(n * k);
    for (let j = 0; j < n; j++) c.set(w.subarray(wOff + j * ldw, wOff + j * ldw + k), j * k);
    return c;
  };
  // the kernels' loops run at least once: an empty W stays on the JS path
  const at = init().i8 && n > 0 && k > 0 ? allocResident(i8PackedBytes(n, k)) : -1;
  if (at < 0) return { n, k, offset: -1, w: copy() };
  packI8B(w, wOff, ldw, n, k, at);
  return { n, k, offset: at, w: null };
}

/**
 * Frees the wasm memory of packed weights (the handle is unusable afterwards).
 * @param pw - from `packI8Weights` or `packF32Weights`
 * @returns nothing
 * Example: `releaseWeights(pw)`
 */
export function releaseWeights(pw: PackedI8 | PackedF32): void {
  const r = regions.find((x) => x[0] === pw.offset && x[2]);
  pw.offset = -2;
  if (!r) return;
  r[2] = false;
  // merge free neighbours; drop free regions at the top
  for (let i = regions.length - 1; i > 0; i--) {
    const [prev, cur] = [regions[i - 1]!, regions[i]!];
    if (!prev[2] && !cur[2]) {
      prev[1] += cur[1];
      regions.splice(i, 1);
    }
  }
  while (regions.length && !regions[regions.length - 1]![2]) {
    residentTop = regions.pop()![0];
  }
}

/**
 * C[i, j] = wrap32(Σₚ (A[i, p] − aZero)·W[j, p]) for int8 A (M×K) and int8 W (N×K, the weight
 * layout of `linearQ8Int32`): exact int32 results (the caller adds the bias), by the emitted
 * int8 kernel (A packed as int16 pairs, B sign-extended by v128.load8x8_s, i32x4.dot_i16x8_s).
 * @param m - rows of A and C
 * @param n - rows of W, columns of C
 * @param k - depth
 * @param a - A, row i at `aOff + i·lda`
 * @param aZero - subtracted from every A element (the input zero point, in [−128, 127])
 * @param b - W, row j at `bOff + j·ldb`
 * @param c - C, row i at `cOff + i·ldc`, overwritten
 * @returns nothing: `c` holds the result
 * Example: `gemmI8Wasm(1, 2, 3, x, 0, 3, 0, w, 0, 3, y, 0, 2)`
 */
export function gemmI8Wasm(
  m: number,
  n: number,
  k: number,
  a: Int8Array,
  aOff: number,
  lda: number,
  aZero: number,
  b: Int8Array,
  bOff: number,
  ldb: number,
  c: Int32Array,
  cOff: number,
  ldc: number,
): void {
  if (m <= 0 || n <= 0) return;
  const bytes = i8PackedBytes(n, k);
  if (init().i8 && k > 0 && ensure(residentTop + bytes)) {
    packI8B(b, bOff, ldb, n, k, residentTop);
    if (runI8(m, n, k, a, aOff, lda, aZero, residentTop, residentTop + up(bytes, 64), c, cOff, ldc))
      return;
  }
  gemmI8Js(m, n, k, a, aOff, lda, aZero, b, bOff, ldb, c, cOff, ldc);
}

/**
 * `gemmI8Wasm` with W packed beforehand by `packI8Weights` (no per-call weight packing).
 * @param m - rows of A and C
 * @param pw - the packed W (N×K)
 * @param a - A (M×K), row i at `aOff + i·lda`
 * @param aZero - the input zero point
 * @param c - C (M×N), row i at `cOff + i·ldc`, overwritten
 * @returns nothing: `c` holds the result
 * @throws Error for released weights
 * Example: `gemmI8WasmPacked(1, pw, x, 0, 784, 0, y, 0, 10)`
 */
export function gemmI8WasmPacked(
  m: number,
  pw: PackedI8,
  a: Int8Array,
  aOff: number,
  lda: number,
  aZero: number,
  c: Int32Array,
  cOff: number,
  ldc: number,
): void {
  const { n, k } = pw;
  if (pw.offset === -2) throw new Error("gemmI8WasmPacked: weights were released");
  if (m <= 0 || n <= 0) return;
  if (pw.w) gemmI8Js(m, n, k, a, aOff, lda, aZero, pw.w, 0, k, c, cOff, ldc);
  else if (!runI8(m, n, k, a, aOff, lda, aZero, pw.offset, residentTop, c, cOff, ldc)) {
    throw new RangeError(`gemmI8WasmPacked: cannot grow the WebAssembly memory for m = ${m}`);
  }
}

/**
 * The wasm int8 product with B packed at byte `bW`; scratch (C, A) from byte `s0`.
 * @returns false (nothing done) when the memory cannot grow
 */
function runI8(
  m: number,
  n: number,
  k: number,
  a: Int8Array,
  aOff: number,
  lda: number,
  zp: number,
  bW: number,
  s0: number,
  c: Int32Array,
  cOff: number,
  ldc: number,
): boolean {
  const fam = i8Kernels!;
  const nPad = up(n, NR);
  const kp = (k + 1) >> 1;
  const cW = s0;
  const aW = cW + m * nPad * 4;
  if (!ensure(aW + up(m, MR) * kp * 4)) return false;
  i32v.fill(0, cW >> 2, (cW >> 2) + m * nPad);
  // A as [block of 4 rows][pair q][row][2] int16, x − zp
  const h = i16v;
  const full = m >> 2;
  for (let i = 0; i < m; i++) {
    const r = i >> 2 < full ? MR : m & 3;
    let d = (aW >> 1) + (i >> 2) * MR * kp * 2 + (i & 3) * 2;
    const src = aOff + i * lda;
    let p = 0;
    for (; p + 1 < k; p += 2, d += 2 * r) {
      h[d] = a[src + p]! - zp;
      h[d + 1] = a[src + p + 1]! - zp;
    }
    if (p < k) {
      h[d] = a[src + p]! - zp;
      h[d + 1] = 0;
    }
  }
  const panels = nPad / NR;
  for (let ic = 0; ic < full * MR; ic += MC) {
    const blocks = Math.min(MC, full * MR - ic) / MR;
    fam[MR]!(aW + ic * kp * 4, bW, cW + ic * nPad * 4, nPad * 4, blocks, panels, kp);
  }
  const rem = m & 3;
  if (rem) {
    const i0 = full * MR;
    fam[rem]!(aW + i0 * kp * 4, bW, cW + i0 * nPad * 4, nPad * 4, 1, panels, kp);
  }
  const v = i32v;
  // element loops, not subarray + set: a view per call would make inference allocate
  for (let i = 0, w = cW >> 2; i < m; i++, w += nPad) {
    const row = cOff + i * ldc;
    for (let j = 0; j < n; j++) c[row + j] = v[w + j]!;
  }
  return true;
}

/** The plain loop of `gemmI8Wasm` (no SIMD): |Σ| < 2⁵³, so float64 sums are exact before wrap32. */
function gemmI8Js(
  m: number,
  n: number,
  k: number,
  a: Int8Array,
  aOff: number,
  lda: number,
  zp: number,
  b: Int8Array,
  bOff: number,
  ldb: number,
  c: Int32Array,
  cOff: number,
  ldc: number,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0, x = aOff + i * lda, w = bOff + j * ldb; p < k; p++)
        s += (a[x + p]! - zp) * b[w + p]!;
      c[cOff + i * ldc + j] = s | 0;
    }
  }
}

/**
 * The pieces `conv-wasm.ts` builds on; not part of the public API (index.ts does not export it).
 * @internal
 */
export const internals = {
  MR,
  NR,
  KC,
  NC,
  MIN_MNK,
  /** The float32 kernels m1…m4 (null on the JS path), detecting at first use. */
  f32: () => init().f32,
  pack: () => packKernel,
  im2col: () => im2colKernel,
  /** First scratch byte (above the resident weights). */
  scratch: () => residentTop,
  /** The float32 view of the memory (replaced when the memory grows: read it after `ensure`). */
  view: () => f32v,
  ensure,
  up,
  packA,
  packB,
  runF32,
};
