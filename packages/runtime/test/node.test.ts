import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ModelFormatError } from "@edgenn/tensor";
import { afterAll, describe, expect, it } from "vitest";
import { type Output, saveModel } from "../src/index.js";
import { loadModelFile, saveModelFile } from "../src/node.js";
import { close, mlp, randArray } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "edgenn-runtime-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("saveModelFile / loadModelFile", () => {
  it("saves a graph or bytes, loads it back, and leaves no temporary file", () => {
    const g = mlp();
    const path = join(dir, "mlp.enn");
    saveModelFile(path, g);
    // Buffer.equals: a byte-wise toEqual over 400 KB takes seconds on a busy machine
    expect(readFileSync(path).equals(Buffer.from(saveModel(g)))).toBe(true);
    const x = randArray(784, 3);
    const a = loadModelFile(path).run(x) as Output;
    saveModelFile(join(dir, "copy.enn"), saveModel(g));
    const b = loadModelFile(join(dir, "copy.enn"), { batchSize: 1 }).run(x) as Output;
    close(a.data, b.data, 0, 0);
    expect(readdirSync(dir).sort()).toEqual(["copy.enn", "mlp.enn"]);
  });

  it("replaces an existing file whole; a graph that fails to encode leaves it untouched", () => {
    const path = join(dir, "model.enn");
    writeFileSync(path, "old contents");
    saveModelFile(path, mlp());
    expect(loadModelFile(path).outputs[0]!.shape).toEqual([1, 10]);
    const before = readFileSync(path);
    const broken = { ...mlp(), nodes: [] };
    expect(() => saveModelFile(path, broken)).toThrow(ModelFormatError);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("a failing write removes its temporary file", () => {
    expect(() => saveModelFile(join(dir, "missing-dir", "m.enn"), mlp())).toThrow(/ENOENT/);
    // the target is a directory: rename fails after the temporary file was written
    const target = join(dir, "is-a-dir");
    mkdirSync(target);
    expect(() => saveModelFile(target, mlp())).toThrow(/EISDIR|EEXIST|ENOTEMPTY|EPERM/);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("loading a damaged file is a ModelFormatError", () => {
    const path = join(dir, "bad.enn");
    writeFileSync(path, Buffer.from(saveModel(mlp())).subarray(0, 100));
    expect(() => loadModelFile(path)).toThrow(ModelFormatError);
  });
});
