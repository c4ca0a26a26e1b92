import { randomUUID } from "node:crypto";
import { removeKeysUnder } from "@veoq/local-redis";
import {
  BatchStore,
  createQueues,
  createRedisConnection,
  openStore,
  ProviderKeys,
  type ProviderKeysOptions,
  SpendLedger,
} from "@veoq/pipeline";
import { afterAll, describe, expect, it } from "vitest";
import {
  createMetricsRegistry,
  parsePrometheusText,
  registerDeploymentMetrics,
} from "../src/index.ts";

const prefix = `{veoq-deploy-metrics-${randomUUID().slice(0, 8)}}`;
const redis = createRedisConnection("redis://127.0.0.1:6379", "producer");
const queues = createQueues(redis, prefix);

afterAll(async () => {
  await queues.close();
  await removeKeysUnder(redis, prefix);
  redis.disconnect();
});

describe("deployment metrics", () => {
  it("export open batches' items and money, the credentials stop and Redis memory", async () => {
    const store = new BatchStore(redis, prefix);
    const ledger = new SpendLedger(redis, prefix);
    await store.ensureBatch("open", "m.jsonl", Date.now());
    await store.registerItems("open", ["a", "b"]);
    await ledger.addEstimate("open", {
      currency: "USD",
      costMicros: 3_000_000,
      tasks: 2,
      videoSeconds: 16,
      groups: [],
    });
    await ledger.setBudget("open", 5_000_000);
    await store.ensureBatch("done", "m.jsonl", Date.now());
    await store.registerItems("done", ["a"]);
    await store.transition("done", "a", "completed");

    const registry = createMetricsRegistry({ processMetrics: false });
    registerDeploymentMetrics(registry, { queues, store: openStore(redis, { prefix }) });
    const read = async () => parsePrometheusText(await registry.metrics());
    const value = (samples: Awaited<ReturnType<typeof read>>, name: string, labels = {}) =>
      samples.find(
        (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
      )?.value;

    let samples = await read();
    expect(value(samples, "veoq_batch_items", { batch: "open", state: "queued" })).toBe(2);
    expect(value(samples, "veoq_batch_items", { batch: "open", state: "completed" })).toBe(0);
    // A finished batch drops out: the series stay bounded by the open batches.
    expect(samples.some((s) => s.labels.batch === "done")).toBe(false);
    expect(value(samples, "veoq_batch_estimate", { batch: "open" })).toBe(3);
    expect(value(samples, "veoq_batch_budget", { batch: "open" })).toBe(5);
    expect(value(samples, "veoq_batch_spent", { batch: "open" })).toBe(0);
    expect(value(samples, "veoq_credentials_stopped")).toBe(0);
    expect(value(samples, "veoq_redis_memory_used_bytes")).toBeGreaterThan(0);
    expect(value(samples, "veoq_redis_memory_max_bytes")).toBeGreaterThanOrEqual(0);
    // No download waits: no expiry series.
    expect(value(samples, "veoq_download_url_expiry_seconds")).toBeUndefined();

    await redis.set(store.keys.credentialsStop, "401 from the provider");
    samples = await read();
    expect(value(samples, "veoq_credentials_stopped")).toBe(1);
  });

  it("export each API key's figures labelled with its name, never the key", async () => {
    const keys = new ProviderKeys({
      store: openStore(redis, { prefix }),
      keys: ["prod-a", "prod-b"].map((name) => ({
        name,
        secret: `sk-secret-${name}`,
        rpm: 0,
        maxInFlight: 4,
        dailyBudget: undefined,
        weight: 1,
      })),
      clientFor: (() => ({})) as unknown as ProviderKeysOptions["clientFor"],
      toMicros: (amount) => Math.round(amount * 1e6),
    });
    const [a, b] = keys.list;
    if (a === undefined || b === undefined) throw new Error("two keys expected");
    await keys.take("h1", 0);
    await keys.count(a, "created", 2_500_000);
    await keys.count(a, "rateLimited");
    await keys.stop(b, "402");
    const registry = createMetricsRegistry({ processMetrics: false });
    registerDeploymentMetrics(registry, { queues, store: openStore(redis, { prefix }) });
    const text = await registry.metrics();
    const samples = parsePrometheusText(text);
    const of = (name: string, key: string) =>
      samples.find((s) => s.name === name && s.labels.key === key)?.value;
    expect(of("veoq_key_in_flight", "prod-a")).toBe(1);
    expect(of("veoq_key_in_flight_cap", "prod-a")).toBe(4);
    expect(of("veoq_key_creates", "prod-a")).toBe(1);
    expect(of("veoq_key_rate_limited", "prod-a")).toBe(1);
    expect(of("veoq_key_spent", "prod-a")).toBe(2.5);
    expect(of("veoq_key_stopped", "prod-a")).toBe(0);
    expect(of("veoq_key_stopped", "prod-b")).toBe(1);
    expect(text).not.toContain("sk-secret");
  });
});
