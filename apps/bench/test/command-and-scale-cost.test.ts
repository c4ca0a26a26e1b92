import { describe, expect, it } from "vitest";
import { measureCommandCost } from "../src/command-cost.ts";
import { measureScaleCost } from "../src/scale-cost.ts";
import { usePrivateRedis } from "./private-redis.ts";

describe("command count and scale harnesses (smoke)", () => {
  const redis = usePrivateRedis();

  it("counts enqueue and pipeline commands per item for veoq and bare BullMQ", async () => {
    const result = await measureCommandCost({
      redisUrl: redis.url,
      items: 20,
      concurrency: { submit: 2, poll: 4, download: 2 },
    });
    // Every line costs at least BullMQ's own add; every item at least three bare hops.
    expect(result.bare_enqueue_per_line).toBeGreaterThan(1);
    expect(result.enqueue_per_line).toBeGreaterThan(result.bare_enqueue_per_line);
    expect(result.bare_pipeline_per_item).toBeGreaterThan(10);
    expect(result.pipeline_per_item).toBeGreaterThan(result.bare_pipeline_per_item);
    expect(result.pipeline_top.length).toBeGreaterThan(0);
    // The trace names the operations: BullMQ's scripts by queue, the store's by name.
    const operations = result.pipeline_operations.map((o) => o.operation);
    expect(operations).toContain("bullmq:moveToFinished[submit]");
    expect(operations).toContain("veoq:finishItem");
    expect(result.bare_pipeline_operations.length).toBeGreaterThan(0);
    expect(result.pipeline_by_stage.submit).toBeGreaterThan(0);
    expect(result.pipeline_by_stage.download).toBeGreaterThan(0);
    // Tasks that render take more polls, and each costs commands.
    expect(result.running_polls_per_item).toBeGreaterThanOrEqual(1);
    expect(result.running_pipeline_per_item).toBeGreaterThan(0);
  }, 120_000);

  it("enqueues one batch with the real CLI and times every read of it", async () => {
    const result = await measureScaleCost({ redisUrl: redis.url, lines: 200, requests: 2 });
    expect(result.lines).toBe(200);
    expect(result.enqueue_peak_rss_mb).toBeGreaterThan(10);
    expect(result.redis_bytes_per_job).toBeGreaterThan(100);
    expect(result.status_cpu_s).toBeGreaterThan(0);
    expect(result.reads.map((read) => read.what)).toHaveLength(8);
    for (const read of result.reads) expect(read.p95_ms).toBeGreaterThanOrEqual(read.p50_ms);
    expect(result.results_lines_per_s).toBeGreaterThan(0);
  }, 180_000);
});
