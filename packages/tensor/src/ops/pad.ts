import { dtypeRange, newArray } from "../dtype.js";
import { allocTensor, backendFor, record } from "../engine.js";
import { ArgumentError, ShapeError } from "../errors.js";
import { asTensor, compose, describeList } from "../op-helpers.js";
import { describe, fmt } from "../shape.js";
import type { Tensor } from "../tensor.js";
import { gather } from "./gather.js";
import { slice } from "./slice.js";

/** Options of `pad`. */
export interface PadOptions {
  /** `'constant'` fills with `value`; `'reflect'` mirrors without repeating the edge; `'edge'` repeats it. */
  mode?: "constant" | "reflect" | "edge";
  /** The fill of `'constant'` mode (default 0); must fit `x`'s dtype. */
  value?: number;
}

/** Constant padding: `value` around `x`, with negative pads cropping `x`. */
function padConstant(
  t: Tensor,
  pads: readonly number[],
  value: number,
  outShape: number[],
): Tensor {
  const r = t.rank;
  const b = backendFor("pad", "copy", t.dtype);
  const y = allocTensor("pad", outShape, t.dtype, b);
  b.write(y.dataId, newArray(t.dtype, y.size).fill(value));
  // the part of x that survives: x[max(0, −begin) : d − max(0, −end)] lands at y[max(0, begin) …]
  const counts = t.shape.map((d, i) =>
    Math.max(0, d - Math.max(0, -pads[i]!) - Math.max(0, -pads[i + r]!)),
  );
  if (counts.every((c) => c > 0)) {
    let src = t.offset;
    let dst = 0;
    for (let i = 0; i < r; i++) {
      src += Math.max(0, -pads[i]!) * t.strides[i]!;
      dst += Math.max(0, pads[i]!) * y.strides[i]!;
    }
    b.copy(
      { dataId: t.dataId, dtype: t.dtype, shape: counts, strides: t.strides, offset: src },
      { dataId: y.dataId, dtype: y.dtype, shape: counts, strides: y.strides, offset: dst },
    );
  }
  const neg = pads.map((p) => -p);
  // d pad(x, p) = pad(dy, −p): crop what was added, zero-fill what was cropped
  record("pad", [t], y, (dy) => [pad(dy, neg)]);
  return y;
}

/** Source index along a dim of size `d` for output position `j − begin` under `mode`. */
function sourceIndex(i: number, d: number, mode: "reflect" | "edge"): number {
  if (mode === "edge" || d === 1) return Math.min(Math.max(i, 0), d - 1);
  // reflect about 0 and d − 1 until inside (NumPy's 'reflect' for pads wider than the dim)
  while (i < 0 || i >= d) i = i < 0 ? -i : 2 * (d - 1) - i;
  return i;
}

/**
 * Pads `x` (ONNX Pad): `pads` lists the amounts before every dim, then after every dim
 * (`[x1_begin, x2_begin, …, x1_end, x2_end, …]`); a negative amount crops. `'constant'` fills with
 * `value`, `'reflect'` mirrors about the edge element (`[1,2,3]` → `[3,2,1,2,3,2,1]` with 2 each side),
 * `'edge'` repeats the edge element.
 * @param x - any tensor
 * @param pads - `2·rank` integers
 * @param options - `mode` (default `'constant'`) and `value` (default 0)
 * @returns a new tensor owned by the caller, `y.shape[i] = x.shape[i] + begin_i + end_i`
 * @throws {ShapeError} if `pads` has the wrong length, a dim would become negative, or an empty dim is padded by reflection
 * @throws {ArgumentError} for non-integer pads, an unknown mode or a `value` that does not fit the dtype
 * @example
 * pad(tensor([[1, 2]]), [0, 1, 0, 2]).toArray(); // [[0, 1, 2, 0, 0]]
 */
export function pad(x: Tensor, pads: readonly number[], options: PadOptions = {}): Tensor {
  const t = asTensor("pad", x);
  const r = t.rank;
  if (!Array.isArray(pads) || pads.some((p) => typeof p !== "number" || !Number.isSafeInteger(p))) {
    throw new ArgumentError(`pad: pads must be an array of integers (got ${describeList(pads)})`);
  }
  if (pads.length !== 2 * r) {
    throw new ShapeError(
      `pad: pads must have 2·rank entries (expected ${2 * r} for shape ${fmt(t.shape)}, got ${pads.length})`,
    );
  }
  if (typeof options !== "object" || options === null) {
    throw new ArgumentError(`pad: options must be an object (got ${describe(options)})`);
  }
  const mode = options.mode ?? "constant";
  if (mode !== "constant" && mode !== "reflect" && mode !== "edge") {
    throw new ArgumentError(
      `pad: unknown mode (expected 'constant', 'reflect' or 'edge', got ${describe(mode)})`,
    );
  }
  const value = options.value ?? 0;
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new ArgumentError(`pad: value must be a number (got ${describe(value)})`);
  }
  if (t.dtype !== "float32") {
    const [lo, hi] = dtypeRange(t.dtype);
    if (!Number.isInteger(value) || value < lo || value > hi) {
      throw new ArgumentError(
        `pad: value ${value} does not fit dtype ${t.dtype} (expected an integer in [${lo}, ${hi}])`,
      );
    }
  }
  const outShape = t.shape.map((d, i) => d + pads[i]! + pads[i + r]!);
  if (outShape.some((d) => d < 0)) {
    throw new ShapeError(
      `pad: pads crop more than the dim holds (expected every x.shape[i] + begin + end ≥ 0, got ${fmt(t.shape)} with pads [${pads.join(",")}])`,
    );
  }
  if (mode === "constant") return padConstant(t, pads, value, outShape);
  for (let i = 0; i < r; i++) {
    const kept = t.shape[i]! - Math.max(0, -pads[i]!) - Math.max(0, -pads[i + r]!);
    if ((pads[i]! > 0 || pads[i + r]! > 0) && kept <= 0) {
      throw new ShapeError(
        `pad: cannot ${mode}-pad a dim with no elements left (got shape ${fmt(t.shape)}, pads [${pads.join(",")}], axis ${i})`,
      );
    }
  }
  // crop the negative pads, then gather the mirrored/clamped source index of every output position
  return compose(() => {
    let y = slice(
      t,
      t.shape.map((_, i) => Math.max(0, -pads[i]!)),
      t.shape.map((d, i) => d - Math.max(0, -pads[i + r]!)),
    );
    for (let i = 0; i < r; i++) {
      const begin = Math.max(0, pads[i]!);
      const end = Math.max(0, pads[i + r]!);
      if (begin === 0 && end === 0) continue;
      const d = y.shape[i]!;
      const idx = Array.from({ length: d + begin + end }, (_, j) =>
        sourceIndex(j - begin, d, mode),
      );
      y = gather(y, idx, i);
    }
    return y;
  });
}
