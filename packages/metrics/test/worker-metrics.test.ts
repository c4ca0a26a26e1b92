import { randomUUID } from "node:crypto";
import { parseConfig } from "@veoq/config";
import { removeKeysUnder } from "@veoq/local-redis";
import { createLogger } from "@veoq/logging";
import {
  createQueues,
  createRedisConnection,
  openStore,
  startWorkers,
  WorkerRegistry,
} from "@veoq/pipeline";
import { afterAll, describe, expect, it } from "vitest";
import {
  createMetricsRegistry,
  parsePrometheusText,
  registerDeploymentMetrics,
  startMetricsServer,
} from "../src/index.ts";

const prefix = `{veoq-worker-metrics-${randomUUID().slice(0, 8)}}`;
const redis = createRedisConnection("redis://127.0.0.1:6379", "producer");

afterAll(async () => {
  await removeKeysUnder(redis, prefix);
  redis.disconnect();
});

const workersByRole = async (url: string) => {
  const samples = parsePrometheusText(await (await fetch(`${url}/metrics`)).text());
  return Object.fromEntries(
    samples.filter((s) => s.name === "veoq_workers").map((s) => [s.labels.role, s.value]),
  );
};

describe("veoq_workers", () => {
  it("counts the live worker processes per role from their heartbeat records", async () => {
    const config = parseConfig({
      REDIS_URL: "redis://127.0.0.1:6379",
      VEOQ_PREFIX: prefix,
      JIEKOU_BASE_URL: "http://127.0.0.1:9",
      JIEKOU_API_KEY: "k",
      VEOQ_OUTPUT_DIR: "/tmp",
    });
    const registry = createMetricsRegistry({ processMetrics: false });
    const queues = createQueues(redis, prefix);
    registerDeploymentMetrics(registry, { queues, store: openStore(redis, { prefix }) });
    const server = await startMetricsServer({ registry });
    const running = await startWorkers({
      config,
      apiKey: "k",
      roles: ["poll", "download"],
      concurrency: { poll: 7 },
      version: "1.2.3",
      logger: createLogger({ level: "silent" }),
    });
    try {
      expect(await workersByRole(server.url)).toEqual({ submit: 0, poll: 1, download: 1 });
      const [record] = await new WorkerRegistry(redis, prefix).list();
      expect(record).toMatchObject({
        roles: ["poll", "download"],
        pid: process.pid,
        version: "1.2.3",
        concurrency: { poll: 7, download: config.downloadConcurrency },
        lastJob: null,
      });
      await running.close();
      // A graceful stop removes the record at once (no wait for its TTL).
      expect(await workersByRole(server.url)).toEqual({ submit: 0, poll: 0, download: 0 });
    } finally {
      await running.close();
      await server.close();
      await queues.close();
    }
  }, 30_000);
});
