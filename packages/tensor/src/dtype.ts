import { DTypeError } from "./errors.js";
import { describe } from "./shape.js";

/** The element types a tensor can hold. `bool` is stored as one byte per element (0 or 1). */
export type DType = "float32" | "int32" | "int8" | "uint8" | "bool";

/** Every dtype, in promotion-free order. */
export const DTYPES: readonly DType[] = ["float32", "int32", "int8", "uint8", "bool"];

/** A typed array that backs a tensor of some dtype. */
export type DataArray = Float32Array | Int32Array | Int8Array | Uint8Array;

/** The typed array for each dtype. */
export interface DataArrayOf {
  float32: Float32Array;
  int32: Int32Array;
  int8: Int8Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}

type ArrayCtor = {
  new (n: number): DataArray;
  new (b: ArrayBuffer, o: number, n: number): DataArray;
  readonly BYTES_PER_ELEMENT: number;
};

const CTORS: Record<DType, ArrayCtor> = {
  float32: Float32Array,
  int32: Int32Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

/** Bytes per element of `dtype`. */
export function bytesPerElement(dtype: DType): number {
  if (typeof dtype !== "string" || !Object.hasOwn(CTORS, dtype)) {
    throw new DTypeError(
      `bytesPerElement: unknown dtype (expected one of ${DTYPES.join(", ")}, got ${describe(dtype)})`,
    );
  }
  return CTORS[dtype].BYTES_PER_ELEMENT;
}

/** A new zero-filled typed array of `size` elements for `dtype`. */
export function newArray<D extends DType>(dtype: D, size: number): DataArrayOf[D] {
  return new CTORS[dtype](size) as DataArrayOf[D];
}

/** A typed-array view of `size` elements of `dtype` over `buffer`, starting at byte 0. */
export function viewArray<D extends DType>(
  dtype: D,
  buffer: ArrayBuffer,
  size: number,
): DataArrayOf[D] {
  return new CTORS[dtype](buffer, 0, size) as DataArrayOf[D];
}

/** True for `dtype` in the DType union (guards user input). */
export function isDType(dtype: unknown): dtype is DType {
  return typeof dtype === "string" && (DTYPES as readonly string[]).includes(dtype);
}

/** True for the integer dtypes (`int32`, `int8`, `uint8`). */
export function isIntDType(dtype: DType): boolean {
  return dtype === "int32" || dtype === "int8" || dtype === "uint8";
}

/** The inclusive value range of an integer or bool dtype (float32: ±max float32). */
export function dtypeRange(dtype: DType): readonly [number, number] {
  switch (dtype) {
    case "int32":
      return [-2147483648, 2147483647];
    case "int8":
      return [-128, 127];
    case "uint8":
      return [0, 255];
    case "bool":
      return [0, 1];
    default:
      return [-3.4028234663852886e38, 3.4028234663852886e38];
  }
}
