// Load test of the worker in workerd: autocannon over loopback, real MNIST digits, ~5 % malformed.
//   node loadtest.mjs [--duration 60] [--connections 32] [--warmup 10] [--strict-memory] [--json]
//                     [--baseline]   (the same load on an echo worker, for comparison)
// (`pnpm build` first, from the repository root: the worker bundles the built @edgenn/runtime.)
//
// It bundles src/worker.js in memory (the same esbuild settings as build.mjs, nothing written to
// dist/, so it can run while the test suite rebuilds dist/), starts it in workerd through
// miniflare's Node API and drives it with autocannon for `--duration` seconds at `--connections`
// concurrent keep-alive connections. Request k (counted over all connections) is
//   - malformed when k % 20 === 7 (5 %): cycling through bad JSON, a wrong length, 0-255 values in
//     JSON, a NaN float32, a text/plain body and a 65 KiB body, each of which must get its own
//     status and error code (400 bad_json / wrong_length / out_of_range / not_finite, 415, 413);
//   - otherwise one of 200 real test digits, as JSON, float32 or uint8 bytes in turn, whose answer
//     must be a 200 with the same digit as the built runtime gives in Node on the same input.
// Every second it samples the workerd process's resident memory (VmRSS of /proc/<pid>/status) and
// the worker isolate's JS heap in use (V8 inspector, `Runtime.getHeapUsage`).
//
// Pass criteria (exit code 1 otherwise, with the reasons):
//   - no connection errors or timeouts, and no unexpected answer (a wrong status, error code or
//     digit, a body that is not JSON); at least one request of every kind was sent, and at most
//     one per connection (those in flight when the run stops) went unanswered;
//   - the isolate's JS heap does not grow: from second `--warmup` on (default 10, or duration / 3
//     when shorter), the floor (lowest sample, 4 samples a second) of the second half of the
//     samples is less than 8 MiB above the floor of the first half (runs of 20 s or more), and
//     the heap stays under 128 MiB (Cloudflare's limit for one isolate);
//   - afterwards the isolate still answers, with one session (`loads` 1, the same `id` as before).
// "workerd RSS flat from the 10th second" (max − min of the RSS from second `--warmup` on < 8 MiB)
// is reported, and enforced only with --strict-memory: the workerd process (under miniflare) grows
// by some 4 KiB a request, to several hundred MiB a minute, with the classifier and with a worker
// that only echoes a few bytes (`--baseline`) alike, while the isolate heap stays flat; see
// docs/reliability.md.
// The summary is printed as text, and as one JSON line with --json.
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { loadModel } from "@edgenn/runtime";
import { int8Ops } from "@edgenn/runtime/ops";
import autocannon from "autocannon";
import * as esbuild from "esbuild";
import { Miniflare } from "miniflare";
import { loadMnist } from "../mnist-node/data.mjs";
import { argmax } from "./src/classify.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const MODEL_PATH = resolve(HERE, "../mnist-node/models/mnist-mlp-int8.edgenn");
const PIXELS = 784;
const DIGITS = 200;
const MALFORMED_EVERY = 20; // request k is malformed when k % 20 === 7
const MiB = 2 ** 20;
const RSS_FLAT_BYTES = 8 * MiB; // --strict-memory: max − min of the RSS from second `warmup` on
const HEAP_GROWTH_BYTES = 8 * MiB; // the isolate heap's floor: second half vs first half
const HEAP_CEILING_BYTES = 128 * MiB; // Cloudflare's memory limit for one isolate
const HEAP_FLOOR_MIN_SECONDS = 20; // shorter runs have too few GC cycles: the floor is reported only

function flag(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(`loadtest: --${name} needs a non-negative number, got ${process.argv[at + 1]}`);
  }
  return value;
}

/** Bundles the worker into memory: the settings of build.mjs, with `write: false`. */
async function bundle() {
  const modelName = "mnist-mlp-int8.edgenn";
  const result = await esbuild.build({
    entryPoints: [resolve(HERE, "src/worker.js")],
    bundle: true,
    write: false,
    outfile: resolve(HERE, "loadtest-bundle/worker.js"),
    format: "esm",
    platform: "browser",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    logLevel: "warning",
    plugins: [
      {
        name: "edgenn-data-modules",
        setup(b) {
          b.onResolve({ filter: /\.edgenn$/ }, () => ({ path: `./${modelName}`, external: true }));
        },
      },
    ],
  });
  const code = result.outputFiles[0].text;
  return { code, modelName };
}

/** The resident set size of a process in bytes, or NaN when it is gone. */
function rssBytes(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /VmRSS:\s+(\d+) kB/.exec(status);
    return kb ? Number(kb[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/**
 * Connects to the V8 inspector of the user worker's isolate (miniflare's `inspectorPort`) and
 * returns `heapUsed()`: the isolate's JS heap in use, in bytes (`Runtime.getHeapUsage`), or NaN
 * when no answer comes within a second. The WebSocket client is miniflare's own `ws` dependency
 * (Node 20 has no WebSocket global without a flag).
 * @param {Miniflare} mf
 */
async function isolateHeap(mf) {
  const inspector = new URL(await mf.getInspectorURL());
  inspector.protocol = "http:";
  inspector.pathname = "/json";
  const targets = await (await fetch(inspector)).json();
  const target = targets.find((t) => t.id.startsWith("core:user:"));
  if (!target) throw new Error(`loadtest: no user worker among ${targets.map((t) => t.id)}`);
  const fromMiniflare = createRequire(createRequire(import.meta.url).resolve("miniflare"));
  const WebSocket = fromMiniflare("ws");
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((ok, fail) => {
    ws.once("open", ok);
    ws.once("error", fail);
  });
  let id = 0;
  const pending = new Map();
  ws.on("message", (m) => {
    const reply = JSON.parse(String(m));
    pending.get(reply.id)?.(reply);
    pending.delete(reply.id);
  });
  return {
    heapUsed() {
      const i = ++id;
      return new Promise((ok) => {
        const timer = setTimeout(() => {
          pending.delete(i);
          ok(Number.NaN);
        }, 1000);
        pending.set(i, (reply) => {
          clearTimeout(timer);
          ok(reply.result?.usedSize ?? Number.NaN);
        });
        ws.send(JSON.stringify({ id: i, method: "Runtime.getHeapUsage" }));
      });
    },
    close: () => ws.close(),
  };
}

/** The pids of the `workerd` processes descended from this process (miniflare spawns one). */
function workerdPids() {
  const parents = new Map();
  const names = new Map();
  for (const entry of readdirSync("/proc")
    .filter((n) => /^\d+$/.test(n))
    .map(Number)) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      names.set(entry, stat.slice(stat.indexOf("(") + 1, close));
      parents.set(entry, Number(stat.slice(close + 2).split(" ")[1]));
    } catch {
      // the process ended while we looked
    }
  }
  const descends = (pid) => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; p = parents.get(p) ?? 0, hops++) {
      if (p === process.pid) return true;
    }
    return false;
  };
  return [...names].filter(([pid, name]) => name === "workerd" && descends(pid)).map(([p]) => p);
}

const float32Bytes = (x) => {
  const b = Buffer.alloc(x.length * 4);
  for (let i = 0; i < x.length; i++) b.writeFloatLE(x[i], i * 4);
  return b;
};
const uint8Bytes = (x) => Buffer.from(Uint8Array.from(x, (v) => Math.round(v * 255)));

/** The request mix: good digits (3 encodings) and the malformed kinds with their expected answer. */
function makeRequests() {
  const { train, test } = loadMnist();
  const x = test.x.dataSync();
  for (const t of [train.x, train.y, test.x, test.y]) t.dispose();
  const session = loadModel(new Uint8Array(readFileSync(MODEL_PATH)), {
    batchSize: 1,
    ops: [int8Ops],
  });
  const good = [];
  for (let i = 0; i < DIGITS; i++) {
    const pixels = x.slice(i * PIXELS, (i + 1) * PIXELS);
    // the reference answer for each encoding, from the same bytes the worker decodes
    const asUint8 = Float32Array.from(uint8Bytes(pixels), (v) => v / 255);
    const digitOf = (input) => argmax(Array.from(session.run(input).data));
    good.push(
      {
        kind: "json",
        type: "application/json",
        body: JSON.stringify({ pixels: Array.from(pixels) }),
        digit: digitOf(pixels),
      },
      {
        kind: "float32",
        type: "application/octet-stream",
        body: float32Bytes(pixels),
        digit: digitOf(pixels),
      },
      {
        kind: "uint8",
        type: "application/octet-stream",
        body: uint8Bytes(pixels),
        digit: digitOf(asUint8),
      },
    );
  }
  const first = x.slice(0, PIXELS);
  const nan = Float32Array.from(first);
  nan[100] = Number.NaN;
  const bad = [
    { kind: "bad_json", type: "application/json", body: '{"pixels": [0.1, 0.2', status: 400 },
    {
      kind: "wrong_length",
      type: "application/octet-stream",
      body: Buffer.alloc(100),
      status: 400,
    },
    {
      kind: "out_of_range",
      type: "application/json",
      body: JSON.stringify({ pixels: Array.from(first, (v) => Math.round(v * 255)) }),
      status: 400,
    },
    { kind: "not_finite", type: "application/octet-stream", body: float32Bytes(nan), status: 400 },
    { kind: "unsupported_media_type", type: "text/plain", body: "hello", status: 415 },
    {
      kind: "too_large",
      type: "application/octet-stream",
      body: Buffer.alloc(65 * 1024),
      status: 413,
    },
  ];
  return { good, bad };
}

function summarise(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0], max: sorted[sorted.length - 1] };
}

export async function main() {
  const duration = flag("duration", 60);
  const connections = flag("connections", 32);
  const warmup = flag("warmup", Math.min(10, Math.floor(duration / 3)));
  const asJson = process.argv.includes("--json");
  const log = asJson ? (...a) => console.error(...a) : (...a) => console.log(...a);

  const { good, bad } = makeRequests();
  // --baseline: the same load against a worker that only reads the body and answers 200 with a
  // few bytes of JSON, to tell workerd's own memory behaviour from the classifier's.
  const baseline = process.argv.includes("--baseline");
  const { code, modelName } = baseline
    ? {
        code: "export default { async fetch(r) { await r.arrayBuffer(); return Response.json({ baseline: true, session: { loads: 1, id: 'baseline' } }); } };",
        modelName: "unused.edgenn",
      }
    : await bundle();
  const root = resolve(HERE, "loadtest-bundle");
  const mf = new Miniflare({
    modulesRoot: root,
    modules: [
      { type: "ESModule", path: resolve(root, "worker.js"), contents: code },
      { type: "Data", path: resolve(root, modelName), contents: readFileSync(MODEL_PATH) },
    ],
    compatibilityDate: "2026-07-01",
    host: "127.0.0.1",
    port: 0,
    inspectorPort: 0,
  });
  const failures = [];
  try {
    const url = new URL("/classify", await mf.ready);
    const pids = workerdPids();
    if (pids.length !== 1) failures.push(`expected one workerd process, found ${pids.length}`);
    const pid = pids[0];

    // Warm the isolate (the session is created on the first request) and note its id.
    const first = good[0];
    const warm = await fetch(url, {
      method: "POST",
      headers: { "content-type": first.type },
      body: first.body,
    });
    const before = (await warm.json()).session;

    const counts = new Map(); // kind → { sent, unexpected }
    for (const r of [...good, ...bad]) counts.set(r.kind, { sent: 0, ok: 0 });
    const unexpected = [];
    const connectionErrors = new Map(); // error code → count
    let k = 0;
    let goodIndex = 0;
    const request = {
      method: "POST",
      path: "/classify",
      setupRequest(req, context) {
        const n = k++;
        const r =
          n % MALFORMED_EVERY === 7
            ? bad[Math.floor(n / MALFORMED_EVERY) % bad.length]
            : good[goodIndex++ % good.length];
        context.r = r;
        counts.get(r.kind).sent++;
        return { ...req, headers: { "content-type": r.type }, body: r.body };
      },
      onResponse(status, body, context) {
        const r = context.r;
        let why = "";
        try {
          const doc = JSON.parse(body);
          if (baseline) {
            if (status !== 200 || doc.baseline !== true) why = `baseline: status ${status}`;
          } else if (r.digit !== undefined) {
            if (status !== 200) why = `status ${status} (${doc.code})`;
            else if (doc.digit !== r.digit) why = `digit ${doc.digit}, expected ${r.digit}`;
          } else if (status !== r.status || doc.code !== r.kind) {
            why = `status ${status} code ${doc.code}, expected ${r.status} ${r.kind}`;
          }
        } catch {
          why = `status ${status}, body not JSON: ${String(body).slice(0, 80)}`;
        }
        if (why) {
          if (unexpected.length < 20) unexpected.push(`${r.kind}: ${why}`);
          else unexpected.length++;
        } else counts.get(r.kind).ok++;
      },
    };

    const rss = [];
    const heap = [];
    const inspector = await isolateHeap(mf);
    const t0 = Date.now();
    let ticks = 0;
    const sampler = setInterval(() => {
      const t = (Date.now() - t0) / 1000;
      // the heap 4 times a second (to catch the floors of its sawtooth), the RSS every second
      inspector.heapUsed().then((bytes) => heap.push({ t, bytes }));
      if (ticks++ % 4 === 0) rss.push({ t: Math.round(t), bytes: rssBytes(pid) });
    }, 250);
    const load = await (async () => {
      const lavgBefore = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
      const result = await new Promise((done, fail) => {
        const instance = autocannon(
          {
            url: url.href,
            connections,
            duration,
            timeout: 10,
            requests: [request],
            // Which answer preceded a connection error: a server that answers 413/415 before
            // reading the body and then resets the connection loses the next request sent on it.
            setupClient(client) {
              let last = "none";
              client.on("response", (status) => {
                last = String(status);
              });
              client.on("connError", (error) => {
                const key = `${error.code ?? error.message} after ${last}`;
                connectionErrors.set(key, (connectionErrors.get(key) ?? 0) + 1);
              });
            },
          },
          (error, r) => (error ? fail(error) : done(r)),
        );
        instance.on("reqError", (error) => {
          if (error.message === "request timed out") {
            connectionErrors.set("timeout", (connectionErrors.get("timeout") ?? 0) + 1);
          }
        });
      });
      const lavgAfter = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
      return { result, lavgBefore, lavgAfter };
    })();
    clearInterval(sampler);
    inspector.close();
    rss.push({ t: Math.round((Date.now() - t0) / 1000), bytes: rssBytes(pid) });

    // The isolate still answers, with the same single session.
    const after = await fetch(url, {
      method: "POST",
      headers: { "content-type": first.type },
      body: first.body,
    });
    const afterDoc = await after.json();
    if (after.status !== 200 || (!baseline && afterDoc.digit !== first.digit)) {
      failures.push(`after the load: status ${after.status}, digit ${afterDoc.digit}`);
    }
    if (afterDoc.session?.loads !== 1 || afterDoc.session?.id !== before.id) {
      failures.push(
        `session replaced: ${JSON.stringify(before)} → ${JSON.stringify(afterDoc.session)}`,
      );
    }

    const { result } = load;
    const steady = rss.filter((s) => s.t >= warmup && s.t <= duration && Number.isFinite(s.bytes));
    const range =
      steady.length > 0 ? summarise(steady.map((s) => s.bytes)) : { min: NaN, max: NaN };
    const rssGrowth = range.max - range.min;
    let answered = 0;
    let expectedErrors = 0;
    let sent = 0;
    for (const [kind, c] of counts) {
      answered += c.ok;
      sent += c.sent;
      if (bad.some((b) => b.kind === kind)) expectedErrors += c.ok;
      if (c.sent === 0) failures.push(`no ${kind} request was sent`);
    }
    const unanswered = sent - answered - unexpected.length;
    if (unanswered > connections) {
      failures.push(
        `${unanswered} requests unanswered (at most ${connections} in flight at the end)`,
      );
    }
    if (result.errors > 0) {
      failures.push(
        `${result.errors} connection errors ${JSON.stringify(Object.fromEntries(connectionErrors))}`,
      );
    }
    if (result.timeouts > 0) failures.push(`${result.timeouts} timeouts`);
    if (unexpected.length > 0) {
      failures.push(
        `${unexpected.length} unexpected answers: ${unexpected.slice(0, 20).join("; ")}`,
      );
    }
    if (steady.length < Math.max(1, duration - warmup - 1)) {
      failures.push(`only ${steady.length} RSS samples after second ${warmup}`);
    }
    const strictMemory = process.argv.includes("--strict-memory");
    const flat = rssGrowth < RSS_FLAT_BYTES;
    if (strictMemory && !flat) {
      failures.push(
        `workerd RSS not flat from second ${warmup}: max − min ${(rssGrowth / MiB).toFixed(1)} MiB (limit 8 MiB)`,
      );
    }
    const peak = Math.max(...rss.map((s) => s.bytes).filter(Number.isFinite));
    // The isolate's JS heap is a sawtooth (allocation, then GC); its floor (the lowest sample of a
    // stretch) is what stays alive. A leak raises the floor: compare the floors of the two halves
    // of the samples from second `warmup` on.
    const heapSteady = heap.filter((h) => h.t >= warmup && Number.isFinite(h.bytes));
    const half = Math.floor(heapSteady.length / 2);
    const floorOf = (xs) => Math.min(...xs.map((h) => h.bytes));
    const heapFloors = [floorOf(heapSteady.slice(0, half)), floorOf(heapSteady.slice(half))];
    const heapGrowth = heapFloors[1] - heapFloors[0];
    const heapPeak = Math.max(...heap.map((h) => h.bytes).filter(Number.isFinite));
    const checkFloor = duration >= HEAP_FLOOR_MIN_SECONDS;
    if (half < 2) {
      failures.push(`only ${heapSteady.length} isolate heap samples after second ${warmup}`);
    } else if (checkFloor && !(heapGrowth < HEAP_GROWTH_BYTES)) {
      failures.push(
        `isolate heap floor grew from ${(heapFloors[0] / MiB).toFixed(1)} to ${(heapFloors[1] / MiB).toFixed(1)} MiB (limit +8 MiB)`,
      );
    }
    if (!(heapPeak < HEAP_CEILING_BYTES)) {
      failures.push(`isolate heap peaked at ${(heapPeak / MiB).toFixed(1)} MiB (limit 128 MiB)`);
    }

    const mib = (b) => Math.round((b / 2 ** 20) * 10) / 10;
    const summary = {
      baseline,
      duration: result.duration,
      connections,
      requests: result.requests.total,
      requestsPerSecond: Math.round(result.requests.average),
      latencyMs: {
        p50: result.latency.p50,
        p99: result.latency.p99,
        max: result.latency.max,
        mean: Math.round(result.latency.average * 100) / 100,
      },
      answeredAsExpected: answered,
      expectedErrors,
      unexpected: unexpected.length,
      // sent but never answered: in flight when the run stopped (at most one per connection), or
      // lost with a connection the server reset
      unanswered,
      errors: result.errors,
      timeouts: result.timeouts,
      statusCodes: Object.fromEntries(
        Object.entries(result.statusCodeStats).map(([s, v]) => [s, Number(v.count)]),
      ),
      perKind: Object.fromEntries(counts),
      rssMiB: {
        first: mib(rss[0]?.bytes),
        warmupFrom: warmup,
        min: mib(range.min),
        max: mib(range.max),
        growth: mib(rssGrowth),
        flat,
        peak: mib(peak),
        samples: rss.map((s) => mib(s.bytes)),
      },
      isolateHeapMiB: {
        floors: heapFloors.map(mib),
        growth: mib(heapGrowth),
        peak: mib(heapPeak),
        samples: heap.map((s) => mib(s.bytes)),
      },
      session: { loads: afterDoc.session?.loads, runs: afterDoc.session?.runs },
      loadAverage: { before: load.lavgBefore, after: load.lavgAfter },
      failures,
    };
    log(
      [
        `edge-worker load test${baseline ? " (BASELINE: an echo worker, not the classifier)" : ""}: ${summary.duration} s, ${connections} connections, ${summary.requests} requests (${summary.requestsPerSecond}/s)`,
        `  latency p50 ${summary.latencyMs.p50} ms, p99 ${summary.latencyMs.p99} ms, max ${summary.latencyMs.max} ms`,
        `  ${answered} answered as expected (${expectedErrors} malformed got their 4xx), ${summary.unexpected} unexpected, ${summary.unanswered} unanswered (in flight at the end or lost), ${summary.errors} errors, ${summary.timeouts} timeouts`,
        `  status codes ${JSON.stringify(summary.statusCodes)}`,
        `  isolate JS heap ${summary.isolateHeapMiB.floors[0]} → ${summary.isolateHeapMiB.floors[1]} MiB floor over the two halves from second ${warmup} (limit +8${checkFloor ? "" : `, enforced on runs of ${HEAP_FLOOR_MIN_SECONDS} s or more`}), peak ${summary.isolateHeapMiB.peak} MiB (limit 128)`,
        `  workerd RSS ${summary.rssMiB.first} MiB at start, ${summary.rssMiB.min}–${summary.rssMiB.max} MiB from second ${warmup}: ${flat ? "flat" : "NOT flat"} (max − min ${summary.rssMiB.growth} MiB, criterion < 8${strictMemory ? "" : ", enforced only with --strict-memory"})`,
        `  session loads ${summary.session.loads}, runs ${summary.session.runs}; load average ${load.lavgBefore} → ${load.lavgAfter}`,
        failures.length === 0 ? "  PASS" : `  FAIL:\n    ${failures.join("\n    ")}`,
      ].join("\n"),
    );
    if (asJson) console.log(JSON.stringify(summary));
  } finally {
    await mf.dispose();
  }
  return failures.length === 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const passed = await main();
  process.exit(passed ? 0 : 1);
}
