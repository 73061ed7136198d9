/** Formatting of unexpected values for error messages; never throws, whatever the value. */

/**
 * `String(v)`, or `[object Object]` for a value that cannot be converted (a prototype-less object,
 * a throwing `toString`), so that building an error message cannot itself fail.
 * (Internal: not exported. `show(Object.create(null))` is `"[object Object]"`.)
 */
export function show(v: unknown): string {
  try {
    return String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

/**
 * `JSON.stringify(v)` (shapes, pairs), falling back to `show` for what JSON cannot write (BigInt,
 * cycles, undefined).
 * (Internal: not exported. `showJson([1, 10n])` is `"1,10"`.)
 */
export function showJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? show(v);
  } catch {
    return show(v);
  }
}
