import { defineProject } from "vitest/config";

export default defineProject({
  ssr: { resolve: { conditions: ["@edgenn/source"] } },
  resolve: { conditions: ["@edgenn/source"] },
  test: { name: "quant", include: ["test/**/*.test.ts"] },
});
