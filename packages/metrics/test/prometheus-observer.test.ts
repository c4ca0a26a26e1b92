import type { ItemResult } from "@veoq/pipeline";
import { describe, expect, it } from "vitest";
import {
  createMetricsRegistry,
  createPrometheusObserver,
  type PrometheusSample,
  parsePrometheusText,
} from "../src/index.ts";

function item(overrides: Partial<ItemResult>): ItemResult {
  return {
    batchId: "b",
    customId: "shot-1",
    model: "veo-3.1-generate-img2video",
    status: "completed",
    taskIds: ["task-1"],
    files: [],
    errorKind: undefined,
    errorMessage: undefined,
    failedStage: undefined,
    failedJobId: undefined,
    submission: 0,
    submitAttempts: 1,
    polls: 3,
    enqueuedAt: 0,
    submittedAt: 1,
    finishedAt: 2,
    metadata: undefined,
    ...overrides,
  };
}

async function scrape(registry: ReturnType<typeof createMetricsRegistry>) {
  return parsePrometheusText(await registry.metrics());
}

function find(samples: PrometheusSample[], name: string, labels: Record<string, string> = {}) {
  return samples.find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  )?.value;
}

describe("createPrometheusObserver", () => {
  it("counts finished items by model, and failures by error kind", async () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    const observer = createPrometheusObserver(registry);
    observer.itemFinished?.(item({}));
    observer.itemFinished?.(item({ status: "failed", errorKind: "task_failed" }));
    observer.itemFinished?.(item({ status: "failed", errorKind: "task_failed" }));
    const samples = await scrape(registry);
    expect(
      find(samples, "veoq_items_completed_total", { model: "veo-3.1-generate-img2video" }),
    ).toBe(1);
    expect(find(samples, "veoq_items_failed_total", { error_kind: "task_failed" })).toBe(2);
  });

  it("keeps labels bounded: unknown models, kinds and endpoints become 'other', ids never appear", async () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    const observer = createPrometheusObserver(registry);
    observer.itemFinished?.(
      item({ model: "custom-id-123", status: "failed", errorKind: "bogus" as never }),
    );
    observer.providerRequest?.({
      operation: "create",
      endpoint: "/v3/async/task-result?task_id=abc",
      status: 999,
      errorKind: undefined,
      durationMs: 10,
    });
    const text = await registry.metrics();
    expect(text).not.toContain("custom-id-123");
    expect(text).not.toContain("task_id=abc");
    const samples = parsePrometheusText(text);
    expect(find(samples, "veoq_items_failed_total", { model: "other", error_kind: "other" })).toBe(
      1,
    );
    expect(
      find(samples, "veoq_provider_request_duration_seconds_count", {
        endpoint: "other",
        status: "none",
      }),
    ).toBe(1);
  });

  it("records request latency by endpoint and status, and counts only 429s as rate limited", async () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    const observer = createPrometheusObserver(registry);
    const request = (status: number | undefined) =>
      observer.providerRequest?.({
        operation: "task-result",
        endpoint: "task-result",
        status,
        errorKind: undefined,
        durationMs: 300,
      });
    request(200);
    request(429);
    request(undefined);
    const samples = await scrape(registry);
    expect(
      find(samples, "veoq_provider_request_duration_seconds_count", {
        endpoint: "task-result",
        status: "200",
      }),
    ).toBe(1);
    expect(
      find(samples, "veoq_provider_request_duration_seconds_bucket", {
        endpoint: "task-result",
        status: "200",
        le: "0.25",
      }),
    ).toBe(0);
    expect(
      find(samples, "veoq_provider_request_duration_seconds_bucket", {
        endpoint: "task-result",
        status: "200",
        le: "0.5",
      }),
    ).toBe(1);
    expect(find(samples, "veoq_provider_rate_limited_total", { endpoint: "task-result" })).toBe(1);
  });

  it("records polls per finished task and download bytes", async () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    const observer = createPrometheusObserver(registry);
    observer.taskFinished?.({ model: "veo-3.1-lite-firstlastframe", status: "SUCCEED", polls: 5 });
    observer.downloadSaved?.({ model: "veo-3.1-lite-firstlastframe", bytes: 8192 });
    observer.downloadSaved?.({ model: "veo-3.1-lite-firstlastframe", bytes: 100 });
    const samples = await scrape(registry);
    expect(find(samples, "veoq_task_polls_sum", { status: "succeed" })).toBe(5);
    expect(find(samples, "veoq_task_polls_bucket", { status: "succeed", le: "4" })).toBe(0);
    expect(find(samples, "veoq_task_polls_bucket", { status: "succeed", le: "6" })).toBe(1);
    expect(
      find(samples, "veoq_download_bytes_total", { model: "veo-3.1-lite-firstlastframe" }),
    ).toBe(8292);
  });

  it("never throws into the pipeline, even for nonsense events", () => {
    const observer = createPrometheusObserver(createMetricsRegistry({ processMetrics: false }));
    expect(() =>
      observer.taskFinished?.({ model: "x", status: "SUCCEED", polls: Number.NaN }),
    ).not.toThrow();
    expect(() => observer.itemFinished?.(undefined as never)).not.toThrow();
  });
});
