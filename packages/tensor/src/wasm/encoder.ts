/*
 * A small WebAssembly binary encoder: LEB128, the type/import/function/export/code sections, and a
 * chainable emitter for the instructions the GEMM generators use (control flow, locals, i32
 * arithmetic, loads/stores, the SIMD (0xFD-prefixed) ops, and relaxed SIMD). Dependency-free and
 * pure: the same definition always gives the same bytes (the golden-bytes tests pin them).
 */

/** A value type, as its one-byte encoding. */
export type ValType = number & { readonly __valType: unique symbol };

/** 32-bit integer. */
export const I32 = 0x7f as ValType;
/** 32-bit float. */
export const F32 = 0x7d as ValType;
/** 128-bit vector (SIMD). */
export const V128 = 0x7b as ValType;

/** SIMD opcodes (after the 0xFD prefix, encoded as u32 LEB128). */
export const Simd = {
  v128Load: 0x00,
  v128Load8x8S: 0x01,
  v128Load32Splat: 0x09,
  v128Store: 0x0b,
  f32x4Splat: 0x13,
  i32x4Add: 0xae,
  i32x4DotI16x8S: 0xba,
  f32x4Add: 0xe4,
  f32x4Mul: 0xe6,
  /** relaxed SIMD: a·b + c, fused or not (engine's choice). */
  f32x4RelaxedMadd: 0x105,
  /** relaxed SIMD: i8x16 · i7x16 dot products, pairwise-added into i32x4 + c. */
  i32x4RelaxedDotI8x16I7x16AddS: 0x113,
} as const;

/**
 * Appends `v` (an integer in [0, 2³²)) to `out` as unsigned LEB128: 7 bits per byte, low first,
 * the high bit set on every byte but the last.
 * @param out - the byte list, appended to
 * @param v - the value
 * @returns `out`
 * Example: `uleb([], 624485) // [0xe5, 0x8e, 0x26]`
 */
export function uleb(out: number[], v: number): number[] {
  do {
    let byte = v % 128;
    v = Math.floor(v / 128);
    if (v) byte |= 0x80;
    out.push(byte);
  } while (v);
  return out;
}

/**
 * Appends `v` (a 32-bit signed integer) to `out` as signed LEB128: 7 bits per byte, low first,
 * ending when the rest is all sign bits and the last byte's bit 6 agrees with the sign.
 * @param out - the byte list, appended to
 * @param v - the value
 * @returns `out`
 * Example: `sleb([], -123456) // [0xc0, 0xbb, 0x78]`
 */
export function sleb(out: number[], v: number): number[] {
  v |= 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && !(byte & 0x40)) || (v === -1 && byte & 0x40)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** A function body's instructions, built by chaining (`new Code().get(0).get(1).i32Add()`). */
export class Code {
  /** The encoded instructions (without locals and the final `end`). */
  readonly bytes: number[] = [];

  /**
   * Appends raw bytes (an opcode not covered by a method, with its immediates).
   * @param b - bytes
   * @returns this
   */
  op(...b: number[]): this {
    for (const x of b) this.bytes.push(x);
    return this;
  }
  /** `block` with an empty result type. */
  block(): this {
    return this.op(0x02, 0x40);
  }
  /** `loop` with an empty result type. */
  loop(): this {
    return this.op(0x03, 0x40);
  }
  /** `end` of a block or loop. */
  end(): this {
    return this.op(0x0b);
  }
  /** `br_if depth`. */
  brIf(depth: number): this {
    uleb(this.op(0x0d).bytes, depth);
    return this;
  }
  /** `local.get i`. */
  get(i: number): this {
    uleb(this.op(0x20).bytes, i);
    return this;
  }
  /** `local.set i`. */
  set(i: number): this {
    uleb(this.op(0x21).bytes, i);
    return this;
  }
  /** `local.tee i`. */
  tee(i: number): this {
    uleb(this.op(0x22).bytes, i);
    return this;
  }
  /** `i32.const v`. */
  i32Const(v: number): this {
    sleb(this.op(0x41).bytes, v);
    return this;
  }
  /** `i32.add`. */
  i32Add(): this {
    return this.op(0x6a);
  }
  /** `i32.sub`. */
  i32Sub(): this {
    return this.op(0x6b);
  }
  /** `i32.mul`. */
  i32Mul(): this {
    return this.op(0x6c);
  }
  /** local[i] += c (i32). */
  addTo(i: number, c: number): this {
    return this.get(i).i32Const(c).i32Add().set(i);
  }
  /**
   * A SIMD instruction: 0xFD, the opcode as u32 LEB128, and a memory argument (log2 alignment,
   * byte offset) for loads and stores.
   * @param opcode - from `Simd`
   * @param memarg - [alignLog2, offset], for memory instructions only
   * @returns this
   */
  simd(opcode: number, memarg?: readonly [number, number]): this {
    uleb(this.op(0xfd).bytes, opcode);
    if (memarg) uleb(uleb(this.bytes, memarg[0]), memarg[1]);
    return this;
  }
}

/** One function of a module. */
export interface FuncDef {
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
  /** Locals after the parameters (run-length encoded by type in the output). */
  readonly locals: readonly ValType[];
  readonly code: Code;
  /** The export name, if exported. */
  readonly name?: string;
}

/** A module: functions over one imported memory. */
export interface ModuleDef {
  /** The memory import `module.name`, at least `min` 64 KiB pages. */
  readonly memory: {
    readonly module: string;
    readonly name: string;
    readonly min: number;
    readonly max?: number;
    readonly shared?: boolean;
  };
  readonly funcs: readonly FuncDef[];
}

function name(out: number[], s: string): void {
  uleb(out, s.length);
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i) & 0x7f);
}

function vec(out: number[], items: readonly number[][]): void {
  uleb(out, items.length);
  for (const it of items) for (const b of it) out.push(b);
}

function section(out: number[], id: number, body: number[]): void {
  out.push(id);
  uleb(out, body.length);
  for (const b of body) out.push(b);
}

/**
 * Encodes a module: header, then the type (deduplicated signatures), import (the memory),
 * function, export and code sections, in the order the binary format requires.
 * @param def - the module
 * @returns the module's bytes, a new array owned by the caller
 * Example: `encodeModule({ memory: { module: "env", name: "memory", min: 1 }, funcs: [] })`
 */
export function encodeModule(def: ModuleDef): Uint8Array {
  const types: number[][] = [];
  const keys: string[] = [];
  const typeOf = def.funcs.map((f) => {
    const t = [0x60];
    vec(
      t,
      f.params.map((p) => [p]),
    );
    vec(
      t,
      f.results.map((r) => [r]),
    );
    const key = t.join();
    let i = keys.indexOf(key);
    if (i < 0) {
      i = keys.push(key) - 1;
      types.push(t);
    }
    return i;
  });
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const tsec: number[] = [];
  vec(tsec, types);
  section(out, 1, tsec);

  const m = def.memory;
  const imp: number[] = [1];
  name(imp, m.module);
  name(imp, m.name);
  imp.push(0x02, m.shared ? 0x03 : m.max === undefined ? 0x00 : 0x01);
  uleb(imp, m.min);
  if (m.max !== undefined) uleb(imp, m.max);
  section(out, 2, imp);

  const fsec: number[] = [];
  vec(
    fsec,
    typeOf.map((t) => uleb([], t)),
  );
  section(out, 3, fsec);

  const exports: number[][] = [];
  def.funcs.forEach((f, i) => {
    if (f.name === undefined) return;
    const e: number[] = [];
    name(e, f.name);
    e.push(0x00);
    uleb(e, i);
    exports.push(e);
  });
  const esec: number[] = [];
  vec(esec, exports);
  section(out, 7, esec);

  const csec: number[] = [];
  vec(
    csec,
    def.funcs.map((f) => {
      // locals: runs of one type, as (count, type)
      const runs: number[][] = [];
      for (let i = 0; i < f.locals.length; ) {
        let j = i;
        while (j < f.locals.length && f.locals[j] === f.locals[i]) j++;
        runs.push([...uleb([], j - i), f.locals[i]!]);
        i = j;
      }
      const body: number[] = [];
      vec(body, runs);
      for (const b of f.code.bytes) body.push(b);
      body.push(0x0b);
      return [...uleb([], body.length), ...body];
    }),
  );
  section(out, 10, csec);
  return Uint8Array.from(out);
}
