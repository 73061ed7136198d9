import { describe, expect, it } from "vitest";
// @ts-expect-error: the example is plain JavaScript
import { BPFI_RATIO, BPFO_RATIO, makeFleet, simulateMachine } from "../signal.mjs";

/**
 * |X(f)| / N of x at frequency f (Hz): a naive single-bin DFT with a Hann window w (against leakage
 * from the strong shaft lines), Σ w[n]·x[n]·e^{−2πi f n / fs}. A sine of amplitude A reads A/4.
 */
function dftMagnitude(x: Float32Array, f: number, fs: number): number {
  let re = 0;
  let im = 0;
  for (let n = 0; n < x.length; n++) {
    const a = (-2 * Math.PI * f * n) / fs;
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / x.length);
    re += w * x[n]! * Math.cos(a);
    im += w * x[n]! * Math.sin(a);
  }
  return Math.hypot(re, im) / x.length;
}

/** The median of |X(f)| / N over the integer frequencies lo…hi Hz (the noise floor). */
function floor(x: Float32Array, lo: number, hi: number, fs: number): number {
  const m: number[] = [];
  for (let f = lo; f <= hi; f++) m.push(dftMagnitude(x, f, fs));
  m.sort((a, b) => a - b);
  return m[m.length >> 1]!;
}

describe("signal generator", () => {
  it("is deterministic by seed, and different seeds give different machines", () => {
    const a = simulateMachine({ seed: 7, fault: "outer", durationS: 2 });
    const b = simulateMachine({ seed: 7, fault: "outer", durationS: 2 });
    const c = simulateMachine({ seed: 8, fault: "outer", durationS: 2 });
    expect(a.vibration).toEqual(b.vibration);
    expect(a.temperature).toEqual(b.temperature);
    expect(a.vibration.length).toBe(2048); // 2 s at 1024 Hz
    expect(c.vibration).not.toEqual(a.vibration);
    const f1 = makeFleet({ seed: 3, healthy: 1, faulty: 2, durationS: 1 });
    const f2 = makeFleet({ seed: 3, healthy: 1, faulty: 2, durationS: 1 });
    expect(f1.map((m: { seed: number }) => m.seed)).toEqual(
      f2.map((m: { seed: number }) => m.seed),
    );
    expect(f1.map((m: { fault: string }) => m.fault)).toEqual(["none", "outer", "inner"]);
    expect(new Set(f1.map((m: { seed: number }) => m.seed)).size).toBe(3);
  });

  it("bearing geometry: BPFO and BPFI ratios of the SKF 6205", () => {
    // n = 9, d/D = 7.94/39.04 = 0.20338: BPFO = 4.5·(1 − 0.20338) = 3.5848, BPFI = 4.5·1.20338 = 5.4152
    expect(BPFO_RATIO).toBeCloseTo(3.5848, 4);
    expect(BPFI_RATIO).toBeCloseTo(5.4152, 4);
  });

  it("puts the fault harmonics where the physics says (naive DFT, constant load)", () => {
    const fs = 1024;
    // the last 2 s of a 20 s life (severity ≈ 0.7–1): 2048 samples, 0.5 Hz resolution
    const tail = (m: { vibration: Float32Array }) => m.vibration.subarray(18 * fs, 20 * fs);
    const outer = simulateMachine({ seed: 11, fault: "outer", durationS: 20, constantLoad: 0.5 });
    const inner = simulateMachine({ seed: 11, fault: "inner", durationS: 20, constantLoad: 0.5 });
    const healthy = simulateMachine({ seed: 11, fault: "none", durationS: 20, constantLoad: 0.5 });
    const fr = outer.shaftHz[19 * fs]!; // constant load → constant speed f₀(1 − 0.04·0.5)
    expect(outer.shaftHz[18 * fs]).toBeCloseTo(fr, 4);
    const noise = floor(tail(healthy), 300, 500, fs);
    // shaft harmonics 1×, 2×, 3× are in every machine
    for (const k of [1, 2, 3])
      expect(dftMagnitude(tail(healthy), k * fr, fs)).toBeGreaterThan(10 * noise);
    // outer race: k·BPFO for k = 1, 2, 3, amplitude b·σ·ρ^{k−1}/2 per one-sided bin; absent when healthy
    for (const k of [1, 2, 3]) {
      const f = k * BPFO_RATIO * fr;
      expect(dftMagnitude(tail(outer), f, fs)).toBeGreaterThan(8 * noise);
      expect(dftMagnitude(tail(healthy), f, fs)).toBeLessThan(3 * noise);
      // and not at the inner-race frequency
      expect(dftMagnitude(tail(outer), k * BPFI_RATIO * fr, fs)).toBeLessThan(3 * noise);
    }
    // inner race: k·BPFI and the sidebands k·BPFI ± f_r (the defect turns with the shaft)
    for (const k of [1, 2]) {
      const f = k * BPFI_RATIO * fr;
      expect(dftMagnitude(tail(inner), f, fs)).toBeGreaterThan(8 * noise);
      expect(dftMagnitude(tail(inner), f - fr, fs)).toBeGreaterThan(4 * noise);
      expect(dftMagnitude(tail(inner), f + fr, fs)).toBeGreaterThan(4 * noise);
      expect(dftMagnitude(tail(healthy), f, fs)).toBeLessThan(3 * noise);
      expect(dftMagnitude(tail(inner), k * BPFO_RATIO * fr, fs)).toBeLessThan(3 * noise);
    }
    // the fault grows: the BPFO line is far weaker early in the fault's life than at the end
    const early = outer.vibration.subarray(
      Math.ceil(outer.onsetS * fs) + fs,
      Math.ceil(outer.onsetS * fs) + 3 * fs,
    );
    expect(dftMagnitude(early, BPFO_RATIO * fr, fs)).toBeLessThan(
      0.3 * dftMagnitude(tail(outer), BPFO_RATIO * fr, fs),
    );
  });

  it("temperature: baseline plus load heating, and the fault heats the bearing", () => {
    const h = simulateMachine({ seed: 5, fault: "none", durationS: 20, constantLoad: 0.5 });
    const f = simulateMachine({ seed: 5, fault: "outer", durationS: 20, constantLoad: 0.5 });
    // same seed, same constants: before onset the two temperatures agree; at the end T_f − T_h ≈ 8·σ(T) = 8
    const end = h.temperature.length - 1;
    const diff = f.temperature[end]! - h.temperature[end]!;
    expect(diff).toBeGreaterThan(7.5);
    expect(diff).toBeLessThan(8.5);
    expect(Math.abs(f.temperature[100]! - h.temperature[100]!)).toBeLessThan(0.3);
  });

  it("rejects bad arguments", () => {
    expect(() => simulateMachine({ seed: -1 })).toThrow(/bad seed/);
    expect(() => simulateMachine({ seed: 1, fault: "cage" })).toThrow(/fault must be/);
  });
});
