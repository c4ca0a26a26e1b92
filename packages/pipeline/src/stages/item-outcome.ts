import { isProviderError } from "@veoq/provider-client";
import type { Job } from "bullmq";
import { type ItemTrace, type SavedFile, submitJobDataSchema } from "../jobs/job-data.ts";
import type { ItemErrorKind, ItemResult, ItemStage } from "../store/item-result.ts";
import { OutputRejectedError } from "./output-check.ts";
import type { PipelineContext } from "./pipeline-context.ts";

/**
 * The end of an item, in one module. An item ends exactly once, in one of these ways:
 *
 * - `completeItem`: the download job saved every output.
 * - `completeReusedItem`: another item had already rendered the same request (request-reuse.ts).
 * - `cancelItem`: `veoq cancel` reached the item before its create (or, with --drop-in-flight,
 *   while its paid task was followed).
 * - `recordItemFailure`: the item failed for good. Only the stage wrapper (stage-processor.ts)
 *   calls it, for an `ItemFailure` a processor threw or any error on the job's last attempt
 *   (stage-processor.ts has the protocol), so that no item is ever left short of a final state.
 *
 * Each writes the item's final result and state in one script (BatchStore.finishItem) and tells
 * the observer. What a failure then means for `veoq retry` is in operations/retry-failed.ts.
 */

/** How an item ended. */
export type ItemOutcome =
  | { status: "completed"; files: SavedFile[]; reusedFrom?: ItemResult["reusedFrom"] }
  | { status: "failed" | "cancelled"; files: SavedFile[]; failure: ItemFailureReason };

/** Why an item failed, where. */
export interface ItemFailureReason {
  stage: ItemStage;
  kind: ItemErrorKind;
  /** What the item's result says. */
  message: string;
  /** The job's failed reason, when it differs from `message`; default `message`. */
  jobMessage?: string;
}

/** What a job's data says about its item, as every job payload carries it. */
export interface ItemJobData {
  batchId: string;
  customId: string;
  model: string;
  submission: number;
  trace: ItemTrace;
  submitJobId?: string;
  /** The manifest's metadata; read from the submit job when not given. */
  metadata?: Record<string, unknown> | undefined;
  /** False when the item has no metadata to read (see loadItemMetadata). */
  hasMetadata?: boolean | undefined;
  /** Outputs already saved (downloads). */
  saved?: SavedFile[];
  /** The name of the API key that created its task (never the key); absent: the first key. */
  keyName?: string | undefined;
}

/** The error kind an item ends with, from any thrown value. */
export function itemErrorKindOf(error: unknown): ItemErrorKind {
  if (isProviderError(error)) return error.kind;
  if (error instanceof OutputRejectedError) return error.kind;
  return "internal";
}

/** Records a completed item: every output saved, in index order. */
export async function completeItem(
  context: PipelineContext,
  job: Job,
  data: ItemJobData & { saved: SavedFile[] },
): Promise<ItemResult> {
  const files = [...data.saved].sort((a, b) => a.index - b.index);
  return recordItemOutcome(context, job, data, { status: "completed", files });
}

/**
 * Records an item completed by another item's render of the same request (request-reuse.ts):
 * its files are the owner's, and the result names the owner in `reusedFrom`.
 */
export async function completeReusedItem(
  context: PipelineContext,
  job: Job,
  data: ItemJobData,
  owner: ItemResult,
): Promise<ItemResult> {
  return recordItemOutcome(context, job, data, {
    status: "completed",
    files: owner.files,
    reusedFrom: { batchId: owner.batchId, customId: owner.customId },
  });
}

/** Records a cancelled item (error kind `cancelled`, where and why); the job then ends normally. */
export async function cancelItem(
  context: PipelineContext,
  job: Job,
  data: ItemJobData,
  cancel: { stage: ItemStage; message: string },
): Promise<ItemResult> {
  const result = await recordItemOutcome(context, job, data, {
    status: "cancelled",
    files: data.saved ?? [],
    failure: { stage: cancel.stage, kind: "cancelled", message: cancel.message },
  });
  context.logger.info(
    { batchId: data.batchId, customId: data.customId, jobId: String(job.id), stage: cancel.stage },
    `item cancelled: ${cancel.message}`,
  );
  return result;
}

/**
 * Records the item's failure (result + state). The stage wrapper's part of the failure protocol
 * (stage-processor.ts): it alone calls this, and writes the log line.
 */
export async function recordItemFailure(
  context: PipelineContext,
  job: Job,
  data: ItemJobData,
  failure: ItemFailureReason,
): Promise<void> {
  await recordItemOutcome(context, job, data, {
    status: "failed",
    files: data.saved ?? [],
    failure,
  });
}

/**
 * Stores an item's final result (and its final state, in one script) and tells the observer:
 * the one place a completed or failed item's record is written.
 */
async function recordItemOutcome(
  context: PipelineContext,
  job: Job,
  data: ItemJobData,
  outcome: ItemOutcome,
): Promise<ItemResult> {
  const { trace } = data;
  const failure = outcome.status === "completed" ? undefined : outcome.failure;
  const result: ItemResult = {
    batchId: data.batchId,
    customId: data.customId,
    model: data.model,
    status: outcome.status,
    taskIds: trace.taskIds,
    ...(data.keyName === undefined ? {} : { keyName: data.keyName }),
    files: outcome.files,
    errorKind: failure?.kind,
    errorMessage: failure?.message,
    failedStage: failure?.stage,
    failedJobId: failure === undefined ? undefined : String(job.id),
    submission: data.submission,
    submitAttempts: trace.submitAttempts,
    polls: trace.polls,
    enqueuedAt: trace.enqueuedAt,
    submittedAt: trace.submittedAt,
    finishedAt: context.now(),
    metadata: data.metadata ?? (await loadItemMetadata(context, data)),
    ...(outcome.status === "completed" && outcome.reusedFrom !== undefined
      ? { reusedFrom: outcome.reusedFrom }
      : {}),
  };
  await context.store.finishItem(result, {
    accountItemEvents: context.settings.accountItemEvents,
  });
  context.observer.itemFinished?.(result);
  return result;
}

/**
 * The manifest's `metadata` of an item, read from its submit job when the item becomes final
 * (it is not copied into every later job, to keep them small). Later jobs carry `hasMetadata`:
 * when it is false there is nothing to read.
 */
async function loadItemMetadata(
  context: PipelineContext,
  item: { submitJobId?: string | undefined; hasMetadata?: boolean | undefined },
): Promise<Record<string, unknown> | undefined> {
  if (item.submitJobId === undefined || item.hasMetadata === false) return undefined;
  const job = await context.queues.submit.getJob(item.submitJobId);
  const parsed = submitJobDataSchema.safeParse(job?.data);
  return parsed.success ? parsed.data.metadata : undefined;
}
