import { defineProject } from "vitest/config";

export default defineProject({
  ssr: { resolve: { conditions: ["@edgenn/source"] } },
  resolve: { conditions: ["@edgenn/source"] },
  test: {
    setupFiles: ["../../vitest.setup.ts"],
    name: "example-runtimes",
    include: ["test/**/*.test.ts"],
  },
});
