import {
  type BatchControlState,
  type BatchOverview,
  type BatchScheduling,
  type BatchSpend,
  type BatchState,
  type BatchStore,
  batchSchedulingOf,
  batchStateOf,
  credentialsStopReason,
  credentialsStopTimes,
  downloadsStopReason,
  type ItemErrorKind,
  type KeyFigures,
  overviewOf,
  QUEUE_ROLES,
  type QueueRole,
  readKeyFigures,
  readWorkCapacity,
  type StopTime,
  type TimelinePoint,
  type VeoqQueues,
  type WaitingReason,
  type WorkCapacity,
  type WorkerRecord,
  waitingReasonOf,
} from "@veoq/pipeline";
import type { DeliveryJson } from "@veoq/webhooks";
import { bullBoardJobUrl } from "./bull-board-router.ts";
import { findStuckItems, type StuckItem, type StuckRule } from "./stuck-items.ts";

/** Where the dashboard reads from, and how it links to Bull Board. */
export interface DashboardSource {
  store: BatchStore;
  queues: VeoqQueues;
  stuckRule: StuckRule;
  /** Where Bull Board is mounted, e.g. "/queues". */
  bullBoardPath: string;
  /** VEOQ_DAILY_BUDGET in micro-units; undefined: no daily cap. */
  dailyBudgetMicros?: number | undefined;
}

export interface FailedItem {
  customId: string;
  model: string;
  errorKind: ItemErrorKind | undefined;
  /** The provider's message (or ours), as recorded when the item failed. */
  errorMessage: string | undefined;
  failedStage: QueueRole | undefined;
  failedJobId: string | undefined;
  /** Bull Board's page of the failed job, when known. */
  jobUrl: string | undefined;
  taskIds: string[];
  finishedAt: number | undefined;
}

export interface StuckItemView extends StuckItem {
  jobUrl: string;
}

export interface BatchView extends BatchOverview {
  /** Up to the requested number of failed items. */
  failedItems: FailedItem[];
  /** Items polled far past the usual time (see stuck-items.ts). */
  stuckItems: StuckItemView[];
  /** Paused (and why), cancelled, or running. */
  control: BatchControlState;
  /** What it is doing: running, paused, stopped (credentials), cancelled or finished. */
  state: BatchState;
  /** Estimate, budget, spent and reserved, in micro-units. */
  spend: BatchSpend;
  /** Priority and share of the provider slots held now. */
  scheduling: BatchScheduling;
  /** Its per-minute throughput and spend (read for the batch's own page only). */
  timeline?: TimelinePoint[];
  /** Its webhook deliveries with their tries (read for the batch's own page only). */
  webhookDeliveries?: DeliveryJson[];
  /** Why its open items wait (no worker for a role, a pause, the cap, ...), if anything holds them. */
  waitingReason: WaitingReason | undefined;
}

export interface DashboardSnapshot {
  generatedAt: number;
  batches: BatchView[];
  queues: Record<QueueRole, Record<string, number>>;
  submitPaused: boolean;
  /** Why submissions are stopped (401/402 from the provider), or null. */
  credentialsStop: string | null;
  /** The live worker processes (heartbeat records). */
  workers: WorkerRecord[];
  /** Why downloads are stopped (the bucket refused its credentials), or null. */
  downloadsStop: string | null;
  /** The API keys of the pool, by name (keys-panel.ts). */
  keys: KeyFigures[];
  /** Spent and reserved today (UTC) across all batches (the daily spend record). */
  today: { day: string; spentMicros: number; reservedMicros: number };
  /** VEOQ_DAILY_BUDGET in micro-units, or undefined when there is no daily cap. */
  dailyBudgetMicros: number | undefined;
}

/** What every batch's view shares: stuck items, who can work, stops. Read once per page. */
interface SharedReads {
  stuck: StuckItemView[];
  capacity: WorkCapacity;
  submitPaused: boolean;
  credentialsStop: string | undefined;
  /** The deployment's credentials stops: left out of elapsed time and rates. */
  credentialsStops: StopTime[];
  downloadsStop: string | undefined;
  keys: KeyFigures[];
}

async function readShared(source: DashboardSource, now: number): Promise<SharedReads> {
  const [stuck, capacity, submitPaused, credentialsStop, credentialsStops, downloadsStop, keys] =
    await Promise.all([
      readStuckItems(source, now),
      readWorkCapacity(source.store),
      source.queues.submit.isPaused(),
      credentialsStopReason(source.store),
      credentialsStopTimes(source.store),
      downloadsStopReason(source.store),
      readKeyFigures(source.store.redis, source.store.prefix, now),
    ]);
  return { stuck, capacity, submitPaused, credentialsStop, credentialsStops, downloadsStop, keys };
}

export interface ReadOptions {
  now: number;
  /** Failed items listed per batch. */
  failedLimit: number;
}

/** Newest batches (up to `batchLimit`) with queue counts and the credentials stop. */
export async function readDashboardSnapshot(
  source: DashboardSource,
  options: ReadOptions & { batchLimit: number },
): Promise<DashboardSnapshot> {
  const [ids, shared, today] = await Promise.all([
    source.store.listBatchIds(options.batchLimit),
    readShared(source, options.now),
    source.store.spend.today(options.now),
  ]);
  const [batches, counts] = await Promise.all([
    Promise.all(ids.map((id) => readBatchView(source, id, options, shared))),
    Promise.all(QUEUE_ROLES.map((role) => source.queues[role].getJobCounts())),
  ]);
  const [submit = {}, poll = {}, download = {}] = counts;
  return {
    generatedAt: options.now,
    batches: batches.filter((b): b is BatchView => b !== undefined),
    queues: { submit, poll, download },
    submitPaused: shared.submitPaused,
    credentialsStop: shared.credentialsStop ?? null,
    workers: shared.capacity.workers,
    downloadsStop: shared.downloadsStop ?? null,
    keys: shared.keys,
    today,
    dailyBudgetMicros: source.dailyBudgetMicros,
  };
}

/** One batch, or undefined when there is no such batch. */
export async function readBatchView(
  source: DashboardSource,
  batchId: string,
  options: ReadOptions,
  sharedReads?: SharedReads,
): Promise<BatchView | undefined> {
  const batch = await source.store.getBatch(batchId);
  if (!batch) return undefined;
  const [shared, scheduling, control, spend] = await Promise.all([
    sharedReads ?? readShared(source, options.now),
    batchSchedulingOf(source.store, [batchId]),
    source.store.control.read(batchId),
    source.store.spend.read(batchId),
  ]);
  const overview = overviewOf(batch, options.now, control, shared.credentialsStops);
  return {
    ...overview,
    waitingReason: overview.finished
      ? undefined
      : waitingReasonOf({
          counts: overview.counts,
          liveRoles: shared.capacity.liveRoles,
          control,
          credentialsStop: shared.credentialsStop,
          submitPaused: shared.submitPaused,
          slots: shared.capacity.slots,
          liveKeys: shared.capacity.liveKeys,
          keyWait: overview.keyWait,
          now: options.now,
        }),
    scheduling: scheduling.get(batchId) ?? { priority: "normal", slots: 0, slotShare: 0 },
    failedItems:
      batch.counts.failed > 0
        ? await readFailedItems(source, batchId, Math.min(options.failedLimit, batch.counts.failed))
        : [],
    stuckItems: shared.stuck.filter((item) => item.batchId === batchId),
    control,
    state: batchStateOf({
      finished: overview.finished,
      control,
      credentialsStop: shared.credentialsStop,
    }),
    spend,
  };
}

async function readStuckItems(source: DashboardSource, now: number): Promise<StuckItemView[]> {
  const items = await findStuckItems(source.queues, source.stuckRule, now);
  return items.map((item) => ({
    ...item,
    jobUrl: bullBoardJobUrl(source.bullBoardPath, "poll", item.jobId),
  }));
}

/** The batch's first failed items (by custom id, from its failed set) with their results. */
async function readFailedItems(
  source: DashboardSource,
  batchId: string,
  limit: number,
): Promise<FailedItem[]> {
  const page = await source.store.listItems(batchId, { state: "failed", offset: 0, limit });
  const ids = page.items.map((item) => item.customId);
  const results = await source.store.itemResults(batchId, ids);
  return ids.map((customId, i) => {
    const result = results[i];
    const role = result?.failedStage;
    const jobId = result?.failedJobId;
    return {
      customId,
      model: result?.model ?? "",
      errorKind: result?.errorKind,
      errorMessage: result?.errorMessage,
      failedStage: role,
      failedJobId: jobId,
      jobUrl: role && jobId ? bullBoardJobUrl(source.bullBoardPath, role, jobId) : undefined,
      taskIds: result?.taskIds ?? [],
      finishedAt: result?.finishedAt,
    };
  });
}
