import { defineProject } from "vitest/config";

// Unlike the packages' configs, no "@edgenn/source" condition: this example tests what a user
// deploys, so both the worker bundle and the Node reference it is compared with use the built
// @edgenn/runtime (`pnpm build` first).
export default defineProject({
  test: {
    setupFiles: ["../../vitest.setup.ts"],
    name: "example-edge-worker",
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
