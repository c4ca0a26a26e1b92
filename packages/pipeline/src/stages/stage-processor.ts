import type { Logger } from "@veoq/logging";
import { type Job, UnrecoverableError } from "bullmq";
import type { z } from "zod";
import type { QueueRole } from "../jobs/queue-names.ts";
import { isLastAttempt, recordFinalFailure } from "./item-outcome.ts";
import { isStageMove } from "./item-tracer.ts";
import type { PipelineContext } from "./pipeline-context.ts";

/** One run of a stage job, as its handler sees it: the parsed data and a logger naming the item. */
export interface StageRun<D> {
  job: Job;
  /** The worker's lock token (for moveToDelayed). */
  token: string | undefined;
  data: D;
  /** Carries batchId, customId, jobId and (when known) taskId. */
  log: Logger;
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
 * parse fails the job for good: it may come from older code), builds the child logger, runs the
 * handler, and, when the job fails for good (UnrecoverableError, or an error on its last attempt)
 * without the handler recording the item's failure, records it (item-outcome.ts) so that no item
 * is left short of a final state. Moves ("delayed", "rate limited") are not failures and pass
 * through untouched.
 */
export function stageProcessor<S extends z.ZodType<ItemData>, R>(
  context: PipelineContext,
  stage: QueueRole,
  schema: S,
  handler: (run: StageRun<z.infer<S>>) => Promise<R>,
): Processor<R> {
  return async (job, token) => {
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
        () => handler({ job, token, data, log }),
      );
    } catch (error) {
      if (!isStageMove(error) && (error instanceof UnrecoverableError || isLastAttempt(job))) {
        await recordFinalFailure(context, stage, job, error).catch((recordError: unknown) =>
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
