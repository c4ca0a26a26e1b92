import type { Job } from "bullmq";
import type { VeoqQueues } from "../jobs/queues.ts";
import type { ItemTracer } from "../stages/pipeline-observer.ts";
import type { BatchControl } from "../store/batch-control.ts";
import type { BatchStore } from "../store/batch-store.ts";
import type { ItemResult } from "../store/item-states.ts";
import { submitJobId } from "../store/keys.ts";
import type { SpendLedger } from "../store/spend-ledger.ts";

/** What the lifecycle commands need: the records, the queues and the batch's control. */
export interface LifecycleContext {
  store: BatchStore;
  queues: VeoqQueues;
  control: BatchControl;
  spend: SpendLedger;
  now?: () => number;
  /**
   * Last moment (ms, Redis server clock: redisServerDeadline) the control write may be applied;
   * later it is refused with ControlDeadlineError. Unset: no deadline (the CLI waits).
   */
  deadline?: number;
}

export interface CancelSummary {
  /** False when the batch was already cancelled (the call changed nothing). */
  changed: boolean;
  /** Queued items ended as cancelled by this call (workers end the rest as they reach them). */
  cancelled: number;
  /** Items whose task exists (paid): they finish, or with dropInFlight are no longer followed. */
  inFlight: number;
}

/** Lets a batch's waiting submit jobs run at once instead of at their next pause re-check. */
async function promoteWaitingSubmits(context: LifecycleContext, batchId: string): Promise<number> {
  let promoted = 0;
  let page: string[] = [];
  const flush = async () => {
    const jobs = await Promise.all(
      page.map((customId) => context.queues.submit.getJob(submitJobId(batchId, customId, 0))),
    );
    for (const job of jobs) {
      if (job === undefined || !(await job.isDelayed())) continue;
      await job.promote().then(
        () => promoted++,
        () => {}, // moved meanwhile (a worker took it): nothing to promote
      );
    }
    page = [];
  };
  for await (const [customId, state] of context.store.scanItemStates(batchId)) {
    if (state !== "queued") continue;
    page.push(customId);
    if (page.length >= 200) await flush();
  }
  await flush();
  return promoted;
}

async function requireBatch(context: LifecycleContext, batchId: string): Promise<void> {
  if ((await context.store.getBatch(batchId)) === undefined) {
    throw new UnknownBatchError(`no batch ${JSON.stringify(batchId)}`);
  }
}

export class UnknownBatchError extends Error {
  override name = "UnknownBatchError";
}

/** `veoq pause`: no new creates for the batch; its tasks at the provider are still followed. */
export async function pauseBatch(context: LifecycleContext, batchId: string): Promise<boolean> {
  await requireBatch(context, batchId);
  return context.control.pause(batchId, "user", (context.now ?? Date.now)(), context.deadline);
}

/** `veoq resume <batch>`: lifts a pause (any reason) and lets the waiting jobs go at once. */
export async function resumeBatch(context: LifecycleContext, batchId: string): Promise<boolean> {
  await requireBatch(context, batchId);
  const resumed = await context.control.resume(
    batchId,
    undefined,
    context.deadline,
    (context.now ?? Date.now)(),
  );
  if (resumed) await promoteWaitingSubmits(context, batchId);
  return resumed;
}

/** What a new budget did to the batch (see setBatchBudget). */
export interface BudgetChange {
  /** This change lifted a budget pause (each item is checked against the new budget again). */
  resumed: boolean;
  /**
   * The batch is paused by its budget after the change: what it spent and has reserved already
   * reaches the new budget, so no further create fits (it stays or becomes paused).
   */
  pausedByBudget: boolean;
  spentMicros: number;
  reservedMicros: number;
}

/**
 * `veoq budget` and `enqueue --budget`: sets the batch budget. Above what the batch spent and
 * has reserved, it lifts a budget pause and lets the waiting jobs go at once (the gate re-checks
 * each item); at or below it, the batch with items still queued is paused by its budget now
 * (a user pause or a cancel stays as it is).
 */
export async function setBatchBudget(
  context: LifecycleContext,
  batchId: string,
  budgetMicros: number,
): Promise<BudgetChange> {
  await requireBatch(context, batchId);
  await context.spend.setBudget(batchId, budgetMicros);
  const spend = await context.spend.read(batchId);
  const change: BudgetChange = {
    resumed: false,
    pausedByBudget: false,
    spentMicros: spend.spentMicros,
    reservedMicros: spend.reservedMicros,
  };
  if (spend.spentMicros + spend.reservedMicros >= budgetMicros) {
    const batch = await context.store.getBatch(batchId);
    if ((batch?.counts.queued ?? 0) > 0) {
      await context.control.pause(batchId, "budget", (context.now ?? Date.now)());
    }
    const control = await context.control.read(batchId);
    change.pausedByBudget = control.state === "paused" && control.reason === "budget";
    return change;
  }
  change.resumed = await context.control.resume(
    batchId,
    "budget",
    undefined,
    (context.now ?? Date.now)(),
  );
  if (change.resumed) await promoteWaitingSubmits(context, batchId);
  return change;
}

/**
 * `veoq cancel`: from now on the gate before every create ends the batch's items as cancelled;
 * queued items whose submit job is not running are ended here at once (their jobs stay, and end
 * without a create when a worker reaches them; a running one ends at its gate, or finishes if it
 * passed the gate before the cancel). Items already created finish unless `dropInFlight`: then their poll or
 * download job stops following them at its next run.
 */
export async function cancelBatch(
  context: LifecycleContext,
  batchId: string,
  options: { dropInFlight: boolean },
): Promise<CancelSummary> {
  await requireBatch(context, batchId);
  const now = (context.now ?? Date.now)();
  const changed = await context.control.cancel(
    batchId,
    options.dropInFlight,
    now,
    context.deadline,
  );
  const { store } = context;
  const summary: CancelSummary = { changed, cancelled: 0, inFlight: 0 };
  for await (const [customId, state] of store.scanItemStates(batchId)) {
    if (state === "processing" || state === "downloading") summary.inFlight++;
    if (state !== "queued") continue;
    const result: ItemResult = {
      batchId,
      customId,
      model: "unknown",
      status: "cancelled",
      taskIds: [],
      files: [],
      errorKind: "cancelled",
      errorMessage: "the batch was cancelled before this item's task was created",
      failedStage: "submit",
      failedJobId: submitJobId(batchId, customId, 0),
      submission: 0,
      submitAttempts: 0,
      polls: 0,
      enqueuedAt: now,
      submittedAt: undefined,
      finishedAt: now,
      metadata: undefined,
    };
    const job: Job | undefined = await context.queues.submit.getJob(result.failedJobId as string);
    // An active job may have passed the gate just before the cancel: its create is under way
    // and the item will finish normally. Any other job meets the gate after the cancel.
    if (job !== undefined && (await job.getState()) === "active") continue;
    if (job !== undefined) {
      const data = job.data as Record<string, unknown>;
      if (typeof data.model === "string") result.model = data.model;
      const trace = data.trace as { enqueuedAt?: unknown } | undefined;
      if (typeof trace?.enqueuedAt === "number") result.enqueuedAt = trace.enqueuedAt;
    }
    if (await store.finishQueuedItem(result)) summary.cancelled++;
  }
  return summary;
}

/** Fresh attempts: a retried job gets its whole retry budget again. */
const RESET = { resetAttemptsMade: true, resetAttemptsStarted: true } as const;

/** One cancelled item as `veoq retry --cancelled` would re-queue it. */
export interface CancelledRetry {
  customId: string;
  /** `submit`: never created, its task is created (paid) when it runs; else its paid task is followed again (free). */
  stage: "submit" | "poll" | "download";
  /** Its failed job, when the item has a record naming one. */
  jobId: string | undefined;
}

/**
 * What `veoq retry --cancelled` would do (a dry run, shown and agreed to before anything is paid):
 * the cancelled items whose tasks were never created (`submit`: each costs a create when it runs,
 * within the batch's budget) and those whose paid task was dropped (`refollow`: free).
 */
export interface CancelledRetryPlan {
  batchId: string;
  cancelled: number;
  /** Items that create a task (paid) when they run. */
  submit: number;
  /** Items whose paid task is followed again (free). */
  refollow: number;
  /** `submit` items per model: what a price table turns into a cost. */
  submitsByModel: Record<string, number>;
  retries: CancelledRetry[];
}

/** The plan of `veoq retry --cancelled` (see CancelledRetryPlan); touches nothing. */
export async function planCancelledRetry(
  context: LifecycleContext,
  batchId: string,
): Promise<CancelledRetryPlan> {
  await requireBatch(context, batchId);
  const plan: CancelledRetryPlan = {
    batchId,
    cancelled: 0,
    submit: 0,
    refollow: 0,
    submitsByModel: {},
    retries: [],
  };
  for await (const [customId, state] of context.store.scanItemStates(batchId)) {
    if (state !== "cancelled") continue;
    const result = await context.store.itemResult(batchId, customId);
    const stage = result?.failedStage ?? "submit";
    plan.cancelled++;
    if (stage === "submit") {
      plan.submit++;
      const model = result?.model ?? "unknown";
      plan.submitsByModel[model] = (plan.submitsByModel[model] ?? 0) + 1;
    } else {
      plan.refollow++;
    }
    plan.retries.push({ customId, stage, jobId: result?.failedJobId });
  }
  return plan;
}

/** The batch's cancelled items changed since the caller's plan: more would be paid for than agreed. */
export class CancelledRetryChangedError extends Error {
  override name = "CancelledRetryChangedError";
  readonly plan: CancelledRetryPlan;
  constructor(plan: CancelledRetryPlan, agreed: number) {
    super(
      `retry --cancelled would now re-queue ${plan.submit} items that create a task (paid), more than the ${agreed} agreed to`,
    );
    this.plan = plan;
  }
}

/**
 * `veoq retry --cancelled`: lifts the cancel and re-queues every cancelled item: its submit job
 * runs (again), or, for a task dropped by --drop-in-flight, its poll or download job follows the
 * paid task again. `maxSubmits` is the paid count the caller showed and had agreed to (see
 * planCancelledRetry): a batch that now holds more re-queues nothing and throws
 * CancelledRetryChangedError. Returns how many were re-queued and which could not be, with why.
 * With `tracer`, each re-queued job carries a new trace of its item (`veoq.item.retry`, see
 * RetryFailedOptions.tracer).
 */
export async function retryCancelledItems(
  context: LifecycleContext,
  batchId: string,
  options: { maxSubmits?: number; tracer?: ItemTracer } = {},
): Promise<{ retried: number; skipped: { customId: string; reason: string }[] }> {
  const plan = await planCancelledRetry(context, batchId);
  if (options.maxSubmits !== undefined && plan.submit > options.maxSubmits) {
    throw new CancelledRetryChangedError(plan, options.maxSubmits);
  }
  await context.control.reopen(batchId);
  const { store, queues } = context;
  const summary = { retried: 0, skipped: [] as { customId: string; reason: string }[] };
  for (const { customId, stage, jobId } of plan.retries) {
    const queue = queues[stage];
    const job = jobId ? await queue.getJob(jobId) : undefined;
    if (job === undefined) {
      summary.skipped.push({ customId, reason: `its ${stage} job no longer exists` });
      continue;
    }
    const jobState = await job.getState();
    const itemState =
      stage === "submit" ? "queued" : stage === "poll" ? "processing" : "downloading";
    await store.transition(batchId, customId, itemState, { force: true });
    const data = job.data as { model?: string; trace?: object };
    const traceparent = options.tracer?.startItem(
      { batchId, customId, model: data.model },
      "retry",
    );
    if (traceparent !== undefined) {
      await (job as Job).updateData({ ...data, trace: { ...data.trace, traceparent } });
    }
    if (jobState === "completed" || jobState === "failed") await job.retry(jobState, RESET);
    summary.retried++;
  }
  if (summary.retried > 0) await store.clearFinished(batchId);
  return summary;
}
