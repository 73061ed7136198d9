import { fileURLToPath } from "node:url";
import * as quant from "@edgenn/quant";
import * as runtime from "@edgenn/runtime";
import * as ops from "@edgenn/runtime/ops";
import * as tensor from "@edgenn/tensor";
import { collectDocExamples, runDocExample } from "@edgenn/testkit";
import { describe, expect, it } from "vitest";

const examples = collectDocExamples(fileURLToPath(new URL("../src", import.meta.url)));

describe("quant TSDoc @example blocks run and print what they say", () => {
  it("finds examples", () => expect(examples.length).toBeGreaterThan(10));
  for (const ex of examples) {
    it(`${ex.file}:${ex.line}`, async () => {
      expect(
        await runDocExample(ex, { ...tensor, ...runtime, ...ops, ...quant }),
      ).toBeGreaterThanOrEqual(0);
    });
  }
});
