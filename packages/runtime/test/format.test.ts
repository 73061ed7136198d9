import { ArgumentError, ModelFormatError } from "@edgenn/tensor";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeModel, encodeModel, FORMAT_VERSION, type Graph } from "../src/index.js";
import { f32, init, node } from "./helpers.js";
import { loadModel } from "./sessions.js";

const relu: Graph = {
  inputs: [f32("x", [1, 4])],
  outputs: [f32("y", [1, 4])],
  nodes: [node("gemm", ["x", "w", "b"], "h", { transB: 1 }, "fc"), node("relu", ["h"], "y")],
  initializers: [init("w", [4, 4], 1), init("b", [4], 2)],
  meta: { producer: "test" },
};

/** Rebuilds a file around a replaced header (weights section re-aligned). */
function withHeader(bytes: Uint8Array, edit: (h: Record<string, unknown>) => unknown): Uint8Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  const hlen = dv.getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + hlen)));
  const weights = bytes.subarray(Math.ceil((12 + hlen) / 16) * 16);
  const json = new TextEncoder().encode(JSON.stringify(edit(header) ?? header));
  const start = Math.ceil((12 + json.length) / 16) * 16;
  const out = new Uint8Array(start + weights.length);
  out.set(bytes.subarray(0, 12));
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  out.set(weights, start);
  return out;
}

/** Random graphs with random initializers (every dtype), attributes of every kind, quant params. */
const arbGraph: fc.Arbitrary<Graph> = fc
  .record({
    tensors: fc.array(
      fc.record({
        dtype: fc.constantFrom("float32", "int32", "int8", "uint8", "bool"),
        shape: fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 3 }),
        seed: fc.integer(),
        quant: fc.option(
          fc.record({
            s: fc.double({ min: 1e-6, max: 10, noNaN: true }),
            z: fc.integer({ min: -128, max: 127 }),
          }),
          { nil: undefined },
        ),
      }),
      { maxLength: 5 },
    ),
    attrs: fc.dictionary(
      fc.stringMatching(/^[a-z_]{1,8}$/),
      fc.oneof(
        fc.integer(),
        fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => v + 0), // JSON has no -0
        fc.array(fc.integer(), { maxLength: 5 }),
        fc.string({ maxLength: 10 }),
        fc.boolean(),
      ),
    ),
    chain: fc.integer({ min: 1, max: 4 }),
  })
  .map(({ tensors, attrs, chain }) => {
    const initializers = tensors.map((t, i) => {
      const n = t.shape.reduce((a, b) => a * b, 1);
      const r = fc.sample(fc.integer({ min: -100, max: 100 }), { seed: t.seed, numRuns: n });
      const Ctor = {
        float32: Float32Array,
        int32: Int32Array,
        int8: Int8Array,
        uint8: Uint8Array,
        bool: Uint8Array,
      }[t.dtype] as typeof Float32Array;
      const data = Ctor.from(r, (v: number) =>
        t.dtype === "float32" ? v / 7 : t.dtype === "bool" ? v & 1 : Math.abs(v),
      );
      return {
        name: `t${i}`,
        dtype: t.dtype,
        shape: t.shape,
        data,
        ...(t.quant ? { quant: { scale: [t.quant.s], zeroPoint: [t.quant.z] } } : {}),
      } as Graph["initializers"][number];
    });
    const nodes = Array.from({ length: chain }, (_, i) =>
      node("relu", [i ? `h${i - 1}` : "x", ""], `h${i}`, attrs, `n${i}`),
    );
    return {
      inputs: [f32("x", [-1, 3])],
      outputs: [{ name: `h${chain - 1}`, dtype: "float32", shape: [-1, 3] }],
      nodes,
      initializers,
    } satisfies Graph;
  });

function same(a: Graph, b: Graph): void {
  expect(b.inputs).toEqual(a.inputs);
  expect(b.outputs).toEqual(a.outputs);
  expect(b.nodes).toEqual(a.nodes);
  expect(b.meta).toEqual(a.meta);
  expect(b.initializers.length).toBe(a.initializers.length);
  a.initializers.forEach((t, i) => {
    const u = b.initializers[i]!;
    expect({ ...u, data: undefined }).toEqual({ ...t, data: undefined });
    expect(u.data.constructor).toBe(t.data.constructor);
    // compare bytes (NaN payloads and -0 included)
    expect(new Uint8Array(u.data.buffer, u.data.byteOffset, u.data.byteLength)).toEqual(
      new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
    );
  });
}

describe("model file: layout and round trips", () => {
  it("layout: magic, version, header length, 16-aligned weights", () => {
    const b = encodeModel(relu);
    expect(String.fromCharCode(...b.subarray(0, 4))).toBe("ENN1");
    const dv = new DataView(b.buffer);
    expect(dv.getUint32(4, true)).toBe(FORMAT_VERSION);
    const hlen = dv.getUint32(8, true);
    const header = JSON.parse(new TextDecoder().decode(b.subarray(12, 12 + hlen)));
    const start = Math.ceil((12 + hlen) / 16) * 16;
    expect(
      header.tensors.map((t: { offset: number; length: number }) => [t.offset, t.length]),
    ).toEqual([
      [0, 64],
      [64, 16],
    ]);
    // the weights sit at start + offset, byte for byte
    const w = relu.initializers[0]!.data;
    expect(b.subarray(start, start + 64)).toEqual(new Uint8Array(w.buffer, w.byteOffset, 64));
    expect(b.length).toBe(start + 80);
  });

  it("encode → decode gives the same graph (fast-check, every dtype, attrs, quant)", () => {
    fc.assert(
      fc.property(arbGraph, (g) => {
        same(g, decodeModel(encodeModel(g)));
      }),
      { numRuns: 200 },
    );
    same(relu, decodeModel(encodeModel(relu)));
  });

  it("weights are views into the file's bytes; a misaligned buffer is copied", () => {
    const b = encodeModel(relu);
    const g = decodeModel(b);
    expect(g.initializers[0]!.data.buffer).toBe(b.buffer);
    // the same file 1 byte into a larger buffer: float32 cannot view it, so it is copied
    const shifted = new Uint8Array(b.length + 1);
    shifted.set(b, 1);
    const g2 = decodeModel(shifted.subarray(1));
    expect(g2.initializers[0]!.data.buffer).not.toBe(shifted.buffer);
    expect(Array.from(g2.initializers[0]!.data)).toEqual(Array.from(relu.initializers[0]!.data));
    // the session counts the copy as its own memory
    expect(loadModel(shifted.subarray(1)).preparedBytes - loadModel(b).preparedBytes).toBe(80);
  });
});

describe("model file: every malformed part is a ModelFormatError saying what and where", () => {
  const good = encodeModel(relu);
  const cases: [string, () => Uint8Array, RegExp][] = [
    ["empty file", () => new Uint8Array(0), /file: not an edgenn model/],
    [
      "wrong magic",
      () => Uint8Array.from(good, (v, i) => (i === 0 ? 0x50 : v)),
      /expected magic "ENN1"/,
    ],
    [
      "future version",
      () => {
        const b = good.slice();
        new DataView(b.buffer).setUint32(4, 2, true);
        return b;
      },
      /unsupported version \(expected 1, got 2\)/,
    ],
    [
      "header length past the end",
      () => {
        const b = good.slice();
        new DataView(b.buffer).setUint32(8, b.length, true);
        return b;
      },
      /header: length \d+ runs past the end of the file/,
    ],
    [
      "invalid UTF-8",
      () => {
        const b = good.slice();
        b[13] = 0xff;
        return b;
      },
      /header: not UTF-8 JSON/,
    ],
    [
      "invalid JSON",
      () => {
        const b = good.slice();
        b[12] = 0x20;
        b[13] = 0x5d;
        return b;
      },
      /header: not UTF-8 JSON/,
    ],
    ["header not an object", () => withHeader(good, () => [1]), /header: expected an object/],
    [
      "truncated weights",
      () => good.subarray(0, good.length - 8),
      /tensors\[1\] "b": .*within the weights section/,
    ],
    [
      "misaligned offset",
      () =>
        withHeader(good, (h) => {
          (h.tensors as { offset: number }[])[1]!.offset = 68;
        }),
      /tensors\[1\] "b": expected a multiple of 16 as offset.*got 68/,
    ],
    [
      "length vs shape·dtype",
      () =>
        withHeader(good, (h) => {
          (h.tensors as { length: number }[])[1]!.length = 12;
        }),
      /and 16 as length.*got 64 and 12/,
    ],
    [
      "negative dim",
      () =>
        withHeader(good, (h) => {
          (h.tensors as { shape: number[] }[])[1]!.shape = [-4];
        }),
      /tensors\[1\] "b"\.shape: dim 0 must be an integer ≥ 1, got -4/,
    ],
    [
      "non-integer dim",
      () =>
        withHeader(good, (h) => {
          (h.inputs as { shape: number[] }[])[0]!.shape = [1, 2.5];
        }),
      /inputs\[0\] "x"\.shape: dim 1 .*got 2\.5/,
    ],
    [
      "huge dims",
      () =>
        withHeader(good, (h) => {
          (h.inputs as { shape: number[] }[])[0]!.shape = [65536, 65536];
        }),
      /has over 2\^31 - 1 elements/,
    ],
    [
      "-1 past the first input dim",
      () =>
        withHeader(good, (h) => {
          (h.inputs as { shape: number[] }[])[0]!.shape = [1, -1];
        }),
      /dim 1 must be/,
    ],
    [
      "unknown dtype",
      () =>
        withHeader(good, (h) => {
          (h.tensors as { dtype: string }[])[0]!.dtype = "float64";
        }),
      /tensors\[0\] "w"\.dtype: expected float32,int32,int8,uint8,bool, got "float64"/,
    ],
    [
      "offset past the file",
      () =>
        withHeader(good, (h) => {
          (h.tensors as { offset: number }[])[0]!.offset = 2 ** 40;
        }),
      /tensors\[0\] "w"/,
    ],
    [
      "bad attribute type",
      () =>
        withHeader(good, (h) => {
          (h.nodes as { attrs: unknown }[])[0]!.attrs = { transB: { x: 1 } };
        }),
      /nodes\[0\]\.attrs\.transB: expected a number/,
    ],
    [
      "dangling input",
      () =>
        withHeader(good, (h) => {
          (h.nodes as { inputs: string[] }[])[0]!.inputs[0] = "nope";
        }),
      /nodes\[0\] "fc" \(gemm\): input "nope" is not defined/,
    ],
    [
      "duplicate producer",
      () =>
        withHeader(good, (h) => {
          (h.nodes as { outputs: string[] }[])[1]!.outputs = ["h"];
        }),
      /tensor "h" is defined twice/,
    ],
    [
      "output never produced",
      () =>
        withHeader(good, (h) => {
          (h.outputs as { name: string }[])[0]!.name = "z";
        }),
      /outputs\[0\]: "z" is produced by no node/,
    ],
    [
      "output listed twice",
      () =>
        withHeader(good, (h) => {
          (h.outputs as unknown[]).push((h.outputs as unknown[])[0]);
        }),
      /outputs\[1\]: "y" is listed twice/,
    ],
    [
      "cycle",
      () =>
        withHeader(good, (h) => {
          const nodes = h.nodes as { inputs: string[] }[];
          nodes[0]!.inputs[0] = "y";
        }),
      /is on a cycle/,
    ],
    [
      "unknown op",
      () =>
        withHeader(good, (h) => {
          (h.nodes as { op: string }[])[1]!.op = "relu7";
        }),
      /nodes\[1\] \(relu7\): unknown ops relu7 \(supported: add,/,
    ],
    [
      "bad quant params",
      () =>
        withHeader(good, (h) => {
          (h.tensors as { quant: unknown }[])[1]!.quant = { scale: [-1], zeroPoint: [0] };
        }),
      /tensors\[1\] "b"\.quant: expected scale > 0/,
    ],
    [
      "name not a string",
      () =>
        withHeader(good, (h) => {
          (h.nodes as { outputs: unknown[] }[])[1]!.outputs = [7];
        }),
      /nodes\[1\]\.outputs: expected a name, got 7/,
    ],
    [
      "nodes not an array",
      () =>
        withHeader(good, (h) => {
          h.nodes = "x";
        }),
      /nodes: expected an array/,
    ],
  ];
  for (const [what, make, re] of cases) {
    it(what, () => {
      const bytes = make();
      let err: unknown;
      try {
        loadModel(bytes);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ModelFormatError);
      expect((err as Error).message).toMatch(/^loadModel: /);
      expect((err as Error).message).toMatch(re);
    });
  }

  it("__proto__ keys stay plain data", () => {
    const b = withHeader(good, (h) => {
      (h.nodes as { attrs: Record<string, unknown> }[])[0]!.attrs = JSON.parse(
        '{"__proto__": 5, "transB": 1}',
      );
    });
    const g = decodeModel(b);
    expect(Object.getPrototypeOf(g.nodes[0]!.attrs)).toBe(Object.prototype);
    expect(Object.hasOwn(g.nodes[0]!.attrs, "__proto__")).toBe(true);
    expect(loadModel(b).outputs[0]!.shape).toEqual([1, 4]);
  });

  it("non-byte arguments are ArgumentErrors; graphs that cannot be saved fail before writing", () => {
    expect(() => decodeModel("ENN1" as unknown as Uint8Array)).toThrow(ArgumentError);
    const bad = {
      ...relu,
      initializers: [
        { ...relu.initializers[0]!, data: new Float32Array(3) },
        relu.initializers[1]!,
      ],
    };
    expect(() => encodeModel(bad)).toThrow(
      /encodeModel: initializers\[0\] "w": data must be a Float32Array\(16\)/,
    );
    expect(() =>
      encodeModel({ ...relu, nodes: [node("relu", ["x"], "y", { a: Number.NaN })] }),
    ).toThrow(/attrs\.a/);
  });
});
