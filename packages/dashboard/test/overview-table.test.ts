import { BatchControl, EnqueueMark, SpendLedger } from "@veoq/pipeline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listenOnRun, type SmallRun, startSmallRun } from "./small-run.ts";

let run: SmallRun;
let dashboard: { url: string; close(): Promise<void> };

/** Spends `micros` on `batchId` as a create does: a reservation at the gate, settled as spent. */
async function spend(batchId: string, holder: string, micros: number): Promise<void> {
  const ledger = new SpendLedger(run.redis, run.config.prefix);
  expect(await ledger.gate(batchId, holder, micros, undefined, Date.now())).toBe("go");
  await ledger.settle(batchId, holder, "spent");
}

beforeAll(async () => {
  run = await startSmallRun("overview");
  const now = Date.now();
  // running: 3 queued items, no worker; paused: 2 queued, a budget; done: 1 item, cancelled.
  await run.store.ensureBatch("b-running", "a.jsonl", now - 3_600_000);
  await run.store.registerItems("b-running", ["r1", "r2", "r3"]);
  // Its enqueue was interrupted after 3 of 10 lines.
  const mark = new EnqueueMark(run.redis, run.config.prefix, "b-running");
  await mark.begin(10);
  await mark.reached(3);
  await run.store.ensureBatch("b-paused", "b.jsonl", now - 60_000);
  await run.store.registerItems("b-paused", ["p1", "p2"]);
  await new SpendLedger(run.redis, run.config.prefix).setBudget("b-paused", 5_000_000);
  await spend("b-paused", "b-paused~p1~0", 1_500_000);
  const control = new BatchControl(run.redis, run.config.prefix);
  await control.pause("b-paused", "user", now);
  await run.store.ensureBatch("b-done", "c.jsonl", now - 120_000);
  await run.store.registerItems("b-done", ["d1"]);
  await control.cancel("b-done", false, now);
  await run.store.finishQueuedItem({
    batchId: "b-done",
    customId: "d1",
    model: "m",
    status: "cancelled",
    taskIds: [],
    files: [],
    errorKind: "cancelled",
    errorMessage: "cancelled",
    failedStage: "submit",
    failedJobId: undefined,
    submission: 0,
    submitAttempts: 0,
    polls: 0,
    enqueuedAt: now,
    submittedAt: undefined,
    finishedAt: now,
    metadata: undefined,
  });
  dashboard = await listenOnRun(run, { dailyBudgetMicros: 10_000_000 });
}, 60_000);

afterAll(async () => {
  await dashboard?.close();
  await run?.close();
});

const overview = async (query = "") => (await fetch(`${dashboard.url}/${query}`)).text();
const rowOf = (html: string, batchId: string) => {
  const start = html.indexOf(`<tr data-batch="${batchId}"`);
  expect(start, batchId).toBeGreaterThanOrEqual(0);
  return html.slice(start, html.indexOf("</tr>", start));
};

describe("the overview: one compact table of batches", () => {
  it("shows each batch's state badge, progress, ETA or why none, spend against budget, failed and age", async () => {
    const html = await overview();
    const running = rowOf(html, "b-running");
    expect(running).toContain('data-badge="running"');
    expect(running).toContain("<span data-done>0/3</span> final");
    expect(running).toContain("<td data-eta>ETA –</td>");
    expect(running).toContain("<td data-age>1 h");
    expect(running).toContain("enqueue incomplete: 3 of 10 lines");
    const paused = rowOf(html, "b-paused");
    expect(paused).toContain('data-badge="paused"');
    expect(paused).toContain("<td data-eta>no ETA (paused)</td>");
    expect(paused).toMatch(
      /<b data-spent>1\.50 USD<\/b> of budget <span data-budget>5\.00 USD<\/span>/,
    );
    const done = rowOf(html, "b-done");
    expect(done).toContain('data-badge="finished"');
    expect(done).toContain("1 cancelled");
    // No card per batch any more: one row each.
    expect(html).not.toContain('<section class="batch"');
  });

  it("filters active, paused and finished batches", async () => {
    const nav = await overview();
    expect(nav).toMatch(/data-show="active"[^>]*>active <span data-show-count>1</);
    expect(nav).toMatch(/data-show="paused"[^>]*>paused or stopped <span data-show-count>1</);
    const ids = (html: string) => [...html.matchAll(/<tr data-batch="([^"]+)"/g)].map((m) => m[1]);
    expect(ids(await overview("?show=active"))).toEqual(["b-running"]);
    expect(ids(await overview("?show=paused"))).toEqual(["b-paused"]);
    expect(ids(await overview("?show=finished"))).toEqual(["b-done"]);
    expect(ids(await overview()).sort()).toEqual(["b-done", "b-paused", "b-running"]);
  });

  it("says today's spend against VEOQ_DAILY_BUDGET, has a legend, and labels queue counts so they reconcile", async () => {
    const html = await overview();
    expect(html).toMatch(
      /all batches: spent <b data-today-spent>1\.50 USD<\/b> of daily budget <b data-daily-budget>10\.00 USD<\/b>/,
    );
    expect(html).toContain("data-legend");
    expect(html).toContain("stopped (credentials)</span> the provider refused the key");
    expect(html).toContain("Possible duplicates are creates that got no answer");
    // 5 queued items (3 + 2, the cancelled one is final) beside the submit queue's open jobs.
    expect(html).toMatch(/<tr data-queue="submit">[\s\S]*?queued <b data-items>5<\/b>/);
    expect(html).toContain("data-queue-note");
  });
});
