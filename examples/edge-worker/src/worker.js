// A Cloudflare-Workers-style module worker that classifies a posted 28 × 28 digit with the int8
// MNIST model and @edgenn/runtime.
//
//   POST /classify   Content-Type: application/json          {"pixels": [784 numbers in [0, 1]]}
//                    Content-Type: application/octet-stream  784 bytes (uint8) or 3,136 (float32 LE)
//   → 200 {"digit", "probabilities", "logits", "input", "inferenceMs", "session"}
//   → 400 / 413 / 415 / 405 / 404 {"error", "code"} for everything else.
//
// The model is a module asset: a workerd "Data" module (wrangler: `[[rules]] type = "Data"`), which
// the import below receives as an ArrayBuffer; no fetch, no KV, nothing compiled at run time.
import { loadModel } from "@edgenn/runtime";
import { int8Ops } from "@edgenn/runtime/ops";
import MODEL from "../../mnist-node/models/mnist-mlp-int8.edgenn";
import {
  argmax,
  bodyKind,
  decodePixels,
  HttpError,
  mediaType,
  PIXELS,
  readBody,
  softmax,
} from "./classify.js";

// One session per isolate, created on the first request and reused by every later one: loading
// plans the arena and warms the kernels once. The weights are views into the module's bytes.
let session = null;
let sessionId = "";
let loads = 0;
let runs = 0;
const input = new Float32Array(PIXELS);

function getSession() {
  if (session === null) {
    session = loadModel(new Uint8Array(MODEL), { batchSize: 1, ops: [int8Ops] });
    sessionId = crypto.randomUUID(); // inside a request: workerd forbids randomness at module scope
    loads++;
  }
  return session;
}

/** @param {number} status @param {unknown} body @param {Record<string, string>} [headers] */
function json(status, body, headers = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/** @param {Request} request @returns {Promise<Response>} */
async function classify(request) {
  const url = new URL(request.url);
  if (url.pathname !== "/classify")
    throw new HttpError(404, "not_found", `no route ${url.pathname} (expected POST /classify)`);
  if (request.method !== "POST")
    throw new HttpError(405, "method_not_allowed", `expected POST, got ${request.method}`);
  const type = mediaType(request.headers.get("content-type"));
  bodyKind(type); // a 415 before reading the body
  const body = await readBody(request);
  // From here on everything is synchronous, so concurrent requests in this isolate cannot interleave
  // between filling `input`, running, and copying the session-owned output.
  const encoding = decodePixels(type, body, input);
  const s = getSession();
  const t0 = performance.now();
  const logits = Array.from(s.run(input).data);
  const inferenceMs = performance.now() - t0;
  runs++;
  const probabilities = softmax(logits);
  return json(200, {
    digit: argmax(logits),
    probabilities,
    logits,
    input: encoding,
    // workerd advances its clock only on I/O (a Spectre mitigation), so this is 0 there; the README
    // gives the latency measured by the client.
    inferenceMs,
    session: { id: sessionId, loads, runs, arenaBytes: s.arenaBytes, weightBytes: s.weightBytes },
  });
}

// Bodies of up to this many bytes are read to the end before an error answer (see drainBody).
const DRAIN_LIMIT = 1 << 20;

/**
 * Reads and drops the rest of a body of known length ≤ DRAIN_LIMIT: an unread body makes workerd
 * reset the keep-alive connection after a 413/415, losing the client's next request on it (found
 * by the load test).
 * @param {Request} request
 */
async function drainBody(request) {
  if (request.body === null || request.bodyUsed) return;
  const header = request.headers.get("content-length");
  if (header === null || !(Number(header) <= DRAIN_LIMIT)) return;
  try {
    await request.arrayBuffer();
  } catch {
    // the client went away
  }
}

export default {
  /** @param {Request} request @returns {Promise<Response>} */
  async fetch(request) {
    try {
      return await classify(request);
    } catch (e) {
      await drainBody(request);
      if (e instanceof HttpError) {
        const headers = e.status === 405 ? { allow: "POST" } : {};
        return json(e.status, { error: e.message, code: e.code }, headers);
      }
      const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      return json(500, { error: `internal error (${message})`, code: "internal" });
    }
  },
};
