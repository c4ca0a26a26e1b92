import {
  DelayedError,
  type Job,
  RateLimitError,
  UnrecoverableError,
  WaitingChildrenError,
} from "bullmq";
import { itemTraceSchema } from "../jobs/job-data.ts";
import { isFinalState } from "../records/item-state.ts";
import { isLastAttempt, itemErrorKindOf, recordItemFailure } from "./item-failure.ts";
import type { PipelineContext } from "./pipeline-context.ts";

type Processor<R> = (job: Job, token?: string) => Promise<R>;

/**
 * Wraps a processor so that no item is ever left short of a final state: when a job fails for
 * good (UnrecoverableError, or an error on its last attempt) and its processor did not already
 * record the item's failure, it is recorded here with the error's kind and message. Moves
 * ("delayed", "rate limited") are not failures and pass through untouched.
 */
export function recordingFinalFailures<R>(
  context: PipelineContext,
  stage: "submit" | "poll" | "download",
  processor: Processor<R>,
): Processor<R> {
  return async (job, token) => {
    try {
      return await processor(job, token);
    } catch (error) {
      const isMove =
        error instanceof DelayedError ||
        error instanceof RateLimitError ||
        error instanceof WaitingChildrenError;
      if (!isMove && (error instanceof UnrecoverableError || isLastAttempt(job))) {
        await recordUnlessFinal(context, stage, job, error).catch((recordError: unknown) =>
          context.logger.error(
            { err: recordError, jobId: job.id, queue: stage },
            "could not record an item's final failure",
          ),
        );
      }
      throw error;
    }
  };
}

async function recordUnlessFinal(
  context: PipelineContext,
  stage: "submit" | "poll" | "download",
  job: Job,
  error: unknown,
): Promise<void> {
  const data = (job.data ?? {}) as Record<string, unknown>;
  const { batchId, customId } = data;
  if (typeof batchId !== "string" || typeof customId !== "string") {
    context.logger.error({ jobId: job.id, queue: stage }, "job failed for good and names no item");
    return;
  }
  const state = await context.store.itemState(batchId, customId);
  if (state !== undefined && isFinalState(state)) return;
  const trace = itemTraceSchema.safeParse(data.trace);
  await recordItemFailure(context, {
    batchId,
    customId,
    model: typeof data.model === "string" ? data.model : "unknown",
    submission: typeof data.submission === "number" ? data.submission : 0,
    trace: trace.success
      ? trace.data
      : { enqueuedAt: job.timestamp, taskIds: [], submitAttempts: 0, polls: 0 },
    stage,
    jobId: String(job.id),
    errorKind: itemErrorKindOf(error),
    errorMessage: error instanceof Error ? error.message : String(error),
    submitJobId: typeof data.submitJobId === "string" ? data.submitJobId : String(job.id),
  });
}
