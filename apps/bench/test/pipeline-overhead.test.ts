import { describe, expect, it } from "vitest";
import { spreadDuration } from "../src/bench-manifest.ts";
import { mean, percentile } from "../src/percentile.ts";
import { measurePipelineOverhead } from "../src/pipeline-overhead.ts";
import { usePrivateRedis } from "./private-redis.ts";

describe("pipeline overhead harness (smoke)", () => {
  const redis = usePrivateRedis();

  it("measures both sides on a few items and reports every key", async () => {
    const result = await measurePipelineOverhead({
      redisUrl: redis.url,
      items: 200,
      rounds: 1,
      concurrency: { submit: 4, poll: 8, download: 4 },
    });
    for (const key of ["veoq_items_per_s", "bare_items_per_s", "ratio"] as const) {
      expect(result).toHaveProperty(key);
      expect(result[key]).toBeGreaterThan(0);
    }
    expect(result.veoq_rounds_items_per_s).toHaveLength(1);
    expect(result.bare_rounds_items_per_s).toHaveLength(1);
  });
});

describe("bench arithmetic", () => {
  it("takes nearest-rank percentiles and means, NaN when empty", () => {
    const values = [5, 1, 4, 2, 3];
    expect(percentile(values, 50)).toBe(3);
    expect(percentile(values, 95)).toBe(5);
    expect(percentile(values, 0)).toBe(1);
    expect(mean(values)).toBe(3);
    expect(percentile([], 50)).toBeNaN();
    expect(mean([])).toBeNaN();
  });

  it("spreads durations over the whole range, the same for every run", () => {
    const durations = Array.from({ length: 500 }, (_, i) => spreadDuration(i, 30, 180));
    expect(Math.min(...durations)).toBeGreaterThanOrEqual(30);
    expect(Math.max(...durations)).toBeLessThanOrEqual(180);
    expect(mean(durations)).toBeCloseTo(105, -1);
    expect(spreadDuration(7, 30, 180)).toBe(durations[7]);
  });
});
