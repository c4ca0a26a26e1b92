import { describe, expect, it } from "vitest";
import { measureMemoryCost } from "../src/memory-cost.ts";
import { usePrivateRedis } from "./private-redis.ts";

describe("memory harness (smoke)", () => {
  const redis = usePrivateRedis();

  it("runs the real veoq enqueue several times and reports the median speed and the highest RSS", async () => {
    const result = await measureMemoryCost({ redisUrl: redis.url, jobs: 300, enqueueRuns: 3 });
    expect(result.redis_bytes_per_job).toBeGreaterThan(100);
    expect(result.enqueue_runs).toHaveLength(3);
    const walls = result.enqueue_runs.map((run) => run.wall_s).sort((a, b) => a - b);
    expect(result.enqueue_wall_s).toBe(walls[1]); // the median of three
    expect(result.enqueue_lines_per_s).toBeCloseTo(300 / (walls[1] ?? 1), 6);
    expect(result.enqueue_peak_rss_mb).toBe(
      Math.max(...result.enqueue_runs.map((run) => run.peak_rss_mb)),
    );
    expect(result.enqueue_peak_rss_mb).toBeGreaterThan(10);
    expect(result.startup_s).toBeGreaterThan(0);
    // The ceiling beside it: bare addBulk of the same 300 jobs, CPU per line on both sides.
    for (const side of [result.in_process, result.bare_add_bulk]) {
      expect(side.lines_per_s).toBeGreaterThan(0);
      expect(side.client_cpu_us_per_line).toBeGreaterThan(0);
      expect(side.redis_cpu_us_per_line).toBeGreaterThan(0);
    }
  }, 60_000);
});
