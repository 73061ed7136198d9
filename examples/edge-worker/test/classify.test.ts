// The worker's request decoding and its portable softmax, in Node (no workerd needed).
import { fc, test as fcTest } from "@fast-check/vitest";
import { describe, expect, test } from "vitest";
import {
  argmax,
  bodyKind,
  decodePixels,
  expPortable,
  HttpError,
  mediaType,
  softmax,
} from "../src/classify.js";

const ULP_1 = 2 ** -52; // relative spacing of doubles in [1, 2)

describe("expPortable", () => {
  test("golden values", () => {
    expect(expPortable(0)).toBe(1); // e^0 = 1 exactly (k = 0, r = 0, p = 1)
    expect(Math.abs(expPortable(1) - Math.E) / Math.E).toBeLessThanOrEqual(ULP_1); // e^1 = 2.71828…
    expect(
      Math.abs(expPortable(-1) - 0.36787944117144233) / 0.36787944117144233,
    ).toBeLessThanOrEqual(ULP_1);
    expect(expPortable(Math.LN2 * 10)).toBeCloseTo(1024, 11); // e^(10 ln 2) = 2^10
    expect(expPortable(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(expPortable(-746)).toBe(0); // below the smallest subnormal
    expect(expPortable(-744)).toBeGreaterThan(0); // a subnormal, like Math.exp(−744) ≈ 1e−323
    expect(expPortable(710)).toBe(Number.POSITIVE_INFINITY);
    expect(expPortable(Number.NaN)).toBeNaN();
  });

  fcTest.prop([fc.double({ min: -700, max: 700, noNaN: true })], { numRuns: 2000 })(
    "within 2 ulp of Math.exp on [−700, 700]",
    (x) => {
      const want = Math.exp(x);
      expect(Math.abs(expPortable(x) - want)).toBeLessThanOrEqual(2 * ULP_1 * want);
    },
  );
});

describe("softmax", () => {
  test("golden: softmax([1, 2, 3]) = e^x / Σe^x = [0.0900, 0.2447, 0.6652]", () => {
    const p = softmax([1, 2, 3]);
    expect(p[0]).toBeCloseTo(0.09003057317038046, 15);
    expect(p[1]).toBeCloseTo(0.24472847105479764, 15);
    expect(p[2]).toBeCloseTo(0.6652409557748219, 15);
    expect(argmax(p)).toBe(2);
  });

  fcTest.prop(
    [fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: 1, maxLength: 12 })],
    {
      numRuns: 300,
    },
  )("matches a naive Math.exp softmax and sums to 1", (z) => {
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    const p = softmax(z);
    for (const [k, v] of p.entries())
      expect(Math.abs(v - (e[k] as number) / s)).toBeLessThan(1e-14);
    expect(Math.abs(p.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-13);
  });
});

describe("request decoding", () => {
  test("media types", () => {
    expect(mediaType("Application/JSON; charset=utf-8")).toBe("application/json");
    expect(mediaType(null)).toBe("");
    expect(bodyKind("application/json")).toBe("json");
    expect(bodyKind("application/vnd.digit+json")).toBe("json");
    expect(bodyKind("application/octet-stream")).toBe("binary");
    expect(() => bodyKind("text/plain")).toThrow(HttpError);
  });

  test("uint8 bytes are divided by 255, float32 bytes read little-endian", () => {
    const out = new Float32Array(784);
    const u8 = new Uint8Array(784);
    u8[3] = 255;
    u8[4] = 51; // 51 / 255 = 0.2
    expect(decodePixels("application/octet-stream", u8, out)).toBe("uint8");
    expect([out[3], out[4]]).toEqual([1, Math.fround(0.2)]);
    const f32 = new Uint8Array(784 * 4);
    new DataView(f32.buffer).setFloat32(8, 0.75, true);
    expect(decodePixels("application/octet-stream", f32, out)).toBe("float32");
    expect([out[2], out[3]]).toEqual([0.75, 0]);
  });

  test("each malformed body is an HttpError with its status and code", () => {
    const out = new Float32Array(784);
    const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    const cases: [string, Uint8Array, number, string][] = [
      ["application/json", enc({ pixels: [1, 2] }), 400, "wrong_length"],
      ["application/json", enc({ pixels: new Array(784).fill("x") }), 400, "not_a_number"],
      ["application/json", enc({ pixels: new Array(784).fill(-1) }), 400, "out_of_range"],
      ["application/json", new TextEncoder().encode("{"), 400, "bad_json"],
      ["application/octet-stream", new Uint8Array(5), 400, "wrong_length"],
      ["text/csv", new Uint8Array(784), 415, "unsupported_media_type"],
    ];
    for (const [type, body, status, code] of cases) {
      try {
        decodePixels(type, body, out);
        expect.unreachable(`${type} ${body.length} bytes should have thrown`);
      } catch (e) {
        expect(e).toBeInstanceOf(HttpError);
        expect([(e as HttpError).status, (e as HttpError).code]).toEqual([status, code]);
      }
    }
  });
});
