import { fileURLToPath } from "node:url";
import * as gpujs from "@edgenn/backend-gpujs";
import * as api from "@edgenn/tensor";
import { collectDocExamples, runDocExample } from "@edgenn/testkit";
import { GPU } from "gpu.js";
import { afterEach, describe, expect, it } from "vitest";

const examples = collectDocExamples(fileURLToPath(new URL("../src", import.meta.url)));

afterEach(() => {
  api.setBackend("cpu");
});

describe("TSDoc @example blocks run and print what they say", () => {
  it("finds examples", () => expect(examples.length).toBeGreaterThanOrEqual(3));
  for (const ex of examples) {
    it(`${ex.file}:${ex.line}`, () => {
      api.tidy(() => {
        expect(runDocExample(ex, { ...api, ...gpujs, GPU })).toBeGreaterThan(0);
      });
    });
  }
});
