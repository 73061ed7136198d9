import { defineProject } from "vitest/config";

export default defineProject({
  ssr: { resolve: { conditions: ["@edgenn/source"] } },
  resolve: { conditions: ["@edgenn/source"] },
  test: {
    setupFiles: ["../../vitest.setup.ts"],
    name: "backend-gpujs",
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
  },
});
