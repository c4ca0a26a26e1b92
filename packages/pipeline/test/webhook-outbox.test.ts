import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { removeKeysUnder } from "@veoq/local-redis";
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, it } from "vitest";
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
import { recordKeys } from "../src/store/keys.ts";
import { finalResult } from "./final-result.ts";
import { createHarness, type Harness, liteLine, TINY_PNG } from "./pipeline-harness.ts";

/**
 * The webhook outbox is written by the scripts that make the transitions it reports, once per
 * transition: a repeated finish, a second pause or a second credentials stop adds nothing.
 */
const HOUR = 3_600_000;

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
    const run = await store.beginEnqueue("w5", 1000);
    await store.registerItems("w5", ["a"]);
    await store.finishItem(finalResult("w5", "a", "completed")); // every item so far, not the batch
    expect((await outbox.readBatch("w5")).entries).toEqual([]);
    await store.registerItems("w5", ["b"]);
    await store.finishItem(finalResult("w5", "b", "completed"));
    expect((await outbox.readBatch("w5")).entries).toEqual([]);
    await store.endEnqueue("w5", run, 2000);
    const first = (await outbox.readBatch("w5")).entries;
    expect(first.map((e) => e.type)).toEqual(["batch.completed"]);
    await outbox.removeBatchEntries(
      "w5",
      first.map((e) => e.id),
    );
    // A later enqueue adds an item to the finished batch: it is open again, and ends again.
    const later = await store.beginEnqueue("w5", 3000);
    await store.registerItems("w5", ["c"]);
    expect((await store.getBatch("w5"))?.finishedAt).toBeUndefined();
    await store.endEnqueue("w5", later, 3001);
    expect((await outbox.readBatch("w5")).entries).toEqual([]);
    await store.finishItem(finalResult("w5", "c", "failed"));
    expect((await outbox.readBatch("w5")).entries.map((e) => e.type)).toEqual(["batch.completed"]);
  });

  it("does not finish a batch whose enqueue was interrupted until the run that completes it ends", async () => {
    const mark = new EnqueueMark(redis, prefix, "w6");
    await store.ensureBatch("w6", "/m.jsonl", 1000);
    // The first run gets through 2 of 3 lines, then Ctrl-C.
    const first = await store.beginEnqueue("w6", 1000);
    await mark.begin(3);
    await store.registerItems("w6", ["a", "b"]);
    await mark.reached(2);
    await store.endEnqueue("w6", first, 1100);
    // Every item in so far becomes final after the enqueue ended: not the batch.
    await store.finishItem(finalResult("w6", "a", "completed"));
    expect(await store.finishQueuedItem(finalResult("w6", "b", "cancelled"))).toBe(true);
    expect((await outbox.readBatch("w6")).entries).toEqual([]);
    expect((await store.getBatch("w6"))?.finishedAt).toBeUndefined();
    // The same enqueue again adds the last line, whose item is final before the run ends.
    const second = await store.beginEnqueue("w6", 2000);
    await mark.begin(3);
    await store.registerItems("w6", ["c"]);
    await store.finishItem(finalResult("w6", "c", "failed"));
    await mark.reached(3);
    expect((await outbox.readBatch("w6")).entries).toEqual([]);
    await mark.complete();
    await store.endEnqueue("w6", second, 2500);
    const batch = await store.getBatch("w6");
    expect(batch?.enqueueIncomplete).toBeUndefined();
    expect(batch?.finishedAt).toBe(2500);
    expect((await outbox.readBatch("w6")).entries.map((e) => [e.type, e.at])).toEqual([
      ["batch.completed", 2500],
    ]);
    // Once: a repeated finish, and another full run that adds nothing, write no second one.
    await store.finishItem(finalResult("w6", "c", "failed"));
    const third = await store.beginEnqueue("w6", 3000);
    await mark.begin(3);
    await mark.complete();
    await store.endEnqueue("w6", third, 3001);
    expect((await outbox.readBatch("w6")).entries).toHaveLength(1);
  });

  it("finishes an interrupted batch at the end of the completing run when every item was already final", async () => {
    const mark = new EnqueueMark(redis, prefix, "w7");
    await store.ensureBatch("w7", "/m.jsonl", 1000);
    const first = await store.beginEnqueue("w7", 1000);
    await mark.begin(2);
    await store.registerItems("w7", ["a", "b"]);
    await mark.reached(2); // every line in, but stopped before the mark was taken off
    await store.endEnqueue("w7", first, 1100);
    await store.finishItem(finalResult("w7", "a", "completed"));
    await store.finishItem(finalResult("w7", "b", "completed"));
    expect((await outbox.readBatch("w7")).entries).toEqual([]);
    // The completing run finds every line present and every item final.
    const second = await store.beginEnqueue("w7", 2000);
    await mark.begin(2);
    await mark.reached(2);
    await mark.complete();
    await store.endEnqueue("w7", second, 2100);
    expect((await store.getBatch("w7"))?.finishedAt).toBe(2100);
    expect((await outbox.readBatch("w7")).entries.map((e) => e.type)).toEqual(["batch.completed"]);
  });

  it("stamps the finish at the end of the completing run while a dead run counts; the sweep writes batch.completed once it stops counting", async () => {
    const mark = new EnqueueMark(redis, prefix, "w9");
    await store.ensureBatch("w9", "/m.jsonl", 1000);
    // A first run dies (killed, Redis lost) after 1 of 2 lines: it never ends.
    await store.beginEnqueue("w9", 1000);
    await mark.begin(2);
    await store.registerItems("w9", ["a"]);
    await mark.reached(1);
    await store.finishItem(finalResult("w9", "a", "completed"));
    // The same enqueue again, within the hour the dead run still counts.
    const second = await store.beginEnqueue("w9", 2000);
    await mark.begin(2);
    await store.registerItems("w9", ["b"]);
    await store.finishItem(finalResult("w9", "b", "completed"));
    await mark.reached(2);
    await mark.complete();
    await store.endEnqueue("w9", second, 2500);
    // Finished (views, retention, elapsed time); batch.completed waits while the dead run counts.
    expect((await store.getBatch("w9"))?.finishedAt).toBe(2500);
    expect((await outbox.readBatch("w9")).entries).toEqual([]);
    expect(await store.finishDeferredCompletions(2600)).not.toContain("w9");
    expect((await outbox.readBatch("w9")).entries).toEqual([]);
    // The dead run stops counting an hour after its start: the sweep writes the event, once.
    expect(await store.finishDeferredCompletions(2000 + HOUR)).toContain("w9");
    expect((await outbox.readBatch("w9")).entries.map((e) => [e.type, e.at])).toEqual([
      ["batch.completed", 2000 + HOUR],
    ]);
    expect(await store.finishDeferredCompletions(3000 + HOUR)).not.toContain("w9");
    expect(await redis.zscore(recordKeys(prefix).enqueueRunBatches, "w9")).toBeNull();
    // A later run of the same enqueue that adds nothing writes no second one.
    const third = await store.beginEnqueue("w9", 4000 + HOUR);
    await mark.begin(2);
    await mark.complete();
    await store.endEnqueue("w9", third, 4001 + HOUR);
    expect(await store.finishDeferredCompletions(5000 + 2 * HOUR)).not.toContain("w9");
    expect((await outbox.readBatch("w9")).entries).toHaveLength(1);
  });

  it("sends batch.completed when the completing run ended while a dead run counted and the items finish later", async () => {
    // Run A dies after 1 of 2 lines; run B, minutes later, adds the rest and ends while A counts.
    const mark = new EnqueueMark(redis, prefix, "w10");
    await store.ensureBatch("w10", "/m.jsonl", 1000);
    await store.beginEnqueue("w10", 1000);
    await mark.begin(2);
    await store.registerItems("w10", ["a"]);
    await mark.reached(1);
    const b = await store.beginEnqueue("w10", 2000);
    await mark.begin(2);
    await store.registerItems("w10", ["b"]);
    await mark.reached(2);
    await mark.complete();
    await store.endEnqueue("w10", b, 2500);
    // Both items finish within the hour after A began: deferred while A counts.
    await store.finishItem({ ...finalResult("w10", "a", "completed"), finishedAt: 60_000 });
    await store.finishItem({ ...finalResult("w10", "b", "completed"), finishedAt: 120_000 });
    expect((await outbox.readBatch("w10")).entries).toEqual([]);
    // No enqueue runs again: the sweep writes it once A stops counting, and only once.
    await store.finishDeferredCompletions(1000 + HOUR);
    await store.finishDeferredCompletions(2000 + HOUR);
    await store.finishDeferredCompletions(3000 + HOUR);
    expect((await outbox.readBatch("w10")).entries.map((e) => e.type)).toEqual(["batch.completed"]);
    expect(await redis.hget(recordKeys(prefix).batch("w10"), "completionDeferred")).toBeNull();
  });

  it("writes batch.completed once when the last item ends after a dead run stopped counting", async () => {
    const mark = new EnqueueMark(redis, prefix, "w11");
    await store.ensureBatch("w11", "/m.jsonl", 1000);
    await store.beginEnqueue("w11", 1000); // run A dies after line 1
    await mark.begin(2);
    await store.registerItems("w11", ["a"]);
    await mark.reached(1);
    await store.finishItem({ ...finalResult("w11", "a", "completed"), finishedAt: 1500 });
    const b = await store.beginEnqueue("w11", 2000); // run B adds line 2, ends while A counts
    await mark.begin(2);
    await store.registerItems("w11", ["b"]);
    await mark.reached(2);
    await mark.complete();
    await store.endEnqueue("w11", b, 2500);
    await store.finishItem({
      ...finalResult("w11", "b", "completed"),
      finishedAt: 2000 + 2 * HOUR,
    });
    expect((await outbox.readBatch("w11")).entries.map((e) => e.type)).toEqual(["batch.completed"]);
    // Neither the sweep nor the same enqueue run once more (adding nothing) writes a second one.
    await store.finishDeferredCompletions(2001 + 2 * HOUR);
    const again = await store.beginEnqueue("w11", 2000 + 3 * HOUR);
    await mark.begin(2);
    await mark.complete();
    await store.endEnqueue("w11", again, 2001 + 3 * HOUR);
    await store.finishDeferredCompletions(2000 + 5 * HOUR);
    expect((await outbox.readBatch("w11")).entries.map((e) => e.type)).toEqual(["batch.completed"]);
  });

  it("writes batch.completed at the end of a failed run when the batch was finished and it was the last run", async () => {
    const w = "w12";
    await store.ensureBatch(w, "/m.jsonl", 1000);
    const a = await store.beginEnqueue(w, 1000);
    const b = await store.beginEnqueue(w, 1100);
    await store.registerItems(w, ["a"]);
    await store.finishItem(finalResult(w, "a", "completed"));
    await store.endEnqueue(w, a, 1200); // finished (its finish time set), but run B still adds
    expect((await store.getBatch(w))?.finishedAt).toBe(3);
    expect((await outbox.readBatch(w)).entries).toEqual([]);
    // B fails (Redis lost mid-chunk after the mark was complete, nothing left to add).
    await store.endEnqueue(w, b, 1300);
    expect((await outbox.readBatch(w)).entries.map((e) => e.type)).toEqual(["batch.completed"]);
  });

  it("does not write batch.completed from the sweep for a batch whose manifest is only partly in", async () => {
    const mark = new EnqueueMark(redis, prefix, "w13");
    await store.ensureBatch("w13", "/m.jsonl", 1000);
    await store.beginEnqueue("w13", 1000); // dies after 1 of 2 lines
    await mark.begin(2);
    await store.registerItems("w13", ["a"]);
    await mark.reached(1);
    await store.finishItem(finalResult("w13", "a", "completed"));
    expect(await store.finishDeferredCompletions(1000 + HOUR)).not.toContain("w13");
    expect((await outbox.readBatch("w13")).entries).toEqual([]);
    expect((await store.getBatch("w13"))?.finishedAt).toBeUndefined();
    expect(await redis.zscore(recordKeys(prefix).enqueueRunBatches, "w13")).toBeNull();
    // The same enqueue, run again, completes it and writes the event at its end.
    const again = await store.beginEnqueue("w13", 2000 + HOUR);
    await mark.begin(2);
    await store.registerItems("w13", ["b"]);
    await store.finishItem(finalResult("w13", "b", "completed"));
    await mark.reached(2);
    await mark.complete();
    await store.endEnqueue("w13", again, 2001 + HOUR);
    expect((await outbox.readBatch("w13")).entries.map((e) => e.type)).toEqual(["batch.completed"]);
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

  it("announces a batch's entry from the script that writes it, so a process killed before its hint still wakes the relay", async () => {
    const keys = recordKeys(prefix);
    const listener = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
    const heard: string[] = [];
    listener.on("message", (_channel: string, message: string) => heard.push(message));
    await listener.subscribe(keys.webhookOutboxWake);
    await store.ensureBatch("w14", "/m.jsonl", 1000);
    await store.registerItems("w14", ["a"]);
    // The writing process dies between the script and its hint (markWebhookEvents).
    const dying = new BatchStore(redis, prefix);
    const batches = (dying as unknown as { batches: { markWebhookEvents: () => Promise<void> } })
      .batches;
    batches.markWebhookEvents = () => Promise.reject(new Error("killed before its hint"));
    await expect(dying.finishItem(finalResult("w14", "a", "completed"))).rejects.toThrow(
      "killed before its hint",
    );
    expect((await outbox.readBatch("w14")).entries.map((e) => e.type)).toEqual(["batch.completed"]);
    expect(await redis.sismember(keys.webhookOutboxBatches, "w14")).toBe(0);
    const deadline = Date.now() + 2_000;
    while (!heard.includes("w14") && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    listener.disconnect();
    expect(heard).toContain("w14");
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

describe("the worker's sweep of enqueue runs that died", () => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());

  it("writes a held batch.completed when a worker with the poll role starts", async () => {
    h = await createHarness();
    const outbox = new WebhookOutbox(h.redis, h.config.prefix);
    const started = Date.now() - 2 * HOUR;
    await h.store.ensureBatch("dead", "/m.jsonl", started);
    await h.store.beginEnqueue("dead", started); // killed: never ends
    await h.store.registerItems("dead", ["a"]);
    await h.store.finishItem({ ...finalResult("dead", "a", "completed"), finishedAt: started + 1 });
    expect((await outbox.readBatch("dead")).entries).toEqual([]);
    await h.start();
    const deadline = Date.now() + 10_000;
    while ((await outbox.readBatch("dead")).entries.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await outbox.readBatch("dead")).entries.map((e) => e.type)).toEqual([
      "batch.completed",
    ]);
  });
});
