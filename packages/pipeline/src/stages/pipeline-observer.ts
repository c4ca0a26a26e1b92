import type { ProviderRequestEvent } from "@veoq/provider-client";
import type { ItemResult } from "../store/item-states.ts";

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
