const CTORS = [
  "ArrayBuffer",
  "SharedArrayBuffer",
  "DataView",
  "Float32Array",
  "Float64Array",
  "Int8Array",
  "Int16Array",
  "Int32Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Uint16Array",
  "Uint32Array",
] as const;

/**
 * How many buffers and typed arrays `fn` constructs through the global constructors (each is
 * swapped for a counting proxy while `fn` runs). Views made with `subarray` and buffers made inside
 * engine code that bypasses the globals are not counted; pair it with a heap measurement where that
 * matters.
 */
export function countBufferAllocations(fn: () => void): number {
  const g = globalThis as unknown as Record<string, unknown>;
  const names = CTORS.filter((n) => typeof g[n] === "function");
  const saved = names.map((n) => g[n]);
  let count = 0;
  names.forEach((n, i) => {
    g[n] = new Proxy(saved[i] as object, {
      construct(target, args, newTarget) {
        count++;
        return Reflect.construct(target as new (...a: unknown[]) => object, args, newTarget);
      },
    });
  });
  try {
    fn();
  } finally {
    names.forEach((n, i) => {
      g[n] = saved[i];
    });
  }
  return count;
}
