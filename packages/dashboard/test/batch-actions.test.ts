import {
  BatchControl,
  credentialsStopReason,
  enqueueManifest,
  SpendLedger,
  stopSubmissions,
} from "@veoq/pipeline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listenOnRun, type SmallRun, startSmallRun } from "./small-run.ts";

let run: SmallRun;
let dashboard: { url: string; close(): Promise<void> };
let readOnly: { url: string; close(): Promise<void> };
const BATCH = "acts";

beforeAll(async () => {
  run = await startSmallRun("actions");
  // Three queued items with their submit jobs and no worker: nothing moves unless a test does it.
  await enqueueManifest({
    manifestPath: run.manifest,
    batchId: BATCH,
    queues: run.queues,
    store: run.store,
    submitAttempts: run.config.submitAttempts,
  });
  dashboard = await listenOnRun(run);
  readOnly = await listenOnRun(run, { readOnly: true });
}, 60_000);

afterAll(async () => {
  await dashboard?.close();
  await readOnly?.close();
  await run?.close();
});

const control = () => new BatchControl(run.redis, run.config.prefix).read(BATCH);
const form = (url: string, fields: Record<string, string>) =>
  fetch(url, { method: "POST", redirect: "manual", body: new URLSearchParams(fields) });

describe("the batch page's actions", () => {
  it("cancel takes a second step: the page links to a confirmation, and a bare post only shows it", async () => {
    const html = await (await fetch(`${dashboard.url}/batches/${BATCH}`)).text();
    expect(html).toContain(
      `<a href="/batches/${BATCH}/cancel" data-action="cancel">Cancel batch…</a>`,
    );
    expect(html).not.toContain(`action="/batches/${BATCH}/cancel"`);
    const bare = await form(`${dashboard.url}/batches/${BATCH}/cancel`, {});
    expect(bare.status).toBe(303);
    expect(bare.headers.get("location")).toBe(`/batches/${BATCH}/cancel`);
    expect((await control()).state).toBe("running");

    const confirm = await (await fetch(`${dashboard.url}/batches/${BATCH}/cancel`)).text();
    expect(confirm).toContain("<b data-cancel-queued>3 queued items</b>");
    expect(confirm).toContain('name="confirm" value="1"');
    const crossSite = await fetch(`${dashboard.url}/batches/${BATCH}/cancel`, {
      method: "POST",
      redirect: "manual",
      headers: { origin: "https://evil.example" },
      body: new URLSearchParams({ confirm: "1" }),
    });
    expect(crossSite.status).toBe(403);
    expect((await control()).state).toBe("running");
    expect((await form(`${readOnly.url}/batches/${BATCH}/cancel`, { confirm: "1" })).status).toBe(
      403,
    );
    expect((await fetch(`${readOnly.url}/batches/${BATCH}/cancel`)).status).toBe(403);

    const confirmed = await form(`${dashboard.url}/batches/${BATCH}/cancel`, { confirm: "1" });
    expect(confirmed.status).toBe(303);
    expect((await control()).state).toBe("cancelled");
    expect(await run.store.itemState(BATCH, "ok-1")).toBe("cancelled");
  });

  it("re-queues cancelled items after a summary that names the paid creates", async () => {
    const html = await (await fetch(`${dashboard.url}/batches/${BATCH}`)).text();
    expect(html).toContain("Re-queue 3 cancelled…");
    const plan = await (await fetch(`${dashboard.url}/batches/${BATCH}/retry-cancelled`)).text();
    expect(plan).toMatch(/<tr data-plan="submit">.*<b>3<\/b>/);
    expect(plan).toContain("Re-queue 3 items (3 paid)");
    // Agreeing to fewer paid creates than the plan holds re-queues nothing.
    const short = await form(`${dashboard.url}/batches/${BATCH}/retry-cancelled`, {
      max_submits: "1",
    });
    expect(short.status).toBe(409);
    expect(await run.store.itemState(BATCH, "ok-1")).toBe("cancelled");
    const done = await form(`${dashboard.url}/batches/${BATCH}/retry-cancelled`, {
      max_submits: "3",
    });
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe(`/batches/${BATCH}?requeued=3&missing=0`);
    expect((await control()).state).toBe("running");
    for (const id of ["ok-1", "ok-2", "bad-1"]) {
      expect(await run.store.itemState(BATCH, id)).toBe("queued");
    }
    const after = await (await fetch(`${dashboard.url}${done.headers.get("location")}`)).text();
    expect(after).toContain("3 cancelled items re-queued.");
  });

  it("sets the budget from a typed amount, and refuses what is not one", async () => {
    const wrong = await form(`${dashboard.url}/batches/${BATCH}/budget`, { budget: "lots" });
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain("must be an amount such as 250 or 12.50");
    expect((await new SpendLedger(run.redis, run.config.prefix).read(BATCH)).budgetMicros).toBe(
      undefined,
    );
    const set = await form(`${dashboard.url}/batches/${BATCH}/budget`, { budget: "12.50" });
    expect(set.status).toBe(303);
    expect((await new SpendLedger(run.redis, run.config.prefix).read(BATCH)).budgetMicros).toBe(
      12_500_000,
    );
    const html = await (await fetch(`${dashboard.url}${set.headers.get("location")}`)).text();
    expect(html).toContain("Budget set to 12.50.");
    expect(html).toContain('name="budget" inputmode="decimal" size="8" value="12.50"');
    expect((await form(`${readOnly.url}/batches/${BATCH}/budget`, { budget: "99" })).status).toBe(
      403,
    );
  });

  it("resumes submissions after a credentials stop from the batch page", async () => {
    await stopSubmissions(run.store, run.queues, "402 insufficient balance");
    const html = await (await fetch(`${dashboard.url}/batches/${BATCH}`)).text();
    expect(html).toContain('data-state="stopped"');
    expect(html).toContain('action="/resume-submissions"');
    const resumed = await form(`${dashboard.url}/resume-submissions`, {});
    expect(resumed.status).toBe(303);
    expect(resumed.headers.get("location")).toBe("/?resumed=1");
    expect(await credentialsStopReason(run.store)).toBeUndefined();
    expect(await run.queues.submit.isPaused()).toBe(false);
  });
});
