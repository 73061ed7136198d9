/**
 * The GPU.js kernel backend for edgenn: `setBackend(createGpuJsBackend({ gpu: new GPU({ mode }) }))`.
 * gpu.js is an optional peer dependency: this package never imports it; you build the `GPU` instance.
 * @packageDocumentation
 */
export type {
  CompiledKernel,
  DeviceTexture,
  GpuLike,
  KernelSettings,
  KernelValue,
} from "./gpu-types.js";
export {
  createGpuJsBackend,
  EXACT_INT_LIMIT,
  GpuJsBackend,
  type GpuJsBackendOptions,
  type GpuJsTransfers,
} from "./gpujs-backend.js";
