import { defaultClientConditions, defineConfig } from "vite";

// `@edgenn/source` makes Vite bundle the workspace packages from their TypeScript sources, so the
// example builds without `pnpm build` first; outside this monorepo the published `dist/` is used.
// The model file is imported with `?url` in src/main.ts, so Vite emits it as a hashed static asset.
export default defineConfig({
  base: "./",
  resolve: { conditions: ["@edgenn/source", ...defaultClientConditions] },
  build: { target: "es2022" },
});
