/*
 * The small part of gpu.js this package uses, typed structurally: the package never imports gpu.js
 * (the user builds the `GPU` instance and passes it in), and gpu.js's own typings mis-type kernel
 * results (see docs/backends.md).
 */

/** A kernel result kept on the device: a GL texture (pipeline mode) that can be read back. */
export interface DeviceTexture {
  toArray(): unknown;
  delete(): void;
}

/** What a compiled kernel returns: a host array (cpu, webasm modes) or a device texture (GL). */
export type KernelValue = Float32Array | DeviceTexture;

/** A compiled gpu.js kernel: called with its input buffers, returns its output. */
export interface CompiledKernel {
  (...args: KernelValue[]): unknown;
  destroy?(removeCanvasReferences?: boolean): void;
}

/** The settings this backend passes to `createKernel`. */
export interface KernelSettings {
  output: number[];
  pipeline: boolean;
  immutable: boolean;
  tactic: "precision" | "balanced" | "speed";
}

/** The structural shape of a gpu.js 2.x `GPU` instance that this backend needs. */
export interface GpuLike {
  /** The resolved mode (`cpu`, `webasm`, `webgl2`, `headlessgl`, …). */
  readonly mode?: string;
  createKernel(source: string, settings: KernelSettings): CompiledKernel;
}
