import type { ProviderRequestEvent } from "@veoq/provider-client";
import { DelayedError, RateLimitError, WaitingChildrenError } from "bullmq";
import type { ItemResult } from "../store/item-states.ts";
import type { QueueRole } from "../store/keys.ts";

/*
 * What the pipeline reports as it works, to packages the core does not load: item traces
 * (`ItemTracer`, implemented by packages/tracing) and metrics events (`PipelineObserver`,
 * implemented by packages/metrics). Without them, NO_TRACING and an empty observer cost nothing.
 */

/** What names an item in its spans (veoq.batch_id, veoq.custom_id, veoq.task_id, veoq.model). */
export interface ItemSpanFields {
  batchId: string;
  customId: string;
  model?: string | undefined;
  taskId?: string | undefined;
}

/** Why an item's trace starts: its enqueue, or a retry that re-queues it. */
export type ItemTraceStart = "enqueue" | "retry";

/**
 * Traces of items, one trace per item across processes. The core knows nothing of
 * OpenTelemetry (no OTel module is loaded unless tracing is asked for): packages/tracing
 * implements this; without it, NO_TRACING does nothing at no cost.
 */
export interface ItemTracer {
  /**
   * Opens the item's trace at enqueue (a span that the stages' spans are children of, in any
   * process) and returns its W3C `traceparent`, kept in the job data (`trace.traceparent`).
   * `retry`: a new trace for a re-queued item (`veoq retry`), its stages' spans under it.
   */
  startItem(item: ItemSpanFields, why?: ItemTraceStart): string | undefined;
  /**
   * Runs one stage's work on an item inside a span whose parent is the item's `traceparent`
   * (a move such as DelayedError is not an error: see `isStageMove`).
   */
  inStage<T>(
    stage: QueueRole,
    item: ItemSpanFields & { traceparent?: string | undefined },
    run: () => Promise<T>,
  ): Promise<T>;
  /** A provider HTTP request that just ended: a span under the stage's span (no URL, no key). */
  providerRequest(event: ProviderRequestEvent): void;
}

export const NO_TRACING: ItemTracer = {
  startItem: () => undefined,
  inStage: (_stage, _item, run) => run(),
  providerRequest: () => {},
};

/** BullMQ's "moved, not failed" signals: a stage span that ends with one is not an error. */
export function isStageMove(error: unknown): boolean {
  return (
    error instanceof DelayedError ||
    error instanceof RateLimitError ||
    error instanceof WaitingChildrenError
  );
}

/**
 * What the pipeline reports as it works, for metrics. The core knows nothing of Prometheus: a
 * metrics package implements this interface. Every method is optional and must not throw.
 */
export interface PipelineObserver {
  /** Every provider HTTP request (create, task-result, file download). */
  providerRequest?(event: ProviderRequestEvent): void;
  /** An item reached its final state. */
  itemFinished?(result: ItemResult): void;
  /** A create's reserved cost counted as spent (it created a task, or may have). */
  createSpent?(event: { model: string; costMicros: number }): void;
  /**
   * A task reached a final status after this many answered polls; for a success whose end is
   * known (duration-history.ts finishedTaskSeconds), how late the poll that saw it came (real s).
   */
  taskFinished?(event: {
    model: string;
    status: "SUCCEED" | "FAILED";
    polls: number;
    detectionLagSeconds?: number;
  }): void;
  /** Bytes of one saved output file. */
  downloadSaved?(event: { model: string; bytes: number }): void;
}
