import { submitJobDataSchema } from "./job-data.ts";
import type { PipelineContext } from "./pipeline-context.ts";

/**
 * The manifest's `metadata` of an item, read from its submit job when the item becomes final
 * (it is not copied into every later job, to keep them small).
 */
export async function loadItemMetadata(
  context: PipelineContext,
  submitJobId: string,
): Promise<Record<string, unknown> | undefined> {
  const job = await context.queues.submit.getJob(submitJobId);
  const parsed = submitJobDataSchema.safeParse(job?.data);
  return parsed.success ? parsed.data.metadata : undefined;
}
