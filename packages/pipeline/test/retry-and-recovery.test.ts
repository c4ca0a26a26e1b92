import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  batchResults,
  planRetry,
  type ResultLine,
  RetryPlanChangedError,
  retryFailedItems,
} from "../src/index.ts";
import {
  createHarness,
  type Harness,
  img2videoLine,
  liteLine,
  TIME_SCALE,
} from "./pipeline-harness.ts";

async function resultOf(h: Harness, customId: string): Promise<ResultLine | undefined> {
  for await (const line of batchResults(h.store, "b1")) if (line.customId === customId) return line;
  return undefined;
}

describe("veoq retry and final failures", () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it("records the failure of a job that fails for a reason no processor foresaw (output dir unusable)", async () => {
    const notADir = path.join(tmpdir(), `veoq-not-a-dir-${process.pid}-${Date.now()}`);
    await writeFile(notADir, "x");
    h = await createHarness({ env: { VEOQ_DOWNLOAD_ATTEMPTS: "2", VEOQ_OUTPUT_DIR: notADir } });
    await h.start();
    await h.enqueue(await h.writeManifest([liteLine("a")]));
    await h.waitForBatch("b1");
    const result = await resultOf(h, "a");
    expect(result?.status).toBe("failed");
    if (result?.status === "failed") {
      expect(result.failedStage).toBe("download");
      expect(result.errorKind).toBe("internal");
      expect(result.errorMessage).toMatch(/ENOTDIR|EEXIST/);
    }
    await rm(notADir);
  });

  it("fails an item for good, once, when its job's data does not parse", async () => {
    h = await createHarness();
    await h.enqueue(await h.writeManifest([liteLine("a")]));
    // Data written by other (older) code: the item still names itself, the rest is wrong.
    // Submit jobs wait in the prioritized set (their fair-share turn is their priority).
    const [job] = await h.queues.submit.getJobs(["prioritized"]);
    await job?.updateData({ ...job.data, submission: "zero" as unknown as number });
    await h.start();
    await h.waitForBatch("b1");
    const result = await resultOf(h, "a");
    expect(result).toMatchObject({
      status: "failed",
      failedStage: "submit",
      errorKind: "internal",
    });
    if (result?.status === "failed") expect(result.errorMessage).toMatch(/has invalid data/);
    expect(h.simulator.stats().creates.total).toBe(0);
    expect((await h.queues.submit.getJob(String(job?.id)))?.attemptsMade).toBe(1);
  });

  it("retries a failed download with a fresh attempt budget and completes it", async () => {
    h = await createHarness({
      env: { VEOQ_DOWNLOAD_ATTEMPTS: "2" },
      simulator: { htmlFileRate: 1 },
    });
    await h.start();
    await h.enqueue(await h.writeManifest([liteLine("a", { sample_count: 2 })]));
    await h.waitForBatch("b1");
    expect((await resultOf(h, "a"))?.status).toBe("failed");
    h.simulator.setFaults({ htmlFileRate: 0 });
    const summary = await retryFailedItems(h.store, h.queues, "b1", { submitAttempts: 3 });
    expect(summary).toMatchObject({ retried: 1, skipped: [] });
    expect(summary.plan.counts).toEqual({ resubmit: 0, repoll: 0, redownload: 1 });
    expect((await h.store.getBatch("b1"))?.finishedAt).toBeUndefined();
    await h.waitForBatch("b1");
    const result = await resultOf(h, "a");
    expect(result?.status).toBe("completed");
    if (result?.status === "completed") expect(result.files).toHaveLength(2);
    expect(h.simulator.stats().creates.accepted).toBe(1); // the paid task was reused
  });

  it("a file store that answers 503 (the simulator's fileErrorRate) fails the item at download with a transient-looking reason, and retry fetches the paid files for free", async () => {
    h = await createHarness({
      env: { VEOQ_DOWNLOAD_ATTEMPTS: "2" },
      simulator: { fileErrorRate: 1 },
    });
    await h.start();
    await h.enqueue(await h.writeManifest([liteLine("a")]));
    await h.waitForBatch("b1");
    const failed = await resultOf(h, "a");
    expect(failed).toMatchObject({ status: "failed", failedStage: "download" });
    if (failed?.status === "failed") expect(failed.errorMessage).toMatch(/503|busy|retry/i);
    expect((await planRetry(h.store, "b1")).counts).toEqual({
      resubmit: 0,
      repoll: 0,
      redownload: 1,
    });
    h.simulator.setFaults({ fileErrorRate: 0 });
    expect((await retryFailedItems(h.store, h.queues, "b1", { submitAttempts: 3 })).retried).toBe(
      1,
    );
    await h.waitForBatch("b1");
    expect((await resultOf(h, "a"))?.status).toBe("completed");
    expect(h.simulator.stats().creates.accepted).toBe(1);
  });

  it("polls a timed-out task again on retry instead of paying for a new one", async () => {
    h = await createHarness({ env: { VEOQ_POLL_DEADLINE_SECONDS: "30" } });
    await h.start();
    await h.enqueue(
      // 300 provider s (3 real s) against a 30 s deadline: a loaded machine's first poll comes
      // long before the task ends, so the deadline, not the render, decides the first outcome.
      await h.writeManifest([liteLine("late", { prompt: "late [sim:duration=300]" })]),
    );
    await h.waitForBatch("b1");
    const timedOut = await resultOf(h, "late");
    expect(timedOut?.status).toBe("failed");
    if (timedOut?.status === "failed") expect(timedOut.errorKind).toBe("timeout");
    // The retry comes once the task has finished at the provider (its clock restarts on retry).
    const [task] = h.simulator.tasks();
    const endsAt = (task?.createdAtMs ?? Date.now()) + 300 * TIME_SCALE * 1000;
    await new Promise((r) => setTimeout(r, Math.max(0, endsAt - Date.now()) + 100));
    expect((await retryFailedItems(h.store, h.queues, "b1", { submitAttempts: 3 })).retried).toBe(
      1,
    );
    await h.waitForBatch("b1");
    const done = await resultOf(h, "late");
    expect(done?.status).toBe("completed");
    if (done?.status === "completed") expect(done.taskIds).toHaveLength(1);
    expect(h.simulator.stats().creates.accepted).toBe(1);
    // The retry restarted the task's clock: only the provider's own render time (300 s) may be
    // recorded, never a time measured on the restarted clock (about 0 s).
    const [history] = (await h.redis.keys(`${h.config.prefix}:duration-history:*`)).filter(
      (key) => !key.endsWith(":eta") && !key.endsWith(":seen"),
    );
    expect((await h.redis.lrange(history ?? "none", 0, -1)).map(Number)).toEqual([
      expect.closeTo(300, 0),
    ]);
  });

  it("submits a new task on retry when the provider failed the task", async () => {
    h = await createHarness({ env: { VEOQ_MAX_RESUBMITS: "0" } });
    await h.start();
    await h.enqueue(
      await h.writeManifest([img2videoLine("flaky", { prompt: "flaky [sim:fail-once]" })]),
    );
    await h.waitForBatch("b1");
    expect((await resultOf(h, "flaky"))?.status).toBe("failed");
    expect((await retryFailedItems(h.store, h.queues, "b1", { submitAttempts: 3 })).retried).toBe(
      1,
    );
    await h.waitForBatch("b1");
    const done = await resultOf(h, "flaky");
    expect(done?.status).toBe("completed");
    if (done?.status === "completed") expect(done.taskIds).toHaveLength(2);
  });

  it("leaves failures that will repeat alone unless asked, and pays for no more than agreed", async () => {
    h = await createHarness({ env: { VEOQ_MAX_RESUBMITS: "0" } });
    await h.start();
    await h.enqueue(
      await h.writeManifest([
        img2videoLine("flaky", { prompt: "flaky [sim:fail-once]" }),
        img2videoLine("banned", { prompt: "banned [sim:fail]" }),
      ]),
    );
    await h.waitForBatch("b1");
    const plan = await planRetry(h.store, "b1");
    expect(plan).toMatchObject({ failed: 2, permanent: 1, counts: { resubmit: 1 } });
    expect(plan.skipped.map((s) => s.customId)).toEqual(["banned"]);
    // Nothing was touched by planning.
    expect((await h.store.getBatch("b1"))?.counts.failed).toBe(2);
    await expect(
      retryFailedItems(h.store, h.queues, "b1", { submitAttempts: 3, maxResubmits: 0 }),
    ).rejects.toBeInstanceOf(RetryPlanChangedError);
    expect((await h.store.getBatch("b1"))?.counts.failed).toBe(2);

    const summary = await retryFailedItems(h.store, h.queues, "b1", { submitAttempts: 3 });
    expect(summary.retried).toBe(1);
    await h.waitForBatch("b1");
    expect((await resultOf(h, "flaky"))?.status).toBe("completed");
    expect(await h.store.itemState("b1", "banned")).toBe("failed");

    const forced = await retryFailedItems(h.store, h.queues, "b1", {
      submitAttempts: 3,
      includePermanent: true,
    });
    expect(forced).toMatchObject({ retried: 1, plan: { counts: { resubmit: 1 } } });
    await h.waitForBatch("b1");
    expect(h.simulator.stats().creates.accepted).toBe(4);
  });
});
