// The physical model behind the example's signals: a rotating machine (an induction motor driving a
// load through a shaft on rolling-element bearings) with an accelerometer and a bearing-housing
// thermometer, sampled at FS Hz. No public sensor data installs here, so every signal is generated
// from this model with a seed. The equations (t in seconds, θ(t) = 2π∫₀ᵗ f_r(u) du):
//
//   load      L(t) ∈ [0.2, 1]: piecewise constant (segments of 3–8 s), first-order lag τ_L = 0.4 s
//   speed     f_r(t) = f₀ · (1 − 0.04 · L(t))                  (slip grows with load; f₀ ≈ 23–27 Hz)
//   shaft     s(t) = (0.6 + 0.4·L) · Σ_{k=1..3} a_k sin(k·θ + φ_k)  (1× unbalance, 2× misalignment, 3×)
//   bearing   BPFO = (n/2)(1 − d/D·cos α)·f_r ≈ 3.585 f_r, BPFI = (n/2)(1 + d/D·cos α)·f_r ≈ 5.415 f_r
//             (n = 9 balls, d = 7.94 mm, D = 39.04 mm, α = 0: the SKF 6205 of the CWRU bearing data)
//   severity  σ(t) = 0 before onset t₀, then (e^{g(t−t₀)/(T−t₀)} − 1)/(e^g − 1), g = 3 (0 → 1 at end)
//   outer     f(t) = b·σ(t) · Σ_{k=1..3} ρ^{k−1} sin(k·BPFO-phase + ψ_k)          (ρ = 0.6)
//   inner     f(t) = b·σ(t) · (1 + m·cos θ) · Σ_{k=1..3} ρ^{k−1} sin(k·BPFI-phase + ψ_k)  (m = 0.5:
//             the defect turns with the shaft, giving sidebands at k·BPFI ± f_r)
//   vibration v(t) = s(t) + f(t) + 𝒩(0, σ_n²)                                   (σ_n ≈ 0.15–0.25 g)
//   temperature T(t) = T_amb + 1.5·sin(2πt/P + φ) + ΔT_L(t) + 8·σ(t) + 𝒩(0, 0.05²) °C (T_amb = 24–26,
//             P = 2–4 machine lives: slow drift), where the load
//             heats the housing with a first-order lag: ΔT_L' = (6·L − ΔT_L)/τ_T, τ_T = 8 s
//
// A machine's life is compressed into `durationS` seconds (real bearings take weeks to fail).
// mulberry32 drives everything, so a seed fixes every machine.

/** Sample rate of both channels, Hz. */
export const FS = 1024;
/** Bearing geometry (SKF 6205): balls, ball and pitch diameters (mm), contact angle (rad). */
export const BEARING = { balls: 9, ballDiameter: 7.94, pitchDiameter: 39.04, contactAngle: 0 };
/** BPFO / f_r = (n/2)(1 − d/D·cos α). */
export const BPFO_RATIO =
  (BEARING.balls / 2) *
  (1 - (BEARING.ballDiameter / BEARING.pitchDiameter) * Math.cos(BEARING.contactAngle));
/** BPFI / f_r = (n/2)(1 + d/D·cos α). */
export const BPFI_RATIO =
  (BEARING.balls / 2) *
  (1 + (BEARING.ballDiameter / BEARING.pitchDiameter) * Math.cos(BEARING.contactAngle));
/** Severity at or above which a sample is labelled faulty (the fault is 10 % of its final size). */
export const FAULT_LABEL_SEVERITY = 0.1;

/**
 * A seeded uniform generator in [0, 1) (mulberry32).
 * @param {number} seed
 * @returns {() => number}
 */
export function mulberry32(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Standard normal samples from a uniform generator (Box–Muller, both values used).
 * @param {() => number} rand
 * @returns {() => number}
 */
function gaussian(rand) {
  let spare = Number.NaN;
  return () => {
    if (!Number.isNaN(spare)) {
      const v = spare;
      spare = Number.NaN;
      return v;
    }
    const u = 1 - rand(); // (0, 1]
    const r = Math.sqrt(-2 * Math.log(u));
    const a = 2 * Math.PI * rand();
    spare = r * Math.sin(a);
    return r * Math.cos(a);
  };
}

/**
 * @typedef {"none" | "outer" | "inner"} FaultType
 * @typedef {object} Machine
 * @property {number} id
 * @property {number} seed
 * @property {FaultType} fault
 * @property {number} fs - sample rate, Hz
 * @property {Float32Array} vibration - acceleration, g
 * @property {Float32Array} temperature - bearing housing, °C
 * @property {Float32Array} severity - σ(t) ∈ [0, 1]
 * @property {Float32Array} shaftHz - f_r(t)
 * @property {Float32Array} load - L(t)
 * @property {number} onsetS - fault onset t₀ in seconds (Infinity when healthy)
 */

/**
 * Simulates one machine with the model above.
 * @param {{ seed: number, id?: number, fault?: FaultType, durationS?: number, fs?: number,
 *   constantLoad?: number }} options - `constantLoad` fixes L(t) (for spectrum checks)
 * @returns {Machine}
 */
export function simulateMachine({
  seed,
  id = 0,
  fault = "none",
  durationS = 60,
  fs = FS,
  constantLoad,
}) {
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`simulateMachine: bad seed ${seed}`);
  if (!["none", "outer", "inner"].includes(fault)) {
    throw new Error(`simulateMachine: fault must be none, outer or inner (got ${fault})`);
  }
  const rand = mulberry32(seed);
  const randn = gaussian(rand);
  const uniform = (lo, hi) => lo + (hi - lo) * rand();
  const n = Math.round(durationS * fs);
  const dt = 1 / fs;

  // Per-machine constants.
  const f0 = uniform(23, 27);
  const a1 = uniform(0.8, 1.2);
  const amps = [a1, a1 * uniform(0.3, 0.5), a1 * uniform(0.1, 0.2)];
  const shaftPhases = [0, 1, 2].map(() => uniform(0, 2 * Math.PI));
  const faultPhases = [0, 1, 2].map(() => uniform(0, 2 * Math.PI));
  const noise = uniform(0.15, 0.25);
  const b = uniform(0.6, 1);
  const tAmb = 25 + uniform(-1, 1); // machines share one hall
  const driftPeriod = uniform(2, 4) * durationS;
  const driftPhase = uniform(0, 2 * Math.PI);
  const onsetS = fault === "none" ? Number.POSITIVE_INFINITY : uniform(0.3, 0.5) * durationS;
  const ratio = fault === "inner" ? BPFI_RATIO : BPFO_RATIO;
  const g = 3;
  const rho = 0.6;
  const m = 0.5;

  const vibration = new Float32Array(n);
  const temperature = new Float32Array(n);
  const severity = new Float32Array(n);
  const shaftHz = new Float32Array(n);
  const loadOut = new Float32Array(n);

  let target = constantLoad ?? uniform(0.2, 1);
  let nextSwitch = uniform(3, 8);
  let load = target;
  let heat = 6 * load; // the housing starts in equilibrium with the first load
  let theta = 0;
  let thetaF = 0;
  const tauL = 0.4;
  const tauT = 8;
  for (let i = 0; i < n; i++) {
    const t = i * dt;
    if (constantLoad === undefined && t >= nextSwitch) {
      target = uniform(0.2, 1);
      nextSwitch += uniform(3, 8);
    }
    load += ((target - load) * dt) / tauL;
    heat += ((6 * load - heat) * dt) / tauT;
    const fr = f0 * (1 - 0.04 * load);
    const sev =
      t < onsetS ? 0 : Math.expm1((g * (t - onsetS)) / (durationS - onsetS)) / Math.expm1(g);
    let v = 0;
    const shaftGain = 0.6 + 0.4 * load;
    for (let k = 0; k < 3; k++)
      v += shaftGain * amps[k] * Math.sin((k + 1) * theta + shaftPhases[k]);
    if (sev > 0) {
      let f = 0;
      for (let k = 0; k < 3; k++) f += rho ** k * Math.sin((k + 1) * thetaF + faultPhases[k]);
      if (fault === "inner") f *= 1 + m * Math.cos(theta);
      v += b * sev * f;
    }
    vibration[i] = v + noise * randn();
    temperature[i] =
      tAmb +
      1.5 * Math.sin((2 * Math.PI * t) / driftPeriod + driftPhase) +
      heat +
      8 * sev +
      0.05 * randn();
    severity[i] = sev;
    shaftHz[i] = fr;
    loadOut[i] = load;
    theta += 2 * Math.PI * fr * dt;
    thetaF += 2 * Math.PI * ratio * fr * dt;
    if (theta > 2 * Math.PI * 1e6) {
      theta %= 2 * Math.PI;
      thetaF %= 2 * Math.PI;
    }
  }
  return {
    id,
    seed,
    fault,
    fs,
    vibration,
    temperature,
    severity,
    shaftHz,
    load: loadOut,
    onsetS,
  };
}

/**
 * A fleet of machines with seeds derived from one seed: `healthy` machines that never fail, then
 * `faulty` ones alternating outer- and inner-race faults.
 * @param {{ seed: number, healthy: number, faulty: number, durationS?: number, firstId?: number }} options
 * @returns {Machine[]}
 */
export function makeFleet({ seed, healthy, faulty, durationS = 60, firstId = 0 }) {
  const machines = [];
  for (let i = 0; i < healthy + faulty; i++) {
    const id = firstId + i;
    // machine seeds: a hash of (fleet seed, id), so fleets with different seeds share no machine
    const machineSeed = (Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(id + 1, 0x85ebca77)) >>> 0;
    const fault = i < healthy ? "none" : (i - healthy) % 2 === 0 ? "outer" : "inner";
    machines.push(simulateMachine({ seed: machineSeed, id, fault, durationS }));
  }
  return machines;
}
