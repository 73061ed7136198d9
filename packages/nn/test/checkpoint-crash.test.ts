/*
 * Crash injection: a child process trains with a checkpoint after every step and is SIGKILLed
 * again and again, at random moments: while it starts and reads its checkpoint, inside a
 * checkpoint write (right after it announces one), and between writes (during training steps).
 * After every kill the checkpoint on disk must load (intact, never going back in steps), the next
 * child resumes from it, and the run finished that way ends with the same weights, byte for byte,
 * as an uninterrupted run. The child is bundled from source with esbuild (vitest's own resolution
 * does not reach a plain `node` process).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Rng } from "@edgenn/tensor";
import { build } from "esbuild";
import { afterAll, expect, it } from "vitest";
import { checkpointInfo } from "../src/checkpoint.js";
import { readCheckpoint } from "../src/node.js";

const KILLS = 24;
const TOTAL_STEPS = 60; // the child: 320 samples, batches of 16, 3 epochs

const tmp = mkdtempSync(join(tmpdir(), "edgenn-crash-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Run {
  /** The child's stdout: "S"/"E" around each checkpoint write, "D" when done. */
  out: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Runs the child in `dir`; `arm(child)` may return a hook called with stdout so far on each chunk. */
function runChild(
  script: string,
  dir: string,
  every: number,
  arm?: (child: ChildProcess) => ((out: string) => void) | undefined,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, dir, String(every)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const onOut = arm?.(child);
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      onOut?.(out);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (code !== 0 && signal === null) reject(new Error(`child failed (${code}): ${err}`));
      else resolve({ out, code, signal });
    });
  });
}

const count = (s: string, c: string): number => s.split(c).length - 1;

it(`survives ${KILLS} SIGKILLs during training and checkpoint writes, then matches an uninterrupted run`, async () => {
  const started = Date.now();
  const script = join(tmp, "child.mjs");
  await build({
    entryPoints: [fileURLToPath(new URL("./checkpoint-crash.child.ts", import.meta.url))],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    conditions: ["@edgenn/source"],
    outfile: script,
    logLevel: "error",
  });

  // the uninterrupted run (no checkpoints written)
  const refDir = join(tmp, "ref");
  mkdirSync(refDir);
  const ref = await runChild(script, refDir, 10_000);
  expect(ref.out).toBe("D");
  const expected = readFileSync(join(refDir, "final.bin"));

  const dir = join(tmp, "crash");
  mkdirSync(dir);
  const path = join(dir, "run.ckpt");
  const rng = new Rng(2026);
  const tally = { startup: 0, inWrite: 0, betweenWrites: 0, leftoverTemp: 0 };
  let lastStep = 0;
  for (let k = 0; k < KILLS; k++) {
    const mode = k % 3; // 0: at a random time, 1: inside a write, 2: between writes
    const nth = 1 + rng.int(2);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = await runChild(script, dir, 1, (child) => {
      const kill = (): boolean => child.kill("SIGKILL");
      // a random-time kill also fires at the end of the 2nd write, so no run can finish on a
      // fast machine
      if (mode === 0) timer = setTimeout(kill, rng.int(700));
      return (out) => {
        if (mode === 0 && count(out, "E") >= 2) kill();
        if (mode === 1 && count(out, "S") >= nth) kill();
        if (mode === 2 && count(out, "E") >= nth && timer === undefined) {
          timer = setTimeout(kill, rng.int(15));
        }
      };
    });
    clearTimeout(timer);
    expect(run.out.includes("D"), `run ${k} finished before its kill`).toBe(false);
    expect(run.signal).toBe("SIGKILL");
    // where did it land? an "S" without its "E" is a kill inside the write
    const last = run.out.at(-1);
    if (last === "S") tally.inWrite++;
    else if (run.out === "") tally.startup++;
    else tally.betweenWrites++;
    tally.leftoverTemp += readdirSync(dir).filter((f) => f.endsWith(".tmp")).length;
    // the checkpoint on disk is always complete and never older than the last one seen
    const bytes = readCheckpoint(path);
    const step = bytes === undefined ? 0 : checkpointInfo(bytes).globalStep;
    expect(step).toBeGreaterThanOrEqual(lastStep);
    expect(step).toBeLessThan(TOTAL_STEPS);
    lastStep = step;
  }
  const finish = await runChild(script, dir, 1);
  expect(finish.out.endsWith("D")).toBe(true);
  expect(readFileSync(join(dir, "final.bin")).equals(expected)).toBe(true);
  expect(checkpointInfo(readCheckpoint(path)!).globalStep).toBe(TOTAL_STEPS);
  expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  expect(tally.inWrite + tally.betweenWrites + tally.startup).toBe(KILLS);
  expect(tally.inWrite).toBeGreaterThanOrEqual(4);
  console.log(
    `checkpoint crash test: ${KILLS} kills (${tally.inWrite} inside a write, ${tally.betweenWrites} between writes, ${tally.startup} before the first write), ${tally.leftoverTemp} leftover temporary files cleaned up, ${lastStep}/${TOTAL_STEPS} steps done before the last run; ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}, 120_000);
