import type { Job } from "bullmq";
import { downloadJobDataSchema, pollJobDataSchema } from "../jobs/job-data.ts";
import type { VeoqQueues } from "../jobs/queues.ts";
import { addSubmission, originalRequestOf } from "../jobs/resubmission.ts";
import type { BatchStore } from "../records/batch-store.ts";
import type { ItemResult } from "../records/item-result.ts";
import { planRetry, type RetryPlan } from "./plan-retry.ts";

export interface RetrySummary {
  retried: number;
  /** Items that could not be retried, with why (their jobs were removed, or moved meanwhile). */
  skipped: { customId: string; reason: string }[];
  /** What was planned (see planRetry): counts by action, failures left alone as permanent. */
  plan: RetryPlan;
  /** Paid re-submissions left alone because the caller did not agree to pay (`freeOnly`). */
  leftUnpaid: number;
}

export interface RetryFailedOptions {
  submitAttempts: number;
  /** Re-queue failures that will fail again too (invalid request, content policy). Default false. */
  includePermanent?: boolean;
  /**
   * The most re-submissions (paid) the caller agreed to, e.g. from the summary it showed: a
   * plan that would pay for more re-queues nothing and throws RetryPlanChangedError. Default: no limit.
   */
  maxResubmits?: number;
  /**
   * Re-queue only what is free (re-polls, re-downloads): the paid re-submissions are left failed
   * and counted in `leftUnpaid`, for a run that agrees to pay. Default false.
   */
  freeOnly?: boolean;
  now?: () => number;
}

/** The batch's failures changed since the caller's summary: more would be paid for than agreed. */
export class RetryPlanChangedError extends Error {
  readonly plan: RetryPlan;
  /** The paid re-submissions the caller agreed to. */
  readonly agreed: number;
  constructor(plan: RetryPlan, agreed: number) {
    super(
      `retry would now re-submit ${plan.counts.resubmit} items (paid), more than the ${agreed} agreed to`,
    );
    this.name = "RetryPlanChangedError";
    this.plan = plan;
    this.agreed = agreed;
  }
}

/** Fresh attempts: a retried job gets its whole retry budget again. */
const RESET = { resetAttemptsMade: true, resetAttemptsStarted: true } as const;

/**
 * Re-queues a batch's failed items as planRetry plans them (failures that will fail again are
 * left alone unless `includePermanent`), each the cheapest way that can work:
 * - failed at submit: the same submit job runs again (no task exists yet);
 * - failed at download: the same download job, with its URL refreshes reset (the task is paid
 *   for; its URLs are read again if they expired);
 * - timed out at poll: the same task is polled again, with a new deadline (it may have finished);
 * - task failed at the provider: a new submission (a new task).
 */
export async function retryFailedItems(
  store: BatchStore,
  queues: VeoqQueues,
  batchId: string,
  options: RetryFailedOptions,
): Promise<RetrySummary> {
  const now = options.now ?? Date.now;
  const plan = await planRetry(store, batchId, {
    includePermanent: options.includePermanent ?? false,
  });
  const freeOnly = options.freeOnly === true;
  if (
    !freeOnly &&
    options.maxResubmits !== undefined &&
    plan.counts.resubmit > options.maxResubmits
  ) {
    throw new RetryPlanChangedError(plan, options.maxResubmits);
  }
  const summary: RetrySummary = { retried: 0, skipped: [], plan, leftUnpaid: 0 };
  for (const { customId, action } of plan.retries) {
    if (freeOnly && action === "resubmit") {
      summary.leftUnpaid++;
      continue;
    }
    const result = await store.itemResult(batchId, customId);
    try {
      const reason = result
        ? await retryItem(store, queues, result, options.submitAttempts, now)
        : "no failure record";
      if (reason === undefined) summary.retried++;
      else summary.skipped.push({ customId, reason });
    } catch (error) {
      summary.skipped.push({
        customId,
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }
  if (summary.retried > 0) await store.clearFinished(batchId);
  return summary;
}

/** Returns undefined when re-queued, else why not. */
async function retryItem(
  store: BatchStore,
  queues: VeoqQueues,
  result: ItemResult,
  submitAttempts: number,
  now: () => number,
): Promise<string | undefined> {
  const { batchId, customId } = result;
  const queue =
    result.failedStage === "download"
      ? queues.download
      : result.failedStage === "poll"
        ? queues.poll
        : queues.submit;
  const job: Job | undefined = result.failedJobId
    ? await queue.getJob(result.failedJobId)
    : undefined;
  if (!job)
    return `its ${result.failedStage ?? "submit"} job ${result.failedJobId ?? "?"} no longer exists`;
  if (!(await job.isFailed())) return `its job ${job.id} is not in the failed state`;

  if (result.failedStage === "poll" && result.errorKind === "timeout") {
    const data = pollJobDataSchema.parse(job.data);
    // Its clock starts again: the poll fields measured on the old one no longer apply.
    const { lastPollSeconds: _l, gridStartSeconds: _g, ...rest } = data;
    await job.updateData({ ...rest, createdAt: now(), pollErrors: 0, clockReset: true });
    await store.transition(batchId, customId, "processing", { force: true });
    await job.retry("failed", RESET);
    return undefined;
  }
  if (result.failedStage === "poll") {
    const pollData = pollJobDataSchema.parse(job.data);
    const request = await originalRequestOf(queues, pollData.submitJobId);
    if (request === undefined) return `its submit job ${pollData.submitJobId} no longer exists`;
    await store.transition(batchId, customId, "queued", { force: true });
    await addSubmission(
      queues,
      request,
      result.submission + 1,
      { ...request.trace, taskIds: result.taskIds, polls: result.polls },
      submitAttempts,
    );
    return undefined;
  }
  if (result.failedStage === "download") {
    const data = downloadJobDataSchema.parse(job.data);
    await job.updateData({ ...data, refreshes: 0 });
    await store.transition(batchId, customId, "downloading", { force: true });
  } else {
    await store.transition(batchId, customId, "queued", { force: true });
  }
  await job.retry("failed", RESET);
  return undefined;
}
