/*
 * ONNX QuantizeLinear / DequantizeLinear (per tensor, int8) through the importer: the constant
 * scale and zero point become the runtime ops' attributes; outputs equal `@edgenn/quant`'s
 * reference quantizer.
 */
import { dequantizeTensor, quantizeTensor } from "@edgenn/quant";
import { ModelFormatError } from "@edgenn/tensor/errors";
import { describe, expect, it } from "vitest";
import type { OutputMap } from "../src/index.js";
import { fromOnnx, onnxToGraph } from "../src/onnx.js";
import { randArray } from "./helpers.js";
import { floatTensor, model, type NodeSpec, nd, T, type TensorSpec } from "./onnx-encoder.js";

const SCALE = Math.fround(0.03);

/** x float [2, 5] → QuantizeLinear → q int8 → DequantizeLinear → y float. */
function qdq(zp: TensorSpec | null, nodes?: NodeSpec[], scale = floatTensor("s", [], [SCALE])) {
  return model({
    inputs: [{ name: "x", dims: [2, 5] }],
    outputs: [
      { name: "q", type: T.INT8, dims: [2, 5] },
      { name: "y", dims: [2, 5] },
    ],
    inits: [scale, ...(zp ? [zp] : [])],
    nodes: nodes ?? [
      nd("QuantizeLinear", ["x", "s", zp ? "z" : ""], "q"),
      nd("DequantizeLinear", ["q", "s", zp ? "z" : ""], "y"),
    ],
  });
}

const int8Zp = (v: number, dims: number[] = []): TensorSpec => ({
  name: "z",
  dims,
  type: T.INT8,
  values: dims.length ? Array(dims[0]).fill(v) : [v],
});

describe("ONNX QuantizeLinear / DequantizeLinear (per tensor)", () => {
  it("import as quantizeLinear / dequantizeLinear with scale and zero point attributes", () => {
    const g = onnxToGraph(qdq(int8Zp(-7)));
    expect(g.nodes.map((n) => [n.op, n.inputs, n.attrs])).toEqual([
      ["quantizeLinear", ["x"], { scale: SCALE, zeroPoint: -7 }],
      ["dequantizeLinear", ["q"], { scale: SCALE, zeroPoint: -7 }],
    ]);
    // the scale and zero point are attributes now: no initializer is left
    expect(g.initializers).toEqual([]);
  });

  it("run equal to the reference quantizer", () => {
    // x/0.03 spans ±33 plus a value beyond the int8 range (saturates)
    const x = randArray(10, 3);
    x[9] = 10;
    const r = fromOnnx(qdq(int8Zp(-7))).run(x) as OutputMap;
    const q = quantizeTensor(x, SCALE, -7);
    expect(Array.from(r.q!.data)).toEqual(Array.from(q));
    expect(r.q!.data[9]).toBe(127);
    expect(Array.from(r.y!.data)).toEqual(Array.from(dequantizeTensor(q, SCALE, -7)));
  });

  it("DequantizeLinear without a zero point reads 0", () => {
    const bytes = model({
      inputs: [{ name: "q", type: T.INT8, dims: [3] }],
      outputs: [{ name: "y", dims: [3] }],
      inits: [floatTensor("s", [1], [0.5])],
      nodes: [nd("DequantizeLinear", ["q", "s"], "y")],
    });
    const y = fromOnnx(bytes).run(new Int8Array([-128, 1, 127]));
    expect(Array.from((y as unknown as { data: Float32Array }).data)).toEqual([-64, 0.5, 63.5]);
  });

  it("reject a uint8 result declared int8, and per-axis scales", () => {
    // without a zero point (or with a uint8 one) ONNX QuantizeLinear outputs uint8, not the
    // declared int8 (uint8 models: onnx-integer.test.ts)
    expect(() => onnxToGraph(qdq(null))).toThrow(ModelFormatError);
    expect(() => onnxToGraph(qdq(null))).toThrow(
      /output 0 "q": is declared int8 but computed as uint8/,
    );
    const u8: TensorSpec = { name: "z", dims: [], type: T.UINT8, values: [3] };
    expect(() => onnxToGraph(qdq(u8))).toThrow(/is declared int8 but computed as uint8/);
    expect(() => onnxToGraph(qdq(int8Zp(0), undefined, floatTensor("s", [2], [0.1, 0.2])))).toThrow(
      /per-tensor/,
    );
    // a scale that is not a constant
    const bytes = model({
      inputs: [
        { name: "x", dims: [2] },
        { name: "s", dims: [1] },
      ],
      outputs: [{ name: "q", type: T.INT8, dims: [2] }],
      inits: [int8Zp(0)],
      nodes: [nd("QuantizeLinear", ["x", "s", "z"], "q")],
    });
    expect(() => onnxToGraph(bytes)).toThrow(/constant float32 scale/);
    // a zero scale passes the importer and fails in the loader
    expect(() => fromOnnx(qdq(int8Zp(0), undefined, floatTensor("s", [], [0])))).toThrow(
      /scale must be a finite number > 0/,
    );
  });
});
