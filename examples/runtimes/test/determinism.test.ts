// Determinism (issue 7, item 2): train-hash.mjs trains a small seeded model on the CPU backend and
// hashes the final weights, the optimizer state, the outputs (nn and runtime Session) and the
// kernels' float64 results. Node (twice), Deno and Bun must print the same hashes. Needs the built
// packages (`pnpm build`); the `deno` and `bun` npm packages ship the binaries.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";

const HERE = fileURLToPath(new URL("..", import.meta.url));
const BIN = (name: string) =>
  fileURLToPath(new URL(`../node_modules/.bin/${name}`, import.meta.url));

const RUNS: [string, string, string[]][] = [
  ["node", process.execPath, ["train-hash.mjs"]],
  ["node (again)", process.execPath, ["train-hash.mjs"]],
  ["deno", BIN("deno"), ["run", "--allow-read", "train-hash.mjs"]],
  ["bun", BIN("bun"), ["train-hash.mjs"]],
];

interface Hashes {
  runtime: string;
  losses: [number, number];
  weights: string;
  optimizer: string;
  outputs: string;
  runtimeOutputs: string;
  randn: string;
  kernels64: string;
}

function run(
  cmd: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd: HERE, timeout: 120_000, env: { ...process.env, NO_COLOR: "1" } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe("the same seed gives bit-identical training and inference everywhere", () => {
  const seen: [string, Hashes][] = [];

  for (const [name, cmd, args] of RUNS) {
    test(`${name}: train-hash.mjs runs`, { timeout: 150_000 }, async () => {
      const { code, stdout, stderr } = await run(cmd, args);
      expect(code, stderr).toBe(0);
      const lines = stdout.trim().split("\n");
      expect(lines, `${name} stderr: ${stderr}`).toHaveLength(1); // one line of JSON
      const h = JSON.parse(lines[0] ?? "") as Hashes;
      expect(h.runtime).toBe(name.split(" ")[0]);
      // training makes progress: the loss falls (ln 3 ≈ 1.1 for 3 balanced classes at random)
      expect(h.losses[1]).toBeLessThan(h.losses[0]);
      for (const k of ["weights", "optimizer", "outputs", "runtimeOutputs", "randn", "kernels64"]) {
        expect(h[k as keyof Hashes]).toMatch(/^[0-9a-f]{64}$/);
      }
      seen.push([name, h]);
    });
  }

  test("every run printed the same hashes", () => {
    expect(seen.map(([n]) => n)).toEqual(RUNS.map(([n]) => n));
    const strip = ({ runtime: _, ...rest }: Hashes) => rest;
    const [first, ...rest] = seen;
    for (const [name, h] of rest)
      expect(strip(h), `${name} vs ${first![0]}`).toEqual(strip(first![1]));
  });
});
