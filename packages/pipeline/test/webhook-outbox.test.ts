import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { removeKeysUnder } from "@veoq/local-redis";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import {
  BatchStore,
  batchWebhookSchema,
  createQueues,
  EnqueueError,
  EnqueueMark,
  enqueueManifest,
  SpendLedger,
  stopSubmissions,
  WebhookOutbox,
} from "../src/index.ts";
import { finalResult } from "./final-result.ts";
import { liteLine, TINY_PNG } from "./pipeline-harness.ts";

/**
 * The webhook outbox is written by the scripts that make the transitions it reports, once per
 * transition: a repeated finish, a second pause or a second credentials stop adds nothing.
 */
describe("webhook outbox", () => {
  const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
  const prefix = `{veoq-test-${randomBytes(4).toString("hex")}}`;
  const store = new BatchStore(redis, prefix);
  const outbox = new WebhookOutbox(redis, prefix);
  afterAll(async () => {
    await removeKeysUnder(redis, prefix);
    redis.disconnect();
  });

  it("checks a batch's webhook before enqueueing anything, with the default events", async () => {
    expect(batchWebhookSchema.parse({ url: "https://you.example/hook" }).events).toEqual([
      "batch.completed",
      "batch.paused",
      "item.failed",
    ]);
    const queues = createQueues(redis, prefix);
    try {
      const attempt = (webhook: { url: string; events?: string[] }) =>
        enqueueManifest({
          manifestPath: "/nonexistent/manifest.jsonl",
          batchId: "bad-hook",
          queues,
          store,
          submitAttempts: 1,
          webhook,
        });
      await expect(attempt({ url: "ftp://you.example/hook" })).rejects.toThrow(EnqueueError);
      await expect(attempt({ url: "ftp://you.example/hook" })).rejects.toThrow(
        /webhook URL must be an http:\/\/ or https:\/\/ URL/,
      );
      await expect(
        attempt({ url: "https://you.example/hook", events: ["batch.done"] }),
      ).rejects.toThrow(/webhook events must be one of batch.completed/);
      expect(await store.getBatch("bad-hook")).toBeUndefined();
    } finally {
      await queues.close();
    }
  });

  it("writes item events only when asked, and batch.completed once when every item is final", async () => {
    await store.ensureBatch("w1", "/m.jsonl", 1000);
    await store.setWebhook("w1", { url: "https://example.test/hook", events: ["item.failed"] });
    await store.registerItems("w1", ["a", "b", "c"]);
    await store.finishItem(finalResult("w1", "a", "completed"));
    await store.finishItem(finalResult("w1", "b", "failed"));
    await store.finishItem(finalResult("w1", "b", "failed")); // a repeated finish: no new event
    expect((await outbox.readBatch("w1")).entries.map((e) => [e.type, e.customId])).toEqual([
      ["item.failed", "b"],
    ]);
    expect(await outbox.pendingBatches()).toContain("w1");
    // The account-wide endpoints ask for item.completed: the last item's completion is written.
    await store.finishItem(finalResult("w1", "c", "completed"), {
      accountItemEvents: ["item.completed"],
    });
    await store.finishItem(finalResult("w1", "c", "completed"));
    const { entries } = await outbox.readBatch("w1");
    expect(entries.map((e) => [e.id, e.type, e.customId])).toEqual([
      ["w1~e1", "item.failed", "b"],
      ["w1~e2", "item.completed", "c"],
      ["w1~e3", "batch.completed", undefined],
    ]);
    await outbox.removeBatchEntries(
      "w1",
      entries.map((e) => e.id),
    );
    expect(await outbox.pendingBatches()).not.toContain("w1");
    // Re-opened by a retry and final again: a new batch.completed with a new id.
    await store.transition("w1", "b", "queued", { force: true });
    await store.clearFinished("w1");
    await store.finishItem(finalResult("w1", "b", "completed"));
    expect((await outbox.readBatch("w1")).entries.map((e) => [e.id, e.type])).toEqual([
      ["w1~e4", "batch.completed"],
    ]);
  });

  it("defers batch.completed while an enqueue is still adding items, and re-arms it for added items", async () => {
    await store.ensureBatch("w5", "/m.jsonl", 1000);
    await store.beginEnqueue("w5", 1000);
    await store.registerItems("w5", ["a"]);
    await store.finishItem(finalResult("w5", "a", "completed")); // every item so far, not the batch
    expect((await outbox.readBatch("w5")).entries).toEqual([]);
    await store.registerItems("w5", ["b"]);
    await store.finishItem(finalResult("w5", "b", "completed"));
    expect((await outbox.readBatch("w5")).entries).toEqual([]);
    await store.endEnqueue("w5", 2000, true);
    const first = (await outbox.readBatch("w5")).entries;
    expect(first.map((e) => e.type)).toEqual(["batch.completed"]);
    await outbox.removeBatchEntries(
      "w5",
      first.map((e) => e.id),
    );
    // A later enqueue adds an item to the finished batch: it is open again, and ends again.
    await store.beginEnqueue("w5", 3000);
    await store.registerItems("w5", ["c"]);
    expect((await store.getBatch("w5"))?.finishedAt).toBeUndefined();
    await store.endEnqueue("w5", 3001, true);
    expect((await outbox.readBatch("w5")).entries).toEqual([]);
    await store.finishItem(finalResult("w5", "c", "failed"));
    expect((await outbox.readBatch("w5")).entries.map((e) => e.type)).toEqual(["batch.completed"]);
  });

  it("does not finish a batch whose enqueue was interrupted until the run that completes it ends", async () => {
    const mark = new EnqueueMark(redis, prefix, "w6");
    await store.ensureBatch("w6", "/m.jsonl", 1000);
    // The first run gets through 2 of 3 lines, then Ctrl-C.
    await store.beginEnqueue("w6", 1000);
    await mark.begin(3);
    await store.registerItems("w6", ["a", "b"]);
    await mark.reached(2);
    await store.endEnqueue("w6", 1100, false);
    // Every item in so far becomes final after the enqueue ended: not the batch.
    await store.finishItem(finalResult("w6", "a", "completed"));
    expect(await store.finishQueuedItem(finalResult("w6", "b", "cancelled"))).toBe(true);
    expect((await outbox.readBatch("w6")).entries).toEqual([]);
    expect((await store.getBatch("w6"))?.finishedAt).toBeUndefined();
    // The same enqueue again adds the last line, whose item is final before the run ends.
    await store.beginEnqueue("w6", 2000);
    await mark.begin(3);
    await store.registerItems("w6", ["c"]);
    await store.finishItem(finalResult("w6", "c", "failed"));
    await mark.reached(3);
    expect((await outbox.readBatch("w6")).entries).toEqual([]);
    await mark.complete();
    await store.endEnqueue("w6", 2500, true);
    const batch = await store.getBatch("w6");
    expect(batch?.enqueueIncomplete).toBeUndefined();
    expect(batch?.finishedAt).toBe(2500);
    expect((await outbox.readBatch("w6")).entries.map((e) => [e.type, e.at])).toEqual([
      ["batch.completed", 2500],
    ]);
    // Once: a repeated finish, and another full run that adds nothing, write no second one.
    await store.finishItem(finalResult("w6", "c", "failed"));
    await store.beginEnqueue("w6", 3000);
    await mark.begin(3);
    await mark.complete();
    await store.endEnqueue("w6", 3001, true);
    expect((await outbox.readBatch("w6")).entries).toHaveLength(1);
  });

  it("finishes an interrupted batch at the end of the completing run when every item was already final", async () => {
    const mark = new EnqueueMark(redis, prefix, "w7");
    await store.ensureBatch("w7", "/m.jsonl", 1000);
    await store.beginEnqueue("w7", 1000);
    await mark.begin(2);
    await store.registerItems("w7", ["a", "b"]);
    await mark.reached(2); // every line in, but stopped before the mark was taken off
    await store.endEnqueue("w7", 1100, false);
    await store.finishItem(finalResult("w7", "a", "completed"));
    await store.finishItem(finalResult("w7", "b", "completed"));
    expect((await outbox.readBatch("w7")).entries).toEqual([]);
    // The completing run finds every line present and every item final.
    await store.beginEnqueue("w7", 2000);
    await mark.begin(2);
    await mark.reached(2);
    await mark.complete();
    await store.endEnqueue("w7", 2100, true);
    expect((await store.getBatch("w7"))?.finishedAt).toBe(2100);
    expect((await outbox.readBatch("w7")).entries.map((e) => e.type)).toEqual(["batch.completed"]);
  });

  it("stamps the finish at the end of the completing run even when an enqueue that died is still counted", async () => {
    const mark = new EnqueueMark(redis, prefix, "w9");
    await store.ensureBatch("w9", "/m.jsonl", 1000);
    // A first run dies (killed, Redis lost) after 1 of 2 lines: it never ends.
    await store.beginEnqueue("w9", 1000);
    await mark.begin(2);
    await store.registerItems("w9", ["a"]);
    await mark.reached(1);
    await store.finishItem(finalResult("w9", "a", "completed"));
    // The same enqueue again, within the hour the dead run's marker still counts.
    await store.beginEnqueue("w9", 2000);
    await mark.begin(2);
    await store.registerItems("w9", ["b"]);
    await store.finishItem(finalResult("w9", "b", "completed"));
    await mark.reached(2);
    await mark.complete();
    await store.endEnqueue("w9", 2500, true);
    // Finished (views, retention, elapsed time); batch.completed waits for the enqueues counted.
    expect((await store.getBatch("w9"))?.finishedAt).toBe(2500);
    expect((await outbox.readBatch("w9")).entries).toEqual([]);
  });

  it("sends no batch.completed for an enqueue stopped part-way (Ctrl-C) until the same enqueue, run again, completes", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "veoq-outbox-"));
    const queues = createQueues(redis, prefix);
    try {
      await writeFile(path.join(dir, "frame.png"), TINY_PNG);
      const manifestPath = path.join(dir, "m.jsonl");
      const ids = ["a", "b", "c", "d"];
      await writeFile(manifestPath, ids.map((id) => `${JSON.stringify(liteLine(id))}\n`).join(""));
      const enqueue = (extra: Partial<Parameters<typeof enqueueManifest>[0]> = {}) =>
        enqueueManifest({
          manifestPath,
          batchId: "w8",
          queues,
          store,
          submitAttempts: 1,
          chunkSize: 1,
          chunksInFlight: 1,
          ...extra,
        });
      // Ctrl-C once the first line's item is in: the line being sent lands, no other is read.
      const interrupt = new AbortController();
      const first = await enqueue({
        signal: interrupt.signal,
        onProgress: (p) => {
          if (p.phase === "enqueue" && p.added > 0) interrupt.abort();
        },
      });
      expect(first.interrupted).toBe(true);
      const partial = await store.getBatch("w8");
      expect(partial?.enqueueIncomplete?.totalLines).toBe(4);
      const inSoFar = ids.slice(0, partial?.total);
      expect(inSoFar.length).toBeGreaterThan(0);
      expect(inSoFar.length).toBeLessThan(4);
      // Every item in so far ends: the batch does not.
      for (const id of inSoFar) await store.finishItem(finalResult("w8", id, "completed"));
      expect((await outbox.readBatch("w8")).entries).toEqual([]);
      expect((await store.getBatch("w8"))?.finishedAt).toBeUndefined();
      // The same enqueue again adds the rest; their items end: one batch.completed.
      const second = await enqueue();
      expect(second.interrupted).toBe(false);
      expect((await store.getBatch("w8"))?.enqueueIncomplete).toBeUndefined();
      expect((await outbox.readBatch("w8")).entries).toEqual([]);
      for (const id of ids.slice(inSoFar.length)) {
        await store.finishItem(finalResult("w8", id, "completed"));
      }
      expect((await outbox.readBatch("w8")).entries.map((e) => e.type)).toEqual([
        "batch.completed",
      ]);
      expect((await store.getBatch("w8"))?.finishedAt).toBeDefined();
    } finally {
      await queues.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("writes batch.completed when cancelling the last queued item ends the batch", async () => {
    await store.ensureBatch("w2", "/m.jsonl", 1000);
    await store.registerItems("w2", ["a"]);
    expect(await store.finishQueuedItem(finalResult("w2", "a", "cancelled"))).toBe(true);
    expect(await store.finishQueuedItem(finalResult("w2", "a", "cancelled"))).toBe(false);
    expect((await outbox.readBatch("w2")).entries.map((e) => e.type)).toEqual(["batch.completed"]);
  });

  it("writes batch.paused once per budget stop and once per credentials stop", async () => {
    const ledger = new SpendLedger(redis, prefix);
    await ledger.setBudget("w3", 10);
    expect(await ledger.gate("w3", "w3~a~0", 50, undefined, 5000)).toBe("budget");
    expect(await ledger.gate("w3", "w3~b~0", 50, undefined, 5001)).toBe("paused");
    const queues = createQueues(redis, prefix);
    try {
      await stopSubmissions(store, queues, "unauthorized: bad key", 6000);
      await stopSubmissions(store, queues, "unauthorized: bad key", 6001);
    } finally {
      await queues.submit.resume();
      await queues.close();
    }
    const { entries } = await outbox.readAccount();
    expect(entries.map((e) => [e.id, e.type, e.batchId, e.reason, e.detail])).toEqual([
      ["w3~p1", "batch.paused", "w3", "budget", undefined],
      ["*~c2", "batch.paused", "*", "credentials", "unauthorized: bad key"],
    ]);
  });
});
