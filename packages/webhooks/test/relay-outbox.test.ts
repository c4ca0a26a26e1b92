import { randomBytes } from "node:crypto";
import { removeKeysUnder } from "@veoq/local-redis";
import { createLogger } from "@veoq/logging";
import {
  BatchStore,
  type ItemResult,
  recordKeys,
  SpendLedger,
  WebhookOutbox,
} from "@veoq/pipeline";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { createWebhookQueue, DeliveryLog, OutboxRelay } from "../src/index.ts";

/**
 * The relay turns each outbox entry into one job per endpoint, and a relay that runs again over
 * the same entry (it was killed between adding the jobs and deleting the entry) adds nothing.
 */
describe("outbox relay", () => {
  const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
  const prefix = `{veoq-test-${randomBytes(4).toString("hex")}}`;
  const store = new BatchStore(redis, prefix);
  const outbox = new WebhookOutbox(redis, prefix);
  const queue = createWebhookQueue(redis, prefix);
  const log = new DeliveryLog(redis, recordKeys(prefix));
  const relay = new OutboxRelay({
    store,
    spend: new SpendLedger(redis, prefix),
    outbox,
    queue,
    log,
    logger: createLogger({ level: "silent" }),
    now: Date.now,
    settings: {
      prefix,
      accountUrls: ["https://account.example/hook"],
      accountEvents: ["batch.completed"],
      retryScheduleMs: [1000, 2000],
      apiPublicUrl: undefined,
      prices: { currency: "USD", unverified: false },
    },
  });
  afterAll(async () => {
    await queue.close();
    await removeKeysUnder(redis, prefix);
    redis.disconnect();
  });

  it("adds one job per endpoint, once, even when the same entry is relayed again", async () => {
    await store.ensureBatch("r1", "/m.jsonl", 1000);
    await store.setWebhook("r1", {
      url: "https://batch.example/hook?token=receiver-token",
      events: ["batch.completed", "item.failed"],
    });
    await store.registerItems("r1", ["a"]);
    await store.finishItem(failed("r1", "a"));
    const { entries } = await outbox.readBatch("r1");
    expect(entries.map((e) => e.type)).toEqual(["item.failed", "batch.completed"]);
    // item.failed to the batch's endpoint; batch.completed to it and the account's.
    expect(await relay.relayPending()).toBe(3);
    expect(await outbox.readBatch("r1")).toEqual({ entries: [], unreadable: [] });
    // As if killed before the entries were deleted: the same entries come back.
    for (const entry of entries) {
      await redis.hset(recordKeys(prefix).webhookOutbox("r1"), entry.id, JSON.stringify(entry));
    }
    const itemDelivery = (await log.list("r1")).find((d) => d.type === "item.failed");
    await log.recordAttempt(
      "r1",
      itemDelivery?.delivery_id ?? "",
      {
        at: new Date().toISOString(),
        status: 500,
        error: null,
        duration_ms: 1,
        next_attempt_at: null,
      },
      "retrying",
    );
    // Nothing in the hint set now: the start-up sweep finds them.
    await redis.del(recordKeys(prefix).webhookOutboxBatches);
    await relay.sweepRecent();
    const counts = await queue.getJobCounts("waiting", "delayed", "active");
    expect((counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.active ?? 0)).toBe(3);
    const deliveries = await log.list("r1");
    expect(deliveries.map((d) => [d.type, new URL(d.url).host]).sort()).toEqual([
      ["batch.completed", "account.example"],
      ["batch.completed", "batch.example"],
      ["item.failed", "batch.example"],
    ]);
    // Shown without the query (it may hold the receiver's token); delivered to the full URL.
    expect(deliveries.some((d) => d.url.includes("receiver-token"))).toBe(false);
    expect(deliveries.map((d) => d.url)).toContain("https://batch.example/hook");
    // The relay run again kept the tries already logged.
    expect(deliveries.find((d) => d.type === "item.failed")?.attempts).toHaveLength(1);
    const jobs = await queue.getJobs(["waiting"]);
    expect(new Set(jobs.map((j) => j.data.webhookId)).size).toBe(2); // one per event
    expect(jobs.every((j) => j.opts.attempts === 3)).toBe(true);
    expect(jobs.map((j) => j.data.url)).toContain(
      "https://batch.example/hook?token=receiver-token",
    );
  });
});

function failed(batchId: string, customId: string): ItemResult {
  return {
    batchId,
    customId,
    model: "veo-3.1-generate-img2video",
    status: "failed",
    taskIds: ["t1"],
    files: [],
    errorKind: "task_failed",
    errorMessage: "the provider said no",
    failedStage: "poll",
    failedJobId: "j1",
    submission: 0,
    submitAttempts: 1,
    polls: 3,
    enqueuedAt: 1,
    submittedAt: 2,
    finishedAt: 3,
    metadata: undefined,
  };
}
