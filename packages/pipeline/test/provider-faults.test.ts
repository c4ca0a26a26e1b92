import { createLogger } from "@veoq/logging";
import { afterEach, describe, expect, it } from "vitest";
import { batchResults, credentialsStopReason, resumeSubmissions } from "../src/index.ts";
import {
  collect,
  createHarness,
  type Harness,
  img2videoLine,
  liteLine,
} from "./pipeline-harness.ts";

describe("pipeline under provider faults", () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it("waits out 429s on the whole submit queue without charging attempts", async () => {
    // One try per create: a 429 that cost an attempt would fail the item.
    h = await createHarness({
      env: { VEOQ_SUBMIT_ATTEMPTS: "1" },
      simulator: {
        rateLimit: { requestsPerSecond: 5, burst: 2, retryAfterSeconds: 0.2, scope: "all" },
      },
    });
    await h.start();
    const lines = Array.from({ length: 8 }, (_, i) => liteLine(`item-${i}`));
    await h.enqueue(await h.writeManifest(lines));
    await h.waitForBatch("b1", 30_000);
    const batch = await h.store.getBatch("b1");
    expect(batch?.counts.completed).toBe(8);
    expect(h.simulator.stats().responses["429"] ?? 0).toBeGreaterThan(0);
    expect(h.simulator.stats().creates.accepted).toBe(8);
  });

  it("pauses submissions on 402 without failing anything, and resumes on `resume`", async () => {
    h = await createHarness({ simulator: { exhaustedKeys: ["sim-key"] } });
    await h.start();
    await h.enqueue(await h.writeManifest([img2videoLine("a"), img2videoLine("b")]));
    await h.waitFor(
      async () => (await credentialsStopReason(h.store)) !== undefined,
      "credentials stop",
    );
    expect(await h.queues.submit.isPaused()).toBe(true);
    expect(await credentialsStopReason(h.store)).toMatch(/payment_required/);
    await new Promise((r) => setTimeout(r, 300));
    const stopped = await h.store.getBatch("b1");
    expect(stopped?.counts.failed).toBe(0);
    expect(stopped?.counts.queued).toBe(2);

    h.simulator.setFaults({ exhaustedKeys: [] });
    expect(await resumeSubmissions(h.store, h.queues)).toBe(true);
    await h.waitForBatch("b1");
    expect((await h.store.getBatch("b1"))?.counts.completed).toBe(2);
    expect(await credentialsStopReason(h.store)).toBeUndefined();
  });

  it("pauses submissions on 401 (wrong key) and fails no job", async () => {
    h = await createHarness({ env: { JIEKOU_API_KEY: "wrong-key" } });
    const lines: string[] = [];
    await h.start({ logger: capturingLogger(lines) });
    await h.enqueue(await h.writeManifest([img2videoLine("a")]));
    await h.waitFor(
      async () => (await credentialsStopReason(h.store)) !== undefined,
      "credentials stop",
    );
    expect(await credentialsStopReason(h.store)).toMatch(/unauthorized/);
    expect(await h.queues.submit.isPaused()).toBe(true);
    expect(await h.queues.submit.getFailedCount()).toBe(0);
    expect(await credentialsStopReason(h.store)).not.toContain("wrong-key");
    // The command as people run it (an installed `veoq`), not the checkout's `pnpm veoq`.
    const stop = lines.find((line) => line.includes("CREDENTIALS STOP"));
    expect(stop).toContain("then run `veoq resume`");
    expect(stop).not.toContain("pnpm");
  });

  it("logs an item that fails for good once, in one line naming it and why", async () => {
    h = await createHarness();
    const lines: string[] = [];
    await h.start({ logger: capturingLogger(lines) });
    await h.enqueue(
      await h.writeManifest([
        img2videoLine("fine"),
        img2videoLine("doomed", { prompt: "x [sim:fail]" }),
      ]),
    );
    await h.waitForBatch("b1");
    // The line is written right after the item's record (which may first note webhook events).
    await h.waitFor(
      async () => lines.some((line) => line.includes('"customId":"doomed"')),
      "the failure's log line",
    );
    const failures = lines
      .map((line) => JSON.parse(line) as { level: number; msg: string; customId?: string })
      .filter((line) => line.level >= 40 && (line.customId === "doomed" || /fail/.test(line.msg)));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ level: 50, customId: "doomed" });
    expect(failures[0]?.msg).toMatch(/^item failed at poll: /);
  });

  it("retries transient errors and dropped connections until every item completes", async () => {
    h = await createHarness({
      simulator: { serverErrorRate: 0.3, dropConnectionRate: 0.1 },
      env: { VEOQ_SUBMIT_ATTEMPTS: "20", VEOQ_DOWNLOAD_ATTEMPTS: "20" },
    });
    await h.start();
    const lines = Array.from({ length: 10 }, (_, i) => img2videoLine(`item-${i}`));
    await h.enqueue(await h.writeManifest(lines));
    await h.waitForBatch("b1", 30_000);
    const batch = await h.store.getBatch("b1");
    expect(batch?.counts.completed).toBe(10);
    const stats = h.simulator.stats();
    expect(
      (stats.responses["500"] ?? 0) + (stats.responses["502"] ?? 0) + (stats.responses["503"] ?? 0),
    ).toBeGreaterThan(0);
    // A create dropped after it was sent counts as a possible duplicate on the batch.
    expect(batch?.possibleDuplicates).toBe(stats.creates.rejected.dropped ?? 0);
  });

  it("counts an unanswered create as a possible duplicate and still finishes", async () => {
    h = await createHarness({ simulator: { dropAfterCreateRate: 0.5 } });
    await h.start();
    const lines = Array.from({ length: 6 }, (_, i) => liteLine(`item-${i}`));
    await h.enqueue(await h.writeManifest(lines));
    await h.waitForBatch("b1", 30_000);
    const batch = await h.store.getBatch("b1");
    expect(batch?.counts.completed).toBe(6);
    const stats = h.simulator.stats();
    expect(stats.creates.duplicateBodies).toBeGreaterThan(0);
    expect(batch?.possibleDuplicates).toBe(stats.creates.duplicateBodies);
  });

  it("does not create a second task when a worker dies between create and hand-off", async () => {
    h = await createHarness();
    let crashed = false;
    const doomed = await h.start({
      roles: ["submit"],
      hooks: {
        afterTaskRecorded: async () => {
          if (!crashed) {
            crashed = true;
            await new Promise(() => {}); // the worker "dies" here: it never hands the task off
          }
        },
      },
    });
    await h.enqueue(await h.writeManifest([img2videoLine("only")]));
    await h.waitFor(async () => crashed, "the create to happen");
    expect(h.simulator.stats().creates.accepted).toBe(1);
    await doomed.close(1); // force-close: the job stays active with a lock nobody renews
    await h.start();
    await h.waitForBatch("b1", 30_000);
    const [result] = await collect(batchResults(h.store, "b1"));
    expect(result?.status).toBe("completed");
    expect(h.simulator.stats().creates.accepted).toBe(1);
    expect(h.simulator.stats().creates.duplicateBodies).toBe(0);
  });

  it("reads the task again for fresh URLs when the result URLs have expired", async () => {
    h = await createHarness({ simulator: { urlTtlSeconds: 5 } });
    await h.start({ roles: ["submit", "poll"] });
    await h.enqueue(await h.writeManifest([img2videoLine("late", { sample_count: 2 })]));
    await h.waitFor(
      async () => (await h.store.itemState("b1", "late")) === "downloading",
      "the item to reach the download queue",
    );
    await new Promise((r) => setTimeout(r, 200)); // 5 provider seconds are 50 ms here
    h.simulator.setFaults({ urlTtlSeconds: 3600 });
    await h.start({ roles: ["download"] });
    await h.waitForBatch("b1");
    const [result] = await collect(batchResults(h.store, "b1"));
    expect(result?.status).toBe("completed");
    if (result?.status === "completed") expect(result.files).toHaveLength(2);
    expect(h.simulator.stats().downloads.expired).toBeGreaterThanOrEqual(1);
  });
});

/** A JSON logger at warn level whose lines land in `lines`. */
function capturingLogger(lines: string[]) {
  return createLogger({
    level: "warn",
    destination: { write: (line: string) => void lines.push(line) },
  });
}
