import {
  Adam,
  AdamW,
  cosineLR,
  Optimizer,
  type OptimizerState,
  RMSprop,
  SGD,
  warmup,
} from "@edgenn/optim";
import {
  ArgumentError,
  add,
  assign,
  DisposedTensorError,
  DTypeError,
  memory,
  mul,
  randn,
  ShapeError,
  sub,
  type Tensor,
  tensor,
  tidy,
} from "@edgenn/tensor";
import { expectClose, expectNoLeaks } from "@edgenn/testkit";
import { describe, expect, it } from "vitest";

/** Every optimizer with every feature switched on, and a few plain ones. */
const CONFIGS: Record<string, (ps: Tensor[]) => Optimizer> = {
  "SGD nesterov + decay + schedule": (ps) =>
    new SGD(ps, {
      lr: cosineLR(0.1, { totalSteps: 10 }),
      momentum: 0.9,
      nesterov: true,
      weightDecay: 1e-3,
    }),
  "SGD momentum + dampening": (ps) => new SGD(ps, { lr: 0.05, momentum: 0.8, dampening: 0.3 }),
  "SGD plain": (ps) => new SGD(ps, { lr: 0.1 }),
  "Adam L2 + warmup(cosine)": (ps) =>
    new Adam(ps, {
      lr: warmup(cosineLR(0.01, { totalSteps: 10 }), { steps: 3 }),
      weightDecay: 0.01,
    }),
  AdamW: (ps) => new AdamW(ps, { lr: 0.01, beta1: 0.8 }),
  "RMSprop centered + momentum + decay": (ps) =>
    new RMSprop(ps, { lr: 0.01, momentum: 0.9, centered: true, weightDecay: 0.01 }),
  "RMSprop plain": (ps) => new RMSprop(ps),
};

/** Two parameters of different shapes from seeded draws. */
function makeParams(): Tensor[] {
  return [randn([3, 4], { seed: 1 }), randn([4], { seed: 2 })];
}

/** A non-linear gradient field, so the state buffers hold varied values: g = 0.1θ³ + θ − 0.5. */
function gradsOf(params: readonly Tensor[]): Tensor[] {
  return params.map((p) => add(mul(mul(mul(p, p), p), 0.1), sub(p, 0.5)));
}

function run(opt: Optimizer, steps: number): void {
  for (let i = 0; i < steps; i++) tidy(() => opt.step(gradsOf(opt.params)));
}

/** The parameters' float32 bit patterns. */
function bits(params: readonly Tensor[]): number[][] {
  return params.map((p) => Array.from(new Uint32Array(Float32Array.from(p.dataSync()).buffer)));
}

describe("state() / loadState(): resuming gives bit-identical parameters", () => {
  for (const [name, make] of Object.entries(CONFIGS)) {
    it(name, () => {
      // uninterrupted: 8 steps
      const a = makeParams();
      const optA = make(a);
      run(optA, 4);
      const lrAt4 = optA.lr;
      run(optA, 4);
      // interrupted: 4 steps, state through JSON, a new optimizer over copies of the parameters
      const b = makeParams();
      const optB = make(b);
      run(optB, 4);
      const saved = JSON.stringify({
        params: b.map((p) => Array.from(p.dataSync())),
        opt: optB.state(),
      });
      optB.dispose();
      const loaded = JSON.parse(saved) as { params: number[][]; opt: OptimizerState };
      const c = loaded.params.map((v, i) => tensor(Float32Array.from(v), { shape: b[i]!.shape }));
      const optC = make(c);
      optC.loadState(loaded.opt);
      expect(optC.stepCount).toBe(4);
      expect(optC.lr).toBe(lrAt4);
      run(optC, 4);
      expect(bits(c)).toEqual(bits(a));
      expect(optC.state()).toEqual(optA.state());
      for (const t of [...a, ...b, ...c]) t.dispose();
      optA.dispose();
      optC.dispose();
    });
  }

  it("loading into the same optimizer rewinds it (state buffers are overwritten in place)", () => {
    const ps = makeParams();
    const opt = new Adam(ps, { lr: 0.01 });
    run(opt, 3);
    const s = JSON.parse(JSON.stringify(opt.state())) as OptimizerState;
    const p3 = ps.map((p) => tensor(Float32Array.from(p.dataSync()), { shape: p.shape }));
    run(opt, 3);
    const after6 = bits(ps);
    const live = memory().tensors;
    ps.forEach((p, i) => {
      assign(p, p3[i]!);
    });
    opt.loadState(s);
    expect(memory().tensors).toBe(live); // no new state tensors
    expect(opt.stepCount).toBe(3);
    run(opt, 3);
    expect(bits(ps)).toEqual(after6);
    opt.dispose();
    for (const t of [...ps, ...p3]) t.dispose();
  });

  it("state() is plain data: numbers and arrays of numbers", () => {
    const ps = makeParams();
    const opt = new RMSprop(ps, { momentum: 0.5 });
    expect(opt.state()).toEqual({ optimizer: "RMSprop", stepCount: 0, buffers: {} });
    run(opt, 2);
    const s = opt.state();
    expect(s.optimizer).toBe("RMSprop");
    expect(s.stepCount).toBe(2);
    expect(Object.keys(s.buffers).sort()).toEqual(["momentumBuffer", "squareAvg"]);
    expect(s.buffers.squareAvg!.map((a) => a.length)).toEqual([12, 4]);
    expect(s.buffers.squareAvg!.every((a) => Array.isArray(a))).toBe(true);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    // loading a step-0 state resets: the next step is a first step again
    opt.loadState({ optimizer: "RMSprop", stepCount: 0, buffers: {} });
    expect(opt.state()).toEqual({ optimizer: "RMSprop", stepCount: 0, buffers: {} });
    opt.dispose();
    for (const p of ps) p.dispose();
  });

  it("bad states are ArgumentErrors naming the optimizer, and change nothing", () => {
    const ps = makeParams();
    const sgd = new SGD(ps, { lr: 0.1, momentum: 0.9 });
    run(sgd, 1);
    const good = sgd.state();
    const adam = new Adam(ps);
    run(adam, 1);
    const err = (s: unknown) => () => sgd.loadState(s as OptimizerState);
    expect(err(adam.state())).toThrow(
      /^SGD.loadState: state was written by another optimizer \(expected "SGD", got "Adam"\)/,
    );
    expect(err(null)).toThrow(/^SGD.loadState: state must be an object/);
    expect(err({ ...good, stepCount: -1 })).toThrow(/^SGD.loadState: stepCount must be an integer/);
    expect(err({ ...good, stepCount: 1.5 })).toThrow(ArgumentError);
    expect(err({ ...good, buffers: {} })).toThrow(/expected \[momentumBuffer\], got \[\]/);
    expect(
      err({ ...good, buffers: { momentumBuffer: [good.buffers.momentumBuffer![0]] } }),
    ).toThrow(
      /^SGD.loadState: buffers.momentumBuffer must hold one array per parameter \(expected 2, got 1\)/,
    );
    const short = [good.buffers.momentumBuffer![0], [1, 2, 3]];
    expect(err({ ...good, buffers: { momentumBuffer: short } })).toThrow(
      /buffers.momentumBuffer\[1\] must hold params\[1\].size numbers \(expected 4, got 3\)/,
    );
    // NaN becomes null in JSON
    const nan = JSON.parse(
      JSON.stringify({
        ...good,
        buffers: { momentumBuffer: [good.buffers.momentumBuffer![0], [1, 2, Number.NaN, 4]] },
      }),
    );
    expect(err(nan)).toThrow(
      /buffers.momentumBuffer\[1\]\[2\] must be a finite number \(got null\)/,
    );
    // a momentum-free SGD has no buffers to load
    const plain = new SGD(ps, { lr: 0.1 });
    expect(() => plain.loadState(good)).toThrow(/expected \[\], got \[momentumBuffer\]/);
    expect(sgd.state()).toEqual(good);
    for (const o of [sgd, adam, plain]) o.dispose();
    for (const p of ps) p.dispose();
  });
});

describe("memory: state tensors are created once and each step frees what it makes", () => {
  for (const [name, make] of Object.entries(CONFIGS)) {
    it(`${name}: 200 steps, no growth`, () => {
      const ps = makeParams();
      const opt = make(ps);
      const before = memory().tensors;
      run(opt, 1);
      // one tensor per buffer per parameter, made on the first step
      const buffers = Object.keys(opt.state().buffers).length;
      expect(memory().tensors).toBe(before + buffers * ps.length);
      expectNoLeaks(() => run(opt, 1), { steps: 200, warmup: 1 });
      opt.dispose();
      expect(memory().tensors).toBe(before);
      for (const p of ps) p.dispose();
    });
  }
});

describe("convergence: minimise f(x) = ½Σ aᵢ(xᵢ − cᵢ)², a = [1, 4, 0.5], c = [1, −2, 3]", () => {
  const a = [1, 4, 0.5];
  const c = [1, -2, 3];
  const cases: [string, (ps: Tensor[]) => Optimizer, number][] = [
    ["SGD", (ps) => new SGD(ps, { lr: 0.2 }), 200],
    ["SGD nesterov", (ps) => new SGD(ps, { lr: 0.05, momentum: 0.9, nesterov: true }), 200],
    ["Adam", (ps) => new Adam(ps, { lr: cosineLR(0.2, { totalSteps: 500 }) }), 500],
    [
      "AdamW",
      (ps) => new AdamW(ps, { lr: cosineLR(0.2, { totalSteps: 500 }), weightDecay: 0 }),
      500,
    ],
    ["RMSprop", (ps) => new RMSprop(ps, { lr: cosineLR(0.05, { totalSteps: 500 }) }), 500],
    [
      "RMSprop centered",
      (ps) =>
        new RMSprop(ps, { lr: cosineLR(0.02, { totalSteps: 500 }), centered: true, momentum: 0.5 }),
      500,
    ],
  ];
  for (const [name, make, steps] of cases) {
    it(`${name} reaches the minimum`, () => {
      const x = tensor([0, 0, 0]);
      const opt = make([x]);
      const at = tensor(a);
      const target = tensor(c);
      // ∇f = a·(x − c)
      for (let i = 0; i < steps; i++) tidy(() => opt.step([mul(at, sub(x, target))]));
      expectClose(x, c, { rtol: 0, atol: 1e-3 });
      opt.dispose();
      for (const t of [x, at, target]) t.dispose();
    });
  }
});

describe("bad input: typed errors naming the optimizer", () => {
  it("constructor options", () => {
    tidy(() => {
      const w = tensor([1, 2]);
      expect(() => new SGD([w], {} as never)).toThrow(
        /^SGD: lr must be a finite number ≥ 0 \(got undefined\)/,
      );
      expect(() => new SGD([w], { lr: -0.1 })).toThrow(/^SGD: lr must be a finite number ≥ 0/);
      expect(() => new Adam([w], { lr: Number.NaN })).toThrow(/^Adam: lr must be/);
      expect(() => new Adam([w], { beta1: 1 })).toThrow(
        /^Adam: beta1 must be a finite number in \[0, 1\) \(got 1\)/,
      );
      expect(() => new AdamW([w], { beta2: -0.1 })).toThrow(/^AdamW: beta2 must be/);
      expect(() => new AdamW([w], { weightDecay: -1 })).toThrow(/^AdamW: weightDecay must be/);
      expect(() => new Adam([w], { epsilon: Number.POSITIVE_INFINITY })).toThrow(/^Adam: epsilon/);
      expect(() => new RMSprop([w], { alpha: 1 })).toThrow(/^RMSprop: alpha must be/);
      expect(() => new RMSprop([w], { momentum: -1 })).toThrow(/^RMSprop: momentum/);
      expect(() => new RMSprop([w], { centered: "yes" } as never)).toThrow(
        /^RMSprop: centered must be a boolean/,
      );
      expect(() => new SGD([w], { lr: 0.1, momentum: Number.POSITIVE_INFINITY })).toThrow(
        /^SGD: momentum/,
      );
      expect(() => new SGD([w], { lr: 0.1, dampening: 2 })).toThrow(/^SGD: dampening/);
      expect(() => new SGD([w], { lr: 0.1, nesterov: true })).toThrow(
        /^SGD: Nesterov momentum needs momentum > 0 and dampening 0/,
      );
      expect(
        () => new SGD([w], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }),
      ).toThrow(ArgumentError);
      expect(() => new SGD([w], { lr: 0.1, learningRate: 1 } as never)).toThrow(
        /^SGD: unknown option 'learningRate'/,
      );
      expect(() => new Adam([w], 0.1 as never)).toThrow(/^Adam: options must be an object/);
    });
  });

  it("constructor params", () => {
    tidy(() => {
      const w = tensor([1, 2]);
      expect(() => new Adam([])).toThrow(/^Adam: params is empty/);
      expect(() => new Adam(w as never)).toThrow(/^Adam: params must be an array/);
      expect(() => new Adam([w, w])).toThrow(/^Adam: params\[1\] appears twice/);
      expect(() => new Adam([1] as never)).toThrow(/^Adam: params\[0\] must be a Tensor/);
      expect(() => new RMSprop([tensor([1], { dtype: "int32" })])).toThrow(DTypeError);
      expect(() => new RMSprop([tensor([1], { dtype: "int32" })])).toThrow(
        /^RMSprop: params\[0\] has dtype int32 \(expected float32/,
      );
      expect(() => new AdamW([tensor([1]).expand([3])])).toThrow(
        /^AdamW: params\[0\] is a broadcast view/,
      );
      const d = tensor([1]);
      d.dispose();
      expect(() => new SGD([w, d], { lr: 1 })).toThrow(DisposedTensorError);
      expect(() => new SGD([w, d], { lr: 1 })).toThrow(/^SGD: params\[1\] is disposed/);
    });
  });

  it("step: grads count, shape, dtype, disposal; nothing changes on error", () => {
    tidy(() => {
      const w = tensor([1, 2]);
      const v = tensor([[1], [2]]);
      const opt = new Adam([w, v], { lr: 0.1 });
      const g = tensor([1, 1]);
      const h = tensor([[1], [1]]);
      expect(() => opt.step([g])).toThrow(
        /^Adam.step: one gradient per parameter \(expected 2, got 1\)/,
      );
      expect(() => opt.step(g as never)).toThrow(/^Adam.step: grads must be an array/);
      expect(() => opt.step([g, tensor([1, 1])])).toThrow(ShapeError);
      expect(() => opt.step([g, tensor([1, 1])])).toThrow(
        /^Adam.step: grads\[1\] does not match params\[1\] \(expected shape \[2,1\], got \[2\]\)/,
      );
      expect(() => opt.step([tensor([1, 1], { dtype: "int32" }), h])).toThrow(DTypeError);
      expect(() => opt.step([tensor([1, 1], { dtype: "int32" }), h])).toThrow(
        /^Adam.step: grads\[0\] has dtype int32/,
      );
      expect(() => opt.step([g, null] as never)).toThrow(/^Adam.step: grads\[1\] must be a Tensor/);
      const gone = tensor([1, 1]);
      gone.dispose();
      expect(() => opt.step([gone, h])).toThrow(/^Adam.step: grads\[0\] is disposed/);
      expect(w.toArray()).toEqual([1, 2]);
      expect(opt.stepCount).toBe(0);
      expect(opt.state().buffers).toEqual({});
      v.dispose();
      expect(() => opt.step([g, h])).toThrow(/^Adam.step: params\[1\] is disposed/);
      opt.dispose();
    });
  });

  it("a schedule returning a bad rate; use after dispose", () => {
    tidy(() => {
      const w = tensor([1]);
      const g = tensor([1]);
      const nan = new SGD([w], { lr: () => Number.NaN });
      expect(() => nan.lr).toThrow(/^SGD: the learning-rate schedule returned NaN at step 0/);
      expect(() => nan.step([g])).toThrow(ArgumentError);
      const neg = new RMSprop([w], { lr: (t) => 0.1 - t });
      tidy(() => neg.step([g]));
      expect(() => neg.step([g])).toThrow(
        /^RMSprop: the learning-rate schedule returned -0.9 at step 1/,
      );
      expect(neg.stepCount).toBe(1);
      neg.dispose();
      neg.dispose(); // idempotent
      expect(() => neg.step([g])).toThrow(DisposedTensorError);
      expect(() => neg.state()).toThrow(/^RMSprop.state: optimizer used after dispose/);
      expect(() => neg.loadState({ optimizer: "RMSprop", stepCount: 0, buffers: {} })).toThrow(
        DisposedTensorError,
      );
      nan.dispose();
    });
  });

  it("params is a frozen copy; Optimizer is the base class", () => {
    tidy(() => {
      const ps = [tensor([1])];
      const opt = new SGD(ps, { lr: 0.1 });
      ps.push(tensor([2]));
      expect(opt.params.length).toBe(1);
      expect(Object.isFrozen(opt.params)).toBe(true);
      expect(opt).toBeInstanceOf(Optimizer);
      opt.dispose();
    });
  });
});
