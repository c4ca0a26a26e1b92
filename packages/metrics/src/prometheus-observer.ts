import type { PipelineObserver } from "@veoq/pipeline";
import { Counter, Histogram, type Registry } from "prom-client";
import { endpointLabel, errorKindLabel, modelLabel, statusLabel } from "./metric-labels.ts";

/** Upper bounds (s) of the provider request latency buckets. */
export const REQUEST_SECONDS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Upper bounds (s) of the detection lag buckets. */
export const DETECTION_LAG_SECONDS_BUCKETS = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300];
/** Upper bounds of the polls-per-finished-task buckets. */
export const POLLS_PER_TASK_BUCKETS = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64];

/**
 * The pipeline's metrics hook on prom-client. Metric names (all under `veoq_`):
 *
 * - `veoq_items_completed_total{model}` and `veoq_items_failed_total{model,error_kind}`
 * - `veoq_provider_request_duration_seconds{endpoint,status}` (histogram; status "none" = no answer)
 * - `veoq_provider_rate_limited_total{endpoint}` (429 answers)
 * - `veoq_task_polls{model,status}` (histogram: answered polls per task that reached a final status)
 * - `veoq_detection_lag_seconds{model}` (histogram: a succeeded task's end to the poll that saw it)
 * - `veoq_download_bytes_total{model}`
 * - `veoq_items_cancelled_total{model}` and `veoq_spent_total{model}` (money counted as spent on
 *   creates, in the price table's currency)
 *
 * Every method swallows its own errors: metrics must never break a job.
 */
export function createPrometheusObserver(registry: Registry): PipelineObserver {
  const registers = [registry];
  const completed = new Counter({
    name: "veoq_items_completed_total",
    help: "Items that reached the completed state",
    labelNames: ["model"],
    registers,
  });
  const failed = new Counter({
    name: "veoq_items_failed_total",
    help: "Items that failed for good, by error kind",
    labelNames: ["model", "error_kind"],
    registers,
  });
  const requestSeconds = new Histogram({
    name: "veoq_provider_request_duration_seconds",
    help: "Provider HTTP requests (create, task-result, file) by endpoint and HTTP status",
    labelNames: ["endpoint", "status"],
    buckets: REQUEST_SECONDS_BUCKETS,
    registers,
  });
  const rateLimited = new Counter({
    name: "veoq_provider_rate_limited_total",
    help: "Provider answers with HTTP 429",
    labelNames: ["endpoint"],
    registers,
  });
  const pollsPerTask = new Histogram({
    name: "veoq_task_polls",
    help: "Answered polls of a provider task until it reached a final status",
    labelNames: ["model", "status"],
    buckets: POLLS_PER_TASK_BUCKETS,
    registers,
  });
  const detectionLag = new Histogram({
    name: "veoq_detection_lag_seconds",
    help: "From a task's end (provider timestamps, or the middle of the last poll gap) to the poll that saw it",
    labelNames: ["model"],
    buckets: DETECTION_LAG_SECONDS_BUCKETS,
    registers,
  });
  const downloadBytes = new Counter({
    name: "veoq_download_bytes_total",
    help: "Bytes of output files saved",
    labelNames: ["model"],
    registers,
  });

  const cancelled = new Counter({
    name: "veoq_items_cancelled_total",
    help: "Items ended as cancelled by veoq cancel",
    labelNames: ["model"],
    registers,
  });
  const spent = new Counter({
    name: "veoq_spent_total",
    help: "Money counted as spent on creates (created, or maybe created), in the price table's currency",
    labelNames: ["model"],
    registers,
  });

  const guarded =
    <A extends unknown[]>(record: (...args: A) => void) =>
    (...args: A): void => {
      try {
        record(...args);
      } catch {
        // A metric must never fail the job that reports it.
      }
    };

  return {
    providerRequest: guarded((event) => {
      const endpoint = endpointLabel(event.endpoint);
      requestSeconds.observe(
        { endpoint, status: statusLabel(event.status) },
        Math.max(0, event.durationMs) / 1000,
      );
      if (event.status === 429) rateLimited.inc({ endpoint });
    }),
    itemFinished: guarded((result) => {
      const model = modelLabel(result.model);
      if (result.status === "completed") completed.inc({ model });
      else if (result.status === "cancelled") cancelled.inc({ model });
      else failed.inc({ model, error_kind: errorKindLabel(result.errorKind) });
    }),
    createSpent: guarded((event) => {
      spent.inc({ model: modelLabel(event.model) }, event.costMicros / 1_000_000);
    }),
    taskFinished: guarded((event) => {
      pollsPerTask.observe(
        {
          model: modelLabel(event.model),
          status: event.status === "SUCCEED" ? "succeed" : "failed",
        },
        event.polls,
      );
      if (event.detectionLagSeconds !== undefined) {
        detectionLag.observe({ model: modelLabel(event.model) }, event.detectionLagSeconds);
      }
    }),
    downloadSaved: guarded((event) => {
      if (event.bytes > 0) downloadBytes.inc({ model: modelLabel(event.model) }, event.bytes);
    }),
  };
}
