// The published bundles run everywhere: no Node built-in imports outside the Node-only entry, no
// Node-only globals, no eval / new Function. Scans packages/*/dist, so it needs `pnpm build`.
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { bundleFiles, REPO, scanBundles, scanSource } from "../scan-bundles.mjs";

describe("scanSource (the scanner itself)", () => {
  test("finds Node built-in imports in every import form", () => {
    const src = [
      'import { readFileSync } from "fs";',
      'import { join } from "node:path";',
      'export * from "os";',
      'import "worker_threads";',
      'const cp = await import("child_process");',
      'var fsp = require("fs/promises");',
      'const b = Buffer.from("x");',
      "const d = __dirname;",
      'import { saveModelFile } from "@edgenn/runtime/node";',
    ].join("\n");
    expect(scanSource(src).map((f) => f.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test("finds eval, new Function and Function(", () => {
    const src = [
      'eval("1+1");',
      'const f = new Function("a", "return a");',
      'Function("return this")();',
    ];
    expect(scanSource(src.join("\n")).map((f) => f.what)).toEqual([
      "eval(",
      "new Function",
      "Function(",
      "Function(",
    ]);
  });

  test("leaves alone what only looks similar", () => {
    const src = [
      'import { add } from "@edgenn/tensor";',
      'var x = require("@edgenn/tensor/kernels");',
      "  eval() {",
      "model.eval();",
      "toFunction(x); myeval(1);",
      "new ArrayBuffer(8); fsx(); pathname;",
      'throw new Error("eval( is not used; os and fs neither");',
    ].join("\n");
    expect(scanSource(src)).toEqual([]);
  });

  test("skips the Node-only entries, and would flag their code anywhere else", () => {
    const { files, skipped } = bundleFiles();
    expect(skipped).toContain("packages/runtime/dist/node.js");
    expect(skipped).toContain("packages/runtime/dist/node.cjs");
    expect(files).not.toContain("packages/runtime/dist/node.js");
    const text = readFileSync(`${REPO}/packages/runtime/dist/node.js`, "utf8");
    expect(scanSource(text).some((f) => f.what === 'Node built-in "fs"')).toBe(true);
  });
});

describe("built bundles", () => {
  test("every published package is built", () => {
    const { files } = bundleFiles();
    for (const pkg of ["tensor", "autograd", "optim", "nn", "quant", "runtime", "edgenn"]) {
      expect(files, `run pnpm build: packages/${pkg}/dist missing`).toContain(
        `packages/${pkg}/dist/index.js`,
      );
    }
  });

  test("no Node built-ins, Node globals or run-time code generation outside Node-only entries", () => {
    expect(scanBundles()).toEqual([]);
  });
});
