// Serves the worker locally in workerd (miniflare's Node API runs the real workerd binary):
//   node dev.mjs [--port 8787]
// then POST digits to http://127.0.0.1:8787/classify (see README.md). Ctrl-C stops it.
import process from "node:process";
import { Miniflare } from "miniflare";
import { build } from "./build.mjs";

const at = process.argv.indexOf("--port");
const port = at > 0 ? Number(process.argv[at + 1]) : 8787;
const { script, bytes } = await build();
const mf = new Miniflare({
  scriptPath: script,
  modules: true,
  modulesRules: [{ type: "Data", include: ["**/*.edgenn"] }],
  compatibilityDate: "2026-07-01",
  host: "127.0.0.1",
  port,
});
const url = await mf.ready;
console.log(
  `worker (${bytes} bytes of JS + the model as a Data module) listening on ${url}classify`,
);
const stop = async () => {
  await mf.dispose();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
