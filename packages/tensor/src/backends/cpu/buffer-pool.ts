/*
 * A capped, size-bucketed pool of ArrayBuffers. Requests are rounded up to a bucket (four
 * buckets per power of two, so at most 25% slack); a freed buffer goes back to its bucket unless
 * the pool already holds `capBytes`, in which case it is left to the garbage collector.
 */

/** The bucket size, in bytes, that a request of `bytes` is served from. */
export function bucketOf(bytes: number): number {
  if (bytes <= 64) return 64;
  const p = 2 ** Math.floor(Math.log2(bytes - 1));
  const step = p / 4;
  return Math.ceil(bytes / step) * step;
}

export class BufferPool {
  readonly #free = new Map<number, ArrayBuffer[]>();
  #pooledBytes = 0;
  capBytes: number;

  constructor(capBytes: number) {
    this.capBytes = capBytes;
  }

  get pooledBytes(): number {
    return this.#pooledBytes;
  }

  /** A buffer of at least `bytes` bytes (exactly its bucket's size); contents unspecified. */
  take(bytes: number): ArrayBuffer {
    const size = bucketOf(bytes);
    const list = this.#free.get(size);
    const buf = list?.pop();
    if (buf) {
      this.#pooledBytes -= size;
      return buf;
    }
    return new ArrayBuffer(size);
  }

  /** Returns `buf` to the pool, or drops it when the pool is full. */
  give(buf: ArrayBuffer): void {
    const size = buf.byteLength;
    if (this.#pooledBytes + size > this.capBytes) return;
    let list = this.#free.get(size);
    if (!list) {
      list = [];
      this.#free.set(size, list);
    }
    list.push(buf);
    this.#pooledBytes += size;
  }

  clear(): void {
    this.#free.clear();
    this.#pooledBytes = 0;
  }
}
