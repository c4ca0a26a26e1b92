import { afterEach, describe, expect, it } from "vitest";
import { DownloadPermits } from "../src/stages/download-permits.ts";
import { createHarness, type Harness, liteLine } from "./pipeline-harness.ts";

describe("download permits (the process's bound on parallel downloads)", () => {
  it("lends at most its size at once: a poll job's try fails when none is free, a download job waits for one", async () => {
    const permits = new DownloadPermits(2);
    expect(permits.tryTake()).toBe(true);
    expect(permits.tryTake()).toBe(true);
    expect(permits.tryTake()).toBe(false);
    let waited = false;
    const waiting = permits.take().then(() => {
      waited = true;
    });
    await Promise.resolve();
    expect(waited).toBe(false);
    permits.give(); // to the waiting download job, not back to the pool
    await waiting;
    expect(waited).toBe(true);
    expect(permits.tryTake()).toBe(false);
    permits.give();
    expect(permits.tryTake()).toBe(true);
  });
});

describe("a poll job's permit", () => {
  it("waits its turn while fewer poll jobs than the bound wait, and is refused past that", async () => {
    const permits = new DownloadPermits(1);
    expect(await permits.takeForPoll()).toBe(true);
    const second = permits.takeForPoll();
    // One poll job waits already: the next one goes to a download job at once.
    expect(await permits.takeForPoll()).toBe(false);
    permits.give();
    expect(await second).toBe(true);
    permits.give();
    expect(permits.tryTake()).toBe(true);
  });
});

describe("a poll job that sees its task done saves the outputs itself", () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it("completes the items with no download job when a permit is free", async () => {
    h = await createHarness();
    await h.start();
    await h.enqueue(await h.writeManifest([liteLine("a"), liteLine("b")]));
    await h.waitForBatch("b1");
    expect((await h.store.getBatch("b1"))?.counts.completed).toBe(2);
    const counts = await h.queues.download.getJobCounts();
    expect(Object.values(counts).reduce((sum, n) => sum + n, 0)).toBe(0);
  });

  it("hands a download that needs a retry to a download job, which completes it", async () => {
    h = await createHarness({ simulator: { fileErrorRate: 0.5 } });
    await h.start();
    const lines = Array.from({ length: 6 }, (_, i) => liteLine(`item-${i}`));
    await h.enqueue(await h.writeManifest(lines));
    await h.waitForBatch("b1", 30_000);
    expect((await h.store.getBatch("b1"))?.counts.completed).toBe(6);
    // Some first tries met the 503 and went on as download jobs.
    expect(await h.queues.download.getCompletedCount()).toBeGreaterThanOrEqual(1);
  });
});
