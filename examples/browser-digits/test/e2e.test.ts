// End to end in a real browser: build the page with Vite, serve dist/ on loopback, open it in
// Debian's Chromium through playwright-core, draw real MNIST test digits with the mouse and check
// that the page predicts their labels, and that Node, given the same ink, computes the same input
// and the same prediction with the same model file. Saves screenshot.png for the README.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadModel, type Session } from "@edgenn/runtime";
import { int8Ops } from "@edgenn/runtime/ops";
import { type Browser, chromium, type Page } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DigitsState } from "../src/main";
import { argmax, preprocess, softmax } from "../src/preprocess";
import { type Digit, rasterise, strokes, testDigits } from "./digits";
import { serve } from "./serve";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const MODEL = join(ROOT, "../mnist-node/models/mnist-mlp-int8.edgenn");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** The canvas is 280 × 280: ten canvas pixels per image pixel, and the test's pen is that wide. */
const SCALE = 10;
/** A digit is drawn only if Node classifies it right with at least this probability. */
const MIN_CONFIDENCE = 0.9;

/** Runs the model on 784 values: the probabilities. */
function probabilities(session: Session, x: ArrayLike<number>): Float64Array {
  return softmax(session.run(Float32Array.from(x)).data);
}

/**
 * The first test digit of each class that the model gets right, with probability ≥ MIN_CONFIDENCE,
 * both as the image itself and as what the test's strokes draw, each preprocessed like the page.
 */
function pickDigits(session: Session): Digit[] {
  const picked: { d: Digit; confidence: number }[] = [];
  for (const d of testDigits()) {
    if (picked.some((p) => p.d.label === d.label)) continue;
    const drawn = rasterise(strokes(d.pixels), SCALE);
    const ps = [preprocess(d.pixels, 28, 28)!, preprocess(drawn, 280, 280)!].map((x) =>
      probabilities(session, x),
    );
    if (ps.every((p) => argmax(p) === d.label && p[d.label]! >= MIN_CONFIDENCE))
      picked.push({ d, confidence: Math.min(...ps.map((p) => p[d.label]!)) });
    if (picked.length === 10) break;
  }
  // the most confident one last, so that the screenshot shows a clean digit
  return picked.sort((a, b) => a.confidence - b.confidence).map((p) => p.d);
}

/** Draws `d` on the pad, one mouse stroke per horizontal run of dark pixels. */
async function draw(page: Page, d: Digit): Promise<number> {
  const box = await page.$eval("#pad", (el) => {
    const r = el.getBoundingClientRect();
    return { x: r.left + el.clientLeft, y: r.top + el.clientTop, w: el.clientWidth };
  });
  const k = box.w / 28; // CSS pixels per image pixel
  const runs = strokes(d.pixels);
  for (const { row, c0, c1 } of runs) {
    const y = box.y + (row + 0.5) * k;
    await page.mouse.move(box.x + (c0 + 0.5) * k, y);
    await page.mouse.down();
    if (c1 > c0) await page.mouse.move(box.x + (c1 + 0.5) * k, y, { steps: 1 });
    await page.mouse.up();
  }
  return runs.length;
}

describe("browser-digits in Chromium", { timeout: 120_000 }, () => {
  let browser: Browser | undefined;
  let page: Page;
  let server: { url: string; close: () => Promise<void> } | undefined;
  let outDir: string | undefined;
  let session: Session;
  let digits: Digit[];
  const errors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `browser-digits e2e: Chromium is not installed at ${CHROMIUM}. Install Debian's chromium ` +
          "package (sudo apt-get install chromium) or set CHROMIUM_PATH to a Chromium binary.",
      );
    session = loadModel(new Uint8Array(readFileSync(MODEL)), { batchSize: 1, ops: [int8Ops] });
    digits = pickDigits(session);
    outDir = mkdtempSync(join(tmpdir(), "browser-digits-"));
    await build({ root: ROOT, logLevel: "warn", build: { outDir, emptyOutDir: true } });
    server = await serve(outDir);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
      timeout: 60_000,
    });
    page = await browser.newPage({ viewport: { width: 760, height: 600 } });
    page.setDefaultTimeout(30_000);
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(`console: ${m.text()}`);
    });
    page.on("pageerror", (e) => errors.push(`page: ${e.message}`));
    page.on("requestfailed", (r) => errors.push(`request: ${r.url()} ${r.failure()?.errorText}`));
    await page.goto(server.url);
    await page.waitForFunction(() => window.digits?.status !== "loading");
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it("loads the model and shows an empty pad", async () => {
    expect(digits.map((d) => d.label).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const state = await page.evaluate(() => window.digits);
    expect(state.status).toBe("ready");
    expect(state.prediction).toBe(-1);
    expect(await page.textContent("#digit")).toBe("–");
    expect(await page.textContent("#status")).toMatch(
      /^model: \d+\.\d kB int8, arena \d+ bytes, 1 × 784 → 1 × 10$/,
    );
  });

  it("predicts the label of real test digits drawn with the mouse, as Node does", async () => {
    const seen: string[] = [];
    for (const d of digits) {
      await page.click("#clear");
      await page.fill("#pen", String(SCALE)); // a pen one image pixel wide
      const before = await page.evaluate(() => window.digits.strokes);
      const n = await draw(page, d);
      await page.waitForFunction(
        (k) => window.digits.strokes === k && window.digits.classifiedStroke === k,
        before + n,
      );
      const state: DigitsState = await page.evaluate(() => window.digits);
      // what was drawn: the pad's alpha channel, preprocessed and classified in Node
      const alpha = await page.$eval("#pad", (el) => {
        const c = el as HTMLCanvasElement;
        const { data } = c.getContext("2d")!.getImageData(0, 0, c.width, c.height);
        let s = "";
        for (let i = 3; i < data.length; i += 4) s += String.fromCharCode(data[i]!);
        return btoa(s); // a string crosses the protocol much faster than 78,400 numbers
      });
      const ink = Float32Array.from(Buffer.from(alpha, "base64"), (a) => a / 255);
      const x = preprocess(ink, 280, 280)!;
      expect(Array.from(x)).toEqual(state.input.map((v) => Math.fround(v)));
      const p = probabilities(session, x);
      expect(state.prediction).toBe(argmax(p));
      for (let i = 0; i < 10; i++) expect(state.probabilities[i]).toBeCloseTo(p[i]!, 6);
      seen.push(
        `test[${d.index}] label ${d.label} → ${state.prediction} (${(100 * p[state.prediction]!).toFixed(1)}%, ${n} strokes, inference ${state.inferenceMs.toFixed(3)} ms)`,
      );
      expect(state.prediction, seen.join("\n")).toBe(d.label);
      expect(await page.textContent("#digit")).toBe(String(d.label));
      expect(state.inferenceMs).toBeGreaterThan(0);
      expect(state.inferenceMs).toBeLessThan(50);
      expect(await page.textContent("#timing")).toMatch(
        /^inference: \d+\.\d{3} ms \(mean of \d+ runs\) · preprocessing: \d+\.\d ms$/,
      );
    }
    console.log(seen.join("\n"));
    await page.screenshot({ path: join(ROOT, "screenshot.png") });
  });

  it("clears the pad and the prediction", async () => {
    await page.click("#clear");
    const state = await page.evaluate(() => window.digits);
    expect(state.prediction).toBe(-1);
    expect(await page.textContent("#digit")).toBe("–");
    expect(await page.textContent("#confidence")).toBe("");
    expect(await page.textContent("#timing")).toBe("inference: –");
  });

  it("logs no console or page errors", () => {
    expect(errors).toEqual([]);
  });
});
