// Writes the model files the other examples ship (browser-digits, edge-worker, runtimes):
// `node make-models.mjs [outDir]` trains the default MLP recipe (784 → 128 ReLU → 10, SGD 0.1,
// batch 32, 3 epochs, seed 1) on the 8,000 training digits, quantizes it to int8 with the first 256
// training images, and writes `mnist-mlp-float.edgenn` and `mnist-mlp-int8.edgenn` (float input in
// [0, 1], float logits out) to `outDir` (default `models/`). The same seed gives the same bytes.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { quantizeGraph } from "@edgenn/quant";
import { dispose, saveModel, toGraph } from "edgenn";
import { loadMnist } from "./data.mjs";
import { trainModel } from "./quantize.mjs";

/**
 * Trains, quantizes and writes the two MLP files.
 * @param {string} outDir
 * @returns {Promise<{ float: string, int8: string, accuracy: number }>} the paths written and the
 *   float model's test accuracy
 */
export async function makeModels(outDir) {
  const data = loadMnist();
  const { model, history } = await trainModel({ model: "mlp", data });
  try {
    const graph = toGraph(model, { inputShape: [-1, 784] });
    const calibration = data.train.x.dataSync().slice(0, 256 * 784);
    const q = quantizeGraph(graph, { calibration });
    mkdirSync(outDir, { recursive: true });
    const paths = {
      float: join(outDir, "mnist-mlp-float.edgenn"),
      int8: join(outDir, "mnist-mlp-int8.edgenn"),
    };
    writeFileSync(paths.float, saveModel(graph));
    writeFileSync(paths.int8, saveModel(q));
    return { ...paths, accuracy: history.epochs.at(-1)?.valAccuracy ?? Number.NaN };
  } finally {
    model.dispose();
    dispose([data.train.x, data.train.y, data.test.x, data.test.y]);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const out = process.argv[2] ?? join(import.meta.dirname, "models");
  const r = await makeModels(out);
  console.log(`wrote ${r.float} and ${r.int8} (float test accuracy ${r.accuracy.toFixed(4)})`);
}
