/*
 * Greedy-by-size arena planner, after TensorFlow Lite Micro's GreedyMemoryPlanner:
 *  1. Each buffer has a size in bytes (rounded up to 16) and a lifetime [first, last] in execution
 *     steps, both ends inclusive: a node's inputs and its output are live at the same step, so they
 *     never share bytes (no kernel runs in place).
 *  2. Buffers are placed largest first (ties: earlier first use, then input order): the big ones
 *     are the hardest to fit, and the small ones fill the gaps they leave.
 *  3. A buffer goes at the lowest offset where it overlaps in address no already-placed buffer whose
 *     lifetime overlaps its own: walk those buffers in offset order and take the first gap that is
 *     large enough, else the end of the last one.
 *  4. The arena size is the highest end offset.
 * Cost: O(n²) for n buffers (each placement filters the placed ones and sorts those that overlap
 * in time).
 */

/** A buffer to place: bytes and the inclusive range of steps during which it is live. */
export interface PlanBuffer {
  readonly size: number;
  readonly first: number;
  readonly last: number;
}

/** Round `n` bytes up to the arena's 16-byte alignment. */
export function align16(n: number): number {
  return Math.ceil(n / 16) * 16;
}

/**
 * Places every buffer in one arena so that buffers live at the same time never overlap; offsets
 * are multiples of 16.
 * @param buffers - sizes and lifetimes
 * @returns each buffer's byte offset (in input order) and the arena size in bytes
 * @example
 * // a → b → c: a and c are never live together, so c reuses a's bytes
 * const plan = planArena([{ size: 64, first: 0, last: 1 }, { size: 32, first: 1, last: 2 }, { size: 64, first: 2, last: 3 }]);
 * plan.offsets; // [0, 64, 0]
 * plan.size; // 96
 */
export function planArena(buffers: readonly PlanBuffer[]): { offsets: number[]; size: number } {
  const sizes = buffers.map((b) => align16(b.size));
  const offsets = buffers.map(() => 0);
  const placed: number[] = [];
  let size = 0;
  const order = buffers.map((_, i) => i);
  order.sort((i, j) => sizes[j]! - sizes[i]! || buffers[i]!.first - buffers[j]!.first || i - j);
  for (const i of order) {
    const b = buffers[i]!;
    const need = sizes[i]!;
    // the placed buffers alive at the same time, by offset (ties: placement order)
    const live = placed.filter((j) => !(buffers[j]!.last < b.first || b.last < buffers[j]!.first));
    let off = 0;
    for (const j of live.sort((j, k) => offsets[j]! - offsets[k]!)) {
      if (offsets[j]! >= off + need) break;
      off = Math.max(off, offsets[j]! + sizes[j]!);
    }
    offsets[i] = off;
    size = Math.max(size, off + need);
    placed.push(i);
  }
  return { offsets, size };
}
