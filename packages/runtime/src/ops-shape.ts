/*
 * Data movement and reductions. reshape, flatten, identity and dropout produce no data: their
 * output is planned as an alias of the input's memory. transpose is a prepared strided walk;
 * concat copies blocks; sum/mean/max/min reduce through index tables built at prepare.
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
  const a = num(c, "axis", 1, true, -s.length, s.length);
  return [prod(s, 0, a < 0 ? a + s.length : a), prod(s, a < 0 ? a + s.length : a)];
});

/**
 * reshape: the target from constant input 1 (int32) or attribute `shape`; 0 copies a dim, one −1 is
 * inferred.
 */
export const reshape: OpDef = alias((c, s) => {
  const size = prod(s);
  let t: number[] | undefined;
  if (c.ins[1]) {
    const d = constant(c, 1);
    if (!(d instanceof Int32Array)) bad(c, "shape (input 1) must be int32");
    t = Array.from(d);
  } else t = ints(c, "shape", undefined);
  if (!t) bad(c, "needs the shape as input 1 or attribute shape");
  if (num(c, "allowzero", 0, true, 0, 1) && t.includes(0))
    bad(c, "zero-size dims are not supported");
  const out = t.map((v, i) => (v === 0 ? (s[i] ?? -2) : v));
  const free = out.indexOf(-1);
  const rest = -prod(out);
  if (out.some((v, i) => v < -1 || (v === -1 && i !== free)) || (free >= 0 && size % rest)) {
    bad(c, `invalid target shape [${t}] for input [${s}]`);
  }
  if (free >= 0) out[free] = size / rest;
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
  const zeros = perm.map(() => 0);
  c.bytes += 16 * r;
  return [
    x.dtype,
    shape,
    (y) =>
      walk(
        "copy",
        shape,
        x,
        perm.map((p) => xs[p]!),
        x,
        zeros,
        y,
      ),
  ];
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
  const outer = prod(out, 0, ax);
  // each input adds a block of chunk[j] = shape[axis]·inner elements per outer index
  const chunk = Int32Array.from(xs, (x) => prod(x.shape, ax));
  c.bytes += 8 * xs.length;
  return [
    x0.dtype,
    out,
    (y) => {
      const arrs = xs.map((x) => x.arr);
      const offs = Int32Array.from(xs, (x) => x.off);
      const { arr: ya, off: yo } = y;
      return () => {
        let o = yo;
        for (let i = 0; i < outer; i++) {
          for (let j = 0; j < arrs.length; j++) {
            const n = chunk[j]!;
            const x = arrs[j]!;
            for (let e = 0, s = offs[j]! + i * n; e < n; e++) ya[o++] = x[s + e]!;
          }
        }
      };
    },
  ];
};

/**
 * sum / mean / max / min over `axes` (attribute or constant int32 input 1; all when empty),
 * keepdims = 1.
 */
export function reduce(op: "sum" | "mean" | "max" | "min"): OpDef {
  return (c) => {
    const x = f32(c, 0);
    const r = x.shape.length;
    let axes: number[];
    if (c.ins[1]) {
      const d = constant(c, 1);
      if (!(d instanceof Int32Array)) bad(c, "axes (input 1) must be int32");
      axes = Array.from(d);
    } else axes = ints(c, "axes", [])!;
    axes = axes.map((a) => axis(c, a, r, "axes entry"));
    if (new Set(axes).size < axes.length) bad(c, `axes [${axes}] repeat an axis`);
    if (!axes.length && !num(c, "noop_with_empty_axes", 0, true, 0, 1))
      axes = x.shape.map((_, i) => i);
    const keep = num(c, "keepdims", 1, true, 0, 1);
    // base[o]: x's offset of output element o's first input; red[j]: offset of its j-th input
    const dims = (reduced: boolean): number[] =>
      x.shape.map((d, i) => (axes.includes(i) === reduced ? d : 1));
    c.bytes += 4 * (prod(dims(false)) + prod(dims(true)));
    const table = (reduced: boolean): Int32Array => {
      const ds = dims(reduced);
      const dst = strides(ds);
      const st = strides(x.shape);
      return new Int32Array(prod(ds)).map((_, i) =>
        ds.reduce((off, d, k) => off + (Math.floor(i / dst[k]!) % d) * st[k]!, 0),
      );
    };
    return [
      "float32",
      keep
        ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
        : x.shape.filter((_, i) => !axes.includes(i)),
      (y) => {
        const base = table(false);
        const red = table(true);
        const n = red.length;
        const { arr: xa, off: xo } = x;
        const { arr: ya, off: yo } = y;
        const isMax = op === "max";
        return () => {
          for (let o = 0; o < base.length; o++) {
            const b = xo + base[o]!;
            let acc = op === "sum" || op === "mean" ? 0 : xa[b]!;
            for (let j = 0; j < n; j++) {
              const v = xa[b + red[j]!]!;
              if (op === "sum" || op === "mean") acc += v;
              // NaN wins, as NumPy
              else if ((isMax ? v > acc : v < acc) || v !== v) acc = v;
            }
            ya[yo + o] = op === "mean" ? acc / n : acc;
          }
        };
      },
    ];
  };
}
