import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Integration tests run the API, real workers, Redis and the simulator.
    testTimeout: 90_000,
    hookTimeout: 30_000,
  },
});
