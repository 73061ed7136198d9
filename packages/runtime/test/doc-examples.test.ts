import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { collectDocExamples, runDocExample } from "@edgenn/testkit";
import { afterAll, describe, expect, it } from "vitest";
import * as api from "../src/index.js";
import * as node from "../src/node.js";
import * as onnx from "../src/onnx.js";
import * as ops from "../src/op-sets.js";

const examples = collectDocExamples(fileURLToPath(new URL("../src", import.meta.url)));
const tmp = mkdtempSync(join(tmpdir(), "edgenn-doc-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("TSDoc @example blocks run and print what they say", () => {
  it("finds examples", () => expect(examples.length).toBeGreaterThanOrEqual(8));
  for (const ex of examples) {
    it(`${ex.file}:${ex.line}`, () => {
      expect(runDocExample(ex, { ...api, ...node, ...onnx, ...ops, tmp })).toBeGreaterThan(0);
    });
  }
});
