/*
 * The tape: ops record (inputs, output, vjp) while a function runs; the backward pass walks the
 * records in reverse (recording order is already a topological order), calling each rule with the
 * gradient of its output and accumulating the gradients of its inputs. A gradient whose shape
 * differs from its input (broadcasting) is summed back to the input's shape here, once, so the
 * rules themselves never deal with broadcasting.
 */
import {
  ArgumentError,
  add,
  cast,
  clone,
  onesLike,
  type Recorder,
  reshape,
  ShapeError,
  sum,
  Tensor,
  type VJP,
  zerosLike,
} from "@edgenn/tensor";

/** A short, safe description of an argument for error messages. */
function kind(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return `array(${v.length})`;
  if (typeof v === "object") return (v as object).constructor?.name ?? "object";
  return typeof v;
}

interface TapeNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  readonly vjp: VJP;
}

/** Sums `g` over the dims that broadcasting added or stretched, giving a tensor of `shape`. */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (!(g instanceof Tensor)) {
    throw new ArgumentError(`sumToShape: g must be a Tensor (got ${kind(g)})`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ShapeError(
      `sumToShape: shape must be an array of non-negative integers (got ${kind(shape)})`,
    );
  }
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.rank - shape.length;
  // shape must broadcast to g's shape: the gradient of a broadcast input
  if (lead < 0 || shape.some((d, i) => d !== 1 && d !== g.shape[i + lead])) {
    throw new ShapeError(
      `sumToShape: [${shape.join(",")}] does not broadcast to the gradient's shape [${g.shape.join(",")}]`,
    );
  }
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  return reshape(sum(g, axes, true), shape);
}

/** Records ops that depend on the tracked tensors, and runs the backward pass. */
export class Tape implements Recorder {
  readonly #nodes: TapeNode[] = [];
  readonly #tracked = new Set<number>();
  readonly #held: Tensor[] = [];

  constructor(sources: readonly Tensor[]) {
    if (!Array.isArray(sources) || !sources.every((s) => s instanceof Tensor)) {
      throw new ArgumentError(`Tape: sources must be an array of tensors (got ${kind(sources)})`);
    }
    for (const s of sources) this.#tracked.add(s.id);
  }

  record(op: string, inputs: readonly Tensor[], output: Tensor, vjp: VJP): void {
    if (!inputs.some((t) => this.#tracked.has(t.id))) return;
    this.#tracked.add(output.id);
    // the rule may read its inputs and output after a user's tidy disposed them: hold the buffers
    for (const t of inputs) {
      t.hold();
      this.#held.push(t);
    }
    output.hold();
    this.#held.push(output);
    this.#nodes.push({ op, inputs, output, vjp });
  }

  /** Gradients of the scalar `output` with respect to `sources` (zeros where it does not depend). */
  backward(output: Tensor, sources: readonly Tensor[]): Tensor[] {
    const grads = new Map<number, Tensor>();
    if (this.#tracked.has(output.id)) grads.set(output.id, onesLike(output));
    for (let n = this.#nodes.length - 1; n >= 0; n--) {
      const node = this.#nodes[n]!;
      const dy = grads.get(node.output.id);
      if (!dy) continue;
      const dxs = node.vjp(
        dy,
        node.inputs.map((x) => this.#tracked.has(x.id)),
      );
      for (let i = 0; i < node.inputs.length; i++) {
        const x = node.inputs[i]!;
        const g = dxs[i];
        if (!g || !this.#tracked.has(x.id)) continue;
        const gx = sumToShape(g.dtype === "float32" ? g : cast(g, "float32"), x.shape);
        const prev = grads.get(x.id);
        grads.set(x.id, prev ? add(prev, gx) : gx);
      }
    }
    // every result is its own contiguous buffer, so disposing one gradient never frees another
    const given = new Set<Tensor>();
    return sources.map((s) => {
      const g = grads.get(s.id);
      if (!g) return zerosLike(s);
      const r = g.isContiguous && !given.has(g) && g.size > 0 ? g : clone(g);
      given.add(r);
      return r;
    });
  }

  /** Lets go of every buffer the tape held. */
  release(): void {
    for (const t of this.#held) t.release();
    this.#held.length = 0;
    this.#nodes.length = 0;
  }
}
