import type { ProviderRequestEvent } from "@veoq/provider-client";
import { DelayedError, RateLimitError, WaitingChildrenError } from "bullmq";
import type { QueueRole } from "../store/keys.ts";

/** What names an item in its spans (veoq.batch_id, veoq.custom_id, veoq.task_id, veoq.model). */
export interface ItemSpanFields {
  batchId: string;
  customId: string;
  model?: string | undefined;
  taskId?: string | undefined;
}

/**
 * Traces of items, one trace per item across processes. The core knows nothing of
 * OpenTelemetry (no OTel module is loaded unless tracing is asked for): packages/tracing
 * implements this; without it, NO_TRACING does nothing at no cost.
 */
export interface ItemTracer {
  /**
   * Opens the item's trace at enqueue (a span that the stages' spans are children of, in any
   * process) and returns its W3C `traceparent`, kept in the job data (`trace.traceparent`).
   */
  startItem(item: ItemSpanFields): string | undefined;
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
