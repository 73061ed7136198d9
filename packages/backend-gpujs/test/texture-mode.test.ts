/*
 * The GL bookkeeping without a GL: a gpu.js stand-in whose kernels return texture objects (as
 * pipeline mode does in webgl/webgl2/headlessgl) around a real webasm kernel. It checks what a GL
 * run depends on: inputs are uploaded as textures, every texture is deleted exactly once and never
 * used after, reads go through `toArray()`, and live textures do not grow across training steps.
 */
import { createGpuJsBackend, type GpuLike, type KernelSettings } from "@edgenn/backend-gpujs";
import { runConformance } from "@edgenn/testkit";
import { dispose, nn, optim, setBackend, tensor, tidy, valueAndGrad } from "edgenn";
import { GPU } from "gpu.js";
import { afterEach, describe, expect, it } from "vitest";
import { FLOAT_TOLERANCE } from "./modes.js";

class FakeTexture {
  deleted = false;
  constructor(
    readonly data: Float32Array,
    readonly gpu: FakeGlGpu,
  ) {
    gpu.live++;
  }
  toArray(): Float32Array {
    if (this.deleted) throw new Error("toArray of a deleted texture");
    this.gpu.reads++;
    return this.data.slice();
  }
  delete(): void {
    if (this.deleted) throw new Error("texture deleted twice");
    this.deleted = true;
    this.gpu.live--;
  }
}

class FakeGlGpu implements GpuLike {
  readonly mode = "webgl2";
  live = 0;
  reads = 0;
  readonly #real = new GPU({ mode: "webasm" });
  createKernel(source: string, settings: KernelSettings) {
    const k = this.#real.createKernel(source, settings) as unknown as (
      ...a: Float32Array[]
    ) => Float32Array;
    // only the upload kernel (return in0[this.thread.x]) takes host arrays
    const isUpload = /^function\(in0\) \{\s*return in0\[this\.thread\.x\];\s*\}$/.test(source);
    return (...args: unknown[]) => {
      const inputs = args.map((a) => {
        if (isUpload && a instanceof Float32Array) return a;
        if (!(a instanceof FakeTexture))
          throw new Error(`a kernel input was not a texture: ${source}`);
        if (a.deleted) throw new Error("a deleted texture was used as kernel input");
        return a.data;
      });
      return new FakeTexture(k(...inputs), this);
    };
  }
}

afterEach(() => {
  setBackend("cpu");
});

describe("texture (GL) mode bookkeeping", () => {
  it("passes the conformance suite with every buffer a texture, and frees them all", () => {
    const gpu = new FakeGlGpu();
    const backend = createGpuJsBackend({ gpu, name: "gpujs-fakegl" });
    const results = runConformance(backend, FLOAT_TOLERANCE);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(backend.describe().deviceResident).toBe(true);
    // one texture per live buffer (the runner keeps none; the mode probe's result was deleted)
    expect(gpu.live).toBe(backend.memory().buffers);
    expect(gpu.reads).toBe(backend.transfers().readbacks);
  });

  it("writes part of a texture through one counted readback", () => {
    const gpu = new FakeGlGpu();
    const backend = createGpuJsBackend({ gpu });
    const id = backend.alloc("int8", 4);
    backend.write(id, Int8Array.of(1, 2, 3, 4));
    const before = backend.transfers().readbacks;
    backend.write(id, Int8Array.of(-7, 9), 1);
    expect(backend.transfers().readbacks - before).toBe(1);
    expect(Array.from(backend.readSync(id))).toEqual([1, -7, 9, 4]);
    backend.free(id);
    expect(gpu.live).toBe(0);
  });

  it("keeps live textures flat across training steps and reads back only the loss", () => {
    const gpu = new FakeGlGpu();
    const backend = createGpuJsBackend({ gpu, name: "gpujs-fakegl" });
    setBackend(backend);
    const model = new nn.Sequential(
      new nn.Linear(20, 16, { seed: 1 }),
      new nn.ReLU(),
      new nn.Linear(16, 4, { seed: 2 }),
    );
    const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
    const x = tensor(
      Array.from({ length: 8 * 20 }, (_, i) => Math.sin(i)),
      { shape: [8, 20] },
    );
    const t = tensor(
      Array.from({ length: 8 * 4 }, (_, i) => (i % 4 === (i >> 2) % 4 ? 1 : 0)),
      { shape: [8, 4] },
    );
    const step = () =>
      tidy(() => {
        const { value, grads } = valueAndGrad(
          () => nn.crossEntropy(model.forward(x), t),
          model.parameters(),
        );
        opt.step(grads);
        return value.item();
      });
    const first = step();
    step();
    const live = gpu.live;
    const reads = gpu.reads;
    let last = first;
    for (let i = 0; i < 10; i++) last = step();
    expect(gpu.live).toBe(live);
    expect(gpu.reads - reads).toBe(10);
    expect(last).toBeLessThan(first);
    model.dispose();
    opt.dispose();
    dispose([x, t]);
  });
});
