/*
 * Learning-rate schedules: pure functions of the 0-based optimizer step, passed as `lr` to an
 * optimizer. Each is computed in closed form (float64), so a resumed run sees the same rates.
 */
import { ArgumentError } from "@edgenn/tensor";
import { cosPi, pow } from "@edgenn/tensor/kernels";
import { checkNumber, checkOptions, checkStep, describe } from "./checks.js";
import type { Schedule } from "./optimizer.js";

/**
 * Step decay, as `torch.optim.lr_scheduler.StepLR`: `lr(t) = lr₀·γ^⌊t/stepSize⌋`.
 * @param lr0 - the initial rate (finite, ≥ 0)
 * @param options - `stepSize`: steps between decays (integer ≥ 1); `gamma = 0.1` (finite, > 0)
 * @returns a `Schedule`; it throws `ArgumentError` for a step that is not an integer ≥ 0
 * @throws {ArgumentError} for a bad `lr0`, `stepSize` or `gamma`, or an unknown option
 * @example
 * const s = stepLR(1, { stepSize: 10, gamma: 0.5 });
 * s(0); // 1
 * s(9); // 1
 * s(10); // 0.5
 * s(25); // 0.25
 */
export function stepLR(lr0: number, options: { stepSize: number; gamma?: number }): Schedule {
  const op = "stepLR";
  checkNumber(op, "lr0", lr0, undefined, { min: 0 });
  const o = checkOptions(op, options, ["stepSize", "gamma"]);
  const stepSize = checkNumber(op, "stepSize", o.stepSize, undefined, { min: 1, integer: true });
  const gamma = checkPositive(op, "gamma", o.gamma, 0.1);
  return (step) => lr0 * pow(gamma, Math.floor(checkStep(op, step) / stepSize));
}

/**
 * Exponential decay, as `torch.optim.lr_scheduler.ExponentialLR`: `lr(t) = lr₀·γᵗ`.
 * @param lr0 - the initial rate (finite, ≥ 0)
 * @param options - `gamma`: the factor per step (finite, > 0)
 * @returns a `Schedule`; it throws `ArgumentError` for a step that is not an integer ≥ 0
 * @throws {ArgumentError} for a bad `lr0` or `gamma`, or an unknown option
 * @example
 * const s = exponentialLR(0.1, { gamma: 0.5 });
 * s(0); // 0.1
 * s(3); // 0.0125
 */
export function exponentialLR(lr0: number, options: { gamma: number }): Schedule {
  const op = "exponentialLR";
  checkNumber(op, "lr0", lr0, undefined, { min: 0 });
  const o = checkOptions(op, options, ["gamma"]);
  const gamma = checkPositive(op, "gamma", o.gamma, undefined);
  return (step) => lr0 * pow(gamma, checkStep(op, step));
}

/**
 * Cosine annealing from `lr0` to `minLr` over `totalSteps`, as the closed form of
 * `torch.optim.lr_scheduler.CosineAnnealingLR`: `lr(t) = minLr + (lr₀ − minLr)·(1 + cos(π·t/T))/2`
 * for t ≤ T; unlike PyTorch it then stays at `minLr` instead of rising again.
 * @param lr0 - the initial rate (finite, ≥ 0)
 * @param options - `totalSteps` T (integer ≥ 1); `minLr = 0` (finite, ≥ 0)
 * @returns a `Schedule`; it throws `ArgumentError` for a step that is not an integer ≥ 0
 * @throws {ArgumentError} for a bad `lr0`, `totalSteps` or `minLr`, or an unknown option
 * @example
 * const s = cosineLR(1, { totalSteps: 100, minLr: 0.2 });
 * s(0); // 1
 * s(50); // 0.6
 * s(100); // 0.2
 * s(150); // 0.2
 */
export function cosineLR(lr0: number, options: { totalSteps: number; minLr?: number }): Schedule {
  const op = "cosineLR";
  checkNumber(op, "lr0", lr0, undefined, { min: 0 });
  const o = checkOptions(op, options, ["totalSteps", "minLr"]);
  const total = checkNumber(op, "totalSteps", o.totalSteps, undefined, { min: 1, integer: true });
  const minLr = checkNumber(op, "minLr", o.minLr, 0, { min: 0 });
  return (step) => {
    const t = Math.min(checkStep(op, step), total);
    return minLr + ((lr0 - minLr) * (1 + cosPi(t / total))) / 2;
  };
}

/**
 * Linear warmup before another schedule: for t < `steps`,
 * `lr(t) = s(0)·(f + (1 − f)·t/steps)` with f = `startFactor`; from then on `lr(t) = s(t − steps)`,
 * so the wrapped schedule starts after the warmup (`warmup(cosineLR(lr, { totalSteps: T }), { steps: W })`
 * runs W + T steps and peaks at `lr` at step W). Composable: the result is a `Schedule` too.
 * @param schedule - the schedule to run after the warmup
 * @param options - `steps`: warmup length (integer ≥ 0; 0 leaves `schedule` unchanged);
 *   `startFactor = 0` (in [0, 1]): the fraction of `schedule(0)` used at step 0
 * @returns a `Schedule`; it throws `ArgumentError` for a step that is not an integer ≥ 0
 * @throws {ArgumentError} if `schedule` is not a function, for a bad `steps` or `startFactor`, or
 *   an unknown option
 * @example
 * const s = warmup(cosineLR(0.1, { totalSteps: 100 }), { steps: 10 });
 * s(0); // 0
 * s(5); // 0.05
 * s(10); // 0.1
 * s(60); // 0.05
 * warmup(() => 1, { steps: 4, startFactor: 0.2 })(2); // 0.6
 */
export function warmup(
  schedule: Schedule,
  options: { steps: number; startFactor?: number },
): Schedule {
  const op = "warmup";
  if (typeof schedule !== "function") {
    throw new ArgumentError(`${op}: schedule must be a function (got ${describe(schedule)})`);
  }
  const o = checkOptions(op, options, ["steps", "startFactor"]);
  const steps = checkNumber(op, "steps", o.steps, undefined, { min: 0, integer: true });
  const f = checkNumber(op, "startFactor", o.startFactor, 0, { min: 0, max: 1 });
  return (step) => {
    const t = checkStep(op, step);
    return t < steps ? schedule(0) * (f + ((1 - f) * t) / steps) : schedule(t - steps);
  };
}

function checkPositive(op: string, name: string, v: unknown, fallback: number | undefined): number {
  const x = checkNumber(op, name, v, fallback);
  if (x <= 0) throw new ArgumentError(`${op}: ${name} must be > 0 (got ${x})`);
  return x;
}
