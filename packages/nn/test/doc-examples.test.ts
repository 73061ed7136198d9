import { fileURLToPath } from "node:url";
import * as autograd from "@edgenn/autograd";
import * as nn from "@edgenn/nn";
import * as optim from "@edgenn/optim";
import * as tensor from "@edgenn/tensor";
import { collectDocExamples, runDocExample } from "@edgenn/testkit";
import { describe, expect, it } from "vitest";

// checkpoint.ts and node.ts examples need a temporary folder and the Node entry:
// checkpoint-examples.test.ts runs them
const examples = collectDocExamples(fileURLToPath(new URL("../src", import.meta.url))).filter(
  (ex) => ex.file !== "node.ts" && ex.file !== "checkpoint.ts",
);

describe("nn TSDoc @example blocks run and print what they say", () => {
  it("finds examples", () => expect(examples.length).toBeGreaterThan(10));
  for (const ex of examples) {
    it(`${ex.file}:${ex.line}`, async () => {
      // the nn names win over tensor's where both exist (e.g. the layer Conv2d vs the op conv2d)
      const scope = { ...tensor, ...autograd, ...optim, ...nn, nn, optim };
      const r = await runDocExample(ex, scope);
      expect(r).toBeGreaterThanOrEqual(0);
    });
  }
});
