// A 5-second version of the load test (loadtest.mjs; the 60-second run is `pnpm loadtest`): the
// worker in workerd under 32 concurrent keep-alive connections of real digits with 5 % malformed
// requests mixed in. Every answer must be the expected one (the digit the runtime gives in Node, or
// the malformed request's own 4xx and error code), with no connection error, no timeout, the same
// single session afterwards, and workerd's memory under the ceiling.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

interface Summary {
  requests: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  answeredAsExpected: number;
  expectedErrors: number;
  unexpected: number;
  unanswered: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  perKind: Record<string, { sent: number; ok: number }>;
  rssMiB: { peak: number; growth: number };
  isolateHeapMiB: { floors: number[]; growth: number; peak: number };
  session: { loads: number; runs: number };
  failures: string[];
}

const SCRIPT = fileURLToPath(new URL("../loadtest.mjs", import.meta.url));

test("5 s at 32 connections: every answer as expected, no connection errors", () => {
  const run = spawnSync(process.execPath, [SCRIPT, "--duration", "5", "--json"], {
    encoding: "utf8",
    timeout: 90_000,
  });
  const lines = run.stdout.trim().split("\n");
  expect(run.status, `${run.stderr}\n${run.stdout}`).toBe(0);
  const summary = JSON.parse(lines[lines.length - 1] as string) as Summary;
  console.log(run.stderr.trim());

  expect(summary.failures).toEqual([]);
  expect(summary.errors).toBe(0);
  expect(summary.timeouts).toBe(0);
  expect(summary.unexpected).toBe(0);
  // Only the requests in flight when autocannon stopped may go unanswered (one per connection).
  expect(summary.unanswered).toBeLessThanOrEqual(32);
  expect(summary.requests).toBeGreaterThan(100);
  expect(summary.answeredAsExpected).toBe(summary.requests);
  // Every kind was sent and answered; the malformed ones are 1 in 20 of all requests.
  for (const [kind, c] of Object.entries(summary.perKind)) {
    expect(c.ok, kind).toBeGreaterThan(0);
  }
  const malformed = summary.expectedErrors / summary.requests;
  expect(malformed).toBeGreaterThan(0.04);
  expect(malformed).toBeLessThan(0.06);
  for (const status of ["200", "400", "413", "415"]) {
    expect(summary.statusCodes[status], status).toBeGreaterThan(0);
  }
  // No internal errors.
  expect(summary.statusCodes["500"]).toBeUndefined();
  expect(summary.session.loads).toBe(1);
  expect(summary.session.runs).toBeGreaterThanOrEqual(summary.statusCodes["200"] as number);
  expect(summary.isolateHeapMiB.peak).toBeLessThan(128);
}, 120_000);
