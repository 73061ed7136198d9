import {
  CpuBackend,
  type DType,
  type KernelName,
  setBackend,
  setCpuFallback,
  type TensorInfo,
  tanh,
  tensor,
  type UnaryOp,
  UnsupportedOpError,
} from "@edgenn/tensor";
import { conformanceCases, runConformance } from "@edgenn/testkit";
import { afterEach, describe, expect, it, vi } from "vitest";

/** A backend with one wrong kernel: exp is off by 1e-3. */
class FaultyBackend extends CpuBackend {
  override readonly name = "faulty";
  override unary(op: UnaryOp, x: TensorInfo, out: TensorInfo): void {
    super.unary(op, x, out);
    if (op === "exp") {
      const a = this.arrayOf(out.dataId);
      for (let i = 0; i < a.length; i++) a[i]! += 1e-3;
    }
  }
}

/** A backend without a tanh kernel. */
class LimitedBackend extends CpuBackend {
  override readonly name = "limited";
  override supports(kernel: KernelName, dtype: DType): boolean {
    return kernel !== "unary.tanh" && super.supports(kernel, dtype);
  }
}

afterEach(() => {
  setBackend("cpu");
  setCpuFallback(false);
});

describe("conformance suite", () => {
  it("covers every primitive family", () => {
    const names = conformanceCases().map((c) => c.name);
    expect(names.length).toBeGreaterThan(60);
    for (const family of ["exp", "add", "where", "sum", "matmul", "cast", "copy", "gradient"]) {
      expect(
        names.some((n) => n.includes(family)),
        family,
      ).toBe(true);
    }
  });

  it("the CPU backend conforms (a second instance against the reference)", () => {
    const results = runConformance(new CpuBackend());
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });

  it("flags exactly the cases that use a wrong kernel", () => {
    const failed = runConformance(new FaultyBackend())
      .filter((r) => !r.ok)
      .map((r) => r.name);
    expect(failed.length).toBeGreaterThan(0);
    for (const name of failed) expect(name).toMatch(/exp|sigmoid|softplus|tanh|gradient/);
    expect(failed).toContain("exp contiguous");
  });
});

describe("missing kernels", () => {
  it("raise UnsupportedOpError naming op, dtype and backend, unless CPU fallback is on", () => {
    setBackend(new LimitedBackend());
    const x = tensor([0.5, -1]);
    expect(() => tanh(x)).toThrow(UnsupportedOpError);
    expect(() => tanh(x)).toThrow(
      /tanh: kernel 'unary.tanh' for dtype float32 is not supported by backend 'limited'/,
    );
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    setCpuFallback(true);
    expect(Array.from(tanh(x).dataSync())).toEqual([
      Math.fround(Math.tanh(0.5)),
      Math.fround(Math.tanh(-1)),
    ]);
    tanh(x);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(
      /tanh .*not supported by backend 'limited'; running it on cpu/,
    );
    warn.mockRestore();
  });
});
