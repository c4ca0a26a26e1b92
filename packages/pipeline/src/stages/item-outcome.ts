import { isProviderError } from "@veoq/provider-client";
import { type Job, UnrecoverableError } from "bullmq";
import {
  type ItemTrace,
  itemTraceSchema,
  type SavedFile,
  submitJobDataSchema,
} from "../jobs/job-data.ts";
import type { ItemErrorKind, ItemResult, ItemStage } from "../store/item-result.ts";
import { isFinalState } from "../store/item-state.ts";
import { OutputRejectedError } from "./output-check.ts";
import type { PipelineContext } from "./pipeline-context.ts";

/**
 * The end of an item, in one module. An item ends exactly once, in one of these ways:
 *
 * - `completeItem`: the download job saved every output.
 * - `completeReusedItem`: another item had already rendered the same request (request-reuse.ts).
 * - `cancelItem`: `veoq cancel` reached the item before its create (or, with --drop-in-flight,
 *   while its paid task was followed).
 * - `failItem`: a processor knows the item cannot succeed; it records the failure and throws the
 *   `UnrecoverableError` that fails the job for good. `recordItemFailure` records without
 *   throwing, for a job that fails on its last attempt with the error it already has.
 * - `recordFinalFailure`: the stage wrapper (stage-processor.ts) calls it for a job that failed
 *   for good without its processor recording why (an error no processor foresaw), so that no item
 *   is ever left short of a final state.
 *
 * Each writes the item's final result and state in one script (BatchStore.finishItem) and tells
 * the observer. What a failure then means for `veoq retry` is in operations/retry-failed.ts.
 */

/** How an item ended. */
export type ItemOutcome =
  | { status: "completed"; files: SavedFile[]; reusedFrom?: ItemResult["reusedFrom"] }
  | { status: "failed" | "cancelled"; files: SavedFile[]; failure: ItemFailure };

/** Why an item failed, where. */
export interface ItemFailure {
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
}

/** Whether this run of the job is its last allowed try. */
export function isLastAttempt(job: Job): boolean {
  const attempts = job.opts.attempts ?? 1;
  return job.attemptsMade + 1 >= attempts;
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

/** Records the item's failure and fails the job for good. */
export async function failItem(
  context: PipelineContext,
  job: Job,
  data: ItemJobData,
  failure: ItemFailure,
): Promise<never> {
  await recordItemFailure(context, job, data, failure);
  throw new UnrecoverableError(failure.jobMessage ?? failure.message);
}

/**
 * Jobs whose failure for good was already logged with its item (one failure, one log line): the
 * worker's "failed" event logs only the others (see failureLogged). Job objects are those the
 * processor was given; BullMQ emits "failed" with the same object, and drops it afterwards.
 */
const loggedFailures = new WeakSet<Job>();

/** Whether this job's failure for good was already logged, with its item, by a processor. */
export function failureLogged(job: Job): boolean {
  return loggedFailures.has(job);
}

/** Records the item's failure (result + state) before the job itself fails; does not throw. */
export async function recordItemFailure(
  context: PipelineContext,
  job: Job,
  data: ItemJobData,
  failure: ItemFailure,
): Promise<void> {
  await recordItemOutcome(context, job, data, {
    status: "failed",
    files: data.saved ?? [],
    failure,
  });
  // The one line of an item's failure for good, at the level its job's failure had.
  context.logger.error(
    {
      batchId: data.batchId,
      customId: data.customId,
      jobId: String(job.id),
      taskId: data.trace.taskIds.at(-1),
      errorKind: failure.kind,
    },
    `item failed at ${failure.stage}: ${failure.message}`,
  );
  loggedFailures.add(job);
}

/**
 * Records the failure of a job that failed for good, unless its item is already final (its
 * processor recorded why). The job's data is read as it is, since it may not have parsed.
 */
export async function recordFinalFailure(
  context: PipelineContext,
  stage: ItemStage,
  job: Job,
  error: unknown,
): Promise<void> {
  const data = (job.data ?? {}) as Record<string, unknown>;
  const { batchId, customId } = data;
  if (typeof batchId !== "string" || typeof customId !== "string") {
    context.logger.error({ jobId: job.id, queue: stage }, "job failed for good and names no item");
    loggedFailures.add(job);
    return;
  }
  const state = await context.store.itemState(batchId, customId);
  if (state !== undefined && isFinalState(state)) return;
  const trace = itemTraceSchema.safeParse(data.trace);
  const item: ItemJobData = {
    batchId,
    customId,
    model: typeof data.model === "string" ? data.model : "unknown",
    submission: typeof data.submission === "number" ? data.submission : 0,
    trace: trace.success
      ? trace.data
      : { enqueuedAt: job.timestamp, taskIds: [], submitAttempts: 0, polls: 0 },
    submitJobId: typeof data.submitJobId === "string" ? data.submitJobId : String(job.id),
  };
  await recordItemFailure(context, job, item, {
    stage,
    kind: itemErrorKindOf(error),
    message: error instanceof Error ? error.message : String(error),
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
