import { existsSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  BatchControl,
  BatchInFlightError,
  batchResults,
  cancelBatch,
  type DeleteBatchContext,
  deleteBatch,
  expireFinishedBatches,
  SpendLedger,
} from "../src/index.ts";
import { scanEveryMaster } from "../src/store/connection/redis-connection.ts";
import { collect, createHarness, type Harness, liteLine } from "./pipeline-harness.ts";

const DAY_MS = 24 * 3600 * 1000;

/** Every key under the harness's prefix (its own tag and the spread ones) that names `batchId`. */
async function keysNaming(h: Harness, batchId: string): Promise<string[]> {
  const bare = h.config.prefix.replace(/[{}]/g, "");
  const found: string[] = [];
  // The id as a whole word of the key (not "first" in "firstlastframe").
  const naming = new RegExp(`(^|[^A-Za-z0-9._-])${batchId}([^A-Za-z0-9._-]|$)`);
  for (const pattern of [`${h.config.prefix}*`, `{${bare}:*`]) {
    for await (const key of scanEveryMaster(h.redis, pattern)) {
      if (naming.test(key)) found.push(key);
    }
  }
  return [...new Set(found)];
}

/** Request index and task index entries that name an item of `batchId`. */
async function indexEntriesNaming(h: Harness, batchId: string): Promise<number> {
  const [requests, tasks] = await Promise.all([
    h.redis.hvals(h.store.keys.requestIndex),
    h.redis.hvals(h.store.keys.taskIndex),
  ]);
  return [...requests, ...tasks].filter((v) => v.startsWith(`${batchId}~`)).length;
}

function contextOf(h: Harness): DeleteBatchContext {
  return {
    store: h.store,
    queues: h.queues,
    control: new BatchControl(h.redis, h.config.prefix),
    outputDir: h.config.outputDir,
  };
}

describe("deleting a batch", () => {
  let h: Harness;
  afterEach(async () => h?.close());

  const lines = [liteLine("a", { seed: 1 }), liteLine("b", { seed: 2 })];

  it("removes its records, jobs, index entries and (with --files) its files; a batch that reused it keeps its own", async () => {
    h = await createHarness();
    await h.start();
    await h.enqueue(await h.writeManifest(lines), "first");
    await h.waitForBatch("first");
    const copy = lines.map((l, i) => ({ ...l, custom_id: `copy-${i}` }));
    expect((await h.enqueue(await h.writeManifest(copy), "second")).reused.lines).toBe(2);
    await h.waitForBatch("second");
    expect(await keysNaming(h, "first")).not.toEqual([]);
    expect(await indexEntriesNaming(h, "first")).toBeGreaterThan(0);
    expect(existsSync(path.join(h.config.outputDir, "first"))).toBe(true);

    const summary = await deleteBatch(contextOf(h), "first", { files: true });
    expect(summary).toMatchObject({ batchId: "first", items: 2, files: 2 });
    expect(summary.jobs).toBeGreaterThan(0);
    expect(await keysNaming(h, "first")).toEqual([]);
    expect(await indexEntriesNaming(h, "first")).toBe(0);
    // Off the sweep's watch of batches with enqueue runs too.
    expect(await h.redis.zscore(h.store.keys.enqueueRunBatches, "first")).toBeNull();
    expect(await h.store.listBatchIds()).toEqual(["second"]);
    expect(await h.store.getBatch("first")).toBeUndefined();
    expect(existsSync(path.join(h.config.outputDir, "first"))).toBe(false);

    // The batch that reused its renders still has its results and its files.
    const second = await collect(batchResults(h.store, "second"));
    for (const line of second) {
      if (line.status !== "completed") throw new Error(`${line.customId} ${line.status}`);
      for (const file of line.files) {
        expect(existsSync(path.join(h.config.outputDir, file.path))).toBe(true);
      }
    }
    // Its requests left the index: the same line under a new batch renders anew.
    const creates = h.simulator.stats().creates.accepted;
    await h.enqueue(await h.writeManifest([{ ...lines[0], custom_id: "again" }]), "third");
    await h.waitForBatch("third");
    expect((await collect(batchResults(h.store, "third")))[0]?.status).toBe("completed");
    expect(h.simulator.stats().creates.accepted).toBe(creates + 1);
  });

  it("refuses while items are in flight, and deletes once the batch is cancelled", async () => {
    h = await createHarness();
    await h.enqueue(await h.writeManifest(lines), "open");
    await expect(deleteBatch(contextOf(h), "open")).rejects.toBeInstanceOf(BatchInFlightError);
    expect(await h.store.getBatch("open")).toBeDefined();
    expect(await h.queues.submit.getJobCounts()).toMatchObject({ prioritized: 2 });

    await cancelBatch(
      {
        store: h.store,
        queues: h.queues,
        control: new BatchControl(h.redis, h.config.prefix),
        spend: new SpendLedger(h.redis, h.config.prefix),
      },
      "open",
      { dropInFlight: false },
    );
    const summary = await deleteBatch(contextOf(h), "open");
    expect(summary.items).toBe(2);
    expect(summary.files).toBeUndefined();
    expect(await keysNaming(h, "open")).toEqual([]);
    expect(await indexEntriesNaming(h, "open")).toBe(0);
    expect(await h.store.listBatchIds()).toEqual([]);
  });

  it("expires the records of batches finished longer ago than the retention, and keeps the others", async () => {
    h = await createHarness();
    await h.start();
    await h.enqueue(await h.writeManifest(lines), "old");
    await h.waitForBatch("old");
    await h.enqueue(await h.writeManifest([liteLine("z", { seed: 9 })]), "open");
    const finishedAt = (await h.store.getBatch("old"))?.finishedAt ?? 0;
    const context = contextOf(h);

    expect(await expireFinishedBatches(context, 30, finishedAt + 29 * DAY_MS)).toEqual([]);
    expect(await expireFinishedBatches(context, 0, finishedAt + 365 * DAY_MS)).toEqual([]);
    await h.waitForBatch("open");
    // "open" finished later than "old": 30 days after "old" only "old" is past the retention.
    expect(await expireFinishedBatches(context, 30, finishedAt + 30 * DAY_MS + 1)).toEqual(["old"]);
    expect(await h.store.getBatch("open")).toBeDefined();
    expect(await keysNaming(h, "old")).toEqual([]);
    expect(await indexEntriesNaming(h, "old")).toBe(0);
    expect(await h.store.listBatchIds()).not.toContain("old");
    // Its files stay: retention drops records only.
    expect(existsSync(path.join(h.config.outputDir, "old"))).toBe(true);
  });
});
