// A fixed-capacity ring buffer of samples for a streaming detector: `push` is O(1) and allocates
// nothing; `latest(out)` copies the newest `out.length` samples into `out`, oldest first.

export class RingBuffer {
  /** @type {Float32Array} */
  #data;
  /** index the next sample goes to */
  #head = 0;
  /** samples pushed so far (saturates at 2^53, far beyond any stream) */
  #count = 0;

  /**
   * @param {number} capacity - samples kept (≥ 1)
   */
  constructor(capacity) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new Error(`RingBuffer: capacity must be an integer ≥ 1 (got ${capacity})`);
    }
    this.#data = new Float32Array(capacity);
  }

  /** Samples the buffer holds at most. */
  get capacity() {
    return this.#data.length;
  }

  /** Samples held now: min(pushed, capacity). */
  get size() {
    return Math.min(this.#count, this.#data.length);
  }

  /** Samples pushed since construction. */
  get pushed() {
    return this.#count;
  }

  /**
   * Appends one sample, overwriting the oldest when full.
   * @param {number} value
   */
  push(value) {
    this.#data[this.#head] = value;
    this.#head = this.#head + 1 === this.#data.length ? 0 : this.#head + 1;
    this.#count++;
  }

  /**
   * Copies the newest `out.length` samples into `out`, oldest first.
   * @param {Float32Array} out - length ≤ size
   * @returns {Float32Array} `out`
   */
  latest(out) {
    const n = out.length;
    if (n > this.size) {
      throw new Error(`RingBuffer: asked for ${n} samples, only ${this.size} held`);
    }
    const cap = this.#data.length;
    // newest sample is at head − 1; the window starts n samples before head (mod capacity)
    const start = (this.#head - n + cap) % cap;
    const first = Math.min(n, cap - start);
    out.set(this.#data.subarray(start, start + first), 0);
    if (first < n) out.set(this.#data.subarray(0, n - first), first);
    return out;
  }
}
