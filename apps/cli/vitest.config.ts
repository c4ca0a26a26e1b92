import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // These tests spawn the real CLI (tsx start-up) against Redis and the simulator.
    testTimeout: 90_000,
    hookTimeout: 30_000,
  },
});
