import { ArgumentError, EdgeNNError, type Tensor } from "@edgenn/tensor";
import { Module } from "./module.js";
import { show } from "./show.js";

/**
 * A chain of modules: `forward(x) = mₙ(…m₂(m₁(x)))`. The children are named `"0"`, `"1"`, … so
 * parameters are named `"0.weight"`, `"0.bias"`, `"2.weight"`, …. Each intermediate output is
 * disposed once the next module has consumed it, so only the result stays alive (autograd's tape
 * keeps what the backward pass needs).
 * @example
 * const model = new Sequential(new Linear(4, 8, { seed: 1 }), new ReLU(), new Linear(8, 2, { seed: 2 }));
 * model.forward(zeros([3, 4])).shape; // [3, 2]
 * model.namedParameters().map((e) => e[0]); // ["0.weight", "0.bias", "2.weight", "2.bias"]
 */
export class Sequential extends Module {
  readonly #layers: Module[];

  /**
   * @param modules - the modules, applied in order
   * @throws {ArgumentError} if an argument is not a Module
   */
  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => {
      if (!(m instanceof Module)) {
        throw new ArgumentError(
          `Sequential: argument ${i} must be a Module (got ${m === null ? "null" : typeof m})`,
        );
      }
    });
    this.#layers = modules.map((m, i) => this.addModule(show(i), m));
  }

  /** The number of modules. */
  get length(): number {
    return this.#layers.length;
  }

  /**
   * The module at `index` (negative counts from the end).
   * @throws {ArgumentError} for an index out of range
   */
  at(index: number): Module {
    const n = this.#layers.length;
    if (typeof index !== "number" || !Number.isInteger(index) || index < -n || index >= n) {
      throw new ArgumentError(
        `Sequential.at: index out of range (expected an integer in [${-n}, ${n}), got ${show(index)})`,
      );
    }
    return this.#layers[index < 0 ? index + n : index]!;
  }

  /**
   * Runs the modules in order (the first receives every input); with no modules, returns its
   * first input unchanged.
   * @param inputs - the first module's inputs
   * @returns the last module's output, owned by the caller
   * @throws whatever a module throws (its error names the layer and the shapes)
   */
  forward(...inputs: Tensor[]): Tensor {
    if (this.#layers.length === 0) {
      if (inputs.length === 0) throw new ArgumentError("Sequential: forward needs an input");
      return inputs[0]!;
    }
    let i = 0;
    let y: Tensor | undefined;
    try {
      y = this.#layers[0]!.forward(...inputs);
      for (i = 1; i < this.#layers.length; i++) {
        const next: Tensor = this.#layers[i]!.forward(y);
        // the intermediate is nobody else's: free it, unless the module passed it through or it is
        // an input or kept state (views of it keep its buffer alive)
        if (next !== y && !y.isKept && !inputs.includes(y)) y.dispose();
        y = next;
      }
    } catch (e) {
      if (y !== undefined && !y.isKept && !inputs.includes(y)) y.dispose();
      // the layer's error names the layer; say where in this model it sits
      const who = this.constructor.name;
      if (e instanceof EdgeNNError && !e.message.startsWith(who)) {
        e.message = `${who}: layer ${i} (${this.#layers[i]!.constructor.name}): ${e.message}`;
      }
      throw e;
    }
    return y;
  }
}
