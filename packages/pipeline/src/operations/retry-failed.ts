import type { Job } from "bullmq";
import { downloadJobDataSchema, type ItemTrace, pollJobDataSchema } from "../jobs/job-data.ts";
import type { VeoqQueues } from "../jobs/queues.ts";
import { RequeueDeadlineError, requeueFailedJob } from "../jobs/requeue-failed-job.ts";
import { addSubmission, originalRequestOf } from "../jobs/resubmission.ts";
import { reasonLooksPermanent } from "../policy/failure-policy.ts";
import type { ItemTracer } from "../stages/pipeline-observer.ts";
import { type BatchStore, WriteDeadlineError } from "../store/batch-store.ts";
import type { ItemResult } from "../store/item-states.ts";

/*
 * `veoq retry` (and the dashboard's and API's retry): the plan first (`planRetry`, a dry run the
 * caller shows and asks about before paying), then the re-queue of each planned item
 * (`retryFailedItems`).
 */

/**
 * What `veoq retry` does with one failed item, the cheapest way that can work:
 * - `resubmit`: a create request is sent again (a new provider task: paid). Items that failed at
 *   submit (no task yet) and tasks the provider failed;
 * - `repoll`: the same task is polled again with a new deadline (timed out: free);
 * - `redownload`: the paid task's files are fetched again (free).
 */
export type RetryAction = "resubmit" | "repoll" | "redownload";

/** Why an item is left alone. */
export type RetrySkip =
  /** Its failure will repeat (invalid request or input, a content-policy reason). */
  | "permanent"
  /** It has no failure record (nothing says what to re-run). */
  | "no_record";

export interface PlannedRetry {
  customId: string;
  action: RetryAction;
  /** The model a re-submission is billed for. */
  model: string;
}

export interface SkippedRetry {
  customId: string;
  skip: RetrySkip;
  errorKind: string | undefined;
  reason: string | undefined;
}

export interface RetryPlan {
  batchId: string;
  /** Failed items of the batch. */
  failed: number;
  /** Items re-queued, by what that costs (`resubmit` is paid, the others are free). */
  counts: Record<RetryAction, number>;
  /** Re-submissions per model: what a price table turns into a cost. */
  resubmitsByModel: Record<string, number>;
  /** Failures that will fail again; re-queued only when `includePermanent`. */
  permanent: number;
  includePermanent: boolean;
  /** Every item that will be re-queued. */
  retries: PlannedRetry[];
  /** Items left alone, up to `listLimit`. */
  skipped: SkippedRetry[];
  /** Items left alone in all (`skipped` may list fewer). */
  skippedTotal: number;
}

export interface PlanRetryOptions {
  /** Re-queue failures that will fail again too. Default false. */
  includePermanent?: boolean;
  /** Skipped items listed in the plan. Default 50. */
  listLimit?: number;
}

/** Whether an item's failure will repeat if its request is sent again unchanged. */
export function failureWillRepeat(result: ItemResult): boolean {
  if (result.errorKind === "invalid_request" || result.errorKind === "invalid_input") return true;
  return result.errorKind === "task_failed" && reasonLooksPermanent(result.errorMessage);
}

/** What a retry does with a failed item (its record's stage and kind), see RetryAction. */
export function retryActionOf(result: ItemResult): RetryAction {
  if (result.failedStage === "download") return "redownload";
  if (result.failedStage === "poll" && result.errorKind === "timeout") return "repoll";
  return "resubmit";
}

/**
 * The plan of a retry from the failed items' records, without touching anything: pure, so the
 * CLI's and the dashboard's summaries and the retry itself agree. `results` are the failed
 * items' records (undefined when an item has none).
 */
export function planRetryOf(
  batchId: string,
  failed: readonly { customId: string; result: ItemResult | undefined }[],
  options: PlanRetryOptions = {},
): RetryPlan {
  const includePermanent = options.includePermanent ?? false;
  const listLimit = options.listLimit ?? 50;
  const plan: RetryPlan = {
    batchId,
    failed: failed.length,
    counts: { resubmit: 0, repoll: 0, redownload: 0 },
    resubmitsByModel: {},
    permanent: 0,
    includePermanent,
    retries: [],
    skipped: [],
    skippedTotal: 0,
  };
  const skip = (customId: string, why: RetrySkip, result: ItemResult | undefined) => {
    plan.skippedTotal++;
    if (plan.skipped.length < listLimit) {
      plan.skipped.push({
        customId,
        skip: why,
        errorKind: result?.errorKind,
        reason: result?.errorMessage,
      });
    }
  };
  for (const { customId, result } of failed) {
    if (!result) {
      skip(customId, "no_record", undefined);
      continue;
    }
    const permanent = failureWillRepeat(result);
    if (permanent) plan.permanent++;
    if (permanent && !includePermanent) {
      skip(customId, "permanent", result);
      continue;
    }
    const action = retryActionOf(result);
    plan.counts[action]++;
    if (action === "resubmit") {
      plan.resubmitsByModel[result.model] = (plan.resubmitsByModel[result.model] ?? 0) + 1;
    }
    plan.retries.push({ customId, action, model: result.model });
  }
  return plan;
}

/** Failed items' records read per round trip. */
const RESULTS_PER_READ = 500;

/**
 * The plan of `veoq retry BATCH` (a dry run): scans the batch's failed items (from their state
 * set, in pages, never the whole batch at once) and reads their records.
 */
export async function planRetry(
  store: BatchStore,
  batchId: string,
  options: PlanRetryOptions = {},
): Promise<RetryPlan> {
  const failed: { customId: string; result: ItemResult | undefined }[] = [];
  for (let offset = 0; ; offset += RESULTS_PER_READ) {
    const page = await store.listItems(batchId, {
      state: "failed",
      offset,
      limit: RESULTS_PER_READ,
    });
    const ids = page.items.map((item) => item.customId);
    const results = await store.itemResults(batchId, ids);
    for (const [i, customId] of ids.entries()) failed.push({ customId, result: results[i] });
    if (ids.length < RESULTS_PER_READ) break;
  }
  return planRetryOf(batchId, failed, options);
}

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
  /**
   * Last moment (ms, Redis server clock: see redisServerDeadline) an item may be re-queued. Each
   * item's re-queue starts with one write that carries it (the job moved back from failed, or
   * for a new submission the item's state), checked by Redis against its TIME: an item whose
   * write reaches Redis later is not re-queued, and the retry stops with RetryDeadlineError.
   * The writes that follow an applied one finish that item. Default: none.
   */
  deadline?: number;
  /** Stops before the next item once aborted (the caller gave up). */
  signal?: AbortSignal;
  /** Told each time an item is re-queued (its deciding write applied). */
  onRetried?: (customId: string) => void;
  now?: () => number;
  /**
   * Opens a new trace for each re-queued item (`veoq.item.retry`, linked to the caller's active
   * span, e.g. the CLI's `veoq.retry`): the re-queued job carries its traceparent, so the
   * item's next submit, polls and download are its children (packages/tracing). None when undefined.
   */
  tracer?: ItemTracer;
}

/**
 * A retry stopped by its deadline: `summary.retried` items were re-queued before it (counted in
 * full, their remaining writes finish them), the others were not; running the retry again
 * re-queues only what is still failed.
 */
export class RetryDeadlineError extends Error {
  readonly summary: RetrySummary;
  constructor(summary: RetrySummary) {
    super(
      `retry stopped at its deadline (Redis stalled or slow): ${summary.retried} items re-queued, the rest not; running the retry again re-queues only what is still failed`,
    );
    this.name = "RetryDeadlineError";
    this.summary = summary;
  }
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
  const write = {
    deadline: options.deadline,
    submitAttempts: options.submitAttempts,
    now,
    tracer: options.tracer,
  };
  try {
    for (const { customId, action } of plan.retries) {
      if (freeOnly && action === "resubmit") {
        summary.leftUnpaid++;
        continue;
      }
      if (options.signal?.aborted) throw new RetryDeadlineError(summary);
      const result = await store.itemResult(batchId, customId);
      try {
        // Counted as soon as its deciding write applied, before the writes that finish it.
        const requeued = () => {
          summary.retried++;
          options.onRetried?.(customId);
        };
        const reason = result
          ? await retryItem(store, queues, result, write, requeued)
          : "no failure record";
        if (reason !== undefined) summary.skipped.push({ customId, reason });
      } catch (error) {
        if (error instanceof RequeueDeadlineError || error instanceof WriteDeadlineError) {
          throw new RetryDeadlineError(summary);
        }
        summary.skipped.push({
          customId,
          reason: error instanceof Error ? error.message : String(error),
        });
      }
    }
  } finally {
    // Part of the items re-queued are re-queued all the same: the batch is not finished.
    if (summary.retried > 0) await store.clearFinished(batchId);
  }
  return summary;
}

/**
 * Returns undefined when re-queued (`requeued` is called then), else why not. The first write decides (it carries the
 * deadline); the ones after it finish an item already re-queued. A job re-queued before its
 * item's state moves may already run: its worker's transitions wait for "failed" to go (ranks),
 * and the state moves only while still failed, so a job that finished meanwhile keeps its state.
 */
async function retryItem(
  store: BatchStore,
  queues: VeoqQueues,
  result: ItemResult,
  write: {
    deadline: number | undefined;
    submitAttempts: number;
    now: () => number;
    tracer: ItemTracer | undefined;
  },
  requeued: () => void,
): Promise<string | undefined> {
  const { batchId, customId } = result;
  const { deadline } = write;
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
  const notFailed = `its job ${job.id} is not in the failed state`;
  // The retry's trace of this item: the re-queued job carries it (its stages' spans' parent).
  const traceparent = write.tracer?.startItem(
    { batchId, customId, model: (job.data as { model?: string }).model },
    "retry",
  );
  const traced = <T extends { trace: ItemTrace }>(data: T): T =>
    traceparent === undefined ? data : { ...data, trace: { ...data.trace, traceparent } };

  if (result.failedStage === "poll" && result.errorKind === "timeout") {
    const data = pollJobDataSchema.parse(job.data);
    // Its clock starts again: the poll fields measured on the old one no longer apply.
    const { lastPollSeconds: _l, gridStartSeconds: _g, ...rest } = data;
    const fresh = traced({ ...rest, createdAt: write.now(), pollErrors: 0, clockReset: true });
    if (!(await requeueFailedJob(store.redis, queue, job, { data: fresh, deadline })))
      return notFailed;
    requeued();
    await store.transition(batchId, customId, "processing", { fromFailed: true });
    return undefined;
  }
  if (result.failedStage === "poll") {
    const pollData = pollJobDataSchema.parse(job.data);
    const request = await originalRequestOf(queues, pollData.submitJobId);
    if (request === undefined) return `its submit job ${pollData.submitJobId} no longer exists`;
    await store.transition(batchId, customId, "queued", { force: true, deadline });
    requeued();
    await addSubmission(
      queues,
      request,
      result.submission + 1,
      { ...traced(request).trace, taskIds: result.taskIds, polls: result.polls },
      write.submitAttempts,
      "retry",
    );
    return undefined;
  }
  if (result.failedStage === "download") {
    const data = downloadJobDataSchema.parse(job.data);
    if (
      !(await requeueFailedJob(store.redis, queue, job, {
        data: traced({ ...data, refreshes: 0 }),
        deadline,
      }))
    )
      return notFailed;
    requeued();
    await store.transition(batchId, customId, "downloading", { fromFailed: true });
    return undefined;
  }
  // The job's data as it is (parsing would drop what the schema does not name), traced.
  const data = traceparent === undefined ? undefined : traced(job.data as { trace: ItemTrace });
  if (!(await requeueFailedJob(store.redis, queue, job, { deadline, data }))) return notFailed;
  requeued();
  await store.transition(batchId, customId, "queued", { fromFailed: true });
  return undefined;
}
