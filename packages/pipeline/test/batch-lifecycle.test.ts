import { afterEach, describe, expect, it } from "vitest";
import {
  BatchControl,
  batchResults,
  cancelBatch,
  enqueueManifest,
  type LifecycleContext,
  pauseBatch,
  resumeBatch,
  retryCancelledItems,
  SpendLedger,
} from "../src/index.ts";
import { collect, createHarness, type Harness, liteLine } from "./pipeline-harness.ts";

function lifecycleOf(h: Harness): LifecycleContext {
  return {
    store: h.store,
    queues: h.queues,
    control: new BatchControl(h.redis, h.config.prefix),
    spend: new SpendLedger(h.redis, h.config.prefix),
  };
}

/** Creates that made a task at the simulator. */
const accepted = (h: Harness) => h.simulator.stats().creates.accepted;

/** Submit creates in flight per worker process in the racing tests. */
const perWorker = 2;

/** 40 items, two worker processes racing, and the first creates made. */
async function startRacingBatch(h: Harness): Promise<LifecycleContext> {
  await h.start({ concurrency: { submit: perWorker } });
  await h.start({ concurrency: { submit: perWorker } });
  await h.enqueue(await h.writeManifest(Array.from({ length: 40 }, (_, i) => liteLine(`i${i}`))));
  await h.waitFor(async () => accepted(h) >= 2, "the first creates");
  return lifecycleOf(h);
}

describe("pause, resume, cancel", () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it("pause lets no create through after it returns beyond those already past the gate (at most submit concurrency x workers); resume finishes the batch", async () => {
    h = await createHarness({ simulator: { latencyMs: { min: 10, max: 30 } } });
    const life = await startRacingBatch(h);
    expect(await pauseBatch(life, "b1")).toBe(true);
    expect(await pauseBatch(life, "b1")).toBe(false); // idempotent
    const atPause = accepted(h);
    // Every task created so far finishes; nothing else starts.
    await h.waitFor(async () => {
      const batch = await h.store.getBatch("b1");
      return (
        batch !== undefined &&
        batch.counts.processing + batch.counts.downloading === 0 &&
        batch.counts.completed >= atPause
      );
    }, "the created tasks to finish");
    const batch = await h.store.getBatch("b1");
    expect(accepted(h)).toBeLessThanOrEqual(atPause + 2 * perWorker);
    expect(batch?.counts.queued).toBeGreaterThan(0);
    expect(batch?.counts.completed).toBe(accepted(h));

    expect(await resumeBatch(life, "b1")).toBe(true);
    expect(await resumeBatch(life, "b1")).toBe(false);
    await h.waitForBatch("b1", 30_000);
    expect((await h.store.getBatch("b1"))?.counts.completed).toBe(40);
    expect(accepted(h)).toBe(40);
  });

  it("enqueue --paused registers the batch paused: nothing is created until resume", async () => {
    h = await createHarness();
    await h.start({ concurrency: { submit: perWorker } });
    const life = lifecycleOf(h);
    const summary = await enqueueManifest({
      manifestPath: await h.writeManifest(Array.from({ length: 6 }, (_, i) => liteLine(`i${i}`))),
      batchId: "b1",
      queues: h.queues,
      store: h.store,
      submitAttempts: h.config.submitAttempts,
      paused: true,
    });
    expect(summary.added).toBe(6);
    expect(await life.control.read("b1")).toMatchObject({ state: "paused", reason: "user" });
    // Every job has met the gate (and gone back to wait) well before this.
    await h.waitFor(
      async () => (await h.queues.submit.getJobCounts("delayed")).delayed === 6,
      "every submit job to wait behind the pause",
    );
    expect(accepted(h)).toBe(0);
    expect(await resumeBatch(life, "b1")).toBe(true);
    await h.waitForBatch("b1", 30_000);
    expect(accepted(h)).toBe(6);
  });

  it("cancel leaves no item short of a final state and creates nothing new", async () => {
    h = await createHarness({ simulator: { latencyMs: { min: 10, max: 30 } } });
    const life = await startRacingBatch(h);
    const summary = await cancelBatch(life, "b1", { dropInFlight: false });
    const atCancel = accepted(h);
    expect(summary.changed).toBe(true);
    expect((await cancelBatch(life, "b1", { dropInFlight: false })).changed).toBe(false);
    await h.waitFor(async () => {
      const b = await h.store.getBatch("b1");
      return b !== undefined && b.counts.completed + b.counts.failed + b.counts.cancelled === 40;
    }, "every item to be final");
    const b = await h.store.getBatch("b1");
    expect(accepted(h)).toBeLessThanOrEqual(atCancel + 2 * perWorker);
    expect(b?.counts.completed).toBe(accepted(h));
    expect(b?.counts.cancelled).toBe(40 - accepted(h));
    expect(b?.finishedAt).toBeDefined();
    // The per-state sets (item pages, retry plans) agree with the counts.
    const page = async (state: "queued" | "cancelled" | "completed") =>
      (await h.store.listItems("b1", { state, offset: 0, limit: 100 })).total;
    expect(await page("queued")).toBe(0);
    expect(await page("cancelled")).toBe(40 - accepted(h));
    // No job of the batch is left to run.
    const counts = await h.queues.submit.getJobCounts("waiting", "delayed", "active");
    await h.waitFor(
      async () => {
        const c = await h.queues.submit.getJobCounts("waiting", "delayed", "active");
        return (c.waiting ?? 0) + (c.delayed ?? 0) + (c.active ?? 0) === 0;
      },
      `the submit queue to drain (was ${JSON.stringify(counts)})`,
    );
    expect(accepted(h)).toBeLessThanOrEqual(atCancel + 2 * perWorker);
    const lines = await collect(batchResults(h.store, "b1"));
    const cancelled = lines.filter((l) => l.status === "cancelled");
    expect(cancelled).toHaveLength(40 - accepted(h));
    expect(cancelled[0]).toMatchObject({
      errorKind: "cancelled",
      model: "veo-3.1-lite-firstlastframe",
    });

    // `veoq retry --cancelled` lifts the cancel and renders the rest.
    const createdBefore = accepted(h);
    const retried = await retryCancelledItems(life, "b1");
    expect(retried).toMatchObject({ retried: 40 - createdBefore, skipped: [] });
    await h.waitForBatch("b1", 30_000);
    expect((await h.store.getBatch("b1"))?.counts.completed).toBe(40);
    expect(accepted(h)).toBe(40);
    expect(await page("cancelled")).toBe(0);
    expect(await page("completed")).toBe(40);
  });

  it("cancel --drop-in-flight stops following paid tasks and says how many", async () => {
    // Slow tasks: every created one is still running when the cancel comes.
    h = await createHarness({ simulator: { timeScale: 1 } });
    await h.start({ concurrency: { submit: 2 } });
    await h.enqueue(await h.writeManifest(Array.from({ length: 10 }, (_, i) => liteLine(`i${i}`))));
    const life = lifecycleOf(h);
    await h.waitFor(
      async () => ((await h.store.getBatch("b1"))?.counts.processing ?? 0) >= 2,
      "tasks in flight",
    );
    const summary = await cancelBatch(life, "b1", { dropInFlight: true });
    expect(summary.inFlight).toBeGreaterThanOrEqual(2);
    await h.waitFor(
      async () => {
        const b = await h.store.getBatch("b1");
        return b !== undefined && b.counts.cancelled === 10;
      },
      "every item to be cancelled",
      30_000,
    );
    const abandoned = (await collect(batchResults(h.store, "b1"))).filter(
      (l) => l.status === "cancelled" && "taskIds" in l && l.taskIds.length > 0,
    );
    expect(abandoned.length).toBe(accepted(h));
  });
});
