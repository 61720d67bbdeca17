import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: { GRAFT_VERIFY: "1" },
    setupFiles: ["src/testing/setup.ts"],
  },
});
