/*
 * The protobuf reader under the ONNX importer: varints (hand-encoded golden bytes and a round trip
 * through the test encoder), zigzag, fixed32, packed and unpacked repeated fields, bounds (a length
 * may not leave its enclosing message), wire types, and unknown fields at every message level.
 */
import { ModelFormatError } from "@edgenn/tensor";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromOnnx } from "../src/onnx.js";
import { decodeOnnx, Reader, zigzag } from "../src/onnx-proto.js";
import { close, randArray } from "./helpers.js";
import { f32Bytes, Pb } from "./onnx-encoder.js";

const reader = (bytes: number[]) => new Reader(Uint8Array.from(bytes));

describe("Reader", () => {
  it("varint golden values", () => {
    // 300 = 0b10_0101100 → low 7 bits 0x2c with the continuation bit (0xac), then 0b10 (0x02)
    expect(reader([0xac, 0x02]).varint()).toBe(300);
    expect(reader([0]).varint()).toBe(0);
    expect(reader([0x7f]).varint()).toBe(127);
    expect(reader([0xff, 0xff, 0xff, 0xff, 0x0f]).varint()).toBe(2 ** 32 - 1);
    // 2^53 − 1: 53 one bits = seven full groups (49 bits) + 0b1111
    expect(reader([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]).varint()).toBe(2 ** 53 - 1);
    // int64 −1 = 2^64 − 1: nine 0xff groups and a final 0x01 (10 bytes, two's complement)
    expect(reader([...Array(9).fill(0xff), 0x01]).varint()).toBe(-1);
    // int64 −2^31: 0x80 0x80 0x80 0x80 0xf8 0xff 0xff 0xff 0xff 0x01
    expect(reader([0x80, 0x80, 0x80, 0x80, 0xf8, 0xff, 0xff, 0xff, 0xff, 0x01]).varint()).toBe(
      -(2 ** 31),
    );
  });

  it("varint round trip of every safe integer, positive and negative (int64)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
        (n) => {
          const r = new Reader(new Pb().varint(n).toBytes());
          expect(r.varint()).toBe(n);
          expect(r.pos).toBe(r.end);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("zigzag: 0, 1, 2, 3, 2^32 − 2, 2^32 − 1 → 0, −1, 1, −2, 2^31 − 1, −2^31", () => {
    expect([0, 1, 2, 3, 2 ** 32 - 2, 2 ** 32 - 1].map(zigzag)).toEqual([
      0,
      -1,
      1,
      -2,
      2 ** 31 - 1,
      -(2 ** 31),
    ]);
  });

  it("fixed32 floats are little-endian; packed and unpacked repeated fields read the same", () => {
    // 1.5 = 0x3fc00000 → bytes 00 00 c0 3f
    expect(reader([0, 0, 0xc0, 0x3f]).float(5)).toBe(1.5);
    const xs = [1, -2.5, 1e-3, 3e8];
    const unpacked = new Reader(new Pb().floats(4, xs).toBytes());
    const packed = new Reader(new Pb().floats(4, xs, true).toBytes());
    for (const r of [unpacked, packed]) {
      const got: number[] = [];
      r.each((f, w) => f === 4 && r.floats(w, got));
      close(got, xs, 0, 1e-7);
    }
    const ns = [0, 1, -1, 300, 2 ** 40];
    for (const isPacked of [false, true]) {
      const r = new Reader(new Pb().ints(1, ns, isPacked).toBytes());
      const got: number[] = [];
      r.each((f, w) => f === 1 && r.ints(w, got));
      expect(got).toEqual(ns);
    }
  });

  it("bounds, wire types and field numbers → ModelFormatError with the byte offset", () => {
    expect(() => reader([0x80]).varint()).toThrow(/fromOnnx: byte 1: truncated varint/);
    expect(() => reader([...Array(10).fill(0x80), 1]).varint()).toThrow(/longer than 10 bytes/);
    /** Reads the first field of `bytes` as a length-delimited field. */
    const field = (bytes: number[]) => {
      const r = reader(bytes);
      r.bytes(r.key()[1]);
    };
    expect(() => field([0x0a, 5, 1, 2])).toThrow(
      /byte 2: length 5 runs past the end of its message \(2 bytes left\)/,
    );
    // a negative length (int64 −1)
    expect(() => field([0x0a, ...Array(9).fill(0xff), 1])).toThrow(/length -1 runs past/);
    // a length inside the buffer but past the end of its enclosing message
    const outer = reader([0x0a, 2, 0x0a, 3, 0, 0, 0]);
    outer.key();
    const inner = outer.sub(2);
    inner.key();
    expect(() => inner.bytes(2)).toThrow(
      /length 3 runs past the end of its message \(0 bytes left\)/,
    );
    for (const w of [3, 4, 6, 7]) {
      expect(() => reader([0x08 | w]).each(() => false)).toThrow(`unsupported wire type ${w}`);
    }
    expect(() => reader([0x00, 0x01]).each(() => false)).toThrow(/invalid field number 0/);
    const fixed32 = reader([0x0d, 0, 0, 0, 0]);
    const [, w] = fixed32.key();
    expect(() => fixed32.int(w)).toThrow(/wire type 5 where 0 was expected/);
    expect(() => reader([0x0d, 0, 0]).each(() => false)).toThrow(/length 4 runs past/);
    expect(() => reader([0x09, 0, 0, 0, 0, 0, 0, 0]).each(() => false)).toThrow(
      /length 8 runs past/,
    );
  });

  it("decodeOnnx of empty bytes is an empty model", () => {
    expect(decodeOnnx(new Uint8Array(0))).toEqual({ ir: 0, opsets: [] });
  });
});

/** Unknown fields of every wire type (varint, fixed64, length-delimited, fixed32). */
function junk(p: Pb): Pb {
  p.int(1000, -5).key(1001, 1).bytes.push(1, 2, 3, 4, 5, 6, 7, 8);
  return p.str(1002, "unknown").float(1003, 2.5);
}

/** `p` with unknown fields before and after its own. */
function wrap(p: Pb): Pb {
  const q = junk(new Pb());
  q.bytes.push(...p.bytes);
  return junk(q);
}

/**
 * y = Gemm(x, w, b, transB=1), x [N, 2], w [3, 2] (raw_data), b [3] (float_data), written field
 * by field, with `j` applied to every message (model, graph, node, attribute, tensors, value infos,
 * types, shapes, dims, opset).
 */
function gemmModel(w: Float32Array, b: Float32Array, j: (p: Pb) => Pb): Uint8Array {
  const dim = (v: number | string) =>
    j(typeof v === "number" ? new Pb().int(1, v) : new Pb().str(2, v));
  const vi = (name: string, dims: (number | string)[]) => {
    const shape = new Pb();
    for (const d of dims) shape.msg(1, dim(d));
    const tensorType = j(new Pb().int(1, 1).msg(2, j(shape)));
    return j(new Pb().str(1, name).msg(2, j(new Pb().msg(1, tensorType))));
  };
  const attr = j(new Pb().str(1, "transB").int(3, 1).int(20, 2));
  const node = j(
    new Pb().str(1, "x").str(1, "w").str(1, "b").str(2, "y").str(4, "Gemm").msg(5, attr),
  );
  const wt = j(new Pb().ints(1, [3, 2]).int(2, 1).str(8, "w").raw(9, f32Bytes(w)));
  const bt = j(new Pb().ints(1, [3], true).int(2, 1).str(8, "b").floats(4, b, true));
  const g = j(
    new Pb()
      .msg(1, node)
      .msg(5, wt)
      .msg(5, bt)
      .msg(11, vi("x", ["N", 2]))
      .msg(12, vi("y", ["N", 3])),
  );
  return j(
    new Pb()
      .int(1, 8)
      .msg(7, g)
      .msg(8, j(new Pb().str(1, "").int(2, 13))),
  ).toBytes();
}

describe("unknown fields", () => {
  it("are skipped at every message level", () => {
    const w = randArray(6, 1);
    const b = randArray(3, 2);
    const x = randArray(4, 3);
    // y[n, o] = Σ_i x[n, i]·w[o, i] + b[o]
    const ref = [0, 1].flatMap((n) =>
      [0, 1, 2].map((o) => x[2 * n]! * w[2 * o]! + x[2 * n + 1]! * w[2 * o + 1]! + b[o]!),
    );
    const plain = gemmModel(w, b, (p) => p);
    const noisy = gemmModel(w, b, wrap);
    expect(noisy.length).toBeGreaterThan(plain.length + 20 * 25);
    for (const bytes of [plain, noisy]) {
      const y = fromOnnx(bytes, { batchSize: 2 }).run(x).data;
      close(y, ref);
    }
    // a group (wire type 3) is refused, not skipped
    const group = gemmModel(w, b, (p) => p.key(1004, 3));
    expect(() => fromOnnx(group)).toThrow(ModelFormatError);
  });
});
