import { isProviderError } from "@veoq/provider-client";
import type { Job } from "bullmq";
import { recordItemOutcome } from "./item-outcome.ts";
import type { ItemErrorKind } from "./item-result.ts";
import type { ItemTrace, SavedFile } from "./job-data.ts";
import { OutputRejectedError } from "./output-check.ts";
import type { PipelineContext } from "./pipeline-context.ts";

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

export interface FailItemInput {
  batchId: string;
  customId: string;
  model: string;
  submission: number;
  trace: ItemTrace;
  stage: "submit" | "poll" | "download";
  jobId: string;
  errorKind: ItemErrorKind;
  errorMessage: string;
  /** Outputs already saved before the failure (downloads). */
  files?: SavedFile[];
  /** The manifest's metadata; read from the submit job when not given. */
  metadata?: Record<string, unknown> | undefined;
  submitJobId?: string;
  /** False when the item has no metadata to read (see loadItemMetadata). */
  hasMetadata?: boolean | undefined;
}

/** What a job's data says about its item, as every job payload carries it. */
interface ItemJobData {
  batchId: string;
  customId: string;
  model: string;
  submission: number;
  trace: ItemTrace;
  submitJobId?: string;
  metadata?: Record<string, unknown> | undefined;
  hasMetadata?: boolean | undefined;
  saved?: SavedFile[];
}

/** The part of a failure record that comes from the job: everything but the error. */
export function failureContextOf(
  stage: FailItemInput["stage"],
  data: ItemJobData,
  job: Job,
): Omit<FailItemInput, "errorKind" | "errorMessage"> {
  return {
    batchId: data.batchId,
    customId: data.customId,
    model: data.model,
    submission: data.submission,
    trace: data.trace,
    stage,
    jobId: String(job.id),
    ...(data.submitJobId === undefined ? {} : { submitJobId: data.submitJobId }),
    ...(data.metadata === undefined ? {} : { metadata: data.metadata }),
    ...(data.hasMetadata === undefined ? {} : { hasMetadata: data.hasMetadata }),
    ...(data.saved === undefined ? {} : { files: data.saved }),
  };
}

/** Records the final failure of an item (result + state) before the job itself fails. */
export async function recordItemFailure(
  context: PipelineContext,
  input: FailItemInput,
): Promise<void> {
  await recordItemOutcome(context, {
    batchId: input.batchId,
    customId: input.customId,
    model: input.model,
    status: "failed",
    files: input.files ?? [],
    errorKind: input.errorKind,
    errorMessage: input.errorMessage,
    failedStage: input.stage,
    failedJobId: input.jobId,
    submission: input.submission,
    trace: input.trace,
    metadata: input.metadata,
    submitJobId: input.submitJobId,
    hasMetadata: input.hasMetadata,
  });
  context.logger.warn(
    {
      batchId: input.batchId,
      customId: input.customId,
      jobId: input.jobId,
      taskId: input.trace.taskIds.at(-1),
      errorKind: input.errorKind,
    },
    `item failed at ${input.stage}: ${input.errorMessage}`,
  );
}
