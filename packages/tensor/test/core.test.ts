import {
  ArgumentError,
  arange,
  DisposedTensorError,
  DTypeError,
  EdgeNNError,
  eye,
  full,
  keep,
  memory,
  OutOfMemoryError,
  Rng,
  rand,
  randn,
  ShapeError,
  setLimits,
  tensor,
  tidy,
  zeros,
} from "@edgenn/tensor";
import { describe, expect, it } from "vitest";

describe("tensor creation", () => {
  it("infers shape and dtype from nested arrays and typed arrays", () => {
    const t = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe("float32");
    expect(t.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(tensor(new Int32Array([1, 2])).dtype).toBe("int32");
    expect(tensor([true, false]).dtype).toBe("bool");
    expect(tensor(5).shape).toEqual([]);
    expect(tensor(5).item()).toBe(5);
    expect(tensor(new Float32Array(6), { shape: [2, 3] }).shape).toEqual([2, 3]);
  });

  it("rejects ragged arrays, bad values and mismatched shapes with typed errors", () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(ShapeError);
    expect(() => tensor([1, "a" as unknown as number])).toThrow(ArgumentError);
    expect(() => tensor([1, 2, 3], { shape: [2, 2] })).toThrow(/expected 4 values/);
    expect(() => tensor([1.5], { dtype: "int32" })).toThrow(/does not fit dtype int32/);
    expect(() => tensor([200], { dtype: "int8" })).toThrow(ArgumentError);
    expect(() => tensor([1], { dtype: "float64" as "float32" })).toThrow(DTypeError);
    expect(() => zeros([2, -1])).toThrow(ShapeError);
    expect(() => zeros([1.5])).toThrow(ShapeError);
    expect(() => tensor([1, 2]).item()).toThrow(/exactly one element/);
  });

  it("makes full, arange and eye", () => {
    expect(full([2, 2], 7).toArray()).toEqual([
      [7, 7],
      [7, 7],
    ]);
    expect(arange(5).toArray()).toEqual([0, 1, 2, 3, 4]);
    expect(arange(1, 7, 2).toArray()).toEqual([1, 3, 5]);
    expect(arange(5, 0, -2).toArray()).toEqual([5, 3, 1]);
    expect(eye(2, 3).toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
    expect(() => arange(0, 1, 0)).toThrow(ArgumentError);
  });

  it("seeds random tensors reproducibly", () => {
    const a = randn([100], { seed: 3 }).dataSync();
    const b = randn([100], { seed: 3 }).dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(randn([4], { seed: 4 }).dataSync())).not.toEqual(Array.from(a.slice(0, 4)));
    // mean ≈ 0, std ≈ 1 over 20k samples: |mean| < 4σ/√n = 0.028
    const big = Array.from(randn([20000], { seed: 1 }).dataSync());
    const mean = big.reduce((s, v) => s + v, 0) / big.length;
    const variance = big.reduce((s, v) => s + (v - mean) ** 2, 0) / big.length;
    expect(Math.abs(mean)).toBeLessThan(0.028);
    expect(Math.abs(variance - 1)).toBeLessThan(0.04);
    const u = Array.from(rand([1000], { seed: 2, min: -1, max: 1 }).dataSync());
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...u)).toBeLessThan(1);
  });

  it("restores an Rng state exactly", () => {
    const r = new Rng(9);
    r.normal();
    const s = r.getState();
    const x = [r.next(), r.normal(), r.normal()];
    r.setState(s);
    expect([r.next(), r.normal(), r.normal()]).toEqual(x);
  });
});

describe("memory", () => {
  it("tidy disposes intermediates and keeps the result", () => {
    const before = memory();
    const y = tidy(() => {
      const a = tensor([1, 2, 3]);
      const b = tensor([4, 5, 6]);
      return a.add(b);
    });
    expect(memory().tensors).toBe(before.tensors + 1);
    expect(y.toArray()).toEqual([5, 7, 9]);
    y.dispose();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytes).toBe(before.bytes);
  });

  it("keep survives tidy; use after dispose throws DisposedTensorError", () => {
    let kept!: ReturnType<typeof tensor>;
    let gone!: ReturnType<typeof tensor>;
    tidy(() => {
      kept = keep(tensor([1]));
      gone = tensor([2]);
    });
    expect(kept.item()).toBe(1);
    expect(() => gone.dataSync()).toThrow(DisposedTensorError);
    expect(() => gone.add(1)).toThrow(DisposedTensorError);
    kept.dispose();
  });

  it("views share the buffer until the last one is disposed", () => {
    const before = memory().bytes;
    const a = tensor([
      [1, 2],
      [3, 4],
    ]);
    const t = a.transpose();
    a.dispose();
    expect(t.toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(memory().bytes).toBe(before + 16);
    t.dispose();
    expect(memory().bytes).toBe(before);
  });

  it("supports `using` via Symbol.dispose", () => {
    const before = memory().tensors;
    {
      const t = tensor([1, 2]);
      t[Symbol.dispose]();
    }
    expect(memory().tensors).toBe(before);
  });

  it("refuses tensors over the size limit before allocating", () => {
    const prev = setLimits({}).maxTensorBytes;
    setLimits({ maxTensorBytes: 1024 });
    try {
      expect(() => zeros([1000])).toThrow(OutOfMemoryError);
      expect(() => zeros([1000])).toThrow(/needed 4000 bytes, available 1024/);
    } finally {
      setLimits({ maxTensorBytes: prev });
    }
  });
});

describe("errors", () => {
  it("instanceof holds across copies of the error module (brand + code, not prototype)", async () => {
    const copy = await import("../src/errors.js?copy" as string);
    const e = new copy.ShapeError("x: bad");
    expect(e).toBeInstanceOf(ShapeError);
    expect(e).toBeInstanceOf(EdgeNNError);
    expect(e).not.toBeInstanceOf(DTypeError);
    expect(new ShapeError("y")).toBeInstanceOf(copy.ShapeError);
    expect(new Error("plain")).not.toBeInstanceOf(EdgeNNError);
    expect(new ArgumentError("z")).toBeInstanceOf(Error);
    expect(new ArgumentError("z").code).toBe("E_ARGUMENT");
  });
});
