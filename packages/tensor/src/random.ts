/*
 * Seeded random numbers: xoshiro128** (state: four 32-bit words) seeded through splitmix32, and
 * standard normals by the Box–Muller transform. The same seed gives the same stream on every
 * JavaScript runtime: only 32-bit integer arithmetic, Math.sqrt (IEEE-exact) and the portable
 * log/sinPi/cosPi of kernels/math.ts are used (Math.log/sin/cos differ between engines).
 */
import { ArgumentError } from "./errors.js";
import { cosPi, log, sinPi } from "./kernels/math.js";
import { describe } from "./shape.js";

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** A seeded generator. `next()` is uniform in [0, 1) with 32 random bits. */
export class Rng {
  #s = new Uint32Array(4);
  #spare: number | null = null;

  constructor(seed: number) {
    if (typeof seed !== "number" || !Number.isFinite(seed)) {
      throw new ArgumentError(`Rng: seed must be a finite number (got ${describe(seed)})`);
    }
    const sm = splitmix32(Math.floor(seed) ^ Math.floor(seed / 2 ** 32));
    for (let i = 0; i < 4; i++) this.#s[i] = sm();
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A standard normal sample (Box–Muller; the second sample of each pair is kept for the next call). */
  normal(): number {
    if (this.#spare !== null) {
      const v = this.#spare;
      this.#spare = null;
      return v;
    }
    let u = this.next();
    while (u === 0) u = this.next();
    const v = this.next();
    // sin(2πv) = sinPi(2v): 2v is exact, so the angle carries no rounding
    const r = Math.sqrt(-2 * log(u));
    this.#spare = r * sinPi(2 * v);
    return r * cosPi(2 * v);
  }

  /** The generator's full state, to save in a checkpoint. */
  getState(): number[] {
    return [...this.#s, this.#spare ?? Number.NaN];
  }

  /** Restores a state from `getState()`. */
  setState(state: readonly number[]): void {
    if (!Array.isArray(state) || state.length !== 5) {
      throw new ArgumentError(
        `Rng.setState: expected the 5 numbers getState() returns (got ${describe(state)})`,
      );
    }
    for (let i = 0; i < 4; i++) this.#s[i] = state[i]!;
    this.#spare = Number.isNaN(state[4]) ? null : state[4]!;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

let globalRng: Rng | null = null;

/** Seeds the global generator that creation functions use when no `seed` is given. */
export function setSeed(seed: number): void {
  if (typeof seed !== "number" || !Number.isFinite(seed)) {
    throw new ArgumentError(`setSeed: seed must be a finite number (got ${describe(seed)})`);
  }
  globalRng = new Rng(seed);
}

/** The global generator (seeded from Math.random until `setSeed` is called). */
export function globalGenerator(): Rng {
  globalRng ??= new Rng(Math.floor(Math.random() * 2 ** 32));
  return globalRng;
}
