import type { ItemTrace } from "../jobs/job-data.ts";
import type { ItemResult } from "../records/item-result.ts";
import { loadItemMetadata } from "./item-metadata.ts";
import type { PipelineContext } from "./pipeline-context.ts";

/** How an item ended, with what its jobs know of it; the rest of its result comes from the trace. */
export type ItemOutcome = Pick<
  ItemResult,
  | "batchId"
  | "customId"
  | "model"
  | "status"
  | "files"
  | "errorKind"
  | "errorMessage"
  | "failedStage"
  | "failedJobId"
  | "submission"
> & {
  trace: ItemTrace;
  /** The manifest's metadata; read from the submit job when not given (see loadItemMetadata). */
  metadata?: Record<string, unknown> | undefined;
  submitJobId?: string | undefined;
  hasMetadata?: boolean | undefined;
};

/**
 * Stores an item's final result (and its final state, in one script) and tells the observer:
 * the one place a completed or failed item's record is written.
 */
export async function recordItemOutcome(
  context: PipelineContext,
  outcome: ItemOutcome,
): Promise<ItemResult> {
  const { trace } = outcome;
  const result: ItemResult = {
    batchId: outcome.batchId,
    customId: outcome.customId,
    model: outcome.model,
    status: outcome.status,
    taskIds: trace.taskIds,
    files: outcome.files,
    errorKind: outcome.errorKind,
    errorMessage: outcome.errorMessage,
    failedStage: outcome.failedStage,
    failedJobId: outcome.failedJobId,
    submission: outcome.submission,
    submitAttempts: trace.submitAttempts,
    polls: trace.polls,
    enqueuedAt: trace.enqueuedAt,
    submittedAt: trace.submittedAt,
    finishedAt: context.now(),
    metadata:
      outcome.metadata ??
      (outcome.submitJobId === undefined
        ? undefined
        : await loadItemMetadata(context, {
            submitJobId: outcome.submitJobId,
            hasMetadata: outcome.hasMetadata,
          })),
  };
  await context.store.finishItem(result);
  context.observer.itemFinished?.(result);
  return result;
}
