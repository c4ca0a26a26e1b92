import { createLogger } from "@veoq/logging";
import { type RunningWorkers, startWorkers } from "@veoq/pipeline";
import { overviewJson } from "@veoq/report";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listenOnRun, SIM_KEY, type SmallRun, startSmallRun } from "./small-run.ts";

let run: SmallRun;
let dashboard: { url: string; close(): Promise<void> };
let worker: RunningWorkers | undefined;
const BATCH = "waiting";

beforeAll(async () => {
  run = await startSmallRun("workers");
  // Two queued items and no worker at all: the batch waits for a submit worker.
  await run.store.ensureBatch(BATCH, "m.jsonl", Date.now());
  await run.store.registerItems(BATCH, ["a", "b"]);
  dashboard = await listenOnRun(run, {
    stuckRule: { pollDeadlineSeconds: 1800, timeScale: 0.01 },
  });
}, 60_000);

afterAll(async () => {
  await worker?.close(5_000);
  await dashboard?.close();
  await run?.close();
});

const overview = async () =>
  overviewJson.parse(await (await fetch(`${dashboard.url}/api/batches`)).json());

describe("the dashboard's workers panel and waiting reason", () => {
  it("says plainly that no worker runs and why the batch waits", async () => {
    const html = await (await fetch(`${dashboard.url}/`)).text();
    expect(html).toContain('data-workers="0"');
    expect(html).toContain('data-missing-roles="submit,poll,download"');
    expect(html).toContain(
      '<p class="stuck" data-waiting="no_worker">waiting: no submit worker is running (2 item(s) queued)</p>',
    );
    const json = await overview();
    expect(json.workers.roles).toEqual({ submit: 0, poll: 0, download: 0 });
    expect(json.batches.find((b) => b.batch_id === BATCH)?.waiting_reason?.code).toBe("no_worker");
    const metrics = await (await fetch(`${dashboard.url}/metrics`)).text();
    expect(metrics).toContain('veoq_workers{role="submit"} 0');
  });

  it("lists a live worker process and still names the role no process has", async () => {
    worker = await startWorkers({
      config: run.config,
      apiKey: SIM_KEY,
      roles: ["poll"],
      version: "7.7.7",
      logger: createLogger({ level: "silent" }),
    });
    const html = await (await fetch(`${dashboard.url}/`)).text();
    expect(html).toContain('data-workers="1"');
    expect(html).toContain(`<td>${process.pid}</td>`);
    expect(html).toContain("<td>7.7.7</td>");
    expect(html).toContain('data-missing-roles="submit,download"');
    expect(html).toContain("no submit worker is running (2 item(s) queued)");
    const json = await overview();
    expect(json.workers.workers[0]).toMatchObject({ pid: process.pid, roles: ["poll"] });
    expect(await (await fetch(`${dashboard.url}/metrics`)).text()).toContain(
      'veoq_workers{role="poll"} 1',
    );
  });

  it("names the pause once a submit worker runs", async () => {
    await worker?.close(5_000);
    worker = await startWorkers({
      config: run.config,
      apiKey: SIM_KEY,
      roles: ["poll", "download"],
      logger: createLogger({ level: "silent" }),
    });
    await fetch(`${dashboard.url}/api/batches/${BATCH}/pause`, { method: "POST" });
    // No submit worker: still the missing role first.
    expect((await overview()).batches.find((b) => b.batch_id === BATCH)?.waiting_reason?.code).toBe(
      "no_worker",
    );
    await worker.close(5_000);
    worker = await startWorkers({
      config: run.config,
      apiKey: SIM_KEY,
      logger: createLogger({ level: "silent" }),
    });
    const reason = (await overview()).batches.find((b) => b.batch_id === BATCH)?.waiting_reason;
    expect(reason).toEqual({
      code: "batch_paused",
      message: "paused by `veoq pause` (`veoq resume` to go on)",
    });
  });
});
