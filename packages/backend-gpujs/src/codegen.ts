/*
 * Kernel sources for gpu.js, generated from one table per family. Every kernel writes a flat output
 * of `n` elements, one thread per element (`this.thread.x`); shapes, strides and offsets are baked in
 * as literals, so a source is specific to its shapes and the backend caches compiled kernels by
 * source. A strided input is read at `offset + Σ coord·stride`, the coords decomposed from the thread
 * index by the (coalesced) output shape, so one generator serves every rank.
 *
 * Sources use the JavaScript subset gpu.js translates: `let`/`const`, `for` loops with literal
 * bounds, `if`, ternaries and `Math.*`. Index arithmetic is exact in float32 below 2^24 elements;
 * `Math.floor((r + 0.5) / s)` keeps the division exact where the GL backends compute in float.
 */
import type {
  BinaryOp,
  Conv2dParams,
  DType,
  Pool2dParams,
  ReduceOp,
  UnaryOp,
} from "@edgenn/tensor";

/** A strided view as a kernel reads it: element `(i…)` is `buffer[offset + Σ i·strides]`. */
export interface View {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

/** Row-major strides of `shape`. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/**
 * Merges adjacent dims that every view walks as one (stride[j] = stride[j+1]·shape[j+1] for all)
 * and drops size-1 dims; returns the shorter shape and each view's strides for it.
 */
export function coalesce(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d]!;
    if (n === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k]![last] === s[d]! * n)) {
      outShape[last]! *= n;
      strides.forEach((s, k) => {
        outStrides[k]![last] = s[d]!;
      });
    } else {
      outShape.push(n);
      strides.forEach((s, k) => {
        outStrides[k]!.push(s[d]!);
      });
    }
  }
  return { shape: outShape, strides: outStrides };
}

/** Lines declaring `const ${p}0 … ${p}{r-1}` = the coords of index `from` in row-major `shape`. */
export function decompose(from: string, shape: readonly number[], p: string): string[] {
  if (shape.length === 0) return [];
  if (shape.length === 1) return [`const ${p}0 = ${from};`];
  const cs = contiguousStrides(shape);
  const lines = [`let ${p}r = ${from};`];
  for (let d = 0; d < shape.length - 1; d++) {
    lines.push(`const ${p}${d} = Math.floor((${p}r + 0.5) / ${cs[d]});`);
    lines.push(`${p}r = ${p}r - ${p}${d} * ${cs[d]};`);
  }
  lines.push(`const ${p}${shape.length - 1} = ${p}r;`);
  return lines;
}

/** `offset + Σ coord_d·strides[d]` over the coords named `${p}d`. */
export function indexExpr(offset: number, strides: readonly number[], p: string): string {
  const terms = [String(offset)];
  strides.forEach((s, d) => {
    if (s !== 0) terms.push(s === 1 ? `${p}${d}` : `${p}${d} * ${s}`);
  });
  return terms.join(" + ");
}

function fn(args: readonly string[], body: readonly string[]): string {
  return `function(${args.join(", ")}) {\n  ${body.join("\n  ")}\n}`;
}

// ---------------------------------------------------------------------------------------------
// Elementwise family: unary, binary, where, cast, copy. Each entry is statements setting `y`.

/** unary: statements from `x` to `y`; `int` replaces it for integer dtypes where they differ. */
export const UNARY: { readonly [K in UnaryOp]: string } = {
  neg: "y = -x;",
  abs: "y = Math.abs(x);",
  exp: "y = Math.exp(x);",
  log: "y = Math.log(x);",
  sqrt: "y = Math.sqrt(x);",
  square: "y = x * x;",
  sign: "y = x > 0 ? 1.0 : (x < 0 ? -1.0 : x);",
  // NaN passes through, as on the CPU: NaN < 0 is false
  relu: "y = x < 0 ? 0.0 : x;",
  // stable logistic: e = e^-|x| ≤ 1 never overflows
  sigmoid: "const e = Math.exp(-Math.abs(x));\n  y = x >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);",
  tanh: "y = Math.tanh(x);",
  // softplus(x) = max(x, 0) + log1p(e^-|x|)
  softplus:
    "const u = Math.exp(-Math.abs(x));\n  const v = 1.0 + u;\n  y = Math.max(x, 0.0) + (v == 1.0 ? u : Math.log(v) * u / (v - 1.0));",
  // Abramowitz–Stegun 7.1.26, as the CPU kernel
  erf: "const a = Math.abs(x);\n  const t = 1.0 / (1.0 + 0.3275911 * a);\n  const q = 1.0 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);\n  y = x < 0 ? -q : q;",
  // log1p(x) = log(u)·x/(u − 1), u = 1 + x (Goldberg: exact to float rounding near 0)
  log1p: "const u = 1.0 + x;\n  y = u == 1.0 ? x : Math.log(u) * x / (u - 1.0);",
  // expm1(x) = (u − 1)·x/log(u), u = eˣ (Kahan) for |x| < 0.5
  expm1:
    "const u = Math.exp(x);\n  y = Math.abs(x) >= 0.5 ? u - 1.0 : (u == 1.0 ? x : (u - 1.0) * x / Math.log(u));",
  // round half to even: 0.5 → 0, 1.5 → 2, −2.5 → −2
  round:
    "const f = Math.floor(x);\n  const d = x - f;\n  y = d > 0.5 ? f + 1.0 : (d < 0.5 ? f : (f - 2.0 * Math.floor(f * 0.5) == 0 ? f : f + 1.0));",
  floor: "y = Math.floor(x);",
  ceil: "y = Math.ceil(x);",
  reciprocal: "y = 1.0 / x;",
  not: "y = x != 0 ? 0.0 : 1.0;",
};

/** binary: statements from `a`, `b` to `y`. */
export const BINARY: { readonly [K in BinaryOp]: string } = {
  add: "y = a + b;",
  sub: "y = a - b;",
  mul: "y = a * b;",
  div: "y = a / b;",
  // C/NumPy pow: 1^y = 1 for any y
  pow: "y = a == 1.0 ? 1.0 : Math.pow(a, b);",
  // NaN propagates from either side
  maximum: "y = (a > b || a != a) ? a : b;",
  minimum: "y = (a < b || a != a) ? a : b;",
  equal: "y = a == b ? 1.0 : 0.0;",
  greater: "y = a > b ? 1.0 : 0.0;",
  less: "y = a < b ? 1.0 : 0.0;",
  greaterEqual: "y = a >= b ? 1.0 : 0.0;",
  lessEqual: "y = a <= b ? 1.0 : 0.0;",
  and: "y = (a != 0 && b != 0) ? 1.0 : 0.0;",
  or: "y = (a != 0 || b != 0) ? 1.0 : 0.0;",
};

/**
 * Integer division truncating toward zero, x/0 = 0 (as the CPU's integer store). The float quotient
 * may round onto the next integer, so the remainder r = a − q·b corrects q by one step.
 */
export const INT_DIV = [
  "if (b != 0) {",
  "  const t = a / b;",
  "  let q = t < 0 ? Math.ceil(t) : Math.floor(t);",
  "  const s = (a < 0 ? -1.0 : 1.0) * (b < 0 ? -1.0 : 1.0);",
  "  const r = a - q * b;",
  "  const sa = a < 0 ? -1.0 : 1.0;",
  "  const sr = r < 0 ? -1.0 : 1.0;",
  "  if (r != 0 && sr != sa) { q = q - s; }",
  "  if (Math.abs(a - q * b) >= Math.abs(b)) { q = q + s; }",
  "  y = q;",
  "}",
].join("\n  ");

/** Statements wrapping `y` into an 8-bit integer dtype (the CPU's typed-array store wraps). */
export function wrapInt(dtype: DType): string {
  if (dtype === "int8") return "y = y - 256.0 * Math.floor((y + 128.0) / 256.0);";
  if (dtype === "uint8") return "y = y - 256.0 * Math.floor(y / 256.0);";
  return "";
}

/** Statements converting `x` to `y` of dtype `to`: truncate and saturate for ints, `x != 0` for bool. */
export function castBody(to: DType, lo: number, hi: number): string {
  if (to === "float32") return "y = x;";
  if (to === "bool") return "y = x != 0 ? 1.0 : 0.0;";
  return `const v = x < 0 ? Math.ceil(x) : Math.floor(x);\n  y = v < ${lo} ? ${lo}.0 : (v > ${hi} ? ${hi}.0 : (v == v ? v : 0.0));`;
}

/**
 * An elementwise kernel over `shape`: input k (a view broadcast to `shape`) is loaded into
 * `names[k]`, then `body` sets `y`.
 */
export function mapKernel(
  shape: readonly number[],
  inputs: readonly View[],
  names: readonly string[],
  body: string,
): string {
  const c = coalesce(
    shape,
    inputs.map((v) => v.strides),
  );
  const lines = ["const i = this.thread.x;", ...decompose("i", c.shape, "d")];
  inputs.forEach((v, k) => {
    lines.push(`const ${names[k]} = in${k}[${indexExpr(v.offset, c.strides[k]!, "d")}];`);
  });
  lines.push("let y = 0.0;", body, "return y;");
  return fn(
    inputs.map((_, k) => `in${k}`),
    lines,
  );
}

/**
 * Copies `x` (shape of `out`) into the strided view `out` of a buffer of `n` elements, keeping the
 * other elements of `old`. Element j is inside the view when j − offset decomposes over the view's
 * strides (taken largest first, nested) with every coord in range and no remainder.
 */
export function copyIntoViewKernel(x: View, out: View): string {
  const dims = out.shape
    .map((n, d) => ({ n, s: out.strides[d]!, xs: x.strides[d]! }))
    .filter((d) => d.n > 1)
    .sort((p, q) => q.s - p.s);
  const lines = [
    "const j = this.thread.x;",
    `let r = j - ${out.offset};`,
    "let ok = r >= 0 ? 1.0 : 0.0;",
    `let src = ${x.offset};`,
  ];
  dims.forEach((d, k) => {
    lines.push(`const c${k} = Math.floor((r + 0.5) / ${d.s});`);
    lines.push(`if (c${k} < 0 || c${k} >= ${d.n}) { ok = 0.0; }`);
    lines.push(`r = r - c${k} * ${d.s};`);
    lines.push(`src = src + c${k} * ${d.xs};`);
  });
  lines.push("if (r != 0) { ok = 0.0; }");
  lines.push(`return ok > 0.5 ? in1[ok > 0.5 ? src : ${x.offset}] : in0[j];`);
  return fn(["in0", "in1"], lines);
}

/** True when `out`'s strides nest (each ≥ the extent of the smaller ones): the view test is exact. */
export function isNestedView(out: View): boolean {
  const dims = out.shape
    .map((n, d) => ({ n, s: out.strides[d]! }))
    .filter((d) => d.n > 1)
    .sort((p, q) => p.s - q.s);
  let extent = 1;
  for (const d of dims) {
    if (d.s < extent) return false;
    extent = d.s * d.n;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Reduction family: one entry per op, an accumulator update over `v` (the element) and `k` (its
// position in the reduced block).

interface ReduceRule {
  readonly init: string;
  readonly step: string;
  readonly result: string;
}

/** reduce: how each op starts (from the first element `v0`), folds `v` at position `k`, and ends. */
export const REDUCE: { readonly [K in ReduceOp]: ReduceRule } = {
  // Kahan-compensated: the float32 sum of K terms errs O(ε), not O(K·ε)
  sum: {
    init: "let acc = v0;\n  let comp = 0.0;",
    step: "const yk = v - comp;\n    const tk = acc + yk;\n    comp = (tk - acc) - yk;\n    acc = tk;",
    result: "acc",
  },
  prod: { init: "let acc = v0;", step: "acc = acc * v;", result: "acc" },
  // NaN wins, as NumPy: once acc is NaN no comparison replaces it
  max: { init: "let acc = v0;", step: "if (v > acc || v != v) { acc = v; }", result: "acc" },
  min: { init: "let acc = v0;", step: "if (v < acc || v != v) { acc = v; }", result: "acc" },
  // first index of the extreme value; the first NaN counts as the extreme
  argmax: {
    init: "let acc = v0;\n  let best = 0.0;",
    step: "if ((v > acc || v != v) && acc == acc) { acc = v; best = k; }",
    result: "best",
  },
  argmin: {
    init: "let acc = v0;\n  let best = 0.0;",
    step: "if ((v < acc || v != v) && acc == acc) { acc = v; best = k; }",
    result: "best",
  },
};

/**
 * Reduces the `axes` of view `x`; output element o is the kept coords in row-major order. An empty
 * reduction yields `empty` (0 for sum, 1 for prod). `post` may transform `y` (integer wrap).
 */
export function reduceKernel(
  op: ReduceOp,
  x: View,
  axes: readonly number[],
  post: string,
  empty: number,
): string {
  const keptShape: number[] = [];
  const keptStrides: number[] = [];
  const redShape: number[] = [];
  const redStrides: number[] = [];
  x.shape.forEach((n, d) => {
    if (axes.includes(d)) {
      redShape.push(n);
      redStrides.push(x.strides[d]!);
    } else {
      keptShape.push(n);
      keptStrides.push(x.strides[d]!);
    }
  });
  const count = redShape.reduce((p, n) => p * n, 1);
  if (count === 0) return fn(["in0"], [`return ${empty}.0 + in0[0] * 0.0;`]);
  const kept = coalesce(keptShape, [keptStrides]);
  const isArg = op === "argmax" || op === "argmin";
  const red = isArg ? { shape: redShape, strides: [redStrides] } : coalesce(redShape, [redStrides]);
  const rule = REDUCE[op];
  const lines = [
    "const i = this.thread.x;",
    ...decompose("i", kept.shape, "d"),
    `const base = ${indexExpr(x.offset, kept.strides[0]!, "d")};`,
    "const v0 = in0[base];",
    rule.init,
    `for (let k = 1; k < ${count}; k++) {`,
    ...decompose("k", red.shape, "e").map((l) => `  ${l}`),
    `  const v = in0[base + ${indexExpr(0, red.strides[0]!, "e")}];`,
    `  ${rule.step}`,
    "}",
    `let y = ${rule.result};`,
    post,
    "return y;",
  ];
  return fn(["in0"], lines);
}

// ---------------------------------------------------------------------------------------------
// Matrix, gather and scatter family.

/** out[b, m, n] = Σ_k a[b, m, k]·b[b, k, n]; `a` is `[B,M,K]`, `b` `[B,K,N]`, any strides. */
export function matmulKernel(a: View, b: View, m: number, k: number, n: number): string {
  const [a0, a1, a2] = a.strides as [number, number, number];
  const [b0, b1, b2] = b.strides as [number, number, number];
  return fn(
    ["in0", "in1"],
    [
      "const i = this.thread.x;",
      ...decompose("i", [a.shape[0]!, m, n], "d"),
      `let ia = ${a.offset} + d0 * ${a0} + d1 * ${a1};`,
      `let ib = ${b.offset} + d0 * ${b0} + d2 * ${b2};`,
      "let s = 0.0;",
      // stepping the indices beats recomputing them (about 2× in webasm)
      `for (let k = 0; k < ${k}; k++) {`,
      "  s = s + in0[ia] * in1[ib];",
      `  ia = ia + ${a2};`,
      `  ib = ib + ${b1};`,
      "}",
      "return s;",
    ],
  );
}

/** out[o, j, i] = x[o, idx[j], i]; `x` contiguous from `xOff`, `idx` contiguous from `iOff`. */
export function gatherKernel(
  xOff: number,
  iOff: number,
  outer: number,
  axisLen: number,
  count: number,
  inner: number,
): string {
  return fn(
    ["in0", "in1"],
    [
      "const i = this.thread.x;",
      ...decompose("i", [outer, count, inner], "d"),
      `const t = in1[${iOff} + d1];`,
      `return in0[${xOff} + d0 * ${axisLen * inner} + t * ${inner} + d2];`,
    ],
  );
}

/** out[o, a, i] = old[o, a, i] + Σ_{j: idx[j] = a} dy[o, j, i]. */
export function scatterAddKernel(
  dyOff: number,
  iOff: number,
  outer: number,
  axisLen: number,
  count: number,
  inner: number,
): string {
  return fn(
    ["in0", "in1", "in2"],
    [
      "const i = this.thread.x;",
      ...decompose("i", [outer, axisLen, inner], "d"),
      "let s = in0[i];",
      `for (let j = 0; j < ${count}; j++) {`,
      `  if (in2[${iOff} + j] == d1) { s = s + in1[${dyOff} + d0 * ${count * inner} + j * ${inner} + d2]; }`,
      "}",
      "return s;",
    ],
  );
}

// ---------------------------------------------------------------------------------------------
// Convolution and pooling family (NCHW). Sizes: x [N, C, H, W], w [O, C/g, kH, kW], y [N, O, oH, oW].

/** Conv sizes. */
export interface ConvDims {
  readonly n: number;
  readonly c: number;
  readonly h: number;
  readonly w: number;
  readonly o: number;
  readonly oh: number;
  readonly ow: number;
  readonly kh: number;
  readonly kw: number;
}

const ACTIVATION: Record<string, string> = {
  none: "",
  relu: "s = Math.max(s, 0.0);",
  relu6: "s = Math.min(Math.max(s, 0.0), 6.0);",
};

function at(v: View, c: readonly string[]): string {
  return `${v.offset} + ${c.map((e, d) => `(${e}) * ${v.strides[d]}`).join(" + ")}`;
}

/** y[n, o, oh, ow] = act(b[o] + Σ_{c, kh, kw} x[n, g·C/g + c, ih, iw]·w[o, c, kh, kw]). */
export function conv2dKernel(
  x: View,
  w: View,
  bias: View | null,
  d: ConvDims,
  p: Conv2dParams,
  act: string,
): string {
  const cpg = d.c / p.groups;
  const opg = d.o / p.groups;
  const args = bias ? ["in0", "in1", "in2"] : ["in0", "in1"];
  return fn(args, [
    "const i = this.thread.x;",
    ...decompose("i", [d.n, d.o, d.oh, d.ow], "d"),
    `const g = Math.floor((d1 + 0.5) / ${opg});`,
    bias ? `let s = in2[${bias.offset} + d1 * ${bias.strides[0]}];` : "let s = 0.0;",
    `for (let c = 0; c < ${cpg}; c++) {`,
    `  for (let kh = 0; kh < ${d.kh}; kh++) {`,
    `    const ih = d2 * ${p.strideH} - ${p.padTop} + kh * ${p.dilationH};`,
    `    for (let kw = 0; kw < ${d.kw}; kw++) {`,
    `      const iw = d3 * ${p.strideW} - ${p.padLeft} + kw * ${p.dilationW};`,
    `      if (ih >= 0 && ih < ${d.h} && iw >= 0 && iw < ${d.w}) {`,
    `        s = s + in0[${at(x, ["d0", `g * ${cpg} + c`, "ih", "iw"])}] * in1[${at(w, ["d1", "c", "kh", "kw"])}];`,
    "      }",
    "    }",
    "  }",
    "}",
    ACTIVATION[act] ?? "",
    "return s;",
  ]);
}

/** dx[n, c, h, w] = Σ over (o in c's group, kh, kw) with oh·sH − pT + kh·dH = h (same in w) of dy·w. */
export function conv2dBackpropInputKernel(dy: View, w: View, d: ConvDims, p: Conv2dParams): string {
  const cpg = d.c / p.groups;
  const opg = d.o / p.groups;
  return fn(
    ["in0", "in1"],
    [
      "const i = this.thread.x;",
      ...decompose("i", [d.n, d.c, d.h, d.w], "d"),
      `const g = Math.floor((d1 + 0.5) / ${cpg});`,
      `const cl = d1 - g * ${cpg};`,
      "let s = 0.0;",
      `for (let kh = 0; kh < ${d.kh}; kh++) {`,
      `  const th = d2 + ${p.padTop} - kh * ${p.dilationH};`,
      `  const oh = Math.floor((th + 0.5) / ${p.strideH});`,
      `  for (let kw = 0; kw < ${d.kw}; kw++) {`,
      `    const tw = d3 + ${p.padLeft} - kw * ${p.dilationW};`,
      `    const ow = Math.floor((tw + 0.5) / ${p.strideW});`,
      `    if (th >= 0 && tw >= 0 && oh * ${p.strideH} == th && ow * ${p.strideW} == tw && oh < ${d.oh} && ow < ${d.ow}) {`,
      `      for (let oc = 0; oc < ${opg}; oc++) {`,
      `        s = s + in0[${at(dy, ["d0", `g * ${opg} + oc`, "oh", "ow"])}] * in1[${at(w, [`g * ${opg} + oc`, "cl", "kh", "kw"])}];`,
      "      }",
      "    }",
      "  }",
      "}",
      "return s;",
    ],
  );
}

/** dw[o, c, kh, kw] = Σ_{n, oh, ow} x[n, g·C/g + c, ih, iw]·dy[n, o, oh, ow]. */
export function conv2dBackpropFilterKernel(
  x: View,
  dy: View,
  d: ConvDims,
  p: Conv2dParams,
): string {
  const cpg = d.c / p.groups;
  const opg = d.o / p.groups;
  return fn(
    ["in0", "in1"],
    [
      "const i = this.thread.x;",
      ...decompose("i", [d.o, cpg, d.kh, d.kw], "d"),
      `const g = Math.floor((d0 + 0.5) / ${opg});`,
      "let s = 0.0;",
      `for (let n = 0; n < ${d.n}; n++) {`,
      `  for (let oh = 0; oh < ${d.oh}; oh++) {`,
      `    const ih = oh * ${p.strideH} - ${p.padTop} + d2 * ${p.dilationH};`,
      `    for (let ow = 0; ow < ${d.ow}; ow++) {`,
      `      const iw = ow * ${p.strideW} - ${p.padLeft} + d3 * ${p.dilationW};`,
      `      if (ih >= 0 && ih < ${d.h} && iw >= 0 && iw < ${d.w}) {`,
      `        s = s + in0[${at(x, ["n", `g * ${cpg} + d1`, "ih", "iw"])}] * in1[${at(dy, ["n", "d0", "oh", "ow"])}];`,
      "      }",
      "    }",
      "  }",
      "}",
      "return s;",
    ],
  );
}

/** Pool sizes: `n·c` planes of `h×w` → `oh×ow`. */
export interface PoolDims {
  readonly n: number;
  readonly c: number;
  readonly h: number;
  readonly w: number;
  readonly oh: number;
  readonly ow: number;
}

/** Lines declaring `${p}lo`, `${p}hi`: the valid tap range of a window starting at `start`. */
function tapRange(p: string, start: string, dil: number, k: number, size: number): string[] {
  return [
    `const ${p}lo = ${start} >= 0 ? 0.0 : Math.ceil((0.0 - ${start}) / ${dil});`,
    `const ${p}hi = Math.min(${k}.0, Math.ceil((${size} - ${start}) / ${dil}));`,
  ];
}

/** Lines computing `m` (max, NaN wins, first tap) or `s`/`cnt` (avg) over window (wh, ww) of plane (pn, pc). */
function windowLines(op: "max" | "avg", x: View, d: PoolDims, p: Pool2dParams): string[] {
  const { kernelH: kH, kernelW: kW, dilationH: dH, dilationW: dW } = p;
  const lines = [
    `const hs = wh * ${p.strideH} - ${p.padTop};`,
    `const ws = ww * ${p.strideW} - ${p.padLeft};`,
    ...tapRange("h", "hs", dH, kH, d.h),
    ...tapRange("w", "ws", dW, kW, d.w),
    "let m = 0.0;",
    "let at = -1.0;",
    "let s = 0.0;",
    `for (let kh = 0; kh < ${kH}; kh++) {`,
    `  for (let kw = 0; kw < ${kW}; kw++) {`,
    "    if (kh >= hlo && kh < hhi && kw >= wlo && kw < whi) {",
    `      const ih = hs + kh * ${dH};`,
    `      const iw = ws + kw * ${dW};`,
    `      const v = in0[${at(x, ["pn", "pc", "ih", "iw"])}];`,
  ];
  if (op === "max") {
    lines.push(
      `      if (v > m || (v != v && m == m) || at < 0) { m = v; at = ih * ${d.w}.0 + iw; }`,
    );
  } else lines.push("      s = s + v;");
  lines.push("    }", "  }", "}");
  const count = p.countIncludePad ? `${kH * kW}.0` : "(hhi - hlo) * (whi - wlo)";
  lines.push(`const cnt = ${count};`);
  return lines;
}

/** y[n, c, oh, ow] = max (NaN wins) or mean of the window's valid taps. */
export function poolKernel(op: "max" | "avg", x: View, d: PoolDims, p: Pool2dParams): string {
  return fn(
    ["in0"],
    [
      "const i = this.thread.x;",
      ...decompose("i", [d.n, d.c, d.oh, d.ow], "d"),
      "const pn = d0;",
      "const pc = d1;",
      "const wh = d2;",
      "const ww = d3;",
      ...windowLines(op, x, d, p),
      op === "max" ? "return m;" : "return s / cnt;",
    ],
  );
}

/**
 * dx[n, c, h, w] = Σ over the windows holding (h, w) as tap (kh, kw) of dy/count (avg) or of dy when
 * (h, w) is the window's first maximum (max; the window's maximum is recomputed per window).
 */
export function poolBackwardKernel(
  op: "max" | "avg",
  x: View,
  dy: View,
  d: PoolDims,
  p: Pool2dParams,
): string {
  const { kernelH: kH, kernelW: kW, dilationH: dH, dilationW: dW } = p;
  const win = windowLines(op, x, d, p).map((l) => `      ${l}`);
  return fn(
    ["in0", "in1"],
    [
      "const i = this.thread.x;",
      ...decompose("i", [d.n, d.c, d.h, d.w], "d"),
      "const pn = d0;",
      "const pc = d1;",
      "let g = 0.0;",
      `for (let th = 0; th < ${kH}; th++) {`,
      `  const eh = d2 + ${p.padTop} - th * ${dH};`,
      `  const wh = Math.floor((eh + 0.5) / ${p.strideH});`,
      `  for (let tw = 0; tw < ${kW}; tw++) {`,
      `    const ew = d3 + ${p.padLeft} - tw * ${dW};`,
      `    const ww = Math.floor((ew + 0.5) / ${p.strideW});`,
      `    if (eh >= 0 && ew >= 0 && wh * ${p.strideH} == eh && ww * ${p.strideW} == ew && wh < ${d.oh} && ww < ${d.ow}) {`,
      ...win,
      `      const gy = in1[${at(dy, ["pn", "pc", "wh", "ww"])}];`,
      op === "max"
        ? `      if (at == d2 * ${d.w}.0 + d3) { g = g + gy; }`
        : "      g = g + gy / cnt;",
      "    }",
      "  }",
      "}",
      "return g;",
    ],
  );
}
