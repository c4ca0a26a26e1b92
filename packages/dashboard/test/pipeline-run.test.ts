import { type PrometheusSample, parsePrometheusText } from "@veoq/metrics";
import {
  batchViewJson,
  itemDetailJson,
  itemPageJson,
  overviewJson,
  retryJson,
  retryPlanJson,
  searchJson,
} from "@veoq/report";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDashboardApp } from "../src/index.ts";
import { listen, MODEL, type SmallRun, startSmallRun } from "./small-run.ts";

let run: SmallRun;
let dashboard: { url: string; close(): Promise<void> };
let readOnlyDashboard: { url: string; close(): Promise<void> };
let before: PrometheusSample[];

function value(samples: PrometheusSample[], name: string, labels: Record<string, string> = {}) {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

beforeAll(async () => {
  run = await startSmallRun("run");
  const options = {
    queues: run.queues,
    store: run.store,
    stuckRule: { pollDeadlineSeconds: 1800, timeScale: 0.01 },
    refreshSeconds: 0,
    outputDir: run.config.outputDir,
  };
  dashboard = await listen(createDashboardApp(options));
  readOnlyDashboard = await listen(createDashboardApp({ ...options, readOnly: true }));
  before = parsePrometheusText(await run.workerRegistry.metrics());
  await run.runBatch();
  await run.stopWorkers();
}, 60_000);

afterAll(async () => {
  await dashboard?.close();
  await readOnlyDashboard?.close();
  await run?.close();
});

describe("metrics of a real run", () => {
  it("move when jobs finish: items by model and error kind, polls per task, latency, bytes", async () => {
    const after = parsePrometheusText(await run.workerRegistry.metrics());
    expect(value(before, "veoq_items_completed_total")).toBe(0);
    expect(value(after, "veoq_items_completed_total", { model: MODEL })).toBe(2);
    expect(
      value(after, "veoq_items_failed_total", { model: MODEL, error_kind: "task_failed" }),
    ).toBe(1);
    expect(value(after, "veoq_task_polls_count", { status: "succeed" })).toBe(2);
    expect(value(after, "veoq_task_polls_count", { status: "failed" })).toBe(1);
    expect(
      value(after, "veoq_provider_request_duration_seconds_count", {
        endpoint: MODEL,
        status: "200",
      }),
    ).toBe(3);
    expect(
      value(after, "veoq_provider_request_duration_seconds_count", { endpoint: "file" }),
    ).toBeGreaterThan(0);
    expect(value(after, "veoq_download_bytes_total", { model: MODEL })).toBeGreaterThan(0);
    const text = await run.workerRegistry.metrics();
    for (const id of ["ok-1", "bad-1", run.batchId]) expect(text).not.toContain(id);
  });

  it("are served by the dashboard as Prometheus text, with queue depth and spend gauges read on scrape", async () => {
    const response = await fetch(`${dashboard.url}/metrics`);
    expect(response.status).toBe(200);
    const samples = parsePrometheusText(await response.text());
    expect(value(samples, "veoq_queue_jobs", { queue: "submit", state: "completed" })).toBe(3);
    expect(value(samples, "veoq_queue_jobs", { queue: "download", state: "completed" })).toBe(2);
    expect(value(samples, "veoq_tasks_in_flight")).toBe(0);
    expect(value(samples, "veoq_redis_up")).toBe(1);
    // The worker's deployment-wide gauges too: nothing reserved, no batch paused or cancelled.
    // (`value` sums to 0 for an absent metric, so presence is checked on its own.)
    const names = new Set(samples.map((s) => s.name));
    for (const name of ["veoq_spend_reserved", "veoq_batches_paused", "veoq_batches_cancelled"]) {
      expect(names.has(name), name).toBe(true);
    }
    expect(value(samples, "veoq_spend_reserved")).toBe(0);
    for (const reason of ["user", "budget", "daily_budget"]) {
      expect(value(samples, "veoq_batches_paused", { reason }), reason).toBe(0);
    }
    expect(value(samples, "veoq_batches_cancelled")).toBe(0);
  });
});

describe("batch overview JSON", () => {
  it("/api/batches lists the batch with counts, duplicates and its failed item with the provider's reason", async () => {
    // The shared snake_case schema of @veoq/report, as `veoq status --json` prints batches.
    const snapshot = overviewJson.parse(await (await fetch(`${dashboard.url}/api/batches`)).json());
    const batch = snapshot.batches.find((b) => b.batch_id === run.batchId);
    expect(batch?.counts).toMatchObject({ completed: 2, failed: 1, queued: 0 });
    expect(batch?.total).toBe(3);
    expect(batch?.percent).toBe(100);
    expect(batch?.possible_duplicates).toBe(0);
    expect(batch?.failed_items).toHaveLength(1);
    const failed = batch?.failed_items[0];
    expect(failed?.custom_id).toBe("bad-1");
    expect(failed?.error_kind).toBe("task_failed");
    expect(failed?.error_message).toMatch(/content policy|invalid input image/);
    expect(failed?.job_url).toBe(
      `/queues/queue/poll/${encodeURIComponent(`${run.batchId}~bad-1~p0`)}`,
    );
    expect(snapshot.queues.submit?.completed).toBe(3);
    expect(snapshot.credentials_stop).toBeNull();
  });

  it("/api/batches/:id answers one batch, and 404 for an unknown one", async () => {
    const response = await fetch(`${dashboard.url}/api/batches/${run.batchId}`);
    expect(response.status).toBe(200);
    expect(batchViewJson.parse(await response.json()).batch_id).toBe(run.batchId);
    expect((await fetch(`${dashboard.url}/api/batches/nope`)).status).toBe(404);
  });
});

describe("Bull Board", () => {
  it("serves the job with its data redacted: no signed URL signatures", async () => {
    const jobId = encodeURIComponent(`${run.batchId}~ok-1~d0`);
    const response = await fetch(`${dashboard.url}/queues/api/queues/download/${jobId}`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain("[query elided]");
    expect(text).not.toContain("sig=");
  });
});

describe("search", () => {
  // Every answer is held by the shared schema (@veoq/report).
  const search = async (q: string) =>
    searchJson.parse(
      await (await fetch(`${dashboard.url}/api/search?q=${encodeURIComponent(q)}`)).json(),
    ).hits;

  it("finds an item by custom_id across batches, with links to its jobs", async () => {
    const hits = await search("bad-1");
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({
      batch_id: run.batchId,
      custom_id: "bad-1",
      state: "failed",
      matched_by: "custom_id",
    });
    expect(hits[0]?.jobs.map((j) => `${j.queue}:${j.state}`)).toEqual([
      "submit:completed",
      "poll:failed",
    ]);
  });

  it("finds an item by provider task id", async () => {
    const result = await run.store.itemResult(run.batchId, "ok-2");
    const taskId = result?.taskIds[0] ?? "";
    expect(taskId).not.toBe("");
    const hits = await search(taskId);
    expect(hits.map((h) => [h.custom_id, h.matched_by])).toEqual([["ok-2", "task_id"]]);
    const html = await (
      await fetch(`${dashboard.url}/search?q=${encodeURIComponent(taskId)}`)
    ).text();
    expect(html).toContain("ok-2");
  });

  it("finds nothing for an unknown id", async () => {
    expect(await search("no-such-item")).toEqual([]);
    const html = await (await fetch(`${dashboard.url}/search?q=%3Cscript%3E`)).text();
    expect(html).toContain("No item with custom_id");
    expect(html).not.toContain("<script>");
  });
});

describe("items and retry plan JSON", () => {
  interface ItemJson {
    custom_id: string;
    state: string;
    url: string;
    model: string;
    prompt: string;
    duration_seconds: number;
    attempts: number;
    task_ids: string[];
    finished_at: string | null;
    files: { index: number; path: string; bytes: number; url: string }[];
    error_kind: string | null;
  }
  const getJson = async <T>(path: string) => {
    const response = await fetch(`${dashboard.url}${path}`);
    return { status: response.status, body: (await response.json()) as T };
  };

  it("/api/batches/:id/items pages the items by state, each with its request, attempts, tasks and files", async () => {
    const all = await getJson<{ total: number; items: ItemJson[] }>(
      `/api/batches/${run.batchId}/items`,
    );
    expect(all.status).toBe(200);
    // The shared schema (@veoq/report) holds the whole answer, field for field.
    expect(itemPageJson.parse(all.body)).toEqual(all.body);
    expect(all.body.total).toBe(3);
    // Grouped by state (completed before failed), by custom id within a state.
    expect(all.body.items.map((item) => `${item.custom_id}:${item.state}`)).toEqual([
      "ok-1:completed",
      "ok-2:completed",
      "bad-1:failed",
    ]);
    const ok = all.body.items[0];
    expect(ok).toMatchObject({
      model: MODEL,
      prompt: "a lighthouse at dusk",
      duration_seconds: 4,
      attempts: 1,
      url: `/batches/${run.batchId}/items/ok-1`,
    });
    expect(ok?.task_ids).toHaveLength(1);
    expect(ok?.finished_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(ok?.files.length).toBeGreaterThan(0);
    const page = await getJson<{ total: number; offset: number; items: ItemJson[] }>(
      `/api/batches/${run.batchId}/items?offset=1&limit=1`,
    );
    expect(page.body.items.map((item) => item.custom_id)).toEqual(["ok-2"]);
    expect(page.body.total).toBe(3);
    const failed = await getJson<{ total: number; items: ItemJson[] }>(
      `/api/batches/${run.batchId}/items?state=failed`,
    );
    expect(failed.body.total).toBe(1);
    expect(failed.body.items[0]).toMatchObject({ custom_id: "bad-1", error_kind: "task_failed" });
    expect((await fetch(`${dashboard.url}/api/batches/nope/items`)).status).toBe(404);
  });

  it("serves an item's file behind the dashboard, and its item view links it and its jobs", async () => {
    const item = await getJson<ItemJson & { jobs: { queue: string; url: string }[] }>(
      `/api/batches/${run.batchId}/items/ok-1`,
    );
    expect(itemDetailJson.parse(item.body)).toEqual(item.body);
    expect(item.body.jobs.map((job) => job.queue)).toContain("download");
    const file = item.body.files[0];
    if (!file) throw new Error("no file");
    const download = await fetch(`${dashboard.url}${file.url}`);
    expect(download.status).toBe(200);
    expect(Number(download.headers.get("content-length"))).toBe(file.bytes);
    expect((await download.arrayBuffer()).byteLength).toBe(file.bytes);
    const ranged = await fetch(`${dashboard.url}${file.url}`, { headers: { range: "bytes=0-9" } });
    expect(ranged.status).toBe(206);
    expect((await fetch(`${dashboard.url}/batches/${run.batchId}/items/ok-1/files/7`)).status).toBe(
      404,
    );
    expect(
      (await fetch(`${dashboard.url}/batches/${run.batchId}/items/..%2F..%2Fetc/files/0`)).status,
    ).toBe(404);
    const html = await (await fetch(`${dashboard.url}/batches/${run.batchId}/items/ok-1`)).text();
    expect(html).toContain(`href="${file.url}" download`);
    expect(html).toContain("a lighthouse at dusk");
    expect((await fetch(`${dashboard.url}/batches/${run.batchId}/items/nope`)).status).toBe(404);
  });

  it("/api/batches/:id/retry-plan says what a retry would do and touches nothing; the retry keeps to the agreed paid count", async () => {
    const plan = await getJson<Record<string, unknown>>(`/api/batches/${run.batchId}/retry-plan`);
    expect(retryPlanJson.parse(plan.body)).toEqual(plan.body);
    expect(plan.body).toMatchObject({
      batch_id: run.batchId,
      failed: 1,
      resubmit: 0,
      repoll: 0,
      redownload: 0,
      permanent: 1,
      include_permanent: false,
      estimated_cost_usd: null,
      skipped: [{ custom_id: "bad-1", skip: "permanent", error_kind: "task_failed" }],
    });
    const included = await getJson<Record<string, unknown>>(
      `/api/batches/${run.batchId}/retry-plan?include_permanent=1`,
    );
    expect(included.body).toMatchObject({ resubmit: 1, resubmits_by_model: { [MODEL]: 1 } });
    // Agreeing to pay for none while the plan pays for one: 409 with the new plan, nothing done.
    const refused = await fetch(
      `${dashboard.url}/api/batches/${run.batchId}/retry?include_permanent=1&max_resubmits=0`,
      { method: "POST" },
    );
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { plan: { resubmit: number } }).plan.resubmit).toBe(1);
    // No max_resubmits at all (a bodiless post): no agreement to pay, a 409 naming the field.
    const bodiless = await fetch(
      `${dashboard.url}/api/batches/${run.batchId}/retry?include_permanent=1`,
      { method: "POST" },
    );
    expect(bodiless.status).toBe(409);
    const bodilessAnswer = (await bodiless.json()) as { error: string; plan: { resubmit: number } };
    expect(bodilessAnswer.error).toContain("max_resubmits");
    expect(bodilessAnswer.plan.resubmit).toBe(1);
    expect(await run.store.itemState(run.batchId, "bad-1")).toBe("failed");
    // Without include_permanent the permanent failure is left alone.
    const skipped = await fetch(`${dashboard.url}/api/batches/${run.batchId}/retry`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ max_resubmits: 0 }),
    });
    expect(skipped.status).toBe(200);
    const summary = retryJson.parse(await skipped.json());
    expect(summary).toMatchObject({ retried: 0, plan: { permanent: 1 } });
    expect(await run.store.itemState(run.batchId, "bad-1")).toBe("failed");
  });

  it("search matches the start of custom ids and links each item's view", async () => {
    const hits = (
      (await (await fetch(`${dashboard.url}/api/search?q=ok-`)).json()) as {
        hits: { custom_id: string; matched_by: string }[];
      }
    ).hits;
    expect(hits.map((hit) => `${hit.custom_id}:${hit.matched_by}`).sort()).toEqual([
      "ok-1:custom_id_prefix",
      "ok-2:custom_id_prefix",
    ]);
    const html = await (await fetch(`${dashboard.url}/search?q=ok`)).text();
    expect(html).toContain(`href="/batches/${run.batchId}/items/ok-2"`);
  });
});

describe("read-only mode", () => {
  it("hides the retry button and refuses the retry post and Bull Board's actions", async () => {
    const html = await (await fetch(`${readOnlyDashboard.url}/batches/${run.batchId}`)).text();
    expect(html).toContain("bad-1");
    expect(html).not.toContain("/retry");
    const post = await fetch(`${readOnlyDashboard.url}/batches/${run.batchId}/retry`, {
      method: "POST",
      redirect: "manual",
    });
    expect(post.status).toBe(403);
    const api = await fetch(`${readOnlyDashboard.url}/api/batches/${run.batchId}/retry`, {
      method: "POST",
    });
    expect(api.status).toBe(403);
    const jobId = encodeURIComponent(`${run.batchId}~bad-1~p0`);
    const board = await fetch(`${readOnlyDashboard.url}/queues/api/queues/poll/${jobId}/retry`, {
      method: "PUT",
    });
    expect(board.status).toBe(405);
    expect(await run.store.itemState(run.batchId, "bad-1")).toBe("failed");
  });

  it("a writable dashboard shows the button; its summary asks first, and the confirmed post re-queues", async () => {
    const html = await (await fetch(`${dashboard.url}/`)).text();
    expect(html).toContain(`action="/batches/${run.batchId}/retry"`);
    const crossSite = await fetch(`${dashboard.url}/batches/${run.batchId}/retry`, {
      method: "POST",
      redirect: "manual",
      headers: { origin: "https://evil.example" },
      body: new URLSearchParams({ max_resubmits: "1", include_permanent: "1" }),
    });
    expect(crossSite.status).toBe(403);
    const fetchedCrossSite = await fetch(`${dashboard.url}/api/batches/${run.batchId}/retry`, {
      method: "POST",
      headers: { "sec-fetch-site": "cross-site" },
    });
    expect(fetchedCrossSite.status).toBe(403);
    expect(await run.store.itemState(run.batchId, "bad-1")).toBe("failed");
    // A post without the summary's agreed count is shown the summary; nothing is re-queued.
    const unconfirmed = await fetch(`${dashboard.url}/batches/${run.batchId}/retry`, {
      method: "POST",
      redirect: "manual",
    });
    expect(unconfirmed.status).toBe(303);
    expect(unconfirmed.headers.get("location")).toBe(`/batches/${run.batchId}/retry`);
    expect(await run.store.itemState(run.batchId, "bad-1")).toBe("failed");
    // The summary: bad-1 (a content-policy failure) will fail again and is left out...
    const summary = await (await fetch(`${dashboard.url}/batches/${run.batchId}/retry`)).text();
    expect(summary).toContain("will fail again");
    expect(summary).toContain("Nothing to retry");
    expect(summary).toContain("own Retry button re-runs one job");
    // ...unless included, when it is one paid re-submission.
    const included = await (
      await fetch(`${dashboard.url}/batches/${run.batchId}/retry?include_permanent=1`)
    ).text();
    expect(included).toMatch(/<tr data-plan="resubmit"><td>[^<]*<\/td><td><b>1<\/b>/);
    expect(included).toContain('name="max_resubmits" value="1"');
    expect(included).toContain("Re-queue 1 item (1 paid)");
    const post = await fetch(`${dashboard.url}/batches/${run.batchId}/retry`, {
      method: "POST",
      redirect: "manual",
      body: new URLSearchParams({ max_resubmits: "1", include_permanent: "1" }),
    });
    expect(post.status).toBe(303);
    expect(post.headers.get("location")).toBe(`/batches/${run.batchId}?retried=1&missing=0`);
    expect(await run.store.itemState(run.batchId, "bad-1")).toBe("queued");
  });
});
