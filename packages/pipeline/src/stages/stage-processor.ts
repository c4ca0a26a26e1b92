import type { Logger } from "@veoq/logging";
import { type Job, UnrecoverableError } from "bullmq";
import type { z } from "zod";
import { itemTraceSchema } from "../jobs/job-data.ts";
import { isFinalState } from "../store/item-states.ts";
import type { QueueRole } from "../store/keys.ts";
import {
  type ItemFailureReason,
  type ItemJobData,
  itemErrorKindOf,
  recordItemFailure,
} from "./item-outcome.ts";
import { isStageMove } from "./item-tracer.ts";
import type { PipelineContext } from "./pipeline-context.ts";

/**
 * The one failure protocol of the stages (issue 22). A processor either
 *
 * - throws an `ItemFailure`: it knows the item cannot succeed (a provider verdict, bad input, a
 *   deadline): the item fails now, whatever attempts are left; or
 * - throws any other error: it may pass on a later try (BullMQ retries the job with backoff).
 *
 * The stage wrapper (`stageProcessor`, below) alone decides whether a failure is final (an
 * ItemFailure, or any error on the job's last attempt), records the item's final result
 * (item-outcome.ts), writes the one log line, and fails the job for good with a `FinalFailure`.
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
 * (item-outcome.ts), writes the one log line, and fails the job for good (`FinalFailure`), so no
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
