/*
 * Argument checks shared by the optimizers, schedules and clipGradNorm. Every message names the
 * caller first: `Adam: beta1 must be in [0, 1) (got 1)`.
 */
import { ArgumentError } from "@edgenn/tensor";

/** A short description of any value for an error message. */
export function describe(v: unknown): string {
  if (typeof v === "number") return String(v);
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v;
}

/** Options as a plain object with only `allowed` keys (`undefined` becomes `{}`). */
export function checkOptions(
  op: string,
  options: unknown,
  allowed: readonly string[],
): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new ArgumentError(`${op}: options must be an object (got ${describe(options)})`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new ArgumentError(
        `${op}: unknown option '${key}' (expected one of ${allowed.join(", ")})`,
      );
    }
  }
  return options as Record<string, unknown>;
}

/**
 * `v` (or `fallback` when `v` is undefined) as a finite number within the given bounds, else an
 * `ArgumentError` naming `op` and `name`.
 */
export function checkNumber(
  op: string,
  name: string,
  v: unknown,
  fallback: number | undefined,
  bounds: { min?: number; max?: number; maxExclusive?: boolean; integer?: boolean } = {},
): number {
  if (v === undefined && fallback !== undefined) return fallback;
  const { min, max, maxExclusive = false, integer = false } = bounds;
  const ok =
    typeof v === "number" &&
    Number.isFinite(v) &&
    (!integer || Number.isInteger(v)) &&
    (min === undefined || v >= min) &&
    (max === undefined || (maxExclusive ? v < max : v <= max));
  if (!ok) {
    const kind = integer ? "an integer" : "a finite number";
    const range =
      min !== undefined && max !== undefined
        ? ` in [${min}, ${max}${maxExclusive ? ")" : "]"}`
        : min !== undefined
          ? ` ≥ ${min}`
          : max !== undefined
            ? ` ${maxExclusive ? "<" : "≤"} ${max}`
            : "";
    throw new ArgumentError(`${op}: ${name} must be ${kind}${range} (got ${describe(v)})`);
  }
  return v as number;
}

/** `v` (or `fallback` when undefined) as a boolean, else an `ArgumentError`. */
export function checkBoolean(op: string, name: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== "boolean") {
    throw new ArgumentError(`${op}: ${name} must be a boolean (got ${describe(v)})`);
  }
  return v;
}

/** A schedule's step argument: a non-negative integer. */
export function checkStep(op: string, step: unknown): number {
  return checkNumber(op, "step", step, undefined, { min: 0, integer: true });
}
