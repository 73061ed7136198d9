import { describe, expect, it } from "vitest";
// @ts-expect-error: the example is plain JavaScript
import { parseCsv, toCsv } from "../csv.mjs";
// @ts-expect-error: the example is plain JavaScript
import { simulateMachine } from "../signal.mjs";

describe("CSV", () => {
  it("parses the documented layout: comments, any column order, optional time and label", () => {
    const text = "# a recording\ntemperature,Vibration,label\n25.5,0.1,0\n\n25.6,-0.2,1\r\n";
    const r = parseCsv(text);
    expect(Array.from(r.vibration)).toEqual([Math.fround(0.1), Math.fround(-0.2)]);
    expect(Array.from(r.temperature)).toEqual([25.5, Math.fround(25.6)]);
    expect(Array.from(r.label)).toEqual([0, 1]);
    expect(r.time).toBeNull();
  });

  it("round-trips a simulated machine through toCsv", () => {
    const m = simulateMachine({ seed: 2, fault: "outer", durationS: 0.5 });
    const r = parseCsv(toCsv(m));
    expect(r.vibration.length).toBe(512);
    for (let i = 0; i < 512; i++) {
      expect(Math.abs(r.vibration[i] - m.vibration[i])).toBeLessThan(1e-5);
      expect(Math.abs(r.temperature[i] - m.temperature[i])).toBeLessThan(1e-3);
    }
    expect(r.time[511]).toBeCloseTo(511 / 1024, 6);
  });

  it("rejects malformed input with the line and column", () => {
    const bad: [string, RegExp][] = [
      ["", /no header row/],
      ["# only a comment\n", /no header row/],
      ["vibration\n0.1\n", /missing column "temperature"/],
      ["vibration,temperature,speed\n", /unknown column "speed"/],
      ["vibration,temperature,vibration\n", /column "vibration" appears twice/],
      [
        "vibration,temperature\n0.1,25\n0.2\n",
        /line 3: expected 2 fields \(vibration,temperature\), got 1/,
      ],
      ["vibration,temperature\n0.1,25,7\n", /line 2: expected 2 fields/],
      [
        "vibration,temperature\n0.1,abc\n",
        /line 2, column "temperature": not a finite number \("abc"\)/,
      ],
      ["vibration,temperature\n,25\n", /line 2, column "vibration": not a finite number/],
      ["vibration,temperature\nInfinity,25\n", /not a finite number/],
      ["vibration,temperature,label\n0.1,25,2\n", /column "label": must be 0 or 1 \(got 2\)/],
      [
        "time,vibration,temperature\n0,0.1,25\n0.01,0.1,25\n",
        /line 3, column "time": samples must be 1\/1024 s apart/,
      ],
      [
        "time,vibration,temperature\n0,0.1,25\n-0.0009765625,0.1,25\n",
        /samples must be 1\/1024 s apart/,
      ],
    ];
    for (const [text, message] of bad) expect(() => parseCsv(text), text).toThrow(message);
    expect(() => parseCsv("vibration,temperature\n0.1,25\n", { minSamples: 4352 })).toThrow(
      /1 samples after the header on line 1, need at least 4352 \(4.25 s at 1024 Hz\)/,
    );
  });
});
