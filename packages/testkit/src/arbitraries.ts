import fc from "fast-check";

/** A shape of rank `minRank…maxRank` with sizes `minDim…maxDim`. */
export function arbShape({
  minRank = 0,
  maxRank = 4,
  minDim = 1,
  maxDim = 5,
} = {}): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: minDim, max: maxDim }), {
    minLength: minRank,
    maxLength: maxRank,
  });
}

/** Float32-representable values in [min, max], optionally kept at least `awayFrom` from zero. */
export function arbValues(
  n: number,
  { min = -3, max = 3, awayFrom = 0 } = {},
): fc.Arbitrary<number[]> {
  return fc
    .array(
      fc.float({
        min: Math.fround(min),
        max: Math.fround(max),
        noNaN: true,
        noDefaultInfinity: true,
      }),
      { minLength: n, maxLength: n },
    )
    .map((xs) => xs.map((v) => (Math.abs(v) < awayFrom ? (v < 0 ? -awayFrom : awayFrom) + v : v)));
}

/** A shape and matching float values. */
export function arbTensorData(
  opts: Parameters<typeof arbShape>[0] & { min?: number; max?: number; awayFrom?: number } = {},
): fc.Arbitrary<{ shape: number[]; data: number[] }> {
  return arbShape(opts).chain((shape) =>
    arbValues(
      shape.reduce((a, b) => a * b, 1),
      opts,
    ).map((data) => ({ shape, data })),
  );
}

/**
 * Two shapes that broadcast together: a base shape, with some dims of each side set to 1 and
 * some leading dims of one side dropped.
 */
export function arbBroadcastShapes(maxRank = 4, maxDim = 4): fc.Arbitrary<[number[], number[]]> {
  return arbShape({ minRank: 0, maxRank, maxDim }).chain((base) =>
    fc
      .tuple(
        fc.array(fc.boolean(), { minLength: base.length, maxLength: base.length }),
        fc.array(fc.boolean(), { minLength: base.length, maxLength: base.length }),
        fc.integer({ min: 0, max: base.length }),
        fc.boolean(),
      )
      .map(([ma, mb, drop, dropA]) => {
        let a = base.map((d, i) => (ma[i] ? 1 : d));
        let b = base.map((d, i) => (mb[i] ? 1 : d));
        if (dropA) a = a.slice(drop);
        else b = b.slice(drop);
        return [a, b] as [number[], number[]];
      }),
  );
}
