// @ts-check
/**
 * The libraries under test: edgenn (its built `dist`), and tfjs-core with the pure-JS CPU backend
 * and the WebAssembly (XNNPACK) backend registered side by side in one engine; tfjs-layers (models
 * and `trainOnBatch`) runs on whichever of the two is active.
 */
import { createRequire } from "node:module";
import path from "node:path";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as tfl from "@tensorflow/tfjs-layers";
import * as edgenn from "edgenn";

export { edgenn, tf, tfl };

/** @typedef {"edgenn" | "tfjs-cpu" | "tfjs-wasm" | "onnxruntime-node"} LibName */

/** The libraries of the gemm, conv and train workloads (infer.mjs adds onnxruntime-node). @type {readonly LibName[]} */
export const LIBS = ["edgenn", "tfjs-cpu", "tfjs-wasm"];

/** tfjs backend name per library (edgenn has none). @type {Record<LibName, string | null>} */
export const TF_BACKEND = {
  edgenn: null,
  "tfjs-cpu": "cpu",
  "tfjs-wasm": "wasm",
  "onnxruntime-node": null,
};

const require = createRequire(import.meta.url);

/**
 * Initialises both tfjs backends once (the wasm one loads its `.wasm` from the package's `dist/`).
 * @returns {Promise<{ wasmSimd: boolean, wasmThreads: boolean }>}
 */
export async function initPeers() {
  // PROD only silences tfjs's console warnings (the "install tfjs-node" banner); no kernel changes
  tf.enableProdMode();
  const wasmDist = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm"));
  setWasmPaths(wasmDist + path.sep);
  for (const name of ["cpu", "wasm"]) {
    if (!(await tf.setBackend(name)))
      throw new Error(`tfjs backend '${name}' failed to initialise`);
  }
  return {
    wasmSimd: Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")),
    wasmThreads: Boolean(await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT")),
  };
}

/**
 * Makes `lib`'s tfjs backend the active one (a no-op for edgenn). Both backends are initialised by
 * `initPeers`, so the switch completes synchronously; the check makes sure of it.
 * @param {LibName} lib
 */
export function useLib(lib) {
  const name = TF_BACKEND[lib];
  if (name === null) return;
  void tf.setBackend(name);
  if (tf.getBackend() !== name) {
    throw new Error(`useLib: tfjs backend is '${tf.getBackend()}' (expected '${name}')`);
  }
}

/**
 * Versions of the libraries under test.
 * @returns {Record<string, string>}
 */
export function versions() {
  /** @param {string} pkg */
  const v = (pkg) => /** @type {{ version: string }} */ (require(`${pkg}/package.json`)).version;
  return {
    edgenn: v("edgenn"),
    "@tensorflow/tfjs-core": tf.version_core,
    "@tensorflow/tfjs-backend-cpu": v("@tensorflow/tfjs-backend-cpu"),
    "@tensorflow/tfjs-backend-wasm": v("@tensorflow/tfjs-backend-wasm"),
    "@tensorflow/tfjs-layers": tfl.version_layers,
    benchmark: v("benchmark"),
    "onnxruntime-node": v("onnxruntime-node"),
  };
}

/**
 * Live tensor counts, to check that a workload leaves nothing behind.
 * @returns {{ edgenn: number, tfjs: number }}
 */
export function liveTensors() {
  return { edgenn: edgenn.memory().tensors, tfjs: tf.memory().numTensors };
}
