/**
 * WebAssembly SIMD kernels emitted by TypeScript: the encoder, the GEMM generators, and the host
 * functions (feature detection, memory, drop-in `gemmWasm` / `gemmI8Wasm`). Like `kernels/`, the
 * doc comments here give "Example:" lines rather than `@example` blocks: the doc-example runner
 * evaluates those with the `@edgenn/tensor` root API in scope, which does not export these.
 * @packageDocumentation
 */

export { conv2dWasm } from "./conv-wasm.js";
export {
  Code,
  encodeModule,
  F32,
  type FuncDef,
  I32,
  type ModuleDef,
  Simd,
  sleb,
  uleb,
  V128,
  type ValType,
} from "./encoder.js";
export { emitGemmModule, type GemmKind, type GemmTile } from "./gemm-kernels.js";
export {
  capabilities,
  gemmI8Wasm,
  gemmI8WasmPacked,
  gemmModuleBytes,
  gemmWasm,
  gemmWasmPackedB,
  type KernelSet,
  type PackedF32,
  type PackedI8,
  packF32Weights,
  packI8Weights,
  provideWasmModules,
  releaseWeights,
  setKernelSet,
  type WasmCapabilities,
  type WasmModule,
  wasmMemoryBytes,
} from "./gemm-wasm.js";
