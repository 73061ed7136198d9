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
