import { fileURLToPath } from "node:url";
import { collectDocExamples, expectClose, runDocExample } from "@edgenn/testkit";
import * as edgenn from "edgenn";
import { ArgumentError, loadModel, nn, predict, randn, saveModel, tidy } from "edgenn";
import { describe, expect, it } from "vitest";

describe("saveModel → loadModel (the deploy path of the public API)", () => {
  it("an MLP saved without inputShape runs in the runtime like predict", () => {
    const model = new nn.Sequential(
      new nn.Linear(6, 8, { seed: 1 }),
      new nn.ReLU(),
      new nn.Linear(8, 3, { seed: 2 }),
    );
    const x = randn([5, 6], { seed: 3 });
    const bytes = saveModel(model);
    expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe("ENN1");
    const session = loadModel(bytes, { batchSize: 5 });
    const out = session.run(x.dataSync() as Float32Array);
    tidy(() =>
      expectClose(Array.from(out.data), Array.from(predict(model, x).dataSync()), {
        rtol: 1e-5,
        atol: 1e-6,
      }),
    );
    expect(out.shape).toEqual([5, 3]);
  });

  it("a CNN needs its inputShape", () => {
    const model = new nn.Sequential(new nn.Conv2d(1, 2, 3, { seed: 1 }), new nn.Flatten());
    expect(() => saveModel(model)).toThrow(ArgumentError);
    expect(() => saveModel(model)).toThrow(/pass \{ inputShape \}/);
    const session = loadModel(saveModel(model, { inputShape: [1, 1, 5, 5] }));
    expect(session.run(new Float32Array(25)).shape).toEqual([1, 18]);
  });

  it("runs the umbrella's TSDoc examples", async () => {
    const examples = collectDocExamples(fileURLToPath(new URL("../src", import.meta.url)));
    expect(examples.length).toBeGreaterThan(0);
    for (const ex of examples) await runDocExample(ex, { ...edgenn });
  });
});
