import type { Logger } from "@veoq/logging";
import { isProviderError } from "@veoq/provider-client";
import { type Job, UnrecoverableError } from "bullmq";
import type { z } from "zod";
import {
  type ItemTrace,
  itemTraceSchema,
  type SavedFile,
  submitJobDataSchema,
} from "../jobs/job-data.ts";
import {
  type ItemErrorKind,
  type ItemResult,
  type ItemStage,
  isFinalState,
} from "../store/item-states.ts";
import type { QueueRole } from "../store/keys.ts";
import { OutputRejectedError } from "./output-check.ts";
import type { PipelineContext } from "./pipeline-context.ts";
import { isStageMove } from "./pipeline-observer.ts";

/**
 * The one failure protocol of the stages (issue 22). A processor either
 *
 * - throws an `ItemFailure`: it knows the item cannot succeed (a provider verdict, bad input, a
 *   deadline): the item fails now, whatever attempts are left; or
 * - throws any other error: it may pass on a later try (BullMQ retries the job with backoff).
 *
 * The stage wrapper (`stageProcessor`, below) alone decides whether a failure is final (an
 * ItemFailure, or any error on the job's last attempt), records the item's final result
 * (`recordItemFailure`, below), writes the one log line, and fails the job for good with a `FinalFailure`.
 * Moves (DelayedError, RateLimitError) are not failures and pass through.
 */

/** Thrown by a processor: this item cannot succeed. */
export class ItemFailure extends Error {
  override readonly name = "ItemFailure";
  readonly reason: ItemFailureReason;
  /** The item as the processor knows it when it fails (trace, files saved so far). */
  readonly item: ItemJobData;

  constructor(item: ItemJobData, reason: ItemFailureReason) {
    super(reason.jobMessage ?? reason.message);
    this.item = item;
    this.reason = reason;
  }
}

/**
 * Thrown by the stage wrapper only, once it has recorded and logged a final failure: BullMQ fails
 * the job for good (no retry), with the job's failed reason as its message; the worker's "failed"
 * event does not log it again.
 */
export class FinalFailure extends UnrecoverableError {
  constructor(message: string, cause: unknown) {
    // Keeps BullMQ's name: BullMQ also recognises an unrecoverable error by it.
    super(message);
    this.cause = cause;
  }
}

/** One run of a stage job, as its handler sees it: the parsed data and a logger naming the item. */
export interface StageRun<D> {
  job: Job;
  /** The worker's lock token (for moveToDelayed). */
  token: string | undefined;
  data: D;
  /** Carries batchId, customId, jobId and (when known) taskId. */
  log: Logger;
  /** Whether this run is the job's last allowed try (decided here, for the stage's own checks). */
  lastAttempt: boolean;
}

/** What BullMQ's Worker calls. */
export type Processor<R> = (job: Job, token?: string) => Promise<R>;

interface ItemData {
  batchId: string;
  customId: string;
  model?: string | undefined;
  taskId?: string | undefined;
  trace?: { traceparent?: string | undefined } | undefined;
}

/**
 * The one shape of the three stage processors (in the spirit of bull-board's
 * `queueProvider(jobProvider(handler))`): parses the job's data with its schema (data that does not
 * parse fails the job for good), builds the child logger and runs the handler. It alone applies
 * the failure protocol (above): a failure is final when the handler threw an
 * `ItemFailure`, or any error on the job's last attempt; then it records the item's failure
 * (`recordItemFailure`), writes the one log line, and fails the job for good (`FinalFailure`), so no
 * item is left short of a final state. Other errors go back to BullMQ to retry; moves ("delayed",
 * "rate limited") are not failures and pass through untouched.
 */
export function stageProcessor<S extends z.ZodType<ItemData>, R>(
  context: PipelineContext,
  stage: QueueRole,
  schema: S,
  handler: (run: StageRun<z.infer<S>>) => Promise<R>,
): Processor<R> {
  return async (job, token) => {
    const lastAttempt = isLastAttempt(job);
    try {
      const parsed = schema.safeParse(job.data);
      if (!parsed.success) {
        throw new UnrecoverableError(
          `${stage} job ${job.id} has invalid data: ${parsed.error.message}`,
        );
      }
      const data = parsed.data;
      const log = context.logger.child({
        batchId: data.batchId,
        customId: data.customId,
        jobId: job.id,
        ...(data.taskId === undefined ? {} : { taskId: data.taskId }),
      });
      return await context.tracer.inStage(
        stage,
        {
          batchId: data.batchId,
          customId: data.customId,
          model: data.model,
          taskId: data.taskId,
          traceparent: data.trace?.traceparent,
        },
        () => handler({ job, token, data, log, lastAttempt }),
      );
    } catch (error) {
      if (isStageMove(error)) throw error;
      if (!(error instanceof ItemFailure || error instanceof UnrecoverableError || lastAttempt)) {
        throw error; // BullMQ retries it (with the stage's backoff)
      }
      throw await failForGood(context, stage, schema, job, error);
    }
  };
}

/** Whether this run of the job is its last allowed try: the one place this is decided. */
function isLastAttempt(job: Job): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/**
 * A final failure: records the item's failure (unless the item already ended, for an error no
 * processor foresaw), writes the failure's one log line, and returns the error that fails the job
 * for good. A failure to record is logged, not thrown: the job still fails.
 */
async function failForGood(
  context: PipelineContext,
  stage: QueueRole,
  schema: z.ZodType<ItemData>,
  job: Job,
  error: unknown,
): Promise<FinalFailure> {
  const reason: ItemFailureReason =
    error instanceof ItemFailure
      ? error.reason
      : {
          stage,
          kind: itemErrorKindOf(error),
          message: error instanceof Error ? error.message : String(error),
        };
  const final = new FinalFailure(reason.jobMessage ?? reason.message, error);
  const item = error instanceof ItemFailure ? error.item : itemOfJob(schema, job);
  if (item === undefined) {
    context.logger.error({ jobId: job.id, queue: stage }, "job failed for good and names no item");
    return final;
  }
  try {
    if (!(error instanceof ItemFailure)) {
      const state = await context.store.itemState(item.batchId, item.customId);
      if (state !== undefined && isFinalState(state)) {
        context.logger.error(
          { batchId: item.batchId, customId: item.customId, jobId: job.id, queue: stage },
          `job failed for good after its item ended: ${reason.message}`,
        );
        return final;
      }
    }
    await recordItemFailure(context, job, item, reason);
  } catch (recordError) {
    context.logger.error(
      { err: recordError, jobId: job.id, queue: stage },
      "could not record an item's final failure",
    );
  }
  // The one line of an item's failure for good.
  context.logger.error(
    {
      batchId: item.batchId,
      customId: item.customId,
      jobId: String(job.id),
      taskId: item.trace.taskIds.at(-1),
      errorKind: reason.kind,
    },
    `item failed at ${reason.stage}: ${reason.message}`,
  );
  return final;
}

/**
 * The item a job names, from its data as it is now (a processor's `updateData` keeps it current:
 * files saved so far, submit attempts). Data that does not parse is read field by field.
 */
function itemOfJob(schema: z.ZodType<ItemData>, job: Job): ItemJobData | undefined {
  const parsed = schema.safeParse(job.data);
  const data = (parsed.success ? parsed.data : (job.data ?? {})) as Record<string, unknown>;
  const { batchId, customId } = data;
  if (typeof batchId !== "string" || typeof customId !== "string") return undefined;
  const trace = itemTraceSchema.safeParse(data.trace);
  return {
    ...(parsed.success ? (parsed.data as Partial<ItemJobData>) : {}),
    batchId,
    customId,
    model: typeof data.model === "string" ? data.model : "unknown",
    submission: typeof data.submission === "number" ? data.submission : 0,
    trace: trace.success
      ? trace.data
      : { enqueuedAt: job.timestamp, taskIds: [], submitAttempts: 0, polls: 0 },
    submitJobId: typeof data.submitJobId === "string" ? data.submitJobId : String(job.id),
  };
}

/**
 * The end of an item, in this module with the protocol that decides a failure. An item ends
 * exactly once, in one of these ways:
 *
 * - `completeItem`: the download job saved every output.
 * - `completeReusedItem`: another item had already rendered the same request (request-reuse.ts).
 * - `cancelItem`: `veoq cancel` reached the item before its create (or, with --drop-in-flight,
 *   while its paid task was followed).
 * - `recordItemFailure`: the item failed for good. Only the stage wrapper (`stageProcessor`)
 *   calls it, for an `ItemFailure` a processor threw or any error on the job's last attempt
 *   (the protocol above), so that no item is ever left short of a final state.
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
  /** That key's account id (never the key), written with `keyName`. */
  keyAccount?: string | undefined;
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
 * (`stageProcessor`, above): it alone calls this, and writes the log line.
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
    ...(data.keyAccount === undefined ? {} : { keyAccount: data.keyAccount }),
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
