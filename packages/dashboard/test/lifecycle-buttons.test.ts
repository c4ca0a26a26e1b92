import { BatchControl } from "@veoq/pipeline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDashboardApp } from "../src/index.ts";
import { listen, type SmallRun, startSmallRun } from "./small-run.ts";

let run: SmallRun;
let dashboard: { url: string; close(): Promise<void> };
let readOnlyDashboard: { url: string; close(): Promise<void> };
const BATCH = "unstarted";

beforeAll(async () => {
  run = await startSmallRun("lifecycle");
  // A batch with one queued item and no worker: it stays unfinished.
  await run.store.ensureBatch(BATCH, "m.jsonl", Date.now());
  await run.store.registerItems(BATCH, ["a"]);
  const options = {
    queues: run.queues,
    store: run.store,
    stuckRule: { pollDeadlineSeconds: 1800, timeScale: 0.01 },
    refreshSeconds: 0,
  };
  dashboard = await listen(createDashboardApp(options));
  readOnlyDashboard = await listen(createDashboardApp({ ...options, readOnly: true }));
}, 60_000);

afterAll(async () => {
  await dashboard?.close();
  await readOnlyDashboard?.close();
  await run?.close();
});

describe("pause, resume and cancel buttons", () => {
  const control = () => new BatchControl(run.redis, run.config.prefix).read(BATCH);

  it("are hidden and refused on a read-only dashboard", async () => {
    const html = await (await fetch(`${readOnlyDashboard.url}/batches/${BATCH}`)).text();
    expect(html).toContain("data-spend");
    expect(html).not.toContain(`/batches/${BATCH}/pause`);
    for (const action of ["pause", "resume", "cancel"]) {
      const post = await fetch(`${readOnlyDashboard.url}/api/batches/${BATCH}/${action}`, {
        method: "POST",
      });
      expect(post.status).toBe(403);
    }
    expect((await control()).state).toBe("running");
  });

  it("are guarded like retry, pause and resume the batch, and cancel it", async () => {
    const crossSite = await fetch(`${dashboard.url}/batches/${BATCH}/pause`, {
      method: "POST",
      redirect: "manual",
      headers: { origin: "https://evil.example" },
    });
    expect(crossSite.status).toBe(403);
    expect((await control()).state).toBe("running");

    expect(await (await fetch(`${dashboard.url}/batches/${BATCH}`)).text()).toContain(
      `action="/batches/${BATCH}/pause"`,
    );
    const pause = await fetch(`${dashboard.url}/batches/${BATCH}/pause`, {
      method: "POST",
      redirect: "manual",
    });
    expect(pause.status).toBe(303);
    expect((await control()).state).toBe("paused");
    const html = await (await fetch(`${dashboard.url}/batches/${BATCH}`)).text();
    expect(html).toContain('data-control="paused"');
    expect(html).toContain('data-state="paused">paused</span></h2>'); // the heading, not "running"
    expect(html).toContain(`action="/batches/${BATCH}/resume"`);
    // A paused batch says so where an ETA would be.
    expect(html).toContain("<span data-eta>no ETA (paused)</span>");

    const resume = await fetch(`${dashboard.url}/api/batches/${BATCH}/resume`, { method: "POST" });
    expect(await resume.json()).toMatchObject({ action: "resume", changed: true });
    expect((await control()).state).toBe("running");

    await fetch(`${dashboard.url}/api/batches/${BATCH}/cancel`, { method: "POST" });
    expect((await control()).state).toBe("cancelled");
    expect(await run.store.itemState(BATCH, "a")).toBe("cancelled");
    // Its only item is final: the heading says finished.
    expect(await (await fetch(`${dashboard.url}/batches/${BATCH}`)).text()).toContain(
      'data-state="finished"',
    );
  });
});
