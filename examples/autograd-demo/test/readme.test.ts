import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it, vi } from "vitest";

const readme = readFileSync(fileURLToPath(new URL("../../../README.md", import.meta.url)), "utf8");

describe("README", () => {
  it("its fifteen-line example runs and the loss falls", async () => {
    const code = /## Fifteen lines\s+```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code, "the README has a js block under 'Fifteen lines'").toBeTruthy();
    expect(code!.trim().split("\n").length).toBeLessThanOrEqual(15);
    // run it as a module beside this package, so `edgenn` resolves as it does for a user
    const dir = mkdtempSync(join(fileURLToPath(new URL("..", import.meta.url)), ".readme-"));
    const file = join(dir, "example.mjs");
    writeFileSync(file, code!);
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      await import(/* @vite-ignore */ pathToFileURL(file).href);
      const losses = log.mock.calls.map((c) => c[1] as number);
      expect(losses.length).toBe(5);
      expect(losses[4]).toBeLessThan(losses[0]! / 4);
    } finally {
      log.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("its training example runs and separates the two classes", async () => {
    const code = /## Train a model\s+```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code, "the README has a js block under 'Train a model'").toBeTruthy();
    const dir = mkdtempSync(join(fileURLToPath(new URL("..", import.meta.url)), ".readme-"));
    const file = join(dir, "train.mjs");
    writeFileSync(file, code!);
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      await import(/* @vite-ignore */ pathToFileURL(file).href);
      const [loss, accuracy] = log.mock.calls[0] as [number, number];
      expect(loss).toBeLessThan(0.2);
      expect(accuracy).toBeGreaterThan(0.95);
    } finally {
      log.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("gives the two commands .ci/run runs", () => {
    const ci = readFileSync(fileURLToPath(new URL("../../../.ci/run", import.meta.url)), "utf8");
    const cmd = "npx -y pnpm@12.4.2 install --frozen-lockfile && npx -y pnpm@12.4.2 check";
    expect(readme).toContain(cmd);
    expect(ci).toContain(
      "npx -y pnpm@12.4.2 install --frozen-lockfile && npx -y pnpm@12.4.2 check",
    );
    expect(readme).toContain(
      "npx -y pnpm@12.4.2 install --frozen-lockfile && npx -y pnpm@12.4.2 demo",
    );
  });
});
