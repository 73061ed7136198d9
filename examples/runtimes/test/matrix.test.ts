// The runtime matrix: smoke.mjs under Node 20, Deno and Bun (the npm packages `deno` and `bun` ship
// the binaries) must predict the same digits and produce bit-identical outputs (equal SHA-256 of the
// output bytes), equal to the fixture written under Node. Needs the built packages (`pnpm build`).
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";

const HERE = fileURLToPath(new URL("..", import.meta.url));
const BIN = (name: string) =>
  fileURLToPath(new URL(`../node_modules/.bin/${name}`, import.meta.url));

const RUNTIMES: Record<string, [string, string[]]> = {
  node: [process.execPath, ["smoke.mjs"]],
  deno: [BIN("deno"), ["run", "--allow-read", "smoke.mjs"]],
  bun: [BIN("bun"), ["smoke.mjs"]],
};

interface Smoke {
  runtime: string;
  version: string;
  ok: boolean;
  modelOk: boolean;
  loadMs: number;
  inferUs: number;
  results: { label: number; predicted: number; sha256: string; match: boolean }[];
  mathExpSha256: string;
}

function run(
  cmd: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd: HERE, timeout: 60_000, env: { ...process.env, NO_COLOR: "1" } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const fixture = JSON.parse(
  readFileSync(new URL("../fixtures/digits.json", import.meta.url), "utf8"),
);

describe("runtime matrix", () => {
  const seen: Record<string, Smoke> = {};

  test("the fixture holds 3 images with a prediction and a hash each", () => {
    expect(fixture.images).toHaveLength(3);
    for (const im of fixture.images) {
      expect(im.pixels).toHaveLength(784);
      expect(im.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(im.predicted).toBeGreaterThanOrEqual(0);
      expect(im.predicted).toBeLessThan(10);
    }
  });

  for (const [name, [cmd, args]] of Object.entries(RUNTIMES)) {
    test(`${name}: smoke.mjs runs and matches the fixture`, { timeout: 90_000 }, async () => {
      const { code, stdout, stderr } = await run(cmd, args);
      const lines = stdout.trim().split("\n");
      expect(lines, `${name} stderr: ${stderr}`).toHaveLength(1); // one line of JSON
      const out = JSON.parse(lines[0] ?? "") as Smoke;
      expect(out.runtime).toBe(name);
      expect(out.modelOk).toBe(true);
      expect(out.results.map((r) => r.predicted)).toEqual(
        fixture.images.map((im: { predicted: number }) => im.predicted),
      );
      expect(out.results.map((r) => r.sha256)).toEqual(
        fixture.images.map((im: { sha256: string }) => im.sha256),
      );
      expect(out.ok).toBe(true);
      expect(code, stderr).toBe(0);
      expect(Number.isFinite(out.inferUs) && out.inferUs > 0).toBe(true);
      seen[name] = out;
    });
  }

  test("every runtime gives the same predictions and bit-identical outputs", () => {
    const names = Object.keys(RUNTIMES);
    expect(Object.keys(seen).sort()).toEqual([...names].sort());
    const key = (s: Smoke) => JSON.stringify(s.results.map((r) => [r.predicted, r.sha256]));
    const node = seen.node as Smoke;
    for (const name of names) expect(key(seen[name] as Smoke), name).toBe(key(node));
    // The matrix, for the README: runtime, version, load time, mean inference time.
    console.log(
      names
        .map((n) => {
          const s = seen[n] as Smoke;
          return `| ${n} ${s.version} | ${s.loadMs} ms | ${s.inferUs} µs | ${s.results.map((r) => r.predicted).join(" ")} | ${s.results.map((r) => r.sha256.slice(0, 8)).join(" ")} | ${s.mathExpSha256} |`;
        })
        .join("\n"),
    );
  });
});
