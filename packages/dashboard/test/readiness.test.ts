import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type LocalRedis, startLocalRedis } from "@veoq/local-redis";
import { BatchStore, createQueues, createRedisConnection } from "@veoq/pipeline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDashboardApp } from "../src/index.ts";
import { listen } from "./small-run.ts";

const prefix = `{veoq-dash-ready-${randomUUID().slice(0, 8)}}`;
let dataDir: string;
let redisServer: LocalRedis;
let dashboard: { url: string; close(): Promise<void> };
let cleanup: () => Promise<void>;
let store: BatchStore;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "veoq-dash-ready-"));
  redisServer = await startLocalRedis({ dataDir });
  const redis = createRedisConnection(redisServer.url, "producer");
  redis.on("error", () => {});
  const queues = createQueues(redis, prefix);
  for (const queue of [queues.submit, queues.poll, queues.download]) queue.on("error", () => {});
  store = new BatchStore(redis, prefix);
  dashboard = await listen(
    createDashboardApp({ queues, store, refreshSeconds: 0, redisTimeoutMs: 1000 }),
  );
  cleanup = async () => {
    await dashboard.close();
    await queues.close().catch(() => {});
    redis.disconnect();
  };
}, 30_000);

afterAll(async () => {
  await cleanup?.();
  await redisServer?.stop().catch(() => {});
  await rm(dataDir, { recursive: true, force: true });
});

describe("/readyz", () => {
  it("is 200 while Redis answers and submissions run", async () => {
    const response = await fetch(`${dashboard.url}/readyz`);
    expect(response.status).toBe(200);
  });

  it("is 503 with the reason while a credentials stop is set", async () => {
    await store.redis.set(store.keys.credentialsStop, "401 invalid api key");
    const response = await fetch(`${dashboard.url}/readyz`);
    expect(response.status).toBe(503);
    // /readyz needs no credentials, so it names the cause only; the overview shows the detail.
    expect(await response.text()).toBe("not ready: submissions stopped\n");
    const page = await (await fetch(`${dashboard.url}/`)).text();
    expect(page).toContain("Submissions stopped");
    expect(page).toContain("401 invalid api key");
    await store.redis.del(store.keys.credentialsStop);
    expect((await fetch(`${dashboard.url}/readyz`)).status).toBe(200);
  });

  it("is 503 when Redis is down, while /healthz stays 200 and pages answer 503", async () => {
    await redisServer.kill();
    const response = await fetch(`${dashboard.url}/readyz`);
    expect(response.status).toBe(503);
    const body = await response.text();
    expect(body).toMatch(/redis unreachable/);
    expect(body).toBe("not ready: redis unreachable\n");
    expect((await fetch(`${dashboard.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${dashboard.url}/api/batches`)).status).toBe(503);
  });
});
