import { submitJobDataSchema } from "../jobs/job-data.ts";
import type { PipelineContext } from "./pipeline-context.ts";

/**
 * The manifest's `metadata` of an item, read from its submit job when the item becomes final
 * (it is not copied into every later job, to keep them small). Later jobs carry `hasMetadata`:
 * when it is false there is nothing to read.
 */
export async function loadItemMetadata(
  context: PipelineContext,
  item: { submitJobId: string; hasMetadata?: boolean | undefined },
): Promise<Record<string, unknown> | undefined> {
  if (item.hasMetadata === false) return undefined;
  const job = await context.queues.submit.getJob(item.submitJobId);
  const parsed = submitJobDataSchema.safeParse(job?.data);
  return parsed.success ? parsed.data.metadata : undefined;
}
