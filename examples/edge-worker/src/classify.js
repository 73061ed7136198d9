// Request parsing and validation for the digit-classifier worker, as plain functions over Web
// platform types (Request, Uint8Array, DataView): no Node built-ins, no runtime code generation, so
// the same file runs in workerd, a browser, Deno, Bun and Node.

/** Pixels per image: 28 × 28. */
export const PIXELS = 784;
/** The largest body accepted, in bytes (JSON of 784 full-precision numbers is about 15 KiB). */
export const MAX_BODY_BYTES = 64 * 1024;

/** An error that becomes an HTTP response: `status` and a JSON body `{ error, code }`. */
export class HttpError extends Error {
  /**
   * @param {number} status HTTP status code
   * @param {string} code a short machine-readable reason
   * @param {string} message what was wrong, with the expected and actual values
   */
  constructor(status, code, message) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
  }
}

/**
 * Reads a request body into bytes, refusing more than `limit` bytes (413) whether or not the client
 * sent a Content-Length, without buffering more than `limit` + one chunk.
 * @param {Request} request
 * @param {number} [limit]
 * @returns {Promise<Uint8Array>}
 */
export async function readBody(request, limit = MAX_BODY_BYTES) {
  const tooLarge = (n) =>
    new HttpError(413, "too_large", `body too large (expected at most ${limit} bytes, got ${n})`);
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) throw tooLarge(Number(declared));
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw tooLarge(`more than ${limit}`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return bytes;
}

/**
 * The media type of a Content-Type header, lower-cased, without parameters (`; charset=…`).
 * @param {string | null} header
 * @returns {string}
 */
export function mediaType(header) {
  return (header ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

/**
 * Which kind of body a media type announces.
 * @param {string} type the media type (see mediaType)
 * @returns {"json" | "binary"}
 * @throws {HttpError} 415 for any other media type (or none)
 */
export function bodyKind(type) {
  if (type === "application/json" || type.endsWith("+json")) return "json";
  if (type === "application/octet-stream") return "binary";
  throw new HttpError(
    415,
    "unsupported_media_type",
    `expected Content-Type application/json or application/octet-stream, got ${type === "" ? "none" : JSON.stringify(type)}`,
  );
}

/**
 * Checks that every value is a finite number in [0, 1] and copies them into `out`.
 * @param {ArrayLike<unknown>} values
 * @param {Float32Array} out
 * @param {string} what how the values arrived, for the error message
 */
function checkPixels(values, out, what) {
  for (let i = 0; i < PIXELS; i++) {
    const v = values[i];
    if (typeof v !== "number")
      throw new HttpError(400, "not_a_number", `${what}[${i}]: expected a number, got ${show(v)}`);
    if (!Number.isFinite(v))
      throw new HttpError(400, "not_finite", `${what}[${i}]: expected a finite number, got ${v}`);
    if (v < 0 || v > 1)
      throw new HttpError(
        400,
        "out_of_range",
        `${what}[${i}]: expected a value in [0, 1], got ${v}`,
      );
    out[i] = v;
  }
}

/** @param {unknown} v @returns {string} a short description of a JSON value */
function show(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v);
  return typeof v;
}

/**
 * Decodes a body into 784 float32 pixels in [0, 1], by media type:
 * - `application/json`: `{ "pixels": [784 numbers in [0, 1]] }`;
 * - `application/octet-stream`: 784 bytes (uint8 0–255, divided by 255) or 3,136 bytes (784
 *   float32, little-endian, each in [0, 1]).
 * @param {string} type the media type (see mediaType)
 * @param {Uint8Array} body
 * @param {Float32Array} out 784 floats, overwritten
 * @returns {"json" | "uint8" | "float32"} which encoding it was
 * @throws {HttpError} 415 for another media type, 400 for a malformed body
 */
export function decodePixels(type, body, out) {
  if (bodyKind(type) === "json") {
    let doc;
    try {
      doc = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body));
    } catch (e) {
      throw new HttpError(
        400,
        "bad_json",
        `body is not valid JSON (${e instanceof Error ? e.message : e})`,
      );
    }
    if (doc === null || typeof doc !== "object" || Array.isArray(doc))
      throw new HttpError(
        400,
        "bad_json",
        `expected a JSON object { "pixels": [...] }, got ${show(doc)}`,
      );
    const pixels = doc.pixels;
    if (!Array.isArray(pixels))
      throw new HttpError(
        400,
        "bad_json",
        `pixels: expected an array of ${PIXELS} numbers, got ${pixels === undefined ? "nothing" : show(pixels)}`,
      );
    if (pixels.length !== PIXELS)
      throw new HttpError(
        400,
        "wrong_length",
        `pixels: expected ${PIXELS} numbers (28 × 28), got ${pixels.length}`,
      );
    checkPixels(pixels, out, "pixels");
    return "json";
  }
  if (body.byteLength === PIXELS) {
    for (let i = 0; i < PIXELS; i++) out[i] = (body[i] ?? 0) / 255;
    return "uint8";
  }
  if (body.byteLength === PIXELS * 4) {
    const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
    const values = new Float32Array(PIXELS);
    for (let i = 0; i < PIXELS; i++) values[i] = view.getFloat32(i * 4, true);
    checkPixels(values, out, "float32");
    return "float32";
  }
  throw new HttpError(
    400,
    "wrong_length",
    `binary body: expected ${PIXELS} bytes (uint8) or ${PIXELS * 4} bytes (float32 little-endian), got ${body.byteLength}`,
  );
}

// Math.exp is not specified to the last bit, and engines differ: over 20,000 values in [−20, 0],
// workerd's V8 and Node 20's V8 disagree on 1,955 results (by 1 ulp), and Node, Deno and Bun each
// give a different set. expPortable uses only +, −, ×, ÷ and Math.round, which IEEE 754 fixes
// exactly, so the probabilities are bit-identical on every engine (to within ~2 ulp of e^x).
const LN2_HI = 0.6931471803691238; // ln 2 split (fdlibm): LN2_HI has 32 trailing zero bits,
const LN2_LO = 1.9082149292705877e-10; // so k·LN2_HI is exact for |k| < 2^20
const INV_LN2 = Math.LOG2E; // 1/ln 2
const INV_FACT = [1]; // 1/n! for n = 0 … 13 (n! is an exact integer, so each is correctly rounded)
for (let n = 1, f = 1; n <= 13; n++) INV_FACT.push(1 / (f *= n));
const BITS = new DataView(new ArrayBuffer(8));

/** @param {number} k an integer in [−1022, 1023] @returns {number} 2^k, exactly, from its bits */
function pow2(k) {
  BITS.setUint32(0, (k + 1023) << 20);
  BITS.setUint32(4, 0);
  return BITS.getFloat64(0);
}

/**
 * e^x = 2^k · e^r with k = round(x/ln 2) and r = x − k·ln 2 (|r| ≤ ln 2 / 2), e^r by its Taylor
 * series to r^13/13! (truncation below 1e−17 relative), in operations every engine rounds alike.
 * @param {number} x
 * @returns {number}
 */
export function expPortable(x) {
  if (Number.isNaN(x)) return Number.NaN;
  if (x > 709.782712893384) return Number.POSITIVE_INFINITY;
  if (x < -745.1332191019412) return 0;
  let k = Math.round(x * INV_LN2);
  const r = x - k * LN2_HI - k * LN2_LO;
  let p = INV_FACT[13] ?? 0;
  for (let n = 12; n >= 0; n--) p = p * r + (INV_FACT[n] ?? 0);
  // Scale by 2^k in at most three exact power-of-two steps (subnormal results round once, alike).
  if (k < -1000) {
    p *= pow2(-1000);
    k += 1000;
  } else if (k > 1000) {
    p *= pow2(1000);
    k -= 1000;
  }
  return p * pow2(k);
}

/**
 * softmax(z)_k = e^(z_k − max z) / Σ_j e^(z_j − max z), in float64 with expPortable.
 * @param {ArrayLike<number>} logits
 * @returns {number[]}
 */
export function softmax(logits) {
  let max = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < logits.length; k++) max = Math.max(max, logits[k] ?? 0);
  const e = Array.from(logits, (z) => expPortable(z - max));
  let sum = 0;
  for (const v of e) sum += v;
  return e.map((v) => v / sum);
}

/** @param {ArrayLike<number>} v @returns {number} index of the largest value (first on ties) */
export function argmax(v) {
  let best = 0;
  for (let k = 1; k < v.length; k++) if ((v[k] ?? 0) > (v[best] ?? 0)) best = k;
  return best;
}
