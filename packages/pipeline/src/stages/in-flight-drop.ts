import type { Job } from "bullmq";
import type { ItemResult } from "../store/item-states.ts";
import type { PipelineContext } from "./pipeline-context.ts";
import { cancelItem, type ItemJobData } from "./stage-processor.ts";
import { releaseTaskSlot } from "./submit-attempt.ts";

/**
 * `veoq cancel --drop-in-flight`: a poll or download job of the batch stops following its paid
 * task at its next run and ends the item as cancelled (with its task ids, so the money stays
 * traceable). Returns the item's result when the job must stop, else undefined.
 */
export async function stopIfDropped(
  context: PipelineContext,
  job: Job,
  data: ItemJobData,
  stage: "poll" | "download",
): Promise<ItemResult | undefined> {
  const control = await context.control.read(data.batchId);
  if (control.state !== "cancelled" || !control.dropInFlight) return undefined;
  if (stage === "poll") {
    await releaseTaskSlot(context, data, "abandoned");
  }
  return cancelItem(context, job, data, {
    stage,
    message: "the batch was cancelled with --drop-in-flight: its paid task was abandoned",
  });
}
