import { randomUUID } from "node:crypto";
import { removeKeysUnder } from "@veoq/local-redis";
import { createQueues, createRedisConnection, openStore } from "@veoq/pipeline";
import { afterAll, describe, expect, it } from "vitest";
import {
  checkWithPromtool,
  createMetricsRegistry,
  createPrometheusObserver,
  registerDeploymentMetrics,
  startMetricsServer,
} from "../src/index.ts";

const REDIS_URL = "redis://127.0.0.1:6379";
const prefix = `{veoq-promtool-${randomUUID().slice(0, 8)}}`;
const redis = createRedisConnection(REDIS_URL, "producer");
const queues = createQueues(redis, prefix);

afterAll(async () => {
  await queues.close();
  await removeKeysUnder(redis, prefix);
  redis.disconnect();
});

describe("a worker's /metrics", () => {
  it("passes promtool check metrics, process metrics and every veoq series included", async () => {
    // The registry a worker process builds (runWorkerProcess), with a sample in every family.
    const registry = createMetricsRegistry();
    const observer = createPrometheusObserver(registry);
    registerDeploymentMetrics(registry, { queues, store: openStore(redis, { prefix }) });
    observer.providerRequest?.({
      operation: "create",
      endpoint: "/v3/async/veo-3.1-generate-img2video",
      status: 200,
      errorKind: undefined,
      durationMs: 120,
    });
    observer.taskFinished?.({ model: "veo-3.1-generate-img2video", status: "SUCCEED", polls: 4 });
    observer.downloadSaved?.({ model: "veo-3.1-generate-img2video", bytes: 4096 });
    observer.createSpent?.({ model: "veo-3.1-generate-img2video", costMicros: 3_200_000 });
    const server = await startMetricsServer({ registry });
    try {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      expect(text).toContain("nodejs_active_handles{");
      expect(text).toContain("veoq_queue_jobs{");
      expect(text).toContain('veoq_workers{role="submit"} 0');
      const verdict = await checkWithPromtool(text);
      expect(verdict.problems).toBe("");
      expect(verdict.ok).toBe(true);
    } finally {
      await server.close();
    }
  }, 30_000); // promtool is a 48 MB binary: its start alone can pass 5 s on a loaded 2-core machine
});
