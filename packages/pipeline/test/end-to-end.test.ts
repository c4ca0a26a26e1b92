import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { PERMANENT_FAILURE_REASONS } from "@veoq/simulator";
import { afterEach, describe, expect, it } from "vitest";
import { batchResults, durationHistoryKey, type ResultLine } from "../src/index.ts";
import { createHarness, type Harness, img2videoLine, liteLine } from "./pipeline-harness.ts";

async function collectResults(h: Harness, batchId: string): Promise<Map<string, ResultLine>> {
  const out = new Map<string, ResultLine>();
  for await (const line of batchResults(h.store, batchId)) out.set(line.customId, line);
  return out;
}

describe("pipeline end to end", () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it("renders both endpoints, saves every sample with the simulator's bytes, and reports results", async () => {
    h = await createHarness();
    await h.start();
    const manifest = await h.writeManifest([
      { ...img2videoLine("i2v-1", { sample_count: 2 }), metadata: { shot: 1 } },
      liteLine("lite-1", { sample_count: 3, duration: 4 }),
    ]);
    const summary = await h.enqueue(manifest);
    expect(summary).toMatchObject({ added: 2, alreadyPresent: 0, enqueued: true });
    await h.waitForBatch("b1");

    const results = await collectResults(h, "b1");
    const i2v = results.get("i2v-1");
    const lite = results.get("lite-1");
    expect(i2v?.status).toBe("completed");
    expect(lite?.status).toBe("completed");
    if (i2v?.status !== "completed" || lite?.status !== "completed") return;
    expect(i2v.files.map((f) => f.path)).toEqual([
      path.join("b1", "i2v-1", "0.mp4"),
      path.join("b1", "i2v-1", "1.mp4"),
    ]);
    expect(lite.files).toHaveLength(3);
    expect(i2v.metadata).toEqual({ shot: 1 });
    expect(lite.metadata).toBeUndefined();
    expect(i2v.taskIds).toHaveLength(1);
    expect(i2v.polls).toBeGreaterThanOrEqual(1);

    for (const item of [i2v, lite]) {
      for (const file of item.files) {
        const bytes = await readFile(path.join(h.config.outputDir, file.path));
        const served = h.simulator.tasks().find((task) => task.taskId === item.taskIds[0]);
        const sha256 = createHash("sha256").update(bytes).digest("hex");
        expect(served?.files[file.index]?.sha256).toBe(sha256);
        expect(file.sha256).toBe(sha256);
        expect(file.bytes).toBe(bytes.length);
      }
    }
    const stats = h.simulator.stats();
    expect(stats.creates.byEndpoint).toEqual({
      "veo-3.1-generate-img2video": 1,
      "veo-3.1-lite-firstlastframe": 1,
    });
    const batch = await h.store.getBatch("b1");
    expect(batch?.counts).toMatchObject({ completed: 2, failed: 0, queued: 0, processing: 0 });

    // The duration history holds the provider's own render time, not the (later) detection time.
    const task = h.simulator.tasks().find((t) => t.taskId === i2v.taskIds[0]);
    const history = await h.redis.lrange(
      durationHistoryKey(h.config.prefix, {
        model: "veo-3.1-generate-img2video",
        durationSeconds: 8,
        sampleCount: 2,
      }),
      0,
      -1,
    );
    expect(history).toHaveLength(1);
    expect(Number(history[0])).toBeCloseTo(task?.durationSeconds ?? -1, 0);
  });

  it("adds nothing when the same manifest is enqueued again", async () => {
    h = await createHarness();
    const manifest = await h.writeManifest([img2videoLine("a"), img2videoLine("b"), liteLine("c")]);
    expect((await h.enqueue(manifest)).added).toBe(3);
    expect(await h.enqueue(manifest)).toMatchObject({ added: 0, alreadyPresent: 3 });
    await h.start();
    await h.waitForBatch("b1");
    expect(await h.enqueue(manifest)).toMatchObject({ added: 0, alreadyPresent: 3 });
    await new Promise((r) => setTimeout(r, 200));
    expect(h.simulator.stats().creates.accepted).toBe(3);
    expect((await h.store.getBatch("b1"))?.total).toBe(3);
  });

  it("enqueues nothing when a line is invalid, and only the valid lines with skipInvalid", async () => {
    h = await createHarness();
    const manifest = await h.writeManifest([
      img2videoLine("ok-1"),
      img2videoLine("bad-1", { duration_seconds: 5 }),
    ]);
    const refused = await h.enqueue(manifest);
    expect(refused).toMatchObject({ enqueued: false, invalid: 1, added: 0 });
    expect(await h.queues.submit.count()).toBe(0);
    const { enqueueManifest } = await import("../src/index.ts");
    const skipped = await enqueueManifest({
      manifestPath: manifest,
      batchId: "b2",
      skipInvalid: true,
      queues: h.queues,
      store: h.store,
      submitAttempts: 3,
    });
    expect(skipped).toMatchObject({ enqueued: true, invalid: 1, added: 1 });
  });

  it("re-submits a task that failed with a transient reason and fails one with a permanent reason", async () => {
    h = await createHarness();
    await h.start();
    const manifest = await h.writeManifest([
      img2videoLine("flaky", { prompt: "flaky render [sim:fail-once]" }),
      img2videoLine("doomed", { prompt: "doomed render [sim:fail]" }),
    ]);
    await h.enqueue(manifest);
    await h.waitForBatch("b1");
    const results = await collectResults(h, "b1");
    const flaky = results.get("flaky");
    const doomed = results.get("doomed");
    expect(flaky?.status).toBe("completed");
    if (flaky?.status === "completed") expect(flaky.taskIds).toHaveLength(2);
    expect(doomed?.status).toBe("failed");
    if (doomed?.status === "failed") {
      expect(doomed.errorKind).toBe("task_failed");
      // The simulator's permanent reason, drawn from its seeded PRNG in the order the two creates
      // reach it (which varies): any of its permanent reasons, never a transient one.
      expect(PERMANENT_FAILURE_REASONS).toContain(doomed.errorMessage);
      expect(doomed.taskIds).toHaveLength(1);
      expect(doomed.failedStage).toBe("poll");
    }
    expect((await h.store.getBatch("b1"))?.resubmits).toBe(1);
  });

  it("fails a task that is not final by the poll deadline as timed out", async () => {
    h = await createHarness({ env: { VEOQ_POLL_DEADLINE_SECONDS: "30" } });
    await h.start();
    const manifest = await h.writeManifest([
      img2videoLine("slow", { prompt: "very slow [sim:duration=5000]" }),
    ]);
    await h.enqueue(manifest);
    await h.waitForBatch("b1");
    const result = (await collectResults(h, "b1")).get("slow");
    expect(result?.status).toBe("failed");
    if (result?.status === "failed") {
      expect(result.errorKind).toBe("timeout");
      expect(result.errorMessage).toMatch(/deadline 30s/);
    }
  });

  it("fails an item whose local image was deleted after enqueue, and only that item", async () => {
    h = await createHarness();
    const { writeFile, rm } = await import("node:fs/promises");
    await writeFile(path.join(h.dir, "gone.png"), await readFile(path.join(h.dir, "frame.png")));
    const manifest = await h.writeManifest([
      img2videoLine("keeps"),
      img2videoLine("loses", { image: "gone.png" }),
    ]);
    await h.enqueue(manifest);
    await rm(path.join(h.dir, "gone.png"));
    await h.start();
    await h.waitForBatch("b1");
    const results = await collectResults(h, "b1");
    expect(results.get("keeps")?.status).toBe("completed");
    const loses = results.get("loses");
    expect(loses?.status).toBe("failed");
    if (loses?.status === "failed") {
      expect(loses.errorKind).toBe("invalid_input");
      expect(loses.errorMessage).toMatch(/gone\.png/);
    }
    expect(h.simulator.stats().creates.accepted).toBe(1);
  });
});
