import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

export default defineConfig({
  resolve: {
    alias: {
      "stepjobs/testing": fileURLToPath(new URL("./lib/testing/index.ts", import.meta.url)),
      stepjobs: fileURLToPath(new URL("./lib/sdk/index.ts", import.meta.url)),
    },
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
