// Posts one real MNIST test digit to the worker and prints the answer:
//   node client.mjs [index] [--uint8] [--url http://127.0.0.1:8787/classify]
// (start the worker first with `node dev.mjs`). JSON by default; --uint8 sends 784 bytes.
import process from "node:process";
import { loadMnist } from "../mnist-node/data.mjs";

const args = process.argv.slice(2);
const at = args.indexOf("--url");
const url = at >= 0 ? args[at + 1] : "http://127.0.0.1:8787/classify";
const index = Number(args.find((a) => /^\d+$/.test(a)) ?? 0);

const { train, test } = loadMnist();
const pixels = test.x.dataSync().slice(index * 784, (index + 1) * 784);
const label = test.y.dataSync()[index];
for (const t of [train.x, train.y, test.x, test.y]) t.dispose();

const binary = args.includes("--uint8");
const res = await fetch(url, {
  method: "POST",
  headers: { "content-type": binary ? "application/octet-stream" : "application/json" },
  body: binary
    ? Uint8Array.from(pixels, (v) => Math.round(v * 255))
    : JSON.stringify({ pixels: Array.from(pixels) }),
});
const body = await res.json();
console.log(JSON.stringify({ status: res.status, label, ...body }));
