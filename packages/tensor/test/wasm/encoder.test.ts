import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Code, encodeModule, I32, Simd, sleb, uleb, V128 } from "../../src/wasm/index.js";

/** Decodes unsigned LEB128 (test-side reference): 7 bits per byte, low group first. */
function decodeU(bytes: readonly number[]): number {
  let v = 0;
  for (let i = bytes.length - 1; i >= 0; i--) v = v * 128 + (bytes[i]! & 0x7f);
  return v;
}

/** Decodes signed LEB128: the unsigned value, minus 2^(7·len) when the last byte's bit 6 is set. */
function decodeS(bytes: readonly number[]): number {
  const u = decodeU(bytes);
  return bytes[bytes.length - 1]! & 0x40 ? u - 2 ** (7 * bytes.length) : u;
}

describe("LEB128", () => {
  it("unsigned: hand-derived bytes", () => {
    // 624485 = 0b100110_0001110_1100101 → groups (low first) 1100101, 0001110, 0100110
    //   → 0xe5 (0x65 | 0x80), 0x8e (0x0e | 0x80), 0x26
    expect(uleb([], 624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(uleb([], 0)).toEqual([0x00]);
    expect(uleb([], 127)).toEqual([0x7f]);
    // 128 = 1·128 + 0 → 0x80, 0x01
    expect(uleb([], 128)).toEqual([0x80, 0x01]);
    // 261 (f32x4.relaxed_madd) = 2·128 + 5 → 0x85, 0x02
    expect(uleb([], 261)).toEqual([0x85, 0x02]);
    // 2³² − 1: four groups of 7 ones then 0b1111
    expect(uleb([], 2 ** 32 - 1)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
  });

  it("signed: hand-derived bytes", () => {
    // −123456 = …1110_0001_1101_1100_0000 (two's complement); groups 1000000, 0111011, 1111000
    //   → 0xc0, 0xbb, 0x78 (bit 6 of 0x78 set: negative, stop)
    expect(sleb([], -123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(sleb([], -1)).toEqual([0x7f]);
    expect(sleb([], 63)).toEqual([0x3f]);
    // 64 has bit 6 set, so a second byte carries the 0 sign: 0xc0, 0x00
    expect(sleb([], 64)).toEqual([0xc0, 0x00]);
    expect(sleb([], -64)).toEqual([0x40]);
    expect(sleb([], -65)).toEqual([0xbf, 0x7f]);
    expect(sleb([], -(2 ** 31))).toEqual([0x80, 0x80, 0x80, 0x80, 0x78]);
  });

  it("round-trips through an independent decoder", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (v) => {
        const b = uleb([], v);
        expect(decodeU(b)).toBe(v);
        expect(b.length).toBe(Math.max(1, Math.ceil(Math.log2(v + 1) / 7)));
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (v) => {
        expect(decodeS(sleb([], v))).toBe(v);
      }),
      { numRuns: 300 },
    );
  });
});

describe("Code", () => {
  it("emits instructions with their immediates", () => {
    // local.get 0, local.get 1, i32.add; i32.const −1 (sleb 0x7f); local.tee 200 (uleb 0xc8 0x01)
    expect(new Code().get(0).get(1).i32Add().i32Const(-1).tee(200).bytes).toEqual([
      0x20, 0x00, 0x20, 0x01, 0x6a, 0x41, 0x7f, 0x22, 0xc8, 0x01,
    ]);
    // loop (empty type), br_if 0, end; block
    expect(new Code().loop().brIf(0).end().block().bytes).toEqual([
      0x03, 0x40, 0x0d, 0x00, 0x0b, 0x02, 0x40,
    ]);
  });

  it("emits SIMD opcodes behind 0xFD with u32 LEB128 opcode and memarg", () => {
    // v128.load align=2⁴ offset=16 → fd 00 04 10
    expect(new Code().simd(Simd.v128Load, [4, 16]).bytes).toEqual([0xfd, 0x00, 0x04, 0x10]);
    // v128.load32_splat align=2² offset=200 → fd 09 02 c8 01
    expect(new Code().simd(Simd.v128Load32Splat, [2, 200]).bytes).toEqual([
      0xfd, 0x09, 0x02, 0xc8, 0x01,
    ]);
    // f32x4.mul = 0xe6 (230 → e6 01), f32x4.add = 0xe4, i32x4.dot_i16x8_s = 0xba (186 → ba 01)
    expect(new Code().simd(Simd.f32x4Mul).simd(Simd.f32x4Add).bytes).toEqual([
      0xfd, 0xe6, 0x01, 0xfd, 0xe4, 0x01,
    ]);
    expect(new Code().simd(Simd.i32x4DotI16x8S).simd(Simd.i32x4Add).bytes).toEqual([
      0xfd, 0xba, 0x01, 0xfd, 0xae, 0x01,
    ]);
    // relaxed SIMD: f32x4.relaxed_madd = 0x105 → fd 85 02
    expect(new Code().simd(Simd.f32x4RelaxedMadd).bytes).toEqual([0xfd, 0x85, 0x02]);
  });
});

describe("encodeModule", () => {
  it("encodes a one-function module to hand-derived bytes that validate", () => {
    const bytes = encodeModule({
      memory: { module: "env", name: "memory", min: 1 },
      funcs: [
        {
          params: [I32],
          results: [I32],
          locals: [I32, I32, V128],
          code: new Code().get(0).i32Const(-1).i32Add(),
          name: "f",
        },
      ],
    });
    // biome-ignore format: one section per line
    expect(Array.from(bytes)).toEqual([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
      0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f, // type: 1 × func (i32) → (i32)
      0x02, 0x0f, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x01, // import env.memory, limits min 1
      0x03, 0x02, 0x01, 0x00, // function: 1 × type 0
      0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, // export "f" = func 0
      0x0a, 0x0d, 0x01, 0x0b, // code: 1 body of 11 bytes
      0x02, 0x02, 0x7f, 0x01, 0x7b, // locals: 2 × i32, 1 × v128 (run-length)
      0x20, 0x00, 0x41, 0x7f, 0x6a, 0x0b, // local.get 0, i32.const −1, i32.add, end
    ]);
    expect(WebAssembly.validate(bytes)).toBe(true);
    const memory = new WebAssembly.Memory({ initial: 1 });
    const f = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports
      .f as (x: number) => number;
    expect(f(42)).toBe(41);
  });

  it("deduplicates signatures and encodes a shared memory with its maximum", () => {
    const fn = { params: [I32], results: [], locals: [], code: new Code() };
    const bytes = encodeModule({
      memory: { module: "env", name: "memory", min: 1, max: 2, shared: true },
      funcs: [fn, fn],
    });
    // type section: 01 05 01 60 01 7f 00 (one type for two functions)
    expect(Array.from(bytes.subarray(8, 15))).toEqual([0x01, 0x05, 0x01, 0x60, 0x01, 0x7f, 0x00]);
    // limits: 0x03 (shared, with max) min 1 max 2
    expect(Array.from(bytes.subarray(29, 33))).toEqual([0x02, 0x03, 0x01, 0x02]);
    expect(WebAssembly.validate(bytes)).toBe(true);
  });
});
