import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The smoke test runs a real (small) pipeline against its own Redis and the simulator.
    testTimeout: 90_000,
    hookTimeout: 30_000,
  },
});
