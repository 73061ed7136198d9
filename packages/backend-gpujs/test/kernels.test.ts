/*
 * Kernel-level differential tests: every entry of every kernel table (including the kernels no
 * public op reaches yet: erf, log1p, expm1, round, integer div, prod, argmin, copy into a view, …)
 * runs on the gpujs backend and on the CPU reference backend over the same buffers and views.
 */
import { createGpuJsBackend, EXACT_INT_LIMIT, type GpuJsBackend } from "@edgenn/backend-gpujs";
import {
  type Backend,
  type BinaryOp,
  CpuBackend,
  type DataArray,
  type DType,
  type ReduceOp,
  type TensorInfo,
  type UnaryOp,
  UnsupportedOpError,
} from "@edgenn/tensor";
import fc from "fast-check";
import { GPU } from "gpu.js";
import { describe, expect, it } from "vitest";
import { FLOAT_TOLERANCE, MODES } from "./modes.js";

const ARRAYS = {
  float32: Float32Array,
  int32: Int32Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
} as const;

/** A view over a buffer: `shape` read through `strides` from `offset` (default contiguous, 0). */
interface Spec {
  dtype: DType;
  shape: number[];
  buffer: ArrayLike<number>;
  strides?: number[];
  offset?: number;
}

function contiguous(shape: readonly number[]): number[] {
  const s: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

function put(b: Backend, s: Spec): TensorInfo {
  const data = ARRAYS[s.dtype].from(s.buffer);
  const dataId = b.alloc(s.dtype, data.length);
  b.write(dataId, data);
  return {
    dataId,
    dtype: s.dtype,
    shape: s.shape,
    strides: s.strides ?? contiguous(s.shape),
    offset: s.offset ?? 0,
  };
}

function outOf(b: Backend, dtype: DType, shape: number[]): TensorInfo {
  const n = shape.reduce((p, d) => p * d, 1);
  const dataId = b.alloc(dtype, n);
  b.write(dataId, new ARRAYS[dtype](n));
  return { dataId, dtype, shape, strides: contiguous(shape), offset: 0 };
}

/** `shape` read as the transpose (reversed dims) of a contiguous buffer, from offset 3. */
function transposed(dtype: DType, shape: number[], values: (i: number) => number): Spec {
  const n = shape.reduce((p, d) => p * d, 1);
  const baseStrides = contiguous([...shape].reverse());
  return {
    dtype,
    shape,
    buffer: Array.from({ length: n + 3 }, (_, i) => (i < 3 ? 99 : values(i - 3))),
    strides: [...baseStrides].reverse(),
    offset: 3,
  };
}

/** Runs `k` on the gpujs backend and the CPU backend; returns both outputs as numbers. */
function both(
  gpu: Backend,
  k: (b: Backend, put: (s: Spec) => TensorInfo) => TensorInfo,
): { got: number[]; want: number[] } {
  const cpu = new CpuBackend();
  const run = (b: Backend) => {
    const out = k(b, (s) => put(b, s));
    return Array.from(b.readSync!(out.dataId) as DataArray);
  };
  return { got: run(gpu), want: run(cpu) };
}

function expectMatch({ got, want }: { got: number[]; want: number[] }, exact = false): void {
  expect(got.length).toBe(want.length);
  const { rtol, atol } = FLOAT_TOLERANCE;
  got.forEach((g, i) => {
    const w = want[i]!;
    if (Number.isNaN(w)) expect(g, `element ${i}`).toBeNaN();
    else if (exact || !Number.isFinite(w)) expect(g, `element ${i}`).toBe(w);
    else
      expect(Math.abs(g - w), `element ${i}: ${g} vs ${w}`).toBeLessThanOrEqual(
        atol + rtol * Math.abs(w),
      );
  });
}

const FLOAT_UNARY: UnaryOp[] = [
  "neg",
  "abs",
  "exp",
  "square",
  "sign",
  "relu",
  "sigmoid",
  "tanh",
  "softplus",
  "erf",
  "log1p",
  "expm1",
  "round",
  "floor",
  "ceil",
  "reciprocal",
  "not",
];
// values with halves (round), tiny (log1p/expm1), large (sigmoid/softplus), zero (sign, not)
const SPECIAL = [0, 0.5, -0.5, 1.5, 2.5, -2.5, 1e-5, -1e-5, 0.3, -0.7, 3, -4, 30, -30, 80, -80];

describe.each(MODES)("kernels in gpu.js mode %s", (mode) => {
  const gpu: GpuJsBackend = createGpuJsBackend({ gpu: new GPU({ mode }) });

  it.each(FLOAT_UNARY)("unary %s (float32, transposed view) matches the CPU", (op) => {
    const v = (i: number) => (op === "exp" ? SPECIAL[i % 16]! / 4 : SPECIAL[i % 16]!);
    expectMatch(
      both(gpu, (b, put) => {
        const out = outOf(b, "float32", [4, 4]);
        b.unary(op, put(transposed("float32", [4, 4], v)), out);
        return out;
      }),
    );
  });

  it.each(["log", "sqrt"] as UnaryOp[])("unary %s on positive values matches the CPU", (op) => {
    expectMatch(
      both(gpu, (b, put) => {
        const out = outOf(b, "float32", [8]);
        b.unary(
          op,
          put({ dtype: "float32", shape: [8], buffer: [1e-6, 0.1, 0.5, 1, 2, 10, 1e4, 3e7] }),
          out,
        );
        return out;
      }),
    );
  });

  it.each(["neg", "abs", "square", "sign", "relu", "round", "floor", "ceil"] as UnaryOp[])(
    "unary %s on int32 and int8 is exact",
    (op) => {
      for (const dtype of ["int32", "int8"] as DType[]) {
        expectMatch(
          both(gpu, (b, put) => {
            const out = outOf(b, dtype, [6]);
            b.unary(
              op,
              put({
                dtype,
                shape: [6],
                buffer: [0, 1, -1, 7, -11, dtype === "int8" ? -128 : 4000],
              }),
              out,
            );
            return out;
          }),
          true,
        );
      }
    },
  );

  const FLOAT_BINARY: BinaryOp[] = [
    "add",
    "sub",
    "mul",
    "div",
    "pow",
    "maximum",
    "minimum",
    "equal",
    "greater",
    "less",
    "greaterEqual",
    "lessEqual",
    "and",
    "or",
  ];
  it.each(FLOAT_BINARY)("binary %s (float32, broadcast and strided) matches the CPU", (op) => {
    const a = [1, -2, 0, 0.5, 3, 1, -1.5, 2, 0, 4, 1, -3];
    const bv = [2, 0.5, 0, -1];
    expectMatch(
      both(gpu, (b, put) => {
        const out = outOf(b, op.match(/equal|greater|less|and|or/) ? "bool" : "float32", [3, 4]);
        const x = put(
          transposed("float32", [3, 4], (i) => (op === "pow" ? Math.abs(a[i]!) : a[i]!)),
        );
        // b broadcast along dim 0: stride 0
        const y = put({ dtype: "float32", shape: [3, 4], buffer: bv, strides: [0, 1] });
        b.binary(op, x, y, out);
        return out;
      }),
    );
  });

  it("integer div truncates toward zero exactly where the float quotient rounds up", () => {
    // 16777215 / 2 = 8388607.5: float32 (spacing 1 at 2^23) rounds it to 8388608; r = a − q·b = −1
    // has the wrong sign, so q steps back to 8388607
    const a = [16777215, -16777215, 7, -7, 7, -7, 12582911, 5, 0, 9];
    const d = [2, 2, 2, 2, -2, -2, 3, 0, 4, -10];
    for (const dtype of ["int32"] as DType[]) {
      const r = both(gpu, (b, put) => {
        const out = outOf(b, dtype, [10]);
        b.binary(
          "div",
          put({ dtype, shape: [10], buffer: a }),
          put({ dtype, shape: [10], buffer: d }),
          out,
        );
        return out;
      });
      expectMatch(r, true);
      expect(r.got.slice(0, 4)).toEqual([8388607, -8388607, 3, -3]);
    }
  });

  it.each(["add", "sub", "mul", "maximum", "minimum", "equal", "greater", "and"] as BinaryOp[])(
    "binary %s on int32 and wrapping int8 is exact",
    (op) => {
      for (const dtype of ["int32", "int8"] as DType[]) {
        expectMatch(
          both(gpu, (b, put) => {
            const out = outOf(b, op.match(/equal|greater|and/) ? "bool" : dtype, [6]);
            const x = put({ dtype, shape: [6], buffer: [127, -128, 5, 0, -7, 100] });
            const y = put({ dtype, shape: [6], buffer: [1, -1, 5, 3, 2, 100] });
            b.binary(op, x, y, out);
            return out;
          }),
          true,
        );
      }
    },
  );

  it("where selects by a bool condition", () => {
    expectMatch(
      both(gpu, (b, put) => {
        const out = outOf(b, "float32", [2, 3]);
        const c = put({ dtype: "bool", shape: [2, 3], buffer: [1, 0, 1], strides: [0, 1] });
        const x = put({ dtype: "float32", shape: [2, 3], buffer: [1, 2, 3, 4, 5, 6] });
        const y = put({ dtype: "float32", shape: [2, 3], buffer: [-1, -2], strides: [1, 0] });
        b.where(c, x, y, out);
        return out;
      }),
      true,
    );
  });

  const REDUCE_OPS: ReduceOp[] = ["sum", "prod", "max", "min", "argmax", "argmin"];
  it.each(REDUCE_OPS)(
    "reduce %s over every axis set of a transposed view matches the CPU",
    (op) => {
      const shape = [2, 3, 4];
      const sets = op.startsWith("arg")
        ? [[0], [1], [2]]
        : [[0], [1], [2], [0, 2], [1, 2], [0, 1, 2]];
      for (const axes of sets) {
        expectMatch(
          both(gpu, (b, put) => {
            const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
            const out = outOf(b, op.startsWith("arg") ? "int32" : "float32", kept);
            // ties (i % 5) exercise first-index-wins for arg ops
            b.reduce(
              op,
              put(transposed("float32", shape, (i) => ((i * 7) % 5) * 0.5 - 0.8)),
              axes,
              out,
            );
            return out;
          }),
          op.startsWith("arg"),
        );
      }
    },
  );

  it("reduce sum of an empty axis is 0, prod is 1", () => {
    for (const op of ["sum", "prod"] as ReduceOp[]) {
      expectMatch(
        both(gpu, (b, put) => {
          const out = outOf(b, "float32", [3, 1]);
          b.reduce(op, put({ dtype: "float32", shape: [3, 0], buffer: [0] }), [1], out);
          return out;
        }),
        true,
      );
    }
  });

  it("integer sums are exact up to 2^24 and refused past it", () => {
    // 1024 values of 16383: bound 1024·16383 = 16,776,192 ≤ 2^24 = 16,777,216 → exact
    const r = both(gpu, (b, put) => {
      const out = outOf(b, "int32", [1]);
      b.reduce(
        "sum",
        put({ dtype: "int32", shape: [1024], buffer: new Array(1024).fill(16383) }),
        [0],
        out,
      );
      return out;
    });
    expect(r.got).toEqual([16776192]);
    // 2048 values of 8200: worst case 16,793,600 > 2^24 → refused, whatever the values are
    const x = put(gpu, { dtype: "int32", shape: [2048], buffer: new Array(2048).fill(8200) });
    expect(() => gpu.reduce("sum", x, [0], outOf(gpu, "int32", [1]))).toThrow(UnsupportedOpError);
    expect(() => gpu.reduce("sum", x, [0], outOf(gpu, "int32", [1]))).toThrow(
      /reduce\.sum: int32 result may reach 16793600/,
    );
    // products too: 5000·5000 = 2.5e7
    const y = put(gpu, { dtype: "int32", shape: [1], buffer: [5000] });
    expect(() => gpu.binary("mul", y, y, outOf(gpu, "int32", [1]))).toThrow(
      /mul: int32 result may reach 25000000/,
    );
    // and values that cannot even be stored
    const id = gpu.alloc("int32", 1);
    expect(() => gpu.write(id, Int32Array.of(EXACT_INT_LIMIT + 1))).toThrow(
      /write: int32 value 16777217 is not exact/,
    );
    // float32 sums are never refused
    const f = put(gpu, { dtype: "float32", shape: [2048], buffer: new Array(2048).fill(8200) });
    const fo = outOf(gpu, "float32", [1]);
    gpu.reduce("sum", f, [0], fo);
    expect(Array.from(gpu.readSync(fo.dataId))).toEqual([2048 * 8200]);
  });

  it.each(["int32", "int8", "uint8", "bool", "float32"] as DType[])(
    "cast float32 → %s truncates and saturates",
    (to) => {
      expectMatch(
        both(gpu, (b, put) => {
          const out = outOf(b, to, [10]);
          const x = put({
            dtype: "float32",
            shape: [10],
            buffer: [0, 1.9, -1.9, 127.5, -300, 300, Number.NaN, 1e10, -1e10, 0.1],
          });
          b.cast(x, out);
          return out;
        }),
        true,
      );
    },
  );

  it("copy into a strided view keeps the rest of the buffer", () => {
    expectMatch(
      both(gpu, (b, put) => {
        const outBuf = put({
          dtype: "float32",
          shape: [4, 6],
          buffer: Array.from({ length: 24 }, (_, i) => -i),
        });
        const view: TensorInfo = { ...outBuf, shape: [2, 3], strides: [6, 1], offset: 8 };
        b.copy(put(transposed("float32", [2, 3], (i) => i + 0.5)), view);
        // and a column view written from a reversed (negative-stride) source
        const col: TensorInfo = { ...outBuf, shape: [4], strides: [6], offset: 5 };
        b.copy(
          put({ dtype: "float32", shape: [4], buffer: [10, 20, 30, 40], strides: [-1], offset: 3 }),
          col,
        );
        return outBuf;
      }),
      true,
    );
  });

  it("gather and scatterAdd (repeated indices) match the CPU", () => {
    expectMatch(
      both(gpu, (b, put) => {
        const out = outOf(b, "float32", [2, 4, 3]);
        const x = put({
          dtype: "float32",
          shape: [2, 5, 3],
          buffer: Array.from({ length: 30 }, (_, i) => i * 1.5),
        });
        const idx = put({ dtype: "int32", shape: [4], buffer: [4, 0, 0, 2] });
        b.gather(x, idx, 1, out);
        return out;
      }),
      true,
    );
    expectMatch(
      both(gpu, (b, put) => {
        const out = outOf(b, "float32", [2, 5, 3]);
        const dy = put({
          dtype: "float32",
          shape: [2, 4, 3],
          buffer: Array.from({ length: 24 }, (_, i) => i - 7),
        });
        const idx = put({ dtype: "int32", shape: [4], buffer: [4, 0, 0, 2] });
        b.scatterAdd(dy, idx, 1, out);
        return out;
      }),
      true,
    );
  });

  it("batched matmul of strided operands matches the CPU (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 5 }),
        fc.boolean(),
        (batch, m, k, n, transA) => {
          const av = (i: number) => Math.sin(i * 1.3);
          const aSpec: Spec = transA
            ? {
                dtype: "float32",
                shape: [batch, m, k],
                buffer: Array.from({ length: batch * m * k }, (_, i) => av(i)),
                strides: [m * k, 1, m],
              }
            : {
                dtype: "float32",
                shape: [batch, m, k],
                buffer: Array.from({ length: batch * m * k }, (_, i) => av(i)),
              };
          const bSpec: Spec = {
            dtype: "float32",
            shape: [batch, k, n],
            buffer: Array.from({ length: k * n }, (_, i) => Math.cos(i)),
            strides: [0, n, 1],
          };
          expectMatch(
            both(gpu, (b, put) => {
              const out = outOf(b, "float32", [batch, m, n]);
              b.matmul(put(aSpec), put(bSpec), out);
              return out;
            }),
          );
        },
      ),
      { numRuns: 15 },
    );
  });

  it("conv2d and both backprops with stride 2, dilation 2, groups 2 and padding match the CPU", () => {
    const p = {
      strideH: 2,
      strideW: 1,
      padTop: 1,
      padLeft: 2,
      dilationH: 1,
      dilationW: 2,
      groups: 2,
    };
    const xs = {
      dtype: "float32" as DType,
      shape: [2, 4, 7, 6],
      buffer: Array.from({ length: 336 }, (_, i) => Math.sin(i)),
    };
    const ws = {
      dtype: "float32" as DType,
      shape: [6, 2, 3, 2],
      buffer: Array.from({ length: 72 }, (_, i) => Math.cos(i)),
    };
    // oH = ⌊(7 + 2·1 − 3)/2⌋ + 1 = 4, oW = ⌊(6 + 2·2 − 3)/1⌋ + 1 = 8 (dilated kW = 3)
    const ys = [2, 6, 4, 8];
    const dys = {
      dtype: "float32" as DType,
      shape: ys,
      buffer: Array.from({ length: 384 }, (_, i) => Math.sin(i * 0.7)),
    };
    for (const act of ["none", "relu", "relu6"] as const) {
      expectMatch(
        both(gpu, (b, put) => {
          const out = outOf(b, "float32", ys);
          b.conv2d!(
            put(xs),
            put(ws),
            put({ dtype: "float32", shape: [6], buffer: [0.1, -0.2, 3, 0, 1, -1] }),
            out,
            p,
            act,
          );
          return out;
        }),
      );
    }
    expectMatch(
      both(gpu, (b, put) => {
        const out = outOf(b, "float32", xs.shape);
        b.conv2dBackpropInput!(put(dys), put(ws), out, p);
        return out;
      }),
    );
    expectMatch(
      both(gpu, (b, put) => {
        const out = outOf(b, "float32", ws.shape);
        b.conv2dBackpropFilter!(put(xs), put(dys), out, p);
        return out;
      }),
    );
  });

  it.each(["max", "avg"] as const)(
    "pool %s and its gradient (overlapping, padded windows) match the CPU",
    (op) => {
      for (const countIncludePad of [false, true]) {
        const p = {
          kernelH: 3,
          kernelW: 2,
          strideH: 2,
          strideW: 1,
          padTop: 1,
          padLeft: 1,
          dilationH: 1,
          dilationW: 2,
          countIncludePad,
        };
        // ties (values mod 4) exercise the first-maximum rule
        const xs = {
          dtype: "float32" as DType,
          shape: [1, 2, 6, 5],
          buffer: Array.from({ length: 60 }, (_, i) => (i * 7) % 4),
        };
        const ys = [1, 2, 3, 5];
        expectMatch(
          both(gpu, (b, put) => {
            const out = outOf(b, "float32", ys);
            b.pool!(op, put(xs), out, p);
            return out;
          }),
        );
        expectMatch(
          both(gpu, (b, put) => {
            const out = outOf(b, "float32", xs.shape);
            b.poolBackward!(
              op,
              put(xs),
              put({
                dtype: "float32",
                shape: ys,
                buffer: Array.from({ length: 30 }, (_, i) => i + 1),
              }),
              out,
              p,
            );
            return out;
          }),
        );
      }
    },
  );

  it("supports() is false exactly for the integer kernels it cannot run", () => {
    expect(gpu.supports("matmul", "float32")).toBe(true);
    expect(gpu.supports("matmul", "int32")).toBe(false);
    expect(gpu.supports("binary.pow", "int32")).toBe(false);
    expect(gpu.supports("unary.exp", "int32")).toBe(false);
    expect(gpu.supports("unary.neg", "int8")).toBe(true);
    expect(gpu.supports("reduce.sum", "int32")).toBe(true);
  });
});
