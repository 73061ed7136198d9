import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BatchNorm1d,
  crossEntropy,
  Dropout,
  type FitOptions,
  fit as fitModel,
  type History,
  Linear,
  ReLU,
  Sequential,
} from "@edgenn/nn";
import { Adam, cosineLR, SGD, warmup } from "@edgenn/optim";
import {
  ArgumentError,
  EdgeNNError,
  ModelFormatError,
  memory,
  Rng,
  setSeed,
  type Tensor,
  tensor,
} from "@edgenn/tensor";
import { test as fcTest } from "@fast-check/vitest";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  CHECKPOINT_VERSION,
  type CheckpointState,
  checkpointInfo,
  decodeCheckpoint,
  encodeCheckpoint,
} from "../src/checkpoint.js";
import { fileCheckpoint, readCheckpoint } from "../src/node.js";

const tmp = mkdtempSync(join(tmpdir(), "edgenn-ckpt-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Three noisy Gaussian blobs in 4-D, labels 0/1/2, from a seeded generator. */
function blobs(n: number, seed: number): { x: Tensor; y: Tensor } {
  const rng = new Rng(seed);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    for (let k = 0; k < 4; k++) xs.push((k === c ? 2 : 0) + rng.normal());
    ys.push(c);
  }
  return { x: tensor(xs, { shape: [n, 4] }), y: tensor(ys, { dtype: "int32" }) };
}

// every kind of state a resume must bring back: parameters, BatchNorm buffers, unseeded Dropout
// (the global generator), Adam's moments and step count, a schedule, the shuffle order
const model = (seed: number): Sequential =>
  new Sequential(
    new Linear(4, 16, { seed }),
    new BatchNorm1d(16),
    new ReLU(),
    new Dropout(0.2),
    new Linear(16, 3, { seed: seed + 1 }),
  );
const DATA = blobs(45, 7); // batches of 8: 6 steps per epoch, the last of 5 samples
const VAL = blobs(12, 8);
const EPOCHS = 3;
const STEPS = 6 * EPOCHS;

function options(m: Sequential, extra: Partial<FitOptions> = {}): FitOptions {
  return {
    epochs: EPOCHS,
    batchSize: 8,
    loss: crossEntropy,
    optimizer: new Adam(m.parameters(), {
      lr: warmup(cosineLR(0.05, { totalSteps: STEPS }), { steps: 3 }),
    }),
    seed: 11,
    validation: VAL,
    earlyStopping: { monitor: "valLoss", patience: 10 },
    ...extra,
  };
}

/** The model's parameters and buffers as bytes, by name. */
const weights = (m: Sequential): Record<string, number[]> =>
  Object.fromEntries(
    Object.entries(m.stateDict()).map(([k, t]) => [
      k,
      Array.from(new Uint8Array(new Float32Array(t.dataSync()).buffer)),
    ]),
  );
/** History without its timing fields (which no two runs share). */
const losses = (h: History) =>
  h.epochs.map(({ seconds: _s, samplesPerSecond: _p, ...rest }) => rest);

/** The uninterrupted run, saving after every step. */
async function straight(): Promise<{
  final: Record<string, number[]>;
  h: History;
  saves: Uint8Array[];
}> {
  setSeed(123);
  const m = model(1);
  const saves: Uint8Array[] = [];
  const h = await fitModel(
    m,
    DATA,
    options(m, { checkpoint: { save: (b) => void saves.push(b), every: 1 } }),
  );
  return { final: weights(m), h, saves };
}
const reference = straight();

async function resumeFrom(bytes: Uint8Array, extra: Partial<FitOptions> = {}) {
  setSeed(999); // a different global state: the checkpoint's must win
  const m = model(50); // different initial weights: the checkpoint's must win
  const h = await fitModel(m, DATA, options(m, { resume: bytes, ...extra }));
  return { final: weights(m), h, m };
}

describe("checkpoint format", () => {
  it("round-trips a state exactly (tensors bit for bit, NaN and -0 included)", () => {
    const state: CheckpointState = {
      epoch: 2,
      step: 3,
      stepsPerEpoch: 4,
      samples: 10,
      batchSize: 3,
      shuffle: true,
      rng: [1, 2, 3, 0xffffffff, Number.NaN],
      globalRng: [5, 6, 7, 8, 0.25],
      accumulators: { lossSum: 1.5, counted: 9, correct: 4, positions: 9, lr: 0.1, trainMs: 3 },
      trainSeconds: 0.5,
      samplesSeen: 19,
      epochs: [{ epoch: 1, loss: Number.NaN, lr: 0.1, samplesPerSecond: 100, seconds: 0.1 }],
      skippedSteps: 4,
      stopper: { best: null, bestEpoch: null, wait: 1 },
      optimizer: {
        kind: "SGD",
        stepCount: 7,
        buffers: { momentumBuffer: [new Float32Array([-0, 1.5]), new Float32Array([3])] },
      },
      model: [
        { name: "0.weight", dtype: "float32", shape: [2, 1], data: new Float32Array([-0, 0.1]) },
        { name: "count", dtype: "int32", shape: [], data: new Int32Array([-5]) },
        { name: "flags", dtype: "bool", shape: [3], data: new Uint8Array([1, 0, 1]) },
      ],
      best: null,
    };
    const bytes = encodeCheckpoint(state);
    // "ENNCKPT\0", then version 1
    expect(Array.from(bytes.subarray(0, 12))).toEqual([
      0x45,
      0x4e,
      0x4e,
      0x43,
      0x4b,
      0x50,
      0x54,
      0,
      CHECKPOINT_VERSION,
      0,
      0,
      0,
    ]);
    const back = decodeCheckpoint(bytes);
    expect(back).toEqual(state);
    expect(Object.is(back.model[0]!.data[0], -0)).toBe(true);
    expect(Object.is(back.optimizer.buffers.momentumBuffer![0]![0], -0)).toBe(true);
    expect(Number.isNaN(back.epochs[0]!.loss)).toBe(true);
    expect(checkpointInfo(bytes)).toMatchObject({
      epoch: 2,
      step: 3,
      globalStep: 7,
      optimizer: "SGD",
    });
  });

  it("rejects every truncation and every flipped byte with ModelFormatError", async () => {
    const { saves } = await reference;
    const bytes = saves[7]!;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: bytes.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (at, x) => {
          const flipped = bytes.slice();
          flipped[at]! ^= x;
          expect(() => decodeCheckpoint(flipped)).toThrow(ModelFormatError);
          expect(() => decodeCheckpoint(bytes.subarray(0, at))).toThrow(ModelFormatError);
        },
      ),
      { numRuns: 150 },
    );
    expect(() => decodeCheckpoint(new Uint8Array(0))).toThrow(
      /decodeCheckpoint: file is truncated/,
    );
    const future = bytes.slice();
    future[8] = 2;
    expect(() => decodeCheckpoint(future)).toThrow(/unsupported version \(expected 1, got 2\)/);
    expect(() => decodeCheckpoint(bytes.slice(0, -1))).toThrow(ModelFormatError);
    expect(() => decodeCheckpoint("x" as unknown as Uint8Array)).toThrow(ArgumentError);
  });

  it("rejects a well-checksummed file whose header is inconsistent", async () => {
    const { saves } = await reference;
    const good = decodeCheckpoint(saves[2]!);
    const cases: [Partial<CheckpointState>, RegExp][] = [
      [{ step: 9 }, /step must be ≤ stepsPerEpoch/],
      [{ stepsPerEpoch: 5 }, /does not fit 45 samples in batches of 8/],
      [{ epochs: [], epoch: 2 }, /must log the 1 completed epochs/],
      [{ rng: [0, 0, 0, 0, Number.NaN] }, /rng is all zeros/],
      [{ rng: [1.5, 0, 0, 0, Number.NaN] }, /rng\[0\] must be an integer/],
      [{ accumulators: { ...good.accumulators, lossSum: Number.NaN } }, /lossSum must be a number/],
    ];
    for (const [patch, message] of cases) {
      const bytes = encodeCheckpoint({ ...good, ...patch });
      expect(() => decodeCheckpoint(bytes)).toThrow(message);
      expect(() => decodeCheckpoint(bytes)).toThrow(ModelFormatError);
    }
  });
});

describe("fit resumes bit-identically", () => {
  it("from every step's checkpoint: same weights, buffers, optimizer state and history", async () => {
    const ref = await reference;
    expect(ref.saves.length).toBe(STEPS);
    expect(ref.h.stoppedBy).toBe("completed");
    // an early, a mid-epoch, an epoch-boundary and the last checkpoint
    for (const k of [0, 8, 11, STEPS - 1]) {
      const info = checkpointInfo(ref.saves[k]!);
      expect(info.globalStep).toBe(k + 1);
      const r = await resumeFrom(ref.saves[k]!);
      expect(r.final, `resumed after step ${k + 1}`).toEqual(ref.final);
      expect(losses(r.h)).toEqual(losses(ref.h));
      expect(r.h.bestEpoch).toBe(ref.h.bestEpoch);
    }
  });

  fcTest.prop([fc.integer({ min: 0, max: STEPS - 1 })], { numRuns: 3 })(
    "from a random step (property)",
    async (k) => {
      const ref = await reference;
      expect((await resumeFrom(ref.saves[k]!)).final).toEqual(ref.final);
    },
  );

  it("chained: resume, save again, resume again", async () => {
    const ref = await reference;
    setSeed(5);
    const m = model(3);
    const saves: Uint8Array[] = [];
    const opts = options(m, {
      resume: ref.saves[2]!,
      checkpoint: { save: (b) => void saves.push(b), every: 1 },
    });
    await fitModel(m, DATA, opts);
    // the resumed run's own checkpoints are the straight run's, byte for byte (timings aside)
    const second = saves[10 - 4]!; // after global step 10 (the first save is after step 4)
    expect(checkpointInfo(second).globalStep).toBe(10);
    expect(decodeCheckpoint(second).model).toEqual(decodeCheckpoint(ref.saves[9]!).model);
    expect((await resumeFrom(second)).final).toEqual(ref.final);
  });

  it("every { epochs }: saves at epoch ends; a final checkpoint resumes to a no-op", async () => {
    const ref = await reference;
    setSeed(123);
    const m = model(1);
    const saves: Uint8Array[] = [];
    await fitModel(
      m,
      DATA,
      options(m, { checkpoint: { save: (b) => void saves.push(b), every: { epochs: 1 } } }),
    );
    expect(saves.map((b) => [checkpointInfo(b).epoch, checkpointInfo(b).step])).toEqual([
      [2, 0],
      [3, 0],
      [4, 0],
    ]);
    expect((await resumeFrom(saves[0]!)).final).toEqual(ref.final);
    const done = await resumeFrom(saves[2]!);
    expect(done.final).toEqual(ref.final);
    expect(losses(done.h)).toEqual(losses(ref.h));
    // more epochs than the first run: training goes on from there
    const more = await resumeFrom(saves[2]!, { epochs: EPOCHS + 1 });
    expect(more.h.epochs.length).toBe(EPOCHS + 1);
  });

  it("an abort saves a checkpoint that resumes where it stopped", async () => {
    const ref = await reference;
    setSeed(123);
    const m = model(1);
    const saves: Uint8Array[] = [];
    const ac = new AbortController();
    const h = await fitModel(
      m,
      DATA,
      options(m, {
        checkpoint: { save: (b) => void saves.push(b), every: 100 },
        signal: ac.signal,
        onProgress: (p) => {
          if (p.epoch === 2 && p.step === 2) ac.abort();
        },
      }),
    );
    expect(h.stoppedBy).toBe("aborted");
    expect(saves.length).toBe(1);
    expect(checkpointInfo(saves[0]!)).toMatchObject({ epoch: 2, step: 2, globalStep: 8 });
    expect((await resumeFrom(saves[0]!)).final).toEqual(ref.final);
  });

  it("saving and resuming leak no tensors; memory stays flat while saving every step", async () => {
    const ref = await reference;
    const m = model(1);
    const opt = options(m, { epochs: 1 });
    const before = memory().tensors;
    const tensors: number[] = [];
    await fitModel(m, DATA, {
      ...opt,
      resume: ref.saves[3]!,
      checkpoint: { save: () => void tensors.push(memory().tensors), every: 1 },
    });
    expect(tensors.length).toBe(2); // steps 5 and 6 of epoch 1
    expect(new Set(tensors).size).toBe(1);
    // what remains is the optimizer's state, created by loadState (2 Adam buffers per parameter)
    expect(memory().tensors - before).toBe(2 * m.parameters().length);
  });

  it("an async save is awaited before the next step", async () => {
    const m = model(1);
    const order: string[] = [];
    await fitModel(
      m,
      DATA,
      options(m, {
        epochs: 1,
        checkpoint: {
          save: async () => {
            order.push("save start");
            await new Promise((r) => setTimeout(r, 2));
            order.push("save end");
          },
          every: 3,
        },
        onProgress: (p) => void order.push(`step ${p.step}`),
      }),
    );
    expect(order).toEqual([
      "step 1",
      "step 2",
      "step 3",
      "save start",
      "save end",
      "step 4",
      "step 5",
      "step 6",
      "save start",
      "save end",
    ]);
  });
});

describe("fit checks checkpoint and resume options", () => {
  it("rejects bad checkpoint options naming fit", async () => {
    const m = model(1);
    for (const checkpoint of [
      {},
      { save: 1 },
      { save() {}, every: 0 },
      { save() {}, every: 1.5 },
      { save() {}, every: { epochs: -1 } },
    ]) {
      await expect(
        fitModel(m, DATA, options(m, { checkpoint } as Partial<FitOptions>)),
      ).rejects.toThrow(/^fit: checkpoint/);
    }
    const noState = { params: m.parameters(), lr: 0.1, step() {} };
    await expect(
      fitModel(m, DATA, { ...options(m), optimizer: noState, checkpoint: { save() {} } }),
    ).rejects.toThrow(/fit: checkpoint needs an optimizer with state\(\) and loadState\(\)/);
    await expect(
      fitModel(m, DATA, options(m, { resume: [1, 2] as unknown as Uint8Array })),
    ).rejects.toThrow(ArgumentError);
    await expect(fitModel(m, DATA, options(m, { resume: new Uint8Array(40) }))).rejects.toThrow(
      ModelFormatError,
    );
    await expect(fitModel(m, DATA, options(m, { resume: new Uint8Array(40) }))).rejects.toThrow(
      /^fit: unusable checkpoint: not a checkpoint \(bad magic bytes\)$/,
    );
  });

  it("refuses a checkpoint of another run, changing nothing", async () => {
    const ref = await reference;
    const bytes = ref.saves[4]!;
    const check = async (m: Sequential, extra: Partial<FitOptions>, message: RegExp) => {
      const before = weights(m);
      const opts = options(m, { resume: bytes, ...extra });
      const err = await fitModel(m, DATA, opts).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EdgeNNError);
      expect((err as Error).message).toMatch(message);
      expect(weights(m)).toEqual(before);
    };
    await check(model(1), { batchSize: 9 }, /fit: the checkpoint is of another run/);
    await check(model(1), { shuffle: false }, /fit: the checkpoint is of another run/);
    const noStopper = { earlyStopping: undefined } as unknown as Partial<FitOptions>;
    await check(model(1), noStopper, /earlyStopping/);
    const wide = new Sequential(
      new Linear(4, 8, { seed: 1 }),
      new ReLU(),
      new Linear(8, 3, { seed: 2 }),
    );
    await check(
      wide as Sequential,
      { optimizer: new Adam(wide.parameters()) },
      /does not fit this model/,
    );
    const m = model(1);
    await check(
      m,
      { optimizer: new SGD(m.parameters(), { lr: 0.1 }) },
      /SGD.loadState: state was written by another optimizer/,
    );
  });
});

describe("@edgenn/nn/node checkpoint files", () => {
  it("fileCheckpoint writes atomically; readCheckpoint returns the last save", async () => {
    const ref = await reference;
    const path = join(tmp, "run.ckpt");
    expect(readCheckpoint(path)).toBeUndefined();
    // a killed writer's leftovers are cleaned up by the next fileCheckpoint
    writeFileSync(join(tmp, ".run.ckpt.deadbeef0000.tmp"), "half");
    writeFileSync(join(tmp, ".other.ckpt.deadbeef0000.tmp"), "not ours");
    setSeed(123);
    const m = model(1);
    await fitModel(m, DATA, options(m, { checkpoint: fileCheckpoint(path, { every: 5 }) }));
    expect(readdirSync(tmp).sort()).toEqual([".other.ckpt.deadbeef0000.tmp", "run.ckpt"]);
    const bytes = readCheckpoint(path)!;
    expect(checkpointInfo(bytes).globalStep).toBe(15);
    expect(decodeCheckpoint(bytes).model).toEqual(decodeCheckpoint(ref.saves[14]!).model);
    expect((await resumeFrom(bytes)).final).toEqual(ref.final);
    // default every: one epoch
    const byEpoch = fileCheckpoint(join(tmp, "e.ckpt"));
    expect(byEpoch.every).toBeUndefined();
    // a damaged file is an error, not a fresh start
    const raw = readFileSync(path);
    writeFileSync(path, raw.subarray(0, raw.length - 10));
    expect(() => readCheckpoint(path)).toThrow(ModelFormatError);
    expect(() => readCheckpoint(path)).toThrow(
      /^readCheckpoint: unusable checkpoint: checksum mismatch/,
    );
    expect(() => fileCheckpoint("")).toThrow(/fileCheckpoint: path must be a non-empty string/);
    expect(() => readCheckpoint(3 as unknown as string)).toThrow(ArgumentError);
    expect(existsSync(join(tmp, "e.ckpt"))).toBe(false);
  });
});
