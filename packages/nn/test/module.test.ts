import { valueAndGrad } from "@edgenn/autograd";
import {
  AvgPool2d,
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  Dropout,
  Flatten,
  GELU,
  GlobalAvgPool2d,
  LayerNorm,
  LeakyReLU,
  Linear,
  MaxPool2d,
  Module,
  ReLU,
  Sequential,
  Sigmoid,
  Softmax,
  Tanh,
} from "@edgenn/nn";
import {
  ArgumentError,
  add,
  DisposedTensorError,
  DTypeError,
  log,
  mean,
  memory,
  mul,
  noGrad,
  randn,
  ShapeError,
  sub,
  type Tensor,
  tensor,
  tidy,
  zeros,
} from "@edgenn/tensor";
import { expectClose, expectNoLeaks } from "@edgenn/testkit";
import { describe, expect, it } from "vitest";

/** A module with its own parameter, a buffer and two children, to exercise the base class. */
class Block extends Module {
  readonly scale: Tensor;
  readonly fc: Linear;
  readonly bn: BatchNorm1d;
  constructor() {
    super();
    this.scale = this.addParameter("scale", tensor([2]));
    this.addBuffer("steps", zeros([1]));
    this.fc = this.addModule("fc", new Linear(3, 2, { seed: 1 }));
    this.bn = this.addModule("bn", new BatchNorm1d(2));
  }
  forward(x: Tensor): Tensor {
    return tidy(() => mul(this.bn.forward(this.fc.forward(x)), this.scale));
  }
}

describe("Module", () => {
  it("lists parameters depth first in registration order, with dotted names", () => {
    tidy(() => {
      const model = new Sequential(new Block(), new ReLU(), new Linear(2, 1, { seed: 2 }));
      const named = model.namedParameters();
      expect(named.map(([n, t]) => [n, t.shape])).toEqual([
        ["0.scale", [1]],
        ["0.fc.weight", [2, 3]],
        ["0.fc.bias", [2]],
        ["0.bn.weight", [2]],
        ["0.bn.bias", [2]],
        ["2.weight", [1, 2]],
        ["2.bias", [1]],
      ]);
      expect(model.parameters()).toEqual(named.map(([, t]) => t));
      expect(model.parameters()[1]).toBe((model.at(0) as Block).fc.weight);
      expect(model.namedBuffers().map(([n]) => n)).toEqual([
        "0.steps",
        "0.bn.runningMean",
        "0.bn.runningVar",
      ]);
      expect(model.parameterCount()).toBe(1 + 6 + 2 + 2 + 2 + 2 + 1);
      expect(Object.keys(model.stateDict())).toEqual([
        ...named.map(([n]) => n),
        "0.steps",
        "0.bn.runningMean",
        "0.bn.runningVar",
      ]);
      model.dispose();
    });
  });

  it("rejects bad registrations", () => {
    class Bad extends Module {
      constructor(what: string) {
        super();
        if (what === "dot") this.addParameter("a.b", zeros([1]));
        if (what === "twice") {
          this.addParameter("w", zeros([1]));
          this.addBuffer("w", zeros([1]));
        }
        if (what === "int") this.addParameter("w", zeros([1], "int32"));
        if (what === "child") this.addModule("m", {} as Module);
      }
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    expect(() => new Bad("dot")).toThrow(/Bad: state names must be non-empty and contain no '.'/);
    expect(() => new Bad("twice")).toThrow("Bad: 'w' is registered twice");
    expect(() => new Bad("int")).toThrow(/'w' must be a float32 Tensor/);
    expect(() => new Bad("child")).toThrow(/'m' must be a Module/);
  });

  it("propagates train()/eval() to every descendant", () => {
    const inner = new Dropout(0.5);
    const model = new Sequential(
      new Linear(2, 2, { seed: 1 }),
      new Sequential(inner, new BatchNorm1d(2)),
    );
    expect(model.isTraining && inner.isTraining).toBe(true);
    expect(model.eval()).toBe(model);
    expect(model.isTraining || inner.isTraining || model.at(1).isTraining).toBe(false);
    model.train();
    expect(inner.isTraining).toBe(true);
    model.train(false);
    expect(inner.isTraining).toBe(false);
    model.dispose();
  });

  it("round-trips its state through stateDict/loadStateDict, in place", () => {
    tidy(() => {
      const make = (seed: number) =>
        new Sequential(
          new Linear(3, 4, { seed }),
          new BatchNorm1d(4),
          new ReLU(),
          new Linear(4, 2, { seed: seed + 1 }),
        );
      const a = make(1);
      const b = make(10);
      // move a's running statistics away from their initial values
      a.forward(randn([8, 3], { seed: 3 }));
      const x = randn([5, 3], { seed: 4 });
      a.eval();
      b.eval();
      const ya = a.forward(x);
      expect(b.forward(x).dataSync()).not.toEqual(ya.dataSync());
      const w0 = b.parameters()[0];
      b.loadStateDict(a.stateDict());
      // same values, same tensor objects (optimizers built on b stay valid)
      expect(b.parameters()[0]).toBe(w0);
      expectClose(b.forward(x), ya);
      for (const [name, t] of Object.entries(a.stateDict())) {
        expect(b.stateDict()[name]!.dataSync(), name).toEqual(t.dataSync());
      }
      a.dispose();
      b.dispose();
    });
  });

  it("loadStateDict reports missing, unexpected and mis-shaped entries and then changes nothing", () => {
    tidy(() => {
      const m = new Sequential(new Linear(2, 3, { seed: 1 }), new Linear(3, 1, { seed: 2 }));
      const good = Object.fromEntries(
        Object.entries(m.stateDict()).map(([k, t]) => [k, add(t, 1)] as const),
      );
      const snapshot = () => Object.values(m.stateDict()).map((t) => Array.from(t.dataSync()));
      const before = snapshot();
      const { "1.bias": _, ...missing } = good;
      expect(() => m.loadStateDict(missing)).toThrow(ArgumentError);
      expect(() => m.loadStateDict(missing)).toThrow(
        "loadStateDict: names differ (missing [1.bias], unexpected [])",
      );
      expect(() => m.loadStateDict({ ...good, "2.weight": zeros([1]) })).toThrow(
        "loadStateDict: names differ (missing [], unexpected [2.weight])",
      );
      // a later entry with the wrong shape: the earlier ones must not have been written
      const badShape = { ...good, "1.weight": zeros([3, 1]) };
      expect(() => m.loadStateDict(badShape)).toThrow(ShapeError);
      expect(() => m.loadStateDict(badShape)).toThrow(
        "loadStateDict: '1.weight' has shape [3,1] (expected [1,3])",
      );
      expect(snapshot()).toEqual(before);
      const badDType = { ...good, "1.bias": zeros([1], "int32") };
      expect(() => m.loadStateDict(badDType)).toThrow(DTypeError);
      expect(snapshot()).toEqual(before);
      expect(() => m.loadStateDict({ ...good, "1.bias": [1] as unknown as Tensor })).toThrow(
        ArgumentError,
      );
      // names inherited from Object.prototype are not entries
      expect(() => m.loadStateDict({ ...good, toString: zeros([1]) })).toThrow(
        /unexpected \[toString\]/,
      );
      // strict: false loads the names that exist and skips the rest
      m.loadStateDict(
        { "0.bias": tensor([7, 8, 9]), extra: zeros([1]), constructor: zeros([1]) },
        {
          strict: false,
        },
      );
      expect((m.at(0) as Linear).bias!.toArray()).toEqual([7, 8, 9]);
      m.loadStateDict(good);
      expectClose(m.stateDict()["1.bias"]!, [1]);
      m.dispose();
    });
  });

  it("dispose() frees every parameter and buffer", () => {
    const before = memory().tensors;
    const model = new Sequential(
      new Conv2d(1, 2, 3, { seed: 1 }),
      new BatchNorm2d(2),
      new Flatten(),
      new Linear(8, 2, { seed: 2 }),
    );
    // 2 conv + 2 bn params + 2 bn buffers + 2 linear
    expect(memory().tensors).toBe(before + 8);
    const w = model.parameters()[0]!;
    model.dispose();
    expect(memory().tensors).toBe(before);
    expect(w.isDisposed).toBe(true);
    expect(() => model.forward(zeros([1, 1, 4, 4]))).toThrow(DisposedTensorError);
  });

  it("parameters survive the tidy they were created in", () => {
    let model = new Sequential();
    tidy(() => {
      model = new Sequential(new Linear(2, 2, { seed: 1 }), new LayerNorm(2));
    });
    expect(model.parameters().every((p) => !p.isDisposed)).toBe(true);
    expect(model.stateDict()["1.weight"]!.toArray()).toEqual([1, 1]);
    model.dispose();
  });

  it("a training step (forward, backward, update) inside tidy leaks nothing, for every layer", () => {
    const cnn = new Sequential(
      new Conv2d(2, 4, 3, { padding: 1, seed: 1 }),
      new BatchNorm2d(4),
      new ReLU(),
      new MaxPool2d(2),
      new Conv2d(4, 4, 3, { padding: "same", groups: 2, seed: 2 }),
      new LeakyReLU(0.1),
      new AvgPool2d(2, { stride: 1 }),
      new GlobalAvgPool2d(),
      new Flatten(),
      new Linear(4, 6, { seed: 3 }),
      new LayerNorm(6),
      new GELU(),
      new Dropout(0.2, { seed: 4 }),
      new BatchNorm1d(6),
      new Tanh(),
      new Linear(6, 3, { seed: 5 }),
      new Sigmoid(),
      new Softmax(),
    );
    const x = randn([4, 2, 6, 6], { seed: 6 });
    const target = tensor([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
      [1, 0, 0],
    ]);
    const losses: number[] = [];
    const step = (): void =>
      tidy(() => {
        const { value, grads } = valueAndGrad(
          () => mean(mul(target, log(add(cnn.forward(x), 1e-6)))).neg(),
          cnn.parameters(),
        );
        losses.push(value.item());
        noGrad(() => {
          for (const [i, p] of cnn.parameters().entries()) p.assign(sub(p, mul(grads[i]!, 0.5)));
        });
      });
    expectNoLeaks(step, { steps: 20, warmup: 2 });
    expect(losses.every(Number.isFinite)).toBe(true);
    // eval-mode inference leaks nothing either
    cnn.eval();
    expectNoLeaks(() => tidy(() => cnn.forward(x).dispose()), { steps: 10, warmup: 1 });
    x.dispose();
    target.dispose();
    cnn.dispose();
  });
});
