import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";
import path from "node:path";
const require = createRequire(import.meta.url);
const dir = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm"));
console.log(dir, require.resolve("@tensorflow/tfjs-backend-wasm"));
setWasmPaths(dir + path.sep);
console.log(await tf.setBackend("wasm"), tf.getBackend(), await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"), await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT"));
console.log(await tf.setBackend("cpu"), tf.getBackend());
const p = tf.setBackend("wasm"); console.log("sync after setBackend:", tf.getBackend()); await p;
const a = tf.randomUniform([512,512]); const b = tf.randomUniform([512,512]);
for (const be of ["wasm","cpu"]) { tf.setBackend(be); console.log(tf.getBackend());
 const a = tf.randomUniform([512,512]); const b = tf.randomUniform([512,512]);
 for (let i=0;i<3;i++){ const t=performance.now(); tf.matMul(a,b).dispose(); const dt=performance.now()-t; console.log(be, dt.toFixed(2), (2*512**3/dt/1e6).toFixed(2),"GFLOP/s"); }
 console.log(tf.memory().numTensors);
}
