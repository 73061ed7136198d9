// The TSDoc @example blocks of the checkpoint files, run with the Node entry and a temporary
// directory in scope (doc-examples.test.ts runs the platform-neutral ones).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as autograd from "@edgenn/autograd";
import * as nn from "@edgenn/nn";
import * as optim from "@edgenn/optim";
import * as tensor from "@edgenn/tensor";
import { collectDocExamples, runDocExample } from "@edgenn/testkit";
import { afterAll, describe, expect, it } from "vitest";
import * as node from "../src/node.js";

const examples = collectDocExamples(fileURLToPath(new URL("../src", import.meta.url))).filter(
  (ex) => ex.file === "node.ts" || ex.file === "checkpoint.ts",
);
const tmp = mkdtempSync(join(tmpdir(), "edgenn-ckpt-doc-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("checkpoint TSDoc @example blocks run and print what they say", () => {
  it("finds them", () => expect(examples.length).toBeGreaterThanOrEqual(3));
  for (const ex of examples) {
    it(`${ex.file}:${ex.line}`, async () => {
      const scope = { ...tensor, ...autograd, ...optim, ...nn, ...node, nn, optim, tmp };
      expect(await runDocExample(ex, scope)).toBeGreaterThan(0);
    });
  }
});
