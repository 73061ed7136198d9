// The page: a drawing pad (pointer events, so mouse, touch and pen all draw), MNIST-style
// preprocessing (src/preprocess.ts) and the int8 model run by @edgenn/runtime, live: throttled while
// a stroke is drawn and once at its end. The last result is also kept in `window.digits`, which the
// end-to-end test (test/e2e.test.ts) reads.
import { loadModel, type Session } from "@edgenn/runtime";
import { int8Ops } from "@edgenn/runtime/ops";
import modelUrl from "../../mnist-node/models/mnist-mlp-int8.edgenn?url";
import { argmax, preprocess, SIDE, softmax } from "./preprocess";

/** The state of the page, for the test and for anyone curious in the console. */
export interface DigitsState {
  /** `loading`, `ready` or `error`. */
  status: "loading" | "ready" | "error";
  /** Strokes drawn since the page loaded (cleared or not). */
  strokes: number;
  /** The stroke count when the model last ran at the end of a stroke. */
  classifiedStroke: number;
  /** Times the model ran. */
  runs: number;
  /** The predicted digit, or −1 when the pad is empty. */
  prediction: number;
  /** The ten probabilities (softmax of the logits). */
  probabilities: number[];
  /** The 784 input values the model last saw. */
  input: number[];
  /** The last inference time in milliseconds (session.run only, the mean of several runs). */
  inferenceMs: number;
  /** The last preprocessing time in milliseconds (canvas read-back and preprocess). */
  preprocessMs: number;
}

declare global {
  interface Window {
    digits: DigitsState;
  }
}

/** Runs the model at most this often while a stroke is being drawn. */
const THROTTLE_MS = 80;
/** The inference time shown is the mean over the runs that fit in this many milliseconds… */
const TIMING_MS = 2;
/** …but at most this many. */
const MAX_TIMING_RUNS = 100;

const state: DigitsState = {
  status: "loading",
  strokes: 0,
  classifiedStroke: 0,
  runs: 0,
  prediction: -1,
  probabilities: [],
  input: [],
  inferenceMs: 0,
  preprocessMs: 0,
};
window.digits = state;

function element<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (e === null) throw new Error(`browser-digits: #${id} is missing from index.html`);
  return e as T;
}

const pad = element<HTMLCanvasElement>("pad");
const ctx = pad.getContext("2d", { willReadFrequently: true })!;
const preview = element<HTMLCanvasElement>("input").getContext("2d")!;
const pen = element<HTMLInputElement>("pen");
const penValue = element<HTMLOutputElement>("pen-value");
const digit = element<HTMLSpanElement>("digit");
const confidence = element<HTMLSpanElement>("confidence");
const timing = element<HTMLParagraphElement>("timing");
const status = element<HTMLParagraphElement>("status");

// ten bars, 0 … 9
const bars = element<HTMLOListElement>("bars");
const rows = Array.from({ length: 10 }, (_, d) => {
  const li = document.createElement("li");
  li.innerHTML = `<span class="label">${d}</span><span class="track"><span class="fill"></span></span><span class="pct">0.0%</span>`;
  bars.append(li);
  return {
    li,
    fill: li.querySelector<HTMLSpanElement>(".fill")!,
    pct: li.querySelector<HTMLSpanElement>(".pct")!,
  };
});

let session: Session | null = null;

/** Shows the 28 × 28 input in the small preview canvas. */
function showInput(x: Float32Array | null): void {
  const img = preview.createImageData(SIDE, SIDE);
  if (x !== null)
    for (let i = 0; i < x.length; i++) {
      const v = Math.round(x[i]! * 255);
      img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v;
      img.data[4 * i + 3] = 255;
    }
  preview.putImageData(img, 0, 0);
}

function showResult(probabilities: Float64Array | null): void {
  const top = probabilities === null ? -1 : argmax(probabilities);
  rows.forEach((row, d) => {
    const p = probabilities?.[d] ?? 0;
    row.fill.style.width = `${(100 * p).toFixed(1)}%`;
    row.pct.textContent = `${(100 * p).toFixed(1)}%`;
    row.li.classList.toggle("top", d === top);
  });
  digit.textContent = top < 0 ? "–" : String(top);
  confidence.textContent = top < 0 ? "" : `${(100 * probabilities![top]!).toFixed(1)}% sure`;
}

/** Reads the pad, preprocesses it and runs the model; `strokeEnd` marks the end of a stroke. */
function classify(strokeEnd: boolean): void {
  if (session === null) return;
  const t0 = performance.now();
  const { data } = ctx.getImageData(0, 0, pad.width, pad.height);
  const ink = new Float32Array(pad.width * pad.height);
  for (let i = 0; i < ink.length; i++) ink[i] = data[4 * i + 3]! / 255; // the alpha channel
  const x = preprocess(ink, pad.width, pad.height);
  const t1 = performance.now();
  showInput(x);
  if (x === null) {
    showResult(null);
    timing.textContent = "inference: –";
    state.prediction = -1;
    state.probabilities = [];
    state.input = [];
  } else {
    // Browsers coarsen performance.now() (to 0.1 ms in Chromium), longer than one run of this model,
    // so the time shown is the mean over as many runs as fit in TIMING_MS (at least one); every run
    // gives the same logits.
    let count = 0;
    let logits: ArrayLike<number>;
    const t2 = performance.now();
    let t3: number;
    do {
      logits = session.run(x).data;
      count++;
    } while ((t3 = performance.now()) - t2 < TIMING_MS && count < MAX_TIMING_RUNS);
    const ms = (t3 - t2) / count;
    const p = softmax(logits);
    state.inferenceMs = ms;
    state.preprocessMs = t1 - t0;
    state.prediction = argmax(p);
    state.probabilities = Array.from(p);
    state.input = Array.from(x);
    state.runs++;
    showResult(p);
    timing.textContent = `inference: ${ms.toFixed(3)} ms (mean of ${count} runs) · preprocessing: ${(t1 - t0).toFixed(1)} ms`;
  }
  if (strokeEnd) state.classifiedStroke = state.strokes;
}

// drawing -----------------------------------------------------------------------------------------

let drawing: number | null = null; // the id of the pointer that draws
let last = { x: 0, y: 0 };
let lastRun = 0;

function point(e: PointerEvent): { x: number; y: number } {
  const r = pad.getBoundingClientRect(); // the border box; the drawing is the content box inside it
  return {
    x: ((e.clientX - r.left - pad.clientLeft) * pad.width) / pad.clientWidth,
    y: ((e.clientY - r.top - pad.clientTop) * pad.height) / pad.clientHeight,
  };
}

function setPen(): void {
  ctx.lineWidth = Number(pen.value);
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.strokeStyle = "#000";
  ctx.fillStyle = "#000";
  penValue.textContent = `${pen.value} px`;
}
setPen();
pen.addEventListener("input", setPen);

pad.addEventListener("pointerdown", (e) => {
  if (drawing !== null || e.button !== 0) return;
  e.preventDefault();
  drawing = e.pointerId;
  pad.setPointerCapture(e.pointerId);
  last = point(e);
  ctx.beginPath(); // a dot, so that a click draws something
  ctx.arc(last.x, last.y, ctx.lineWidth / 2, 0, 2 * Math.PI);
  ctx.fill();
});

pad.addEventListener("pointermove", (e) => {
  if (e.pointerId !== drawing) return;
  const events = e.getCoalescedEvents?.() ?? [];
  ctx.beginPath();
  ctx.moveTo(last.x, last.y);
  for (const c of events.length > 0 ? events : [e]) {
    last = point(c);
    ctx.lineTo(last.x, last.y);
  }
  ctx.stroke();
  const now = performance.now();
  if (now - lastRun >= THROTTLE_MS) {
    lastRun = now;
    classify(false);
  }
});

function endStroke(e: PointerEvent): void {
  if (e.pointerId !== drawing) return;
  drawing = null;
  state.strokes++;
  classify(true);
}
pad.addEventListener("pointerup", endStroke);
pad.addEventListener("pointercancel", endStroke);

element<HTMLButtonElement>("clear").addEventListener("click", () => {
  ctx.clearRect(0, 0, pad.width, pad.height);
  classify(false);
});

// the model -----------------------------------------------------------------------------------------

async function start(): Promise<void> {
  try {
    const response = await fetch(modelUrl);
    if (!response.ok) throw new Error(`fetching the model: HTTP ${response.status}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    session = loadModel(bytes, { batchSize: 1, ops: [int8Ops] });
    status.textContent = `model: ${(bytes.length / 1000).toFixed(1)} kB int8, arena ${session.arenaBytes} bytes, ${session.inputs[0]?.shape.join(" × ")} → ${session.outputs[0]?.shape.join(" × ")}`;
    state.status = "ready";
    document.body.dataset.status = "ready";
    classify(false);
  } catch (err) {
    state.status = "error";
    document.body.dataset.status = "error";
    status.classList.add("error");
    status.textContent = `could not load the model: ${err instanceof Error ? err.message : String(err)}`;
    throw err;
  }
}

showResult(null);
void start();
