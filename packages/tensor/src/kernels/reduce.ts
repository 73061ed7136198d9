/*
 * Reductions over any set of axes of a strided view. The kept dims are walked by a counter (one
 * output element each); the reduced dims, coalesced, are walked by a nested counter whose innermost
 * loop is a plain strided loop. Sums accumulate in float64 (JavaScript numbers).
 */
import type { ReduceOp } from "../backend.js";
import type { DataArray } from "../dtype.js";
import type { ArrayView } from "./elementwise.js";
import { coalesce } from "./strided.js";

/**
 * Reduces `x` (of `shape`) over the sorted `axes` into the contiguous `out`, whose element count is
 * the product of the kept dims. `argmax`/`argmin` take exactly one axis and return the first index
 * of the extreme value (NaN counts as the extreme, as NumPy).
 */
export function reduce(
  op: ReduceOp,
  x: ArrayView,
  shape: readonly number[],
  axes: readonly number[],
  out: DataArray,
): void {
  const keptShape: number[] = [];
  const keptStrides: number[] = [];
  const redShape: number[] = [];
  const redStrides: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    if (axes.includes(d)) {
      redShape.push(shape[d]!);
      redStrides.push(x.strides[d]!);
    } else {
      keptShape.push(shape[d]!);
      keptStrides.push(x.strides[d]!);
    }
  }
  const isArg = op === "argmax" || op === "argmin";
  // argmax needs the position along its single axis, so its reduced dim is never coalesced away
  const red = isArg
    ? { shape: redShape.length ? redShape : [1], strides: [redStrides.length ? redStrides : [0]] }
    : coalesce(redShape, [redStrides]);
  const rShape = red.shape;
  const rStrides = red.strides[0]!;
  const rRank = rShape.length;
  const rInner = rShape[rRank - 1]!;
  const rInnerStride = rStrides[rRank - 1]!;
  const rCount = rShape.reduce((a, b) => a * b, 1);
  const outCount = keptShape.reduce((a, b) => a * b, 1);
  const xd = x.data;
  const kCounter = new Array<number>(keptShape.length).fill(0);
  const rCounter = new Array<number>(rRank).fill(0);
  let base = x.offset;
  for (let o = 0; o < outCount; o++) {
    let acc: number;
    let best = 0;
    switch (op) {
      case "sum":
        acc = 0;
        break;
      case "prod":
        acc = 1;
        break;
      case "max":
      case "argmax":
        acc = Number.NEGATIVE_INFINITY;
        break;
      default:
        acc = Number.POSITIVE_INFINITY;
    }
    if (rCount > 0) {
      rCounter.fill(0);
      let p = base;
      let idx = 0;
      for (let r = 0; r < rCount; r += rInner) {
        switch (op) {
          case "sum":
            for (let i = 0; i < rInner; i++) acc += xd[p + i * rInnerStride]!;
            break;
          case "prod":
            for (let i = 0; i < rInner; i++) acc *= xd[p + i * rInnerStride]!;
            break;
          case "max":
            for (let i = 0; i < rInner; i++) {
              const v = xd[p + i * rInnerStride]!;
              if (v > acc || v !== v) acc = v;
            }
            break;
          case "min":
            for (let i = 0; i < rInner; i++) {
              const v = xd[p + i * rInnerStride]!;
              if (v < acc || v !== v) acc = v;
            }
            break;
          case "argmax":
            for (let i = 0; i < rInner; i++) {
              const v = xd[p + i * rInnerStride]!;
              if (v > acc || (v !== v && acc === acc)) {
                acc = v;
                best = idx + i;
              }
            }
            break;
          case "argmin":
            for (let i = 0; i < rInner; i++) {
              const v = xd[p + i * rInnerStride]!;
              if (v < acc || (v !== v && acc === acc)) {
                acc = v;
                best = idx + i;
              }
            }
            break;
        }
        idx += rInner;
        // step the reduced counter over dims rRank-2 … 0
        for (let d = rRank - 2; d >= 0; d--) {
          rCounter[d]!++;
          if (rCounter[d]! < rShape[d]!) {
            p += rStrides[d]!;
            break;
          }
          rCounter[d] = 0;
          p -= rStrides[d]! * (rShape[d]! - 1);
        }
      }
    } else if (isArg) {
      best = 0;
    }
    out[o] = isArg ? best : acc;
    for (let d = keptShape.length - 1; d >= 0; d--) {
      kCounter[d]!++;
      if (kCounter[d]! < keptShape[d]!) {
        base += keptStrides[d]!;
        break;
      }
      kCounter[d] = 0;
      base -= keptStrides[d]! * (keptShape[d]! - 1);
    }
  }
}
