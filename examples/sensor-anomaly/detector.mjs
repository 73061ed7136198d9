// The streaming detector a gateway runs: samples arrive one at a time into two ring buffers
// (vibration, temperature); the first BASELINE samples (4 s) set the machine's temperature baseline;
// after that, every `hop` samples, the latest window is
// turned into features, run through the model (a runtime session, float or int8) and scored by its
// reconstruction error e = mean((x̂ − x)²) over the 128 standardised features. The score is the mean
// of the last `smooth` errors (a third ring buffer), and score > threshold raises an alarm. Nothing
// is allocated per sample or per window.
import { BASELINE, FEATURES, FeatureExtractor, standardize, WINDOW } from "./features.mjs";
import { RingBuffer } from "./ring-buffer.mjs";

export class StreamingDetector {
  #session;
  #stats;
  #vib = new RingBuffer(WINDOW);
  #temp = new RingBuffer(WINDOW);
  #vibWindow = new Float32Array(WINDOW);
  #tempWindow = new Float32Array(WINDOW);
  #x = new Float32Array(FEATURES);
  #extractor = new FeatureExtractor();
  #errors;
  #recent;
  #result = { sample: 0, score: 0, alarm: false };
  #baselineSum = 0;
  /** The temperature baseline (°C), NaN until BASELINE samples have arrived. */
  baseline = Number.NaN;
  /** Seconds spent in `session.run`, summed. */
  runSeconds = 0;
  /** Windows scored. */
  windows = 0;

  /**
   * @param {{ session: { run: (x: Float32Array) => { data: Float32Array } },
   *   stats: { mean: number[], std: number[] }, threshold?: number, hop?: number,
   *   smooth?: number }} options - `smooth`: errors averaged into the score (default 8)
   */
  constructor({ session, stats, threshold = Number.POSITIVE_INFINITY, hop = 64, smooth = 8 }) {
    if (!Number.isInteger(hop) || hop < 1)
      throw new Error(`detector: hop must be ≥ 1 (got ${hop})`);
    this.#errors = new RingBuffer(smooth);
    this.#recent = new Float32Array(smooth);
    this.#session = session;
    this.#stats = stats;
    this.threshold = threshold;
    this.hop = hop;
  }

  /**
   * Scores one standardised feature vector: the model's reconstruction error.
   * @param {Float32Array} x - FEATURES standardised values
   * @returns {number}
   */
  score(x) {
    const t0 = performance.now();
    const y = this.#session.run(x).data;
    this.runSeconds += (performance.now() - t0) / 1000;
    this.windows++;
    let e = 0;
    for (let i = 0; i < FEATURES; i++) e += (y[i] - x[i]) ** 2;
    return e / FEATURES;
  }

  /**
   * Takes one sample of each channel; every `hop` samples after the baseline scores the window
   * (the first score comes once `smooth` windows have been run).
   * @param {number} vibration - g
   * @param {number} temperature - °C
   * @returns {{ sample: number, score: number, alarm: boolean } | null} the score of the window
   *   ending at this sample (0-based index; the object is reused by the next call), or null
   */
  push(vibration, temperature) {
    this.#vib.push(vibration);
    this.#temp.push(temperature);
    const n = this.#vib.pushed;
    if (n <= BASELINE) {
      this.#baselineSum += temperature;
      if (n === BASELINE) this.baseline = this.#baselineSum / BASELINE;
      return null;
    }
    if ((n - BASELINE) % this.hop !== 0) return null;
    this.#extractor.extract(
      this.#vib.latest(this.#vibWindow),
      this.#temp.latest(this.#tempWindow),
      this.#x,
      0,
      this.baseline,
    );
    standardize(this.#x, this.#stats);
    this.#errors.push(this.score(this.#x));
    if (this.#errors.size < this.#errors.capacity) return null; // warming up: too few errors
    const recent = this.#errors.latest(this.#recent);
    let score = 0;
    for (let i = 0; i < recent.length; i++) score += recent[i];
    score /= recent.length;
    this.#result.sample = n - 1;
    this.#result.score = score;
    this.#result.alarm = score > this.threshold;
    return this.#result;
  }
}

/**
 * Streams a whole recording through a fresh detector, one sample at a time.
 * @param {{ session: any, stats: { mean: number[], std: number[] }, hop?: number, smooth?: number }} options
 * @param {{ vibration: Float32Array, temperature: Float32Array }} signal
 * @returns {{ scores: Float32Array, ends: Int32Array, runSeconds: number }} one score per window
 *   and the index of the window's last sample
 */
export function streamScores({ session, stats, hop = 64, smooth = 8 }, { vibration, temperature }) {
  const detector = new StreamingDetector({ session, stats, hop, smooth });
  const count = Math.max(0, Math.floor((vibration.length - BASELINE) / hop) - smooth + 1);
  const scores = new Float32Array(count);
  const ends = new Int32Array(count);
  let w = 0;
  for (let i = 0; i < vibration.length; i++) {
    const r = detector.push(vibration[i], temperature[i]);
    if (r !== null) {
      scores[w] = r.score;
      ends[w] = r.sample;
      w++;
    }
  }
  return { scores, ends, runSeconds: detector.runSeconds };
}

/**
 * Precision, recall and F1 of alarms `score > threshold` against labels.
 * @param {ArrayLike<number>} scores
 * @param {ArrayLike<number | boolean>} labels - truthy = faulty
 * @param {number} threshold
 * @returns {{ tp: number, fp: number, fn: number, tn: number, precision: number, recall: number,
 *   f1: number }} (precision is 1 with no alarms, recall 1 with no faulty windows)
 */
export function confusion(scores, labels, threshold) {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < scores.length; i++) {
    const alarm = scores[i] > threshold;
    if (labels[i]) alarm ? tp++ : fn++;
    else alarm ? fp++ : tn++;
  }
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { tp, fp, fn, tn, precision, recall, f1 };
}

/**
 * The threshold with the best F1 on labelled validation scores (candidates: midpoints between
 * consecutive distinct scores, and the top score; ties go to the higher threshold, which raises
 * fewer alarms).
 * @param {ArrayLike<number>} scores
 * @param {ArrayLike<number | boolean>} labels
 * @returns {number}
 */
export function chooseThreshold(scores, labels) {
  const order = Array.from(scores, (s, i) => [s, labels[i] ? 1 : 0]).sort((a, b) => a[0] - b[0]);
  const positives = order.reduce((s, [, l]) => s + l, 0);
  // threshold just below order[i]: alarms on order[i…]; sweep i upwards
  let best = { f1: -1, threshold: order.length ? order[order.length - 1][0] : 0 };
  let tp = positives;
  let fp = order.length - positives;
  for (let i = 0; i < order.length; i++) {
    if (i === 0 || order[i][0] !== order[i - 1][0]) {
      const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
      const recall = positives === 0 ? 1 : tp / positives;
      const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
      if (f1 >= best.f1) {
        const below = i === 0 ? order[0][0] - 1e-6 : (order[i - 1][0] + order[i][0]) / 2;
        best = { f1, threshold: below };
      }
    }
    if (order[i][1]) tp--;
    else fp--;
  }
  // no alarms at all (threshold = the top score): F1 is 1 without faulty windows, else 0
  if (order.length > 0 && positives === 0) return order[order.length - 1][0];
  return best.threshold;
}
