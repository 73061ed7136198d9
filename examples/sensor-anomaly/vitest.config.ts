import { defineProject } from "vitest/config";

export default defineProject({
  ssr: { resolve: { conditions: ["@edgenn/source"] } },
  resolve: { conditions: ["@edgenn/source"] },
  test: {
    setupFiles: ["../../vitest.setup.ts"],
    name: "example-sensor-anomaly",
    include: ["test/**/*.test.ts"],
  },
});
