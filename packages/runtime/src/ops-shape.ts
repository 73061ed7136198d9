/*
 * Data movement and reductions. reshape, flatten, identity and dropout produce no data: their
 * output is planned as an alias of the input's memory. transpose and concat are prepared strided
 * walks (concat: one per input, into its sub-block of the output); sum/mean/max/min and
 * globalAvgPool2d reduce through index tables built at prepare.
 */
import {
  axis,
  bad,
  type Ctx,
  constant,
  f32,
  input,
  ints,
  num,
  type OpDef,
  prod,
  strides,
} from "./op-helpers.js";
import { walk } from "./ops-elementwise.js";

const NOTHING = (): void => {};

/** An op whose output is its input's memory under another shape. */
function alias(shape: (c: Ctx, s: readonly number[]) => readonly number[]): OpDef {
  return (c) => {
    const x = input(c, 0);
    const s = shape(c, x.shape);
    if (prod(s) !== x.size) bad(c, `cannot view [${x.shape}] as [${s}]`);
    c.alias = true;
    return [x.dtype, s, () => NOTHING];
  };
}

/** identity and dropout (at inference, the identity). */
export const identity: OpDef = alias((_, s) => s);

/** flatten(x, axis = 1): [∏ dims before axis, ∏ dims from axis]. */
export const flatten: OpDef = alias((c, s) => {
  let a = num(c, "axis", 1, true, -s.length, s.length);
  if (a < 0) a += s.length;
  return [prod(s, 0, a), prod(s, a)];
});

/** Constant int32 input 1 (reshape's shape, a reduction's axes) or else attribute `name`. */
function intsInput(c: Ctx, name: string): number[] | undefined {
  if (!c.ins[1]) return ints(c, name, undefined);
  const d = constant(c, 1);
  if (!(d instanceof Int32Array)) bad(c, `${name} (input 1) must be int32`);
  return Array.from(d);
}

/**
 * reshape: the target from constant input 1 (int32) or attribute `shape`; 0 copies a dim, one −1 is
 * inferred.
 */
export const reshape: OpDef = alias((c, s) => {
  const t = intsInput(c, "shape");
  if (!t) bad(c, "needs the shape as input 1 or attribute shape");
  if (num(c, "allowzero", 0, true, 0, 1) && t.includes(0))
    bad(c, "zero-size dims are not supported");
  const out = t.map((v, i) => (v === 0 ? (s[i] ?? -2) : v));
  const free = out.indexOf(-1);
  const rest = -prod(out);
  if (out.some((v, i) => v < -1 || (v === -1 && i !== free)) || (free >= 0 && prod(s) % rest)) {
    bad(c, `invalid target shape [${t}] for input [${s}]`);
  }
  if (free >= 0) out[free] = prod(s) / rest;
  return out;
});

/** transpose(x, perm = reversed dims): y[i₀…] = x[i permuted by perm]. */
export const transpose: OpDef = (c) => {
  const x = input(c, 0);
  const r = x.shape.length;
  const perm = ints(
    c,
    "perm",
    x.shape.map((_, i) => r - 1 - i),
    r,
    0,
    r - 1,
  )!;
  if (new Set(perm).size !== r) bad(c, `perm [${perm}] is not a permutation of 0…${r - 1}`);
  const xs = strides(x.shape);
  const shape = perm.map((p) => x.shape[p]!);
  const read = perm.map((p) => xs[p]!);
  c.bytes += 24 * r;
  // "copy" ignores its second operand: x again
  return [x.dtype, shape, (y) => walk("copy", shape, [x, read], [x, read], [y, strides(shape)])];
};

/** concat(xs, axis): inputs equal in dtype, rank and every dim but `axis`. */
export const concat: OpDef = (c) => {
  const xs = c.ins.map((_, i) => input(c, i));
  const x0 = xs[0]!;
  const ax = axis(c, num(c, "axis", Number.NaN, true), x0.shape.length);
  const out = x0.shape.slice();
  xs.forEach((x, i) => {
    if (
      x.dtype !== x0.dtype ||
      x.shape.length !== out.length ||
      x.shape.some((d, j) => j !== ax && d !== out[j])
    ) {
      bad(c, `input ${i} ${x.dtype} [${x.shape}] does not fit input 0 ${x0.dtype} [${x0.shape}]`);
    }
    if (i) out[ax]! += x.shape[ax]!;
  });
  c.bytes += 24 * out.length * xs.length;
  return [
    x0.dtype,
    out,
    (y) => {
      // input i is copied into the output's block that starts at index `at` along the axis
      let at = 0;
      const s = strides(out);
      const steps = xs.map((x) => {
        const xst = strides(x.shape);
        const w = walk("copy", x.shape, [x, xst], [x, xst], [y, s, at * s[ax]!]);
        at += x.shape[ax]!;
        return w;
      });
      return () => {
        for (let i = 0; i < steps.length; i++) steps[i]!();
      };
    },
  ];
};

/**
 * sum / mean / max / min over `axes` (attribute or constant int32 input 1; all when empty),
 * keepdims = 1; `global`: globalAvgPool2d, the mean of each [N, C] plane over every spatial dim,
 * output [N, C, 1, …]. One walk over x accumulates into y, which it reads with stride 0 along the
 * reduced axes (max/min: NaN wins, as NumPy); mean then divides.
 */
export function reduce(op: "sum" | "mean" | "max" | "min", global = false): OpDef {
  return (c) => {
    const x = f32(c, 0);
    const r = x.shape.length;
    let axes = x.shape.map((_, i) => i);
    if (global) {
      if (r < 3) bad(c, `input must be at least 3-D, got [${x.shape}]`);
      axes = axes.slice(2);
    } else {
      const given = intsInput(c, "axes") ?? [];
      if (given[0] !== undefined || num(c, "noop_with_empty_axes", 0, true, 0, 1))
        axes = given.map((a) => axis(c, a, r, "axes entry"));
      if (new Set(axes).size < axes.length) bad(c, `axes [${axes}] repeat an axis`);
    }
    const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const n = x.size / prod(kept);
    c.bytes += 72;
    return [
      "float32",
      global || num(c, "keepdims", 1, true, 0, 1)
        ? kept
        : x.shape.filter((_, i) => !axes.includes(i)),
      (y) => {
        const ys = strides(kept).map((s, i) => (axes.includes(i) ? 0 : s));
        const acc = walk(
          op === "max" || op === "min" ? op : "add",
          x.shape,
          [y, ys],
          [x, strides(x.shape)],
          [y, ys],
        );
        const { arr, off, size } = y;
        const init = op === "max" ? -Infinity : op === "min" ? Infinity : 0;
        return () => {
          arr.fill(init, off, off + size);
          acc();
          for (let i = off; op === "mean" && i < off + size; i++) arr[i]! /= n;
        };
      },
    ];
  };
}
