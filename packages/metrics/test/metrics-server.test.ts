import { randomUUID } from "node:crypto";
import { removeKeysUnder } from "@veoq/local-redis";
import { BatchStore, createQueues, createRedisConnection, type Redis } from "@veoq/pipeline";
import { afterAll, describe, expect, it } from "vitest";
import {
  checkReadiness,
  createMetricsRegistry,
  parsePrometheusText,
  registerQueueDepthMetrics,
  startMetricsServer,
} from "../src/index.ts";
import { findFreePortForTest } from "./free-port.ts";

const REDIS_URL = "redis://127.0.0.1:6379";
const prefix = `{veoq-metrics-test-${randomUUID().slice(0, 8)}}`;
const opened: { close(): Promise<void> | void }[] = [];

function connect(url: string): Redis {
  const redis = createRedisConnection(url, "producer");
  redis.on("error", () => {});
  opened.push({ close: () => redis.disconnect() });
  return redis;
}

afterAll(async () => {
  const redis = connect(REDIS_URL);
  await removeKeysUnder(redis, prefix);
  for (const item of opened.reverse()) await item.close();
});

describe("startMetricsServer", () => {
  it("serves /metrics, /healthz and /readyz over HTTP, and 404 elsewhere", async () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    let ready = true;
    const server = await startMetricsServer({
      registry,
      readiness: async () =>
        ready ? { ready: true } : { ready: false, reason: "redis unreachable: x" },
    });
    opened.push(server);
    const metrics = await fetch(`${server.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get("content-type")).toContain("text/plain");
    expect(parsePrometheusText(await metrics.text())).toEqual([]);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    ready = false;
    const notReady = await fetch(`${server.url}/readyz`);
    expect(notReady.status).toBe(503);
    const notReadyBody = await notReady.text();
    expect(notReadyBody).toContain("redis unreachable");
    // Probes need no credentials: the summary only, never the address in the detail.
    expect(notReadyBody).toBe("not ready: redis unreachable\n");
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    expect((await fetch(`${server.url}/metrics`, { method: "POST" })).status).toBe(405);
  });
});

describe("registerQueueDepthMetrics", () => {
  it("reads job counts per queue and state on scrape, and tasks in flight from the poll queue", async () => {
    const redis = connect(REDIS_URL);
    const queues = createQueues(redis, prefix);
    opened.push({ close: () => queues.close() });
    const registry = createMetricsRegistry({ processMetrics: false });
    registerQueueDepthMetrics(registry, queues);
    const before = parsePrometheusText(await registry.metrics());
    expect(before.find((s) => s.name === "veoq_tasks_in_flight")?.value).toBe(0);
    await queues.poll.add("poll", {} as never, { jobId: "a~b~p0", delay: 60_000 });
    await queues.poll.add("poll", {} as never, { jobId: "a~c~p0" });
    await queues.submit.add("submit", {} as never, { jobId: "a~d" });
    const after = parsePrometheusText(await registry.metrics());
    const depth = (queue: string, state: string) =>
      after.find(
        (s) => s.name === "veoq_queue_jobs" && s.labels.queue === queue && s.labels.state === state,
      )?.value;
    expect(depth("poll", "delayed")).toBe(1);
    expect(depth("poll", "waiting")).toBe(1);
    expect(depth("submit", "waiting")).toBe(1);
    expect(depth("download", "waiting")).toBe(0);
    expect(after.find((s) => s.name === "veoq_tasks_in_flight")?.value).toBe(2);
    expect(after.find((s) => s.name === "veoq_redis_up")?.value).toBe(1);
  });

  it("still answers when Redis is down: veoq_redis_up 0 and no queue series", async () => {
    const port = await findFreePortForTest();
    const redis = connect(`redis://127.0.0.1:${port}`);
    const queues = createQueues(redis, prefix);
    for (const q of [queues.submit, queues.poll, queues.download]) q.on("error", () => {});
    opened.push({ close: () => queues.close().catch(() => {}) });
    const registry = createMetricsRegistry({ processMetrics: false });
    registerQueueDepthMetrics(registry, queues, { timeoutMs: 300 });
    const samples = parsePrometheusText(await registry.metrics());
    expect(samples.find((s) => s.name === "veoq_redis_up")?.value).toBe(0);
    expect(samples.some((s) => s.name === "veoq_queue_jobs")).toBe(false);
  });
});

describe("checkReadiness", () => {
  it("is ready when Redis answers and no credentials stop is set", async () => {
    const store = new BatchStore(connect(REDIS_URL), prefix);
    expect(await checkReadiness(store)).toEqual({ ready: true });
  });

  it("is not ready while a credentials stop is set, and says why", async () => {
    const store = new BatchStore(connect(REDIS_URL), `${prefix}-stop`);
    await store.redis.set(store.keys.credentialsStop, "402 balance exhausted");
    const state = await checkReadiness(store);
    await store.redis.del(store.keys.credentialsStop);
    expect(state).toEqual({ ready: false, reason: "submissions stopped: 402 balance exhausted" });
  });

  it("is not ready when Redis does not answer", async () => {
    const port = await findFreePortForTest();
    const store = new BatchStore(connect(`redis://127.0.0.1:${port}`), prefix);
    const state = await checkReadiness(store, { timeoutMs: 500 });
    expect(state.ready).toBe(false);
    expect(state.ready === false && state.reason).toMatch(/^redis unreachable/);
  });
});
