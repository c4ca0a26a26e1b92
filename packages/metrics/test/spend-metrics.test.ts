import { randomUUID } from "node:crypto";
import { removeKeysUnder } from "@veoq/local-redis";
import {
  BatchControl,
  BatchStore,
  createRedisConnection,
  openStore,
  SpendLedger,
  slotHolder,
} from "@veoq/pipeline";
import { afterAll, describe, expect, it } from "vitest";
import {
  createMetricsRegistry,
  createPrometheusObserver,
  registerSpendMetrics,
} from "../src/index.ts";

const prefix = `{veoq-spend-metrics-${randomUUID().slice(0, 8)}}`;
const redis = createRedisConnection("redis://127.0.0.1:6379", "producer");

afterAll(async () => {
  await removeKeysUnder(redis, prefix);
  redis.disconnect();
});

describe("spend metrics", () => {
  it("report money reserved, batches paused by reason, cancelled batches and spend by model", async () => {
    const store = new BatchStore(redis, prefix);
    const control = new BatchControl(redis, prefix);
    const ledger = new SpendLedger(redis, prefix);
    for (const id of ["a", "b", "c"]) await store.ensureBatch(id, "m.jsonl", Date.now());
    await control.pause("a", "budget");
    await control.pause("b", "user");
    await control.cancel("c", false);
    await ledger.gate("a", slotHolder("a", "x", 0), 0, undefined, Date.now()); // a is paused
    await ledger.gate("d", slotHolder("d", "x", 0), 1_500_000, undefined, Date.now());

    const registry = createMetricsRegistry();
    registerSpendMetrics(registry, openStore(redis, { prefix }));
    createPrometheusObserver(registry).createSpent?.({
      model: "veo-3.1-lite-firstlastframe",
      costMicros: 400_000,
    });
    const text = await registry.metrics();
    expect(text).toContain("veoq_spend_reserved 1.5");
    expect(text).toContain('veoq_batches_paused{reason="budget"} 1');
    expect(text).toContain('veoq_batches_paused{reason="user"} 1');
    expect(text).toContain('veoq_batches_paused{reason="daily_budget"} 0');
    expect(text).toContain("veoq_batches_cancelled 1");
    expect(text).toContain('veoq_spent_total{model="veo-3.1-lite-firstlastframe"} 0.4');
  });
});
