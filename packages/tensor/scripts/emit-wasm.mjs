// @ts-check
/**
 * Writes the generated GEMM modules as `.wasm` files into `packages/tensor/dist/wasm/`, for hosts
 * that forbid compiling WebAssembly at run time (workerd / Cloudflare Workers: "Wasm code
 * generation disallowed by embedder"); they import a file as a module and pass it on:
 *
 *   import f32 from "@edgenn/tensor/wasm/gemm-f32.wasm";
 *   import i8 from "@edgenn/tensor/wasm/gemm-i8.wasm";
 *   provideWasmModules({ f32, i8 });
 *
 * The generator is the TypeScript source (`src/wasm`), bundled on the fly with esbuild, so this
 * runs before or after tsup. Also writes `manifest.json` (bytes and SHA-256 of each file).
 *
 *   node packages/tensor/scripts/emit-wasm.mjs [outDir]
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const pkg = fileURLToPath(new URL("..", import.meta.url));
const outDir = path.resolve(process.argv[2] ?? path.join(pkg, "dist", "wasm"));

const bundled = await build({
  entryPoints: [path.join(pkg, "src", "wasm", "index.ts")],
  bundle: true,
  format: "esm",
  platform: "neutral",
  write: false,
  logLevel: "warning",
});
const code = bundled.outputFiles[0]?.text ?? "";
/** @type {{ gemmModuleBytes(kind: "f32" | "f32fma" | "i8"): Uint8Array }} */
const wasm = await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`);

mkdirSync(outDir, { recursive: true });
/** @type {Record<string, { bytes: number, sha256: string }>} */
const manifest = {};
for (const kind of /** @type {const} */ (["f32", "f32fma", "i8"])) {
  const bytes = wasm.gemmModuleBytes(kind);
  const file = `gemm-${kind}.wasm`;
  writeFileSync(path.join(outDir, file), bytes);
  manifest[file] = {
    bytes: bytes.length,
    sha256: createHash("sha256").update(bytes).digest("hex"),
  };
  console.log(`${path.relative(process.cwd(), path.join(outDir, file))}: ${bytes.length} bytes`);
}
writeFileSync(path.join(outDir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
