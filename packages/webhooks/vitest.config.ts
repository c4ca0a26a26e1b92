import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Integration tests run real workers against Redis and the simulator.
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
