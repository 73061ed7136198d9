/*
 * The int8 ops (TFLite arithmetic, bit-exact with `@edgenn/quant`'s reference): every
 * quantization parameter is a node attribute — activations int8 asymmetric per tensor
 * (real = scale·(q − zeroPoint)), weights int8 symmetric per output channel (zero point 0),
 * bias int32 at scale xScale·wScale[c]. Each op checks its attributes (scales finite and > 0,
 * zero points integers in [−128, 127], one weight scale per output channel, weight/bias dtypes,
 * K ≤ INT8_MAX_K), then at prepare builds the kernel's plan (packed weights, Q31 multipliers and
 * shifts, folded zero points) once; the step only calls the run kernel.
 */
import {
  addQ8,
  avgPool2dQ8,
  conv2dQ8,
  INT8_MAX_K,
  linearQ8,
  maxPool2dQ8,
  prepareAddQ8,
  prepareConv2dQ8,
  prepareLinearQ8,
  preparePool2dQ8,
  prepareRequantQ8,
  quantizeMultiplier,
  requantizeQ8,
  roundHalfEven,
} from "@edgenn/tensor/kernels";
import { bad, type Ctx, f32, input, ints, num, type OpDef, str, type Val } from "./op-helpers.js";
import { window2d } from "./ops-nn.js";
import { own, show } from "./validate.js";

type I8 = Int8Array;

/** Input `i` (required), which must be int8. */
function i8(c: Ctx, i: number): Val {
  const v = input(c, i);
  if (v.dtype !== "int8") bad(c, `input ${i} "${v.name}" must be int8, got ${v.dtype}`);
  return v;
}

/** A required scale attribute: a finite number > 0. */
function scale(c: Ctx, name: string): number {
  const v = own(c.node.attrs, name);
  if (!(typeof v === "number" && v > 0 && v < Number.POSITIVE_INFINITY)) {
    bad(c, `attribute ${name} must be a finite number > 0, got ${show(v)}`);
  }
  return v;
}

/** A zero-point attribute (default 0): an integer in [−128, 127]. */
function zeroPoint(c: Ctx, name: string): number {
  return num(c, name, 0, true, -128, 127);
}

/** q(x) = clamp(roundHalfEven(float32(x/scale)) + zeroPoint, −128, 127), as ONNX QuantizeLinear. */
function quantize(x: number, s: number, zp: number): number {
  const q = roundHalfEven(Math.fround(x / s)) + zp;
  return Math.min(Math.max(q, -128), 127);
}

/**
 * The clamp of the fused activation (attribute `activation`: none, relu, relu6) in the output's
 * quantized domain: none [−128, 127], relu [q(0), 127], relu6 [q(0), q(6)].
 */
function actRange(c: Ctx, s: number, zp: number): [number, number] {
  const act = str(c, "activation", ["none", "relu", "relu6"]);
  if (act === "none") return [-128, 127];
  return [zp, act === "relu6" ? quantize(6, s, zp) : 127];
}

/**
 * Checks the quantization a value's tensor-table entry declares (if any) against the node's
 * attributes: one scale (per tensor) or one per channel, each equal to the expected one up to
 * float32 rounding, and the zero points equal.
 */
function consistent(c: Ctx, v: Val | undefined, scales: number[], zp: number): void {
  const q = v?.quant;
  if (!q) return;
  const n = q.scale.length;
  const isOk =
    (n === 1 || (n === scales.length && !q.axis)) &&
    scales.every((s, j) => Math.abs(q.scale[n === 1 ? 0 : j]! - s) <= s * 2 ** -23) &&
    q.zeroPoint.every((z) => z === zp);
  if (!isOk) {
    bad(
      c,
      `the quant of "${v!.name}" disagrees with the attributes (expected scale ${show(scales)}, zeroPoint ${zp}, got ${show(q)})`,
    );
  }
}

/** Runs a kernel's prepare, turning its ArgumentError/ShapeError into a ModelFormatError. */
function planned<T>(c: Ctx, make: () => T): T {
  try {
    return make();
  } catch (e) {
    return bad(c, (e as Error).message);
  }
}

/**
 * The int8 weights (input 1, an initializer [outC, …]) and optional int32 bias (input 2, an
 * initializer [outC]) of qlinearGemm/qlinearConv, with the attributes of the requantization:
 * multiplier_c = xScale·wScale_c / yScale (Q31 and shift), output zero point and clamp.
 */
function weighted(c: Ctx) {
  const W = input(c, 1);
  const B = c.ins[2];
  if (W.dtype !== "int8" || !(W.data instanceof Int8Array))
    bad(c, `weights (input 1) "${W.name}" must be an int8 initializer, got ${W.dtype}`);
  const outC = W.shape[0]!;
  if (B && (B.dtype !== "int32" || !(B.data instanceof Int32Array)))
    bad(c, `bias (input 2) "${B.name}" must be an int32 initializer, got ${B.dtype}`);
  if (B && (B.shape.length !== 1 || B.shape[0] !== outC))
    bad(c, `bias must be [${outC}], got [${B.shape}]`);
  const xScale = scale(c, "xScale");
  const xZeroPoint = zeroPoint(c, "xZeroPoint");
  const yScale = scale(c, "yScale");
  const yZeroPoint = zeroPoint(c, "yZeroPoint");
  const ws = own(c.node.attrs, "wScales");
  if (
    !Array.isArray(ws) ||
    ws.length !== outC ||
    !ws.every((s) => typeof s === "number" && s > 0 && s < Number.POSITIVE_INFINITY)
  ) {
    bad(
      c,
      `attribute wScales must be ${outC} finite numbers > 0 (one per output channel), got ${show(ws)}`,
    );
  }
  consistent(c, input(c, 0), [xScale], xZeroPoint);
  consistent(c, W, ws as number[], 0);
  consistent(
    c,
    B,
    (ws as number[]).map((s) => xScale * s),
    0,
  );
  const [actMin, actMax] = actRange(c, yScale, yZeroPoint);
  const multipliers = new Int32Array(outC);
  const shifts = new Int32Array(outC);
  (ws as number[]).forEach((s, j) => {
    const m = planned(c, () => quantizeMultiplier((xScale * s) / yScale));
    if (m.shift > 31)
      bad(c, `xScale·wScales[${j}]/yScale must be below 2^31, got shift ${m.shift}`);
    multipliers[j] = m.multiplier;
    shifts[j] = m.shift;
  });
  c.bytes += 8 * outC + 64;
  return {
    w: W.data as I8,
    bias: B ? (B.data as Int32Array) : null,
    outC,
    xZeroPoint,
    rq: { multipliers, shifts, outZeroPoint: yZeroPoint, actMin, actMax },
  };
}

/** Bytes a prepared GEMM plan holds: 4 per weight (packed pairs, panels of 16) + 32 per channel. */
function packedBytes(outC: number, k: number): number {
  return Math.ceil(outC / 16) * 16 * k * 4 + 32 * outC;
}

function checkK(c: Ctx, k: number): void {
  if (k > INT8_MAX_K)
    bad(c, `accumulation depth K = ${k} exceeds INT8_MAX_K = ${INT8_MAX_K} (int32 accumulator)`);
}

/** quantizeLinear: q = clamp(roundHalfEven(x/scale) + zeroPoint, −128, 127); NaN → zeroPoint. */
export const quantizeLinear: OpDef = (c) => {
  const x = f32(c, 0);
  const s = scale(c, "scale");
  const zp = zeroPoint(c, "zeroPoint");
  return [
    "int8",
    x.shape,
    (y) => {
      const xa = x.arr as Float32Array;
      const ya = y.arr as I8;
      const { off, size } = x;
      const yo = y.off;
      return () => {
        for (let i = 0; i < size; i++) {
          const v = xa[off + i]!;
          ya[yo + i] = v === v ? quantize(v, s, zp) : zp;
        }
      };
    },
  ];
};

/** dequantizeLinear: x = scale·(q − zeroPoint), rounded to float32. */
export const dequantizeLinear: OpDef = (c) => {
  const q = i8(c, 0);
  const s = scale(c, "scale");
  const zp = zeroPoint(c, "zeroPoint");
  return [
    "float32",
    q.shape,
    (y) => {
      const qa = q.arr as I8;
      const ya = y.arr as Float32Array;
      const { off, size } = q;
      const yo = y.off;
      return () => {
        for (let i = 0; i < size; i++) ya[yo + i] = s * (qa[off + i]! - zp);
      };
    },
  ];
};

/**
 * An int8 GEMM on weights packed once at load (the WebAssembly int8 kernel of
 * `@edgenn/tensor/kernels`, passed in by the `simdOps` op set so the core int8 set stays small).
 */
export interface PackedGemmQ8<P> {
  /** Packs W (N×K, row j at `wOff + j·ldw`). */
  pack(w: Int8Array, wOff: number, n: number, k: number, ldw: number): P;
  /** acc (M×N, from accOff) = Σₚ W[j, p]·(x[i, p] − xZeroPoint). */
  run(
    m: number,
    pw: P,
    x: Int8Array,
    xOff: number,
    ldx: number,
    xZeroPoint: number,
    acc: Int32Array,
    accOff: number,
    ldc: number,
  ): void;
  /** Frees packed weights (called once the session is garbage). */
  release(pw: P): void;
}

/**
 * qlinearGemm: y[i, j] = clamp(yZp + MBQM(Σₚ w[j, p]·(x[i, p] − xZp) + bias[j], M_j), act) for x
 * int8 [N, K], w int8 [M, K], bias int32 [M] (optional).
 * With `packed`, the int32 accumulators come from that kernel and `requantizeQ8` finishes them
 * (bit-exact with `linearQ8`).
 */
export function qlinearGemmOp<P>(packed?: PackedGemmQ8<P>): OpDef {
  const registry = packed && new FinalizationRegistry<P>((pw) => packed.release(pw));
  return (c) => {
    const X = i8(c, 0);
    const W = input(c, 1);
    if (X.shape.length !== 2 || W.shape.length !== 2)
      bad(c, `input and weights must be 2-D, got [${X.shape}] and [${W.shape}]`);
    const p = weighted(c);
    const [m, k] = X.shape as [number, number];
    if (W.shape[1] !== k) bad(c, `weights [${W.shape}] do not fit input [${X.shape}] (K = ${k})`);
    checkK(c, k);
    // the TypeScript kernel's packed weights, or the int32 accumulators beside the wasm-packed ones
    c.bytes += packed ? 4 * m * p.outC + 2 * p.outC * k : packedBytes(p.outC, k);
    return [
      "int8",
      [m, p.outC],
      (y) => {
        const xa = X.arr as I8;
        const ya = y.arr as I8;
        if (!packed) {
          const plan = planned(c, () =>
            prepareLinearQ8(p.w, 0, p.outC, k, p.bias, 0, p.xZeroPoint, p.rq),
          );
          return () => linearQ8(plan, m, xa, X.off, ya, y.off);
        }
        // only the bias and requantization: the weights live packed in the wasm memory
        const plan = planned(c, () => prepareRequantQ8(p.outC, p.bias, 0, p.rq));
        const pw = packed.pack(p.w, 0, p.outC, k, k);
        const acc = new Int32Array(m * p.outC);
        const step = () => {
          packed.run(m, pw, xa, X.off, k, p.xZeroPoint, acc, 0, p.outC);
          requantizeQ8(plan, m, acc, 0, ya, y.off);
        };
        registry!.register(step, pw);
        return step;
      },
    ];
  };
}

/** qlinearGemm on the TypeScript int8 kernel (the `int8Ops` op). */
export const qlinearGemm: OpDef = /* @__PURE__ */ qlinearGemmOp();

/**
 * qlinearConv (NCHW): y = clamp(yZp + MBQM(Σ w·(x − xZp) + bias, M_oc), act) per output channel,
 * weights int8 [outC, inC/group, kH, kW], bias int32 [outC] (optional); padding reads as real 0.
 */
export const qlinearConv: OpDef = (c) => {
  const X = i8(c, 0);
  const W = input(c, 1);
  const x = X.shape;
  const wsh = W.shape;
  if (x.length !== 4 || wsh.length !== 4)
    bad(c, `input and weights must be 4-D, got [${x}], [${wsh}]`);
  const p = weighted(c);
  const [batch, inC, inH, inW] = x as [number, number, number, number];
  const [outC, cg, kH, kW] = wsh as [number, number, number, number];
  const g = num(c, "group", 1, true, 1, inC);
  if (inC % g || outC % g || cg !== inC / g)
    bad(c, `weights [${wsh}] do not fit ${inC} input channels in ${g} groups`);
  const ks = ints(c, "kernel_shape", [kH, kW], 2)!;
  if (ks[0] !== kH || ks[1] !== kW)
    bad(c, `kernel_shape [${ks}] differs from the weights' [${kH},${kW}]`);
  const kk = cg * kH * kW;
  checkK(c, kk);
  const { s, d, p: pads, out } = window2d(c, inH, inW, [kH, kW]);
  const [outH, outW] = out;
  // packed weights, and the shared im2col chunk (about 256 output positions, whole rows)
  c.bytes += packedBytes(outC, kk) + kk * Math.min(outH * outW, Math.max(256, outW));
  return [
    "int8",
    [batch, outC, outH, outW],
    (y) => {
      const dims = { batch, inC, inH, inW, outC, outH, outW, kernelH: kH, kernelW: kW };
      const params = {
        strideH: s[0]!,
        strideW: s[1]!,
        padTop: pads[0]!,
        padLeft: pads[1]!,
        dilationH: d[0]!,
        dilationW: d[1]!,
        groups: g,
      };
      const plan = planned(c, () =>
        prepareConv2dQ8(p.w, 0, p.bias, 0, dims, params, p.xZeroPoint, p.rq),
      );
      const xa = X.arr as I8;
      const ya = y.arr as I8;
      return () => conv2dQ8(plan, batch, xa, X.off, ya, y.off);
    },
  ];
};

/**
 * qmaxPool2d / qavgPool2d (NCHW): the float pools' attributes; the output keeps the input's scale
 * and zero point (qavgPool2d: attribute zeroPoint, the value of a padding tap with
 * count_include_pad); the mean rounds half away from zero.
 */
export function qpool(isMax: boolean): OpDef {
  return (c) => {
    const X = i8(c, 0);
    const x = X.shape;
    if (x.length !== 4) bad(c, `input must be 4-D (NCHW), got [${x}]`);
    const k = ints(c, "kernel_shape", undefined, 2, 1);
    if (!k) bad(c, "attribute kernel_shape is required");
    const ceil = num(c, "ceil_mode", 0, true, 0, 1);
    const inclPad = num(c, "count_include_pad", 0, true, 0, 1);
    const zp = zeroPoint(c, "zeroPoint");
    const { s, d, p, out } = window2d(c, x[2]!, x[3]!, k, ceil);
    const [outH, outW] = out;
    const planes = x[0]! * x[1]!;
    c.bytes += 8 * (outH + outW) + 64;
    return [
      "int8",
      [x[0]!, x[1]!, outH, outW],
      (y) => {
        const plan = planned(c, () =>
          preparePool2dQ8(
            { planes, inH: x[2]!, inW: x[3]!, outH, outW },
            {
              kernelH: k[0]!,
              kernelW: k[1]!,
              strideH: s[0]!,
              strideW: s[1]!,
              padTop: p[0]!,
              padLeft: p[1]!,
              dilationH: d[0]!,
              dilationW: d[1]!,
              countIncludePad: inclPad === 1,
            },
            zp,
            -128,
            127,
          ),
        );
        const xa = X.arr as I8;
        const ya = y.arr as I8;
        return isMax
          ? () => maxPool2dQ8(plan, planes, xa, X.off, ya, y.off)
          : () => avgPool2dQ8(plan, planes, xa, X.off, ya, y.off);
      },
    ];
  };
}

/**
 * qadd: y = clamp(yZp + (aScale·(a − aZp) + bScale·(b − bZp))/yScale, act) with TFLite's int8 Add
 * arithmetic; a and b of the same shape.
 */
export const qadd: OpDef = (c) => {
  const A = i8(c, 0);
  const B = i8(c, 1);
  if (`${A.shape}` !== `${B.shape}`)
    bad(c, `inputs must have the same shape, got [${A.shape}] and [${B.shape}]`);
  const as = scale(c, "aScale");
  const az = zeroPoint(c, "aZeroPoint");
  const bs = scale(c, "bScale");
  const bz = zeroPoint(c, "bZeroPoint");
  const ys = scale(c, "yScale");
  const yz = zeroPoint(c, "yZeroPoint");
  const [lo, hi] = actRange(c, ys, yz);
  const plan = planned(c, () => prepareAddQ8(as, az, bs, bz, ys, yz, lo, hi));
  c.bytes += 2 * 1024 + 128;
  return [
    "int8",
    A.shape,
    (y) => {
      const aa = A.arr as I8;
      const ba = B.arr as I8;
      const ya = y.arr as I8;
      const n = A.size;
      return () => addQ8(plan, n, aa, A.off, ba, B.off, ya, y.off);
    },
  ];
};
