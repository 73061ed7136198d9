/**
 * The gpu.js modes the tests run in, always explicit (`new GPU()` would pick headless-gl whenever
 * `gl` is installed): `cpu` and `webasm`, which need no GPU and no native build, plus the modes
 * listed in EDGENN_GPUJS_EXTRA_MODES for the optional job that installs them, e.g.
 * `EDGENN_GPUJS_EXTRA_MODES=headlessgl xvfb-run -a npx vitest run --project backend-gpujs`.
 */
export const MODES = [
  "cpu",
  "webasm",
  ...((process.env.EDGENN_GPUJS_EXTRA_MODES?.split(",").filter(Boolean) ?? []) as GpuJsMode[]),
] as readonly GpuJsMode[];

/** The gpu.js modes this backend accepts (synchronous ones that compile generated sources). */
export type GpuJsMode = "cpu" | "webasm" | "headlessgl" | "webgl" | "webgl2" | "gpu";

/**
 * The backend's float tolerance, declared once: |gpujs − cpu| ≤ atol + rtol·|cpu| for every float
 * output. webasm and GPUs accumulate in float32 (the CPU backend partly in float64), so sums of K
 * terms differ by about 1e-7·K relative.
 */
export const FLOAT_TOLERANCE = { rtol: 1e-4, atol: 1e-4 } as const;
