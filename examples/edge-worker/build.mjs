// Bundles the worker for workerd with esbuild: src/worker.js and the built @edgenn/runtime (its
// dist, resolved with the "workerd"/"worker"/"browser"/"import" conditions, never the sources) into
// dist/worker.js, one ES module. The model import stays an import: the plugin below marks any
// *.edgenn file external, rewrites it to "./<name>.edgenn" and copies the file next to the bundle,
// where workerd loads it as a "Data" module (an ArrayBuffer), the way wrangler's
// `[[rules]] type = "Data"` does. The model's bytes are therefore not base64-inflated into the JS.
// `node build.mjs` builds; build() is also what the test and dev.mjs call.
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const HERE = dirname(fileURLToPath(import.meta.url));
export const OUT_DIR = resolve(HERE, "dist");

/** @type {import("esbuild").Plugin} */
const dataModules = {
  name: "edgenn-data-modules",
  setup(b) {
    b.onResolve({ filter: /\.edgenn$/ }, (args) => {
      const source = resolve(args.resolveDir, args.path);
      const name = basename(source);
      mkdirSync(OUT_DIR, { recursive: true });
      copyFileSync(source, resolve(OUT_DIR, name));
      return { path: `./${name}`, external: true };
    });
  },
};

/**
 * Builds dist/worker.js and dist/*.edgenn.
 * @returns {Promise<{ script: string, dataModules: string[], bytes: number }>} absolute paths, and
 *   the size of the bundled script
 */
export async function build() {
  rmSync(OUT_DIR, { recursive: true, force: true });
  const result = await esbuild.build({
    entryPoints: [resolve(HERE, "src/worker.js")],
    outfile: resolve(OUT_DIR, "worker.js"),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    minify: false,
    sourcemap: false,
    metafile: true,
    logLevel: "warning",
    plugins: [dataModules],
  });
  const outputs = result.metafile.outputs;
  const script = resolve(OUT_DIR, "worker.js");
  const external = Object.values(outputs).flatMap((o) => o.imports.filter((i) => i.external));
  return {
    script,
    dataModules: external.map((i) => resolve(OUT_DIR, i.path)),
    bytes: Object.values(outputs).reduce((s, o) => s + o.bytes, 0),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { script, dataModules: data, bytes } = await build();
  console.log(`built ${script} (${bytes} bytes) with data modules ${data.join(", ")}`);
}
