import { loadPriceTable } from "@veoq/pricing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
