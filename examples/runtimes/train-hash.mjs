// Determinism check (issue 7, item 2): trains a small model with a fixed seed on the CPU backend,
// runs inference (the nn model and the same model saved and loaded into a runtime Session), and
// prints one line of JSON with SHA-256 hashes of the final weights and outputs. The same seed must
// give the same hashes on Node, Deno and Bun and across runs: test/determinism.test.ts compares them.
//
// Every transcendental op is on the path: seeded weights and data (randn: log, sin, cos),
// a GRU (sigmoid, tanh), GELU (erf) and tanh-GELU, sigmoid, tanh, softplus (log1p), exp, log,
// pow, softmax cross-entropy (exp, log) and Adam; then softmax and the runtime's gru/gelu/tanh.
// Imports the built package (`pnpm build` first): by relative path until `edgenn` is a dependency.

import { binary, unary } from "@edgenn/tensor/kernels";
import * as edgenn from "edgenn";

const { nn, optim, randn, tensor, tidy, valueAndGrad, setSeed, Rng } = edgenn;

/** SHA-256 of the bytes of typed arrays, hex (WebCrypto: the same API on Node, Deno and Bun). */
async function sha256(arrays) {
  let n = 0;
  for (const a of arrays) n += a.byteLength;
  const bytes = new Uint8Array(n);
  let o = 0;
  for (const a of arrays) {
    bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), o);
    o += a.byteLength;
  }
  const d = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** An activation layer of its own: softplus (log1p), exp, log and pow, each kept O(1). */
class Mix extends nn.Module {
  forward(x) {
    return tidy(() => {
      const a = edgenn.softplus(x); // log1p(e^−|x|)
      const b = edgenn.log(edgenn.add(edgenn.exp(edgenn.mul(x, 0.25)), 1)); // log(e^(x/4) + 1)
      const c = edgenn.sub(edgenn.exp(edgenn.mul(edgenn.tanh(x), 0.5)), 1);
      const d = edgenn.log(edgenn.add(edgenn.sigmoid(x), 1));
      const e = edgenn.pow(edgenn.add(edgenn.sigmoid(x), 0.5), 1.5);
      return edgenn.add(edgenn.add(edgenn.add(a, b), edgenn.add(c, d)), edgenn.mul(e, 0.1));
    });
  }
}

const SEED = 7;
const [N, T, F, H, C] = [48, 5, 4, 12, 3];
setSeed(SEED);
const rng = new Rng(SEED);
const x = randn([N, T, F], { seed: SEED });
const y = tensor(
  Array.from({ length: N }, () => rng.int(C)),
  { dtype: "int32" },
);

const model = new nn.Sequential(
  new nn.GRU(F, H, { seed: SEED + 1 }),
  new nn.Linear(H, 16, { seed: SEED + 2 }),
  new nn.GELU(),
  new nn.Linear(16, 16, { seed: SEED + 3 }),
  new nn.Tanh(),
  new nn.Linear(16, 16, { seed: SEED + 4 }),
  new nn.GELU({ approximate: "tanh" }),
  new nn.Linear(16, 16, { seed: SEED + 5 }),
  new nn.Sigmoid(),
  new Mix(),
  new nn.Linear(16, C, { seed: SEED + 6 }),
);
const params = model.parameters();
const opt = new optim.Adam(params, { lr: 1e-2 });
const losses = [];
for (let step = 0; step < 30; step++) {
  tidy(() => {
    const { value, grads } = valueAndGrad(() => nn.crossEntropy(model.forward(x), y), params);
    losses.push(value.item());
    opt.step(grads);
  });
}

model.eval();
const xTest = randn([8, T, F], { seed: SEED + 100 });
const probs = tidy(() => edgenn.softmax(model.forward(xTest), -1));
const probsData = probs.dataSync().slice();

// the runtime path: the inference graph without the custom layer (the format has no op for it)
const infer = new nn.Sequential(
  new nn.GRU(F, H, { seed: SEED + 1 }),
  new nn.Linear(H, 16, { seed: SEED + 2 }),
  new nn.GELU(),
  new nn.Linear(16, 16, { seed: SEED + 3 }),
  new nn.Tanh(),
  new nn.Linear(16, 16, { seed: SEED + 4 }),
  new nn.GELU({ approximate: "tanh" }),
  new nn.Linear(16, 16, { seed: SEED + 5 }),
  new nn.Sigmoid(),
  new nn.Linear(16, C, { seed: SEED + 6 }),
  new nn.Softmax(-1),
);
// copy the trained weights in (the same layers in the same order, less Mix)
const trained = params.map((p) => p.dataSync());
infer.parameters().forEach((p, i) => {
  p.assign(tensor(trained[i], { shape: p.shape }));
});
const session = edgenn.loadModel(edgenn.saveModel(infer, { inputShape: [-1, T, F] }), {
  batchSize: 8,
});
const runtimeOut = session.run(xTest.dataSync()).data.slice();

// The kernels' float64 results before the float32 store: one differing bit here is a float32 flip
// somewhere, for some input (training above is too small to hit one by chance). The kernels are
// dtype-generic loops, so a Float64Array shows exactly what they compute.
const M = 20_000;
const xs = Float64Array.from({ length: M }, (_, i) => -20 + i * 0.0021);
const ps = Float64Array.from({ length: M }, (_, i) => 1e-3 + i * 0.0101);
const view = (data) => ({ data, offset: 0, strides: [1] });
const kernelOut = [];
for (const op of ["exp", "log", "tanh", "sigmoid", "softplus", "erf", "log1p", "expm1"]) {
  const o = new Float64Array(M);
  unary(op, view(op === "log" || op === "log1p" ? ps : xs), view(o), [M]);
  kernelOut.push(o);
}
const powOut = new Float64Array(M);
binary("pow", view(ps), view(Float64Array.from(xs, (v) => v / 8)), view(powOut), [M]);
kernelOut.push(powOut);
const normals = new Rng(SEED);
kernelOut.push(Float64Array.from({ length: M }, () => normals.normal()));

const runtime = typeof Bun !== "undefined" ? "bun" : typeof Deno !== "undefined" ? "deno" : "node";
const result = {
  runtime,
  losses: [losses[0], losses.at(-1)],
  weights: await sha256(params.map((p) => p.dataSync())),
  optimizer: await sha256([new TextEncoder().encode(JSON.stringify(opt.state()))]),
  outputs: await sha256([probsData]),
  runtimeOutputs: await sha256([runtimeOut]),
  randn: await sha256([randn([1000], { seed: 1 }).dataSync()]),
  kernels64: await sha256(kernelOut),
};
console.log(JSON.stringify(result));
