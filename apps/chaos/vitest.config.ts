import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // chaos.test.ts runs a small chaos run: real Redis, worker processes, kills.
    testTimeout: 150_000,
    hookTimeout: 30_000,
  },
});
