// @ts-check
/**
 * Training-throughput workloads: one case per library runs ONE training step (forward, loss,
 * backward, SGD update) on the next batch of a fixed synthetic data set, so the time per case is
 * the time per step and samples/s = batch ÷ that time.
 *
 * - edgenn: `nn.Sequential` of `nn.*` layers, `nn.crossEntropy` on the logits, `optim.SGD`; a step
 *   is `valueAndGrad` + `optimizer.step` inside `tidy`, and the loss is read (`item()`), which is
 *   what `fit` does per batch.
 * - tfjs: a `tf.sequential` tfjs-layers model (softmax output, `categoricalCrossentropy`, `sgd`)
 *   and `model.trainOnBatch(x, y)` (asynchronous: it reads the loss back too), on tfjs-cpu and on
 *   tfjs-wasm.
 *
 * All libraries start from the same initial weights (generated here in edgenn's layout and
 * converted to tfjs's) and see the same batches in the same order. Before timing, one step is run
 * per library and the losses and the updated weights are compared (a check of forward, backward
 * and update together); during timing every step's loss is recorded, and the sanity check is that
 * it goes down (mean of the last steps below the mean of the first).
 */
import { compare, mulberry32, uniform } from "./data.mjs";
import { edgenn, LIBS, TF_BACKEND, tf, tfl, useLib } from "./libs.mjs";
import { TOLERANCE } from "./workloads.mjs";

/** @typedef {import("./libs.mjs").LibName} LibName */
/** @typedef {import("./harness.mjs").Case} Case */
/** @typedef {import("./workloads.mjs").Check} Check */

/**
 * @typedef {object} LossSanity
 * @property {number} firstStepLoss - the loss of the first (untimed) step, from the shared initial weights
 * @property {number} timedSteps - steps run while timing (every one's loss is recorded)
 * @property {number} lossStart - mean loss of the first `window` timed steps
 * @property {number} lossEnd - mean loss of the last `window` timed steps
 * @property {number} window
 * @property {boolean} decreased - lossEnd < lossStart, both finite
 * @property {number[]} losses - every timed step's loss, in order (5 significant digits)
 */

/**
 * @typedef {Omit<import("./workloads.mjs").Prepared, "kind"> & {
 *   kind: "train",
 *   batch: number,
 *   sanity: () => Partial<Record<LibName, LossSanity>>,
 * }} PreparedTrain
 */

/** Batch size of every training workload. */
export const TRAIN_BATCH = 64;
/** Distinct batches in the synthetic data set; steps cycle through them. */
const BATCHES = 8;
/** SGD learning rate, the same for every library. */
const LR = 0.1;
const CLASSES = 10;
const PIXELS = 784;

/**
 * A parameter in edgenn's layout and its place in the tfjs model's `getWeights()` list.
 * @typedef {object} ParamSpec
 * @property {string} name - edgenn `namedParameters()` name, e.g. "0.weight"
 * @property {number[]} shape - edgenn shape
 * @property {number[]} tfShape - tfjs shape
 * @property {Int32Array} perm - tf element j is edgenn element perm[j]
 * @property {Float32Array} init - initial values, edgenn layout
 */

/** @param {number} n */
const identity = (n) => Int32Array.from({ length: n }, (_, i) => i);

/**
 * Linear weight [out, in] (edgenn, PyTorch) ↔ Dense kernel [in, out] (tfjs). With `image` the
 * input features are a flattened [c, h, w] map in edgenn and a flattened [h, w, c] map in tfjs.
 * @param {number} inF
 * @param {number} outF
 * @param {[number, number, number]} [image] - [c, h, w] of the flattened input
 */
function densePerm(inF, outF, image) {
  const perm = new Int32Array(inF * outF);
  for (let i = 0; i < inF; i++) {
    let e = i;
    if (image) {
      const [c, h, w] = image;
      const ch = i % c; // tfjs feature i = (y·w + x)·c + ch
      const yx = (i - ch) / c;
      e = ch * h * w + yx;
    }
    for (let o = 0; o < outF; o++) perm[i * outF + o] = o * inF + e;
  }
  return perm;
}

/**
 * Conv weight [o, i, kh, kw] (edgenn) ↔ conv2d kernel [kh, kw, i, o] (tfjs).
 * @param {number} o
 * @param {number} i
 * @param {number} k
 */
function convPerm(o, i, k) {
  const perm = new Int32Array(o * i * k * k);
  for (let a = 0; a < o; a++)
    for (let b = 0; b < i; b++)
      for (let y = 0; y < k; y++)
        for (let x = 0; x < k; x++)
          perm[((y * k + x) * i + b) * o + a] = ((a * i + b) * k + y) * k + x;
  return perm;
}

/**
 * Glorot-uniform values (limit √(6 / (fanIn + fanOut))), seeded.
 * @param {number} size
 * @param {number} fanIn
 * @param {number} fanOut
 * @param {number} seed
 */
function glorot(size, fanIn, fanOut, seed) {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return uniform(size, seed, -limit, limit);
}

/**
 * @param {string} name
 * @param {number} inF
 * @param {number} outF
 * @param {number} seed
 * @param {[number, number, number]} [image]
 * @returns {ParamSpec[]}
 */
function linearSpecs(name, inF, outF, seed, image) {
  return [
    {
      name: `${name}.weight`,
      shape: [outF, inF],
      tfShape: [inF, outF],
      perm: densePerm(inF, outF, image),
      init: glorot(inF * outF, inF, outF, seed),
    },
    {
      name: `${name}.bias`,
      shape: [outF],
      tfShape: [outF],
      perm: identity(outF),
      init: new Float32Array(outF),
    },
  ];
}

/**
 * The synthetic data set, sparse like MNIST digits: each of the ten classes has a random
 * "prototype", a set of about 20% of the 784 pixels; a sample of class c lights each pixel of
 * prototype c with probability 0.8 and any other pixel with probability 0.05, at an intensity
 * uniform in [0.5, 1) (0 elsewhere), its class uniform at random. The classes are separable, so the
 * loss falls within a few steps; seeded, so every library gets the same batches.
 * @returns {{ x: Float32Array[], labels: Int32Array[], oneHot: Float32Array[] }}
 */
function syntheticData() {
  const prototypes = uniform(CLASSES * PIXELS, 5001, 0, 1).map((u) => (u < 0.2 ? 1 : 0));
  const next = mulberry32(5000);
  /** @type {Float32Array[]} */
  const x = [];
  /** @type {Int32Array[]} */
  const labels = [];
  /** @type {Float32Array[]} */
  const oneHot = [];
  for (let b = 0; b < BATCHES; b++) {
    const xb = new Float32Array(TRAIN_BATCH * PIXELS);
    const lb = new Int32Array(TRAIN_BATCH);
    const oh = new Float32Array(TRAIN_BATCH * CLASSES);
    for (let n = 0; n < TRAIN_BATCH; n++) {
      const c = Math.min(CLASSES - 1, Math.floor(next() * CLASSES));
      for (let i = 0; i < PIXELS; i++) {
        const on = next() < (prototypes[c * PIXELS + i] ? 0.8 : 0.05);
        const v = 0.5 + 0.5 * next();
        xb[n * PIXELS + i] = on ? v : 0;
      }
      lb[n] = c;
      oh[n * CLASSES + c] = 1;
    }
    x.push(xb);
    labels.push(lb);
    oneHot.push(oh);
  }
  return { x, labels, oneHot };
}

/**
 * @param {string} a
 * @param {string} b
 * @param {ArrayLike<number>} x
 * @param {ArrayLike<number>} y
 * @param {string} what
 * @returns {Check}
 */
function check(a, b, x, y, what) {
  const { maxAbsDiff, maxAbs } = compare(x, y);
  return {
    a: `${a} ${what}`,
    b,
    maxAbsDiff,
    maxAbs,
    ok: maxAbsDiff <= TOLERANCE * Math.max(1, maxAbs),
  };
}

/** @param {unknown} err */
const message = (err) => (err instanceof Error ? err.message : String(err)).split("\n")[0];

/**
 * One library's model, ready to step.
 * @typedef {object} Trainer
 * @property {() => number | Promise<number>} step - one training step on the next batch; its loss
 * @property {() => Float32Array} weights - every parameter, edgenn layout, concatenated
 * @property {() => void} dispose
 */

/**
 * @typedef {object} ModelDef
 * @property {string} id
 * @property {string} title
 * @property {number[]} edgennInput - per-sample input shape for edgenn
 * @property {number[]} tfInput - per-sample input shape for tfjs
 * @property {ParamSpec[]} params
 * @property {number} macsPerSample - forward multiply-adds per sample
 * @property {() => import("edgenn").nn.Module} edgennModel
 * @property {() => import("@tensorflow/tfjs-layers").Sequential} tfModel
 * @property {Partial<Record<LibName, string>>} [unsupported] - libraries that cannot train it
 * @property {Record<string, unknown>} params2 - description for the results file
 */

/**
 * The edgenn trainer, or why it cannot run in this build.
 * @param {ModelDef} def
 * @param {ReturnType<typeof syntheticData>} data
 * @returns {Trainer | string}
 */
function edgennTrainer(def, data) {
  const nn = /** @type {Partial<typeof import("edgenn").nn>} */ (edgenn.nn);
  const optim = /** @type {Partial<typeof import("edgenn").optim>} */ (edgenn.optim);
  const missing = [
    ...["Sequential", "Linear", "Conv2d", "ReLU", "MaxPool2d", "Flatten", "crossEntropy"]
      .filter((k) => typeof (/** @type {Record<string, unknown>} */ (nn)[k]) !== "function")
      .map((k) => `nn.${k}`),
    ...(typeof optim.SGD === "function" ? [] : ["optim.SGD"]),
  ];
  if (missing.length) return `${missing.join(", ")} not in this edgenn build yet`;
  const { crossEntropy } = /** @type {typeof import("edgenn").nn} */ (nn);
  const { SGD } = /** @type {typeof import("edgenn").optim} */ (optim);

  const model = def.edgennModel();
  const named = new Map(model.namedParameters());
  /** @type {Record<string, import("edgenn").Tensor>} */
  const state = {};
  for (const p of def.params) state[p.name] = edgenn.tensor(p.init, { shape: p.shape });
  try {
    model.loadStateDict(state);
  } finally {
    edgenn.dispose(Object.values(state));
  }
  const params = model.parameters();
  const optimizer = new SGD(params, { lr: LR });
  const xs = data.x.map((x) => edgenn.tensor(x, { shape: [TRAIN_BATCH, ...def.edgennInput] }));
  const ys = data.labels.map((y) => edgenn.tensor(y, { shape: [TRAIN_BATCH] }));
  let k = 0;
  return {
    step: () => {
      const x = /** @type {import("edgenn").Tensor} */ (xs[k % BATCHES]);
      const y = /** @type {import("edgenn").Tensor} */ (ys[k % BATCHES]);
      k++;
      return edgenn.tidy(() => {
        const { value, grads } = edgenn.valueAndGrad(
          () => crossEntropy(model.forward(x), y),
          params,
        );
        optimizer.step(grads);
        return value.item();
      });
    },
    weights: () => {
      const out = [];
      for (const p of def.params) {
        const t = named.get(p.name);
        if (!t) throw new Error(`edgenn model has no parameter '${p.name}'`);
        out.push(/** @type {Float32Array} */ (t.dataSync()));
      }
      return concat(out);
    },
    dispose: () => {
      edgenn.dispose([...xs, ...ys]);
      model.dispose();
    },
  };
}

/**
 * The tfjs-layers trainer on the active tfjs backend.
 * @param {ModelDef} def
 * @param {ReturnType<typeof syntheticData>} data
 * @returns {Trainer}
 */
function tfTrainer(def, data) {
  const model = def.tfModel();
  model.compile({ optimizer: tf.train.sgd(LR), loss: "categoricalCrossentropy" });
  const initial = def.params.map((p) => {
    const v = new Float32Array(p.init.length);
    for (let j = 0; j < v.length; j++) v[j] = /** @type {number} */ (p.init[p.perm[j] ?? 0]);
    return tf.tensor(v, p.tfShape);
  });
  model.setWeights(initial);
  tf.dispose(initial);
  const xs = data.x.map((x) => tf.tensor(x, [TRAIN_BATCH, ...def.tfInput]));
  const ys = data.oneHot.map((y) => tf.tensor2d(y, [TRAIN_BATCH, CLASSES]));
  let k = 0;
  return {
    step: async () => {
      const x = /** @type {import("@tensorflow/tfjs-core").Tensor} */ (xs[k % BATCHES]);
      const y = /** @type {import("@tensorflow/tfjs-core").Tensor} */ (ys[k % BATCHES]);
      k++;
      return /** @type {number} */ (await model.trainOnBatch(x, y));
    },
    weights: () => {
      const ws = model.getWeights();
      if (ws.length !== def.params.length)
        throw new Error(`tfjs model has ${ws.length} weights (expected ${def.params.length})`);
      return concat(
        def.params.map((p, i) => {
          const tfData = /** @type {Float32Array} */ (
            /** @type {import("@tensorflow/tfjs-core").Tensor} */ (ws[i]).dataSync()
          );
          const e = new Float32Array(tfData.length);
          for (let j = 0; j < e.length; j++)
            e[/** @type {number} */ (p.perm[j])] = /** @type {number} */ (tfData[j]);
          return e;
        }),
      );
    },
    dispose: () => {
      tf.dispose([...xs, ...ys]);
      model.optimizer.dispose();
      model.dispose();
    },
  };
}

/** @param {Float32Array[]} parts */
function concat(parts) {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Builds each library's trainer, runs and checks the first step, warms up, and returns the cases.
 * @param {ModelDef} def
 * @returns {Promise<PreparedTrain>}
 */
async function prepareTrain(def) {
  const data = syntheticData();
  /** @type {Case[]} */
  const cases = [];
  /** @type {Partial<Record<LibName, string>>} */
  const skipped = {};
  /** @type {Partial<Record<LibName, { first: number, weights: Float32Array, losses: number[] }>>} */
  const runs = {};
  /** @type {(() => void)[]} */
  const disposers = [];

  for (const lib of LIBS) {
    useLib(lib);
    if (def.unsupported?.[lib]) {
      skipped[lib] = /** @type {string} */ (def.unsupported[lib]);
      continue;
    }
    /** @type {Trainer | string} */
    let trainer;
    try {
      trainer = lib === "edgenn" ? edgennTrainer(def, data) : tfTrainer(def, data);
    } catch (err) {
      skipped[lib] = `model setup failed: ${message(err)}`;
      continue;
    }
    if (typeof trainer === "string") {
      skipped[lib] = trainer;
      continue;
    }
    const tr = trainer;
    disposers.push(() => {
      useLib(lib);
      tr.dispose();
    });
    /** @type {number[]} */
    const losses = [];
    let first;
    let weights;
    let ms;
    try {
      const t0 = performance.now();
      first = await tr.step();
      ms = performance.now() - t0;
      weights = tr.weights();
      // warm-up (JIT): a few more steps while they stay cheap, the fastest one is the estimate
      let total = ms;
      for (let i = 0; i < 4 && total < 400; i++) {
        const t1 = performance.now();
        await tr.step();
        const dt = performance.now() - t1;
        ms = Math.min(ms, dt);
        total += dt;
      }
    } catch (err) {
      const why = message(err);
      skipped[lib] = TF_BACKEND[lib]
        ? `trainOnBatch failed: ${why}`
        : `training step failed: ${why}`;
      continue;
    }
    runs[lib] = { first, weights, losses };
    cases.push({
      lib,
      defer: true,
      estimateMs: ms,
      fn: () => {
        const r = tr.step();
        if (typeof r === "number") {
          losses.push(r);
          return undefined;
        }
        return r.then((v) => void losses.push(v));
      },
    });
  }

  /** @type {Check[]} */
  const checks = [];
  const pairs = /** @type {[LibName, LibName][]} */ ([
    ["edgenn", "tfjs-cpu"],
    ["edgenn", "tfjs-wasm"],
    ["tfjs-wasm", "tfjs-cpu"],
  ]);
  for (const [a, b] of pairs) {
    const ra = runs[a];
    const rb = runs[b];
    if (!ra || !rb) continue;
    checks.push(check(a, b, [ra.first], [rb.first], "step-1 loss"));
    checks.push(check(a, b, ra.weights, rb.weights, "weights after step 1"));
  }

  const macs = def.macsPerSample;
  return {
    id: def.id,
    kind: "train",
    title: def.title,
    params: def.params2,
    // forward multiply-adds ×2 FLOP, ×3 for forward + both backward products (an estimate)
    flops: 6 * macs * TRAIN_BATCH,
    batch: TRAIN_BATCH,
    cases,
    checks,
    skipped,
    sanity: () => {
      /** @type {Partial<Record<LibName, LossSanity>>} */
      const out = {};
      for (const lib of LIBS) {
        const r = runs[lib];
        if (!r) continue;
        const timed = r.losses;
        const window = Math.max(1, Math.min(8, Math.floor(timed.length / 2)));
        const mean = (/** @type {number[]} */ xs) =>
          xs.length ? xs.reduce((s, v) => s + v, 0) / xs.length : Number.NaN;
        const lossStart = mean(timed.slice(0, window));
        const lossEnd = mean(timed.slice(-window));
        out[lib] = {
          firstStepLoss: r.first,
          timedSteps: timed.length,
          lossStart,
          lossEnd,
          window,
          decreased: timed.length >= 2 && Number.isFinite(lossEnd) && lossEnd < lossStart,
          losses: timed.map((v) => Number(v.toPrecision(5))),
        };
      }
      return out;
    },
    dispose: () => {
      for (const d of disposers) d();
    },
  };
}

/**
 * MLP 784-128-64-10 with ReLU, softmax cross-entropy, SGD lr 0.1, batch 64.
 * @returns {Promise<PreparedTrain>}
 */
export function prepareTrainMlp() {
  const sizes = [PIXELS, 128, 64, CLASSES];
  /** @type {ParamSpec[]} */
  const params = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const inF = /** @type {number} */ (sizes[l]);
    const outF = /** @type {number} */ (sizes[l + 1]);
    params.push(...linearSpecs(String(2 * l), inF, outF, 6000 + l));
  }
  return prepareTrain({
    id: "train-mlp-b64",
    title: "MLP 784-128-64-10 (ReLU), softmax cross-entropy, SGD lr 0.1",
    edgennInput: [PIXELS],
    tfInput: [PIXELS],
    params,
    macsPerSample: 784 * 128 + 128 * 64 + 64 * 10,
    params2: { batch: TRAIN_BATCH, layers: sizes, optimizer: "sgd", lr: LR, batches: BATCHES },
    edgennModel: () => {
      const { nn } = edgenn;
      return new nn.Sequential(
        new nn.Linear(784, 128),
        new nn.ReLU(),
        new nn.Linear(128, 64),
        new nn.ReLU(),
        new nn.Linear(64, 10),
      );
    },
    tfModel: () =>
      tfl.sequential({
        layers: [
          tfl.layers.dense({ inputShape: [784], units: 128, activation: "relu" }),
          tfl.layers.dense({ units: 64, activation: "relu" }),
          tfl.layers.dense({ units: 10, activation: "softmax" }),
        ],
      }),
  });
}

/**
 * Small CNN: Conv 8@3×3 'same' → ReLU → MaxPool 2 → Flatten → Linear 10, SGD lr 0.1, batch 64.
 * edgenn runs NCHW, tfjs NHWC (the Linear weight is permuted to match the two flatten orders).
 * @returns {Promise<PreparedTrain>}
 */
export function prepareTrainCnn() {
  const [C, K, P] = [8, 3, 14];
  const flat = C * P * P;
  /** @type {ParamSpec[]} */
  const params = [
    {
      name: "0.weight",
      shape: [C, 1, K, K],
      tfShape: [K, K, 1, C],
      perm: convPerm(C, 1, K),
      // Glorot for a conv: fanIn = inC·k², fanOut = outC·k²
      init: glorot(C * K * K, K * K, C * K * K, 7000),
    },
    { name: "0.bias", shape: [C], tfShape: [C], perm: identity(C), init: new Float32Array(C) },
    ...linearSpecs("4", flat, CLASSES, 7001, [C, P, P]),
  ];
  return prepareTrain({
    id: "train-cnn-b64",
    title: "CNN Conv 8@3×3 'same' → ReLU → MaxPool 2 → Flatten → Linear 10, SGD lr 0.1",
    edgennInput: [1, 28, 28],
    tfInput: [28, 28, 1],
    params,
    macsPerSample: 28 * 28 * C * K * K + flat * CLASSES,
    params2: {
      batch: TRAIN_BATCH,
      input: [1, 28, 28],
      conv: [C, 1, K, K],
      pool: 2,
      linear: [CLASSES, flat],
      optimizer: "sgd",
      lr: LR,
      batches: BATCHES,
    },
    unsupported: {
      "tfjs-wasm":
        "unsupported: tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel, so it cannot train conv models",
    },
    edgennModel: () => {
      const { nn } = edgenn;
      return new nn.Sequential(
        new nn.Conv2d(1, C, K, { padding: 1 }),
        new nn.ReLU(),
        new nn.MaxPool2d(2),
        new nn.Flatten(),
        new nn.Linear(flat, CLASSES),
      );
    },
    tfModel: () =>
      tfl.sequential({
        layers: [
          tfl.layers.conv2d({
            inputShape: [28, 28, 1],
            filters: C,
            kernelSize: K,
            padding: "same",
            activation: "relu",
          }),
          tfl.layers.maxPooling2d({ poolSize: 2 }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: CLASSES, activation: "softmax" }),
        ],
      }),
  });
}
