import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", node: "src/node.ts", onnx: "src/onnx.ts", ops: "src/op-sets.ts" },
  format: ["esm", "cjs"],
  dts: { compilerOptions: { composite: false } },
  clean: true,
  // shared modules become chunks: the core and the op sets do not each carry a copy
  splitting: true,
  sourcemap: true,
  target: "es2022",
  platform: "neutral",
  tsconfig: "tsconfig.json",
  // node.ts and onnx.ts import the core (and the op sets) by package name: one Session class
  // across entries, and the op code bundled once
  external: ["@edgenn/runtime"],
});
