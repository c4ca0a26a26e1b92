import { SpendLedger, TIMELINE_BUCKET_MS } from "@veoq/pipeline";
import { formatMoney, loadPriceTable } from "@veoq/pricing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binTimeline, CHART_BARS } from "../src/render-batch-charts.ts";
import { listenOnRun, type SmallRun, startFinishedRun } from "./small-run.ts";

let run: SmallRun;
let dashboard: { url: string; close(): Promise<void> };

beforeAll(async () => {
  run = await startFinishedRun("views");
  dashboard = await listenOnRun(run, { prices: loadPriceTable(undefined) });
}, 60_000);

afterAll(async () => {
  await dashboard?.close();
  await run?.close();
});

const page = async (path: string) => (await fetch(`${dashboard.url}${path}`)).text();

describe("downloads", () => {
  it("streams the results as JSONL in manifest order, and the failures alone", async () => {
    const html = await page(`/batches/${run.batchId}`);
    expect(html).toContain(`href="/batches/${run.batchId}/results.jsonl" download`);
    const results = await fetch(`${dashboard.url}/batches/${run.batchId}/results.jsonl`);
    expect(results.status).toBe(200);
    expect(results.headers.get("content-type")).toContain("application/x-ndjson");
    expect(results.headers.get("content-disposition")).toContain(
      `attachment; filename=${run.batchId}-results.jsonl`,
    );
    const lines = (await results.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines.map((l) => [l.custom_id, l.status])).toEqual([
      ["ok-1", "completed"],
      ["ok-2", "completed"],
      ["bad-1", "failed"],
    ]);
    const failures = await fetch(`${dashboard.url}/batches/${run.batchId}/failures.jsonl`);
    const failed = (await failures.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      custom_id: "bad-1",
      status: "failed",
      error_kind: "task_failed",
    });
    expect((await fetch(`${dashboard.url}/batches/nope/failures.jsonl`)).status).toBe(404);
  });
});

describe("the batch page's charts", () => {
  it("draw throughput and spend over time from the batch's timeline, as inline SVG", async () => {
    const html = await page(`/batches/${run.batchId}`);
    const charts = html.slice(html.indexOf('<section class="box charts"'));
    expect(charts).toContain('<figure data-chart="throughput"><svg class="chart"');
    const sum = (pattern: RegExp) =>
      [...charts.matchAll(pattern)].reduce((total, m) => total + Number(m[1]), 0);
    expect(sum(/<title>\d\d:\d\d: (\d+) completed<\/title>/g)).toBe(2);
    expect(sum(/<title>\d\d:\d\d: (\d+) failed<\/title>/g)).toBe(1);
    const spent = (await new SpendLedger(run.redis, run.config.prefix).read(run.batchId))
      .spentMicros;
    expect(spent).toBeGreaterThan(0);
    expect(charts).toContain(`<title>spent ${formatMoney(spent, "USD")}</title></polyline>`);
    // The same points as JSON.
    const json = (await (
      await fetch(`${dashboard.url}/api/batches/${run.batchId}/timeline`)
    ).json()) as {
      bucket_seconds: number;
      points: { completed: number; failed: number; spent: { amount: number } }[];
    };
    expect(json.bucket_seconds).toBe(60);
    expect(json.points.reduce((n, p) => n + p.completed, 0)).toBe(2);
    expect(json.points.reduce((n, p) => n + p.failed, 0)).toBe(1);
    expect(json.points.reduce((n, p) => n + p.spent.amount, 0)).toBeCloseTo(spent / 1_000_000, 6);
    // Nothing is loaded from elsewhere: no script, no external reference.
    expect(charts).not.toMatch(/<script|href="http|src="http/);
  });
});

describe("the item page", () => {
  it("shows a failed item's failure instead of 'No files yet', its cost and its timeline", async () => {
    const html = await page(`/batches/${run.batchId}/items/bad-1`);
    expect(html).not.toContain("No files yet");
    expect(html).toMatch(
      /data-item-failure>No files: the item failed at its poll stage \(<span class="kind">task_failed<\/span>\)/,
    );
    expect(html).toMatch(/<b data-item-cost>\d+\.\d{2} USD<\/b> for 1 task at \d+\.\d{2} USD each/);
    const timeline = html.slice(html.indexOf('<table class="timeline">'));
    const steps = [...timeline.matchAll(/<tr[^>]*><td>[^<]+<\/td><td>([^<]+)<\/td>/g)].map(
      (m) => m[1],
    );
    expect(steps[0]).toBe("enqueued");
    expect(steps).toContain("submit started");
    expect(steps).toContain("task created");
    expect(steps.at(-1)).toMatch(/item failed|poll failed/);
    expect(steps).toContain("item failed");
  });

  it("shows the request's metadata and input image (served by the dashboard)", async () => {
    const html = await page(`/batches/${run.batchId}/items/ok-1`);
    expect(html).toContain("&quot;scene&quot;: &quot;harbour&quot;");
    const src = html.match(/<img src="([^"]+\/inputs\/0)"/)?.[1];
    expect(src).toBe(`/batches/${run.batchId}/items/ok-1/inputs/0`);
    const image = await fetch(`${dashboard.url}${src}`);
    expect(image.status).toBe(200);
    expect(image.headers.get("content-type")).toBe("image/png");
    expect(
      (await fetch(`${dashboard.url}/batches/${run.batchId}/items/ok-1/inputs/5`)).status,
    ).toBe(404);
    expect(html).toMatch(/<b data-item-cost>\d+\.\d{2} USD<\/b> for 1 task/);
  });
});

describe("binTimeline", () => {
  it("sums any run into at most CHART_BARS bars, keeping every count", () => {
    const week = 7 * 24 * 60;
    const points = Array.from({ length: week }, (_, i) => ({
      at: i * TIMELINE_BUCKET_MS,
      completed: 2,
      failed: 1,
      spentMicros: 10,
    }));
    const { bins, stepMs } = binTimeline(points, 0, week * TIMELINE_BUCKET_MS - 1);
    expect(bins.length).toBeLessThanOrEqual(CHART_BARS);
    expect(stepMs).toBe(210 * TIMELINE_BUCKET_MS);
    expect(bins.reduce((n, b) => n + b.completed, 0)).toBe(2 * week);
    expect(bins.reduce((n, b) => n + b.spentMicros, 0)).toBe(10 * week);
  });
});
