/*
 * The backend's own surface: construction checks, memory accounting, the kernel cache, integer
 * refusals through the public ops, and reports.
 */
import { createGpuJsBackend, EXACT_INT_LIMIT, GpuJsBackend } from "@edgenn/backend-gpujs";
import {
  ArgumentError,
  add,
  type DType,
  type KernelName,
  matmul,
  memory,
  setBackend,
  setCpuFallback,
  sum,
  tanh,
  tensor,
  tidy,
  UnsupportedOpError,
} from "@edgenn/tensor";
import { GPU } from "gpu.js";
import { afterEach, describe, expect, it } from "vitest";

afterEach(() => {
  setBackend("cpu");
  setCpuFallback(false);
});

describe("CPU fallback", () => {
  it("refuses with a typed error instead of handing device buffers to CPU kernels", () => {
    // every kernel a public op reaches is supported: take one away
    class NoTanh extends GpuJsBackend {
      override supports(kernel: KernelName, dtype: DType): boolean {
        return kernel !== "unary.tanh" && super.supports(kernel, dtype);
      }
    }
    setBackend(new NoTanh({ gpu: new GPU({ mode: "cpu" }) }));
    const a = tensor([1, 2, 3]);
    expect(() => tanh(a)).toThrow(UnsupportedOpError);
    setCpuFallback(true);
    expect(() => tanh(a)).toThrow(/tanh: .*CPU fallback cannot reach its device buffers/);
    a.dispose();
  });
});

describe("createGpuJsBackend", () => {
  it("needs a gpu.js instance in a synchronous mode that compiles sources", () => {
    expect(() => createGpuJsBackend({} as never)).toThrow(
      /options\.gpu must be a gpu\.js GPU instance/,
    );
    expect(() => createGpuJsBackend(undefined as never)).toThrow(ArgumentError);
    // webgpu and async return a Promise from every kernel; dev (gpu-mock) cannot take sources
    const fake = (mode: string) => ({ mode, createKernel: () => () => 0 }) as never;
    expect(() => createGpuJsBackend({ gpu: fake("webgpu") })).toThrow(
      /mode 'webgpu' returns a Promise/,
    );
    expect(() => createGpuJsBackend({ gpu: fake("async") })).toThrow(
      /mode 'async' returns a Promise/,
    );
    expect(() => createGpuJsBackend({ gpu: new GPU({ mode: "dev" }) })).toThrow(/mode 'dev'/);
  });

  it("runs ops through setBackend and reads back on dataSync only", () => {
    const b = createGpuJsBackend({ gpu: new GPU({ mode: "webasm" }) });
    setBackend(b);
    tidy(() => {
      // [1 2; 3 4]·[5; 6] = [17; 39]; + 1 → [18; 40]
      const y = add(
        matmul(tensor([1, 2, 3, 4], { shape: [2, 2] }), tensor([5, 6], { shape: [2, 1] })),
        1,
      );
      expect(y.backend).toBe(b);
      expect(b.transfers().readbacks).toBe(0);
      expect(Array.from(y.dataSync())).toEqual([18, 40]);
      expect(b.transfers().readbacks).toBe(1);
    });
    expect(b.describe()).toMatchObject({
      kernels: "gpu.js",
      mode: "webasm",
      deviceResident: false,
    });
  });

  it("handles empty tensors: an empty sum is 0 and empty results stay empty", () => {
    setBackend(createGpuJsBackend({ gpu: new GPU({ mode: "webasm" }) }));
    tidy(() => {
      const e = tensor([], { shape: [3, 0] });
      // Σ over no elements = 0
      expect(Array.from(sum(e, 1).dataSync())).toEqual([0, 0, 0]);
      expect(Array.from(add(e, 1).dataSync())).toEqual([]);
      expect(sum(e, 0).shape).toEqual([0]);
    });
  });

  it("memory() counts device bytes (4 per element, any dtype) and returns to zero", () => {
    const b = createGpuJsBackend({ gpu: new GPU({ mode: "cpu" }), name: "gpujs-mem" });
    setBackend(b);
    const start = b.memory().bytes;
    tidy(() => {
      tensor([1, 2, 3]);
      tensor([1, 2], { dtype: "int8" });
      expect(b.memory().bytes - start).toBe(5 * 4);
      expect(memory().backends["gpujs-mem"]!.buffers).toBe(b.memory().buffers);
    });
    expect(b.memory().bytes).toBe(start);
    expect(b.memory().peakBytes).toBeGreaterThanOrEqual(start + 20);
    b.reset();
    expect(b.memory().peakBytes).toBe(b.memory().bytes);
  });

  it("compiles a kernel once per shape and keeps at most maxKernels", () => {
    const b = createGpuJsBackend({ gpu: new GPU({ mode: "cpu" }), maxKernels: 2 });
    setBackend(b);
    tidy(() => {
      const x = tensor([1, 2, 3]);
      const y = tensor([1, 2, 3, 4]);
      x.neg();
      const once = b.transfers().compiles;
      x.neg();
      x.neg();
      expect(b.transfers().compiles).toBe(once);
      // a new shape compiles anew
      y.neg();
      expect(b.transfers().compiles).toBe(once + 1);
      // three live sources with room for two: the oldest was destroyed and compiles again
      x.exp();
      x.neg();
      expect(b.transfers().compiles).toBe(once + 3);
      expect(b.describe().compiledKernels).toBe(2);
    });
  });

  it("refuses integer results that float32 cannot hold exactly, through the public ops", () => {
    setBackend(createGpuJsBackend({ gpu: new GPU({ mode: "webasm" }) }));
    tidy(() => {
      expect(() => tensor([EXACT_INT_LIMIT * 2], { dtype: "int32" })).toThrow(UnsupportedOpError);
      const big = tensor([16000000, 1], { dtype: "int32" });
      // the bound is the worst case from the stored magnitudes: 16,000,000 + 16,000,000 may pass
      // 2^24, and so may the sum of two elements of magnitude ≤ 16,000,000 → both refused
      expect(() => add(big, big)).toThrow(/add: int32 result may reach 32000000/);
      expect(() => sum(big)).toThrow(/reduce\.sum: int32 result may reach 32000000/);
      // worst case 2·8,000,000 = 16,000,000 ≤ 2^24 → computed, exactly
      expect(Array.from(sum(tensor([8000000, 1], { dtype: "int32" })).dataSync())).toEqual([
        8000001,
      ]);
      // int8 · small counts stay exact: 127·100 = 12,700
      const q = tensor(new Array(100).fill(127), { dtype: "int8" });
      expect(Array.from(sum(q).dataSync())).toEqual([12700]);
    });
  });
});
