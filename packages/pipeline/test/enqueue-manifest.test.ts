import { afterEach, describe, expect, it } from "vitest";
import { BatchStore, enqueueManifest } from "../src/index.ts";
import { createHarness, type Harness, img2videoLine } from "./pipeline-harness.ts";

/** A real BatchStore whose n-th `hasItems` call fails, as when Redis drops mid-enqueue. */
class FailingStore extends BatchStore {
  calls = 0;
  readonly failOnCall: number;
  constructor(store: BatchStore, prefix: string, failOnCall: number) {
    super(store.redis, prefix);
    this.failOnCall = failOnCall;
  }
  override async hasItems(batchId: string, customIds: readonly string[]): Promise<boolean[]> {
    this.calls++;
    if (this.calls === this.failOnCall) throw new Error("connection lost");
    return super.hasItems(batchId, customIds);
  }
}

describe("enqueueManifest", () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it("adds every line in manifest order with several chunks in flight", async () => {
    h = await createHarness();
    const lines = Array.from({ length: 23 }, (_, i) => img2videoLine(`item-${i}`));
    const summary = await enqueueManifest({
      manifestPath: await h.writeManifest(lines),
      batchId: "b1",
      queues: h.queues,
      store: h.store,
      submitAttempts: 1,
      chunkSize: 2,
      chunksInFlight: 3,
    });
    expect(summary).toMatchObject({ added: 23, alreadyPresent: 0, enqueued: true });
    // Submit jobs are prioritised by their turn in the fair share (fair-share.ts): manifest order.
    const waiting = (await h.queues.submit.getPrioritized(0, -1)).sort(
      (a, b) => a.priority - b.priority,
    );
    expect(waiting.map((job) => job.data.customId)).toEqual(lines.map((line) => line.custom_id));
    expect((await h.store.getBatch("b1"))?.counts.queued).toBe(23);
  });

  it("refuses a duplicate custom_id, and with skipInvalid adds its first line only", async () => {
    h = await createHarness();
    const manifestPath = await h.writeManifest([
      img2videoLine("a"),
      img2videoLine("b"),
      img2videoLine("a"),
    ]);
    const options = { manifestPath, queues: h.queues, store: h.store, submitAttempts: 1 };
    const refused = await enqueueManifest({ ...options, batchId: "b1" });
    expect(refused).toMatchObject({ invalid: 1, added: 0, enqueued: false });
    const skipped = await enqueueManifest({ ...options, batchId: "b2", skipInvalid: true });
    expect(skipped).toMatchObject({ valid: 2, invalid: 1, added: 2, enqueued: true });
    // Both passes share one custom_id map: the enqueue pass must not take line 1 for a repeat.
    const clean = await enqueueManifest({
      ...options,
      manifestPath: await h.writeManifest([img2videoLine("c"), img2videoLine("d")]),
      batchId: "b3",
    });
    expect(clean).toMatchObject({ valid: 2, invalid: 0, added: 2, enqueued: true });
  });

  it("throws when a chunk fails, and a second run adds exactly what is missing", async () => {
    h = await createHarness();
    const lines = Array.from({ length: 10 }, (_, i) => img2videoLine(`item-${i}`));
    const manifestPath = await h.writeManifest(lines);
    const options = {
      manifestPath,
      batchId: "b1",
      queues: h.queues,
      submitAttempts: 1,
      chunkSize: 2,
      chunksInFlight: 3,
    };
    await expect(
      enqueueManifest({ ...options, store: new FailingStore(h.store, h.queues.prefix, 2) }),
    ).rejects.toThrow("connection lost");
    const partial = await h.queues.submit.getPrioritized(0, -1);
    expect(partial.length).toBeLessThan(10);

    const second = await enqueueManifest({ ...options, store: h.store });
    expect(second.added + second.alreadyPresent).toBe(10);
    expect(second.added).toBe(10 - partial.length);
    const jobs = await h.queues.submit.getPrioritized(0, -1);
    expect(jobs.map((job) => job.data.customId).sort()).toEqual(
      lines.map((line) => line.custom_id).sort(),
    );
    expect((await h.store.getBatch("b1"))?.counts.queued).toBe(10);
  });
});
