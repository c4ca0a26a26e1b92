import { randomBytes } from "node:crypto";
import { parseConfig } from "@veoq/config";
import { removeKeysUnder } from "@veoq/local-redis";
import { createLogger } from "@veoq/logging";
import { BatchStore, type ItemResult, recordKeys, SpendLedger } from "@veoq/pipeline";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeliveryLog, type RunningWebhookWorker, startWebhookWorker } from "../src/index.ts";

/** Far longer than the test: only a wake-up message can make the relay run. */
const NO_SWEEP_MS = 600_000;
/**
 * How soon an entry must be relayed: far below the sweep (only the message can have done it),
 * and loose enough for a loaded machine (250 ms failed once in a fresh-clone run at 267 ms:
 * the suite measures behaviour, not speed).
 */
const PROMPT_MS = 3_000;

/**
 * The relay of an idle worker process issues no command between its sweeps, and still relays an
 * outbox entry at once: the store's hint (a batch's outbox) and the spend gate's script (the
 * account outbox) publish a wake-up message with the write.
 */
describe("the outbox relay, woken by the writes", () => {
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const redis = new Redis(redisUrl);
  const prefix = `{veoq-test-${randomBytes(4).toString("hex")}}`;
  const store = new BatchStore(redis, prefix);
  const log = new DeliveryLog(redis, recordKeys(prefix));
  let webhooks: RunningWebhookWorker | undefined;

  beforeAll(async () => {
    webhooks = await startWebhookWorker({
      config: parseConfig({
        REDIS_URL: redisUrl,
        VEOQ_PREFIX: prefix,
        VEOQ_WEBHOOK_URLS: "https://account.example/hook",
        VEOQ_WEBHOOK_EVENTS: "batch.completed,batch.paused,item.failed",
      }),
      logger: createLogger({ level: "silent" }),
      sweepIntervalMs: NO_SWEEP_MS,
      // Each delivery resolves to nothing and fails fast; the test reads the relay's records.
      resolve: async () => [],
    });
    // The start-up sweeps (newest batches, then the pending outboxes) are over.
    await new Promise((resolve) => setTimeout(resolve, 500));
  });
  afterAll(async () => {
    await webhooks?.close();
    await removeKeysUnder(redis, prefix);
    redis.disconnect();
  });

  /** Ms from now until the batch has `count` delivery records (the relay made them). */
  const relayedWithin = async (batchId: string, count: number): Promise<number> => {
    const start = performance.now();
    while ((await log.list(batchId)).length < count) {
      if (performance.now() - start > 5_000) return Number.POSITIVE_INFINITY;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return performance.now() - start;
  };

  it("relays a batch's entries at once, each time, with no sweep due", async () => {
    for (const round of [0, 1, 2]) {
      const batchId = `wake-${round}`;
      await store.ensureBatch(batchId, "/m.jsonl", Date.now());
      await store.registerItems(batchId, ["a"]);
      await store.finishItem(failed(batchId, "a"), { accountItemEvents: ["item.failed"] });
      // item.failed and batch.completed, to the account's endpoint.
      expect(await relayedWithin(batchId, 2)).toBeLessThan(PROMPT_MS);
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
  });

  it("relays the account outbox's batch.paused (the spend gate's script) at once", async () => {
    const spend = new SpendLedger(redis, prefix);
    for (const round of [0, 1]) {
      const batchId = `paused-${round}`;
      await store.ensureBatch(batchId, "/m.jsonl", Date.now());
      await spend.setBudget(batchId, 1);
      expect(await spend.gate(batchId, `${batchId}~a~0`, 1_000_000, undefined, Date.now())).toBe(
        "budget",
      );
      expect(await relayedWithin(batchId, 1)).toBeLessThan(PROMPT_MS);
      const [delivery] = await log.list(batchId);
      expect(delivery?.type).toBe("batch.paused");
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
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
