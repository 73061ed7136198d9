import { fileURLToPath } from "node:url";
import * as optim from "@edgenn/optim";
import * as api from "@edgenn/tensor";
import { collectDocExamples, runDocExample } from "@edgenn/testkit";
import { describe, expect, it } from "vitest";

const examples = collectDocExamples(fileURLToPath(new URL("../src", import.meta.url)));

describe("TSDoc @example blocks run and print what they say", () => {
  it("finds examples", () => expect(examples.length).toBeGreaterThan(15));
  for (const ex of examples) {
    it(`${ex.file}:${ex.line}`, () => {
      api.tidy(() => {
        expect(runDocExample(ex, { ...api, ...optim })).toBeGreaterThan(0);
      });
    });
  }
});
