import type { BatchStore } from "./batch-store.ts";
import { pollJobDataSchema, submitJobDataSchema } from "./job-data.ts";
import { submitJobId } from "./job-ids.ts";
import type { VeoqQueues } from "./queues.ts";

export interface RetrySummary {
  retried: number;
  /** Items whose failed job could no longer be found (trimmed): they cannot be retried. */
  missing: string[];
}

/**
 * Re-queues a batch's failed items. Failures at submit or download re-run the same job (a
 * download retry does not pay for a new task); failures at poll (the task failed or timed out)
 * need a new task, so the item is submitted again as a new submission.
 */
export async function retryFailedItems(
  store: BatchStore,
  queues: VeoqQueues,
  batchId: string,
  options: { submitAttempts: number },
): Promise<RetrySummary> {
  const summary: RetrySummary = { retried: 0, missing: [] };
  for await (const [customId, state] of store.scanItemStates(batchId)) {
    if (state !== "failed") continue;
    const result = await store.itemResult(batchId, customId);
    const jobId = result?.failedJobId;
    const queue =
      result?.failedStage === "download"
        ? queues.download
        : result?.failedStage === "poll"
          ? queues.poll
          : queues.submit;
    const job = jobId ? await queue.getJob(jobId) : undefined;
    if (!result || !job) {
      summary.missing.push(customId);
      continue;
    }
    if (result.failedStage === "poll") {
      const pollData = pollJobDataSchema.safeParse(job.data);
      const original = pollData.success
        ? await queues.submit.getJob(pollData.data.submitJobId)
        : undefined;
      const parsed = submitJobDataSchema.safeParse(original?.data);
      if (!parsed.success) {
        summary.missing.push(customId);
        continue;
      }
      const submission = result.submission + 1;
      const { taskId: _t, createdAt: _c, ...request } = parsed.data;
      await store.transition(batchId, customId, "queued", { force: true });
      await queues.submit.add(
        "submit",
        {
          ...request,
          submission,
          trace: { ...parsed.data.trace, taskIds: result.taskIds, polls: result.polls },
        },
        {
          jobId: submitJobId(batchId, customId, submission),
          attempts: options.submitAttempts,
          backoff: { type: "veoq" },
        },
      );
    } else {
      await store.transition(
        batchId,
        customId,
        result.failedStage === "download" ? "downloading" : "queued",
        { force: true },
      );
      await job.retry("failed");
    }
    summary.retried++;
  }
  return summary;
}
