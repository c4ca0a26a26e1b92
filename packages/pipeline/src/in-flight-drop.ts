import type { Job } from "bullmq";
import { recordItemOutcome } from "./item-outcome.ts";
import type { ItemResult } from "./item-result.ts";
import type { PollJobData } from "./job-data.ts";
import type { PipelineContext } from "./pipeline-context.ts";
import { slotHolder } from "./slot-reconciler.ts";

/**
 * `veoq cancel --drop-in-flight`: a poll or download job of the batch stops following its paid
 * task at its next run and ends the item as cancelled (with the task ids, so the money is
 * traceable). Returns the item's result when the job must stop, else undefined.
 */
export async function stopIfDropped(
  context: PipelineContext,
  job: Job,
  data: Pick<
    PollJobData,
    "batchId" | "customId" | "model" | "submission" | "trace" | "submitJobId" | "hasMetadata"
  >,
  stage: "poll" | "download",
): Promise<ItemResult | undefined> {
  const control = await context.control.read(data.batchId);
  if (control.state !== "cancelled" || !control.dropInFlight) return undefined;
  if (stage === "poll") {
    await context.slots.release(slotHolder(data.batchId, data.customId, data.submission));
  }
  context.logger.warn(
    {
      batchId: data.batchId,
      customId: data.customId,
      jobId: job.id,
      taskId: data.trace.taskIds.at(-1),
    },
    "batch cancelled with --drop-in-flight: no longer following this paid task",
  );
  return recordItemOutcome(context, {
    batchId: data.batchId,
    customId: data.customId,
    model: data.model,
    status: "cancelled",
    files: [],
    errorKind: "cancelled",
    errorMessage: "the batch was cancelled with --drop-in-flight: its paid task was abandoned",
    failedStage: stage,
    failedJobId: String(job.id),
    submission: data.submission,
    trace: data.trace,
    submitJobId: data.submitJobId,
    hasMetadata: data.hasMetadata,
  });
}
