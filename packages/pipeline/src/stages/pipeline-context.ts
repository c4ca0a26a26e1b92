import type { Logger } from "@veoq/logging";
import type { ImageFileCache } from "@veoq/manifest";
import type { S3ObjectStore } from "@veoq/object-store";
import type { PriceTable } from "@veoq/pricing";
import type { ProviderClient } from "@veoq/provider-client";
import { DelayedError, type Job } from "bullmq";
import type { VeoqQueues } from "../jobs/queues.ts";
import { listKeyWait } from "../keys/key-hand-off.ts";
import type { ProviderKey, ProviderKeys } from "../keys/provider-keys.ts";
import { PIPELINE_DEFAULTS } from "../policy/pipeline-defaults.ts";
import type { PollPolicySettings } from "../policy/poll-policy.ts";
import type { BatchControl } from "../store/batch-control.ts";
import type { BatchStore } from "../store/batch-store.ts";
import type { DurationHistory } from "../store/duration-history.ts";
import type { FairShare } from "../store/fair-share.ts";
import type { ProviderRate, ProviderSlots } from "../store/provider-slots.ts";
import type { RequestIndex } from "../store/request-index.ts";
import type { SpendLedger } from "../store/spend-ledger.ts";
import { ANY_KEY } from "../store/worker-registry.ts";
import type { ItemTracer, PipelineObserver } from "./pipeline-observer.ts";

/** Tunables of the processors, from the config; every field documented in @veoq/config. */
export interface PipelineSettings {
  outputDir: string;
  submitAttempts: number;
  downloadAttempts: number;
  /** What a saved video that is broken or differs from its request does to the item. */
  verifyOutputs: "fail" | "warn" | "off";
  retryBaseMs: number;
  retryMaxMs: number;
  maxResubmits: number;
  pollDeadlineSeconds: number;
  /** Real seconds per provider second (1 in production; e.g. 0.01 against a fast simulator). */
  timeScale: number;
  pollPolicy: PollPolicySettings;
  /** VEOQ_DAILY_BUDGET in micro-units; undefined: no daily cap. */
  dailyBudgetMicros: number | undefined;
  /**
   * The item events (item.failed, item.completed) the account-wide webhook endpoints want
   * (VEOQ_WEBHOOK_URLS, VEOQ_WEBHOOK_EVENTS): the finish script writes them to every batch's
   * webhook outbox. Empty without account-wide endpoints.
   */
  accountItemEvents: readonly string[];
}

/** Test seams: points where a test can stop a step to simulate a crash. */
export interface PipelineHooks {
  /** After the provider answered a create with a task id, before that id is recorded (the crash window). */
  afterCreateAnswered?: (taskId: string) => Promise<void>;
  /** After the task id is on the job, before the hand-off to the poll queue. */
  afterTaskRecorded?: (taskId: string) => Promise<void>;
}

/** Everything a processor needs; built once per worker process. */
export interface PipelineContext {
  client: ProviderClient;
  queues: VeoqQueues;
  store: BatchStore;
  logger: Logger;
  settings: PipelineSettings;
  now: () => number;
  random: () => number;
  hooks: PipelineHooks;
  observer: PipelineObserver;
  /** Item traces (packages/tracing), or NO_TRACING. */
  tracer: ItemTracer;
  /** Tasks in flight at the provider, capped per API key across processes (the first key's). */
  slots: ProviderSlots;
  /**
   * The API keys this process holds, each with its own slots, pace, stop and client; a task's
   * polls and downloads use the key that created it.
   */
  keys: ProviderKeys;
  /** Pause, resume and cancel of batches. */
  control: BatchControl;
  /** Estimates, budgets and the reservation before each create. */
  spend: SpendLedger;
  /** The price table (VEOQ_PRICES or the shipped one), checked at start. */
  prices: PriceTable;
  /** Creates per minute per API key, paced across processes (VEOQ_PROVIDER_RPM; the first key's). */
  rate: ProviderRate;
  /** Which item renders each distinct request, so the same request is not paid for twice. */
  requests: RequestIndex;
  /** The virtual clock of the fair share of slots between batches. */
  fairShare: FairShare;
  /** Local images already read by this process, reused while unchanged. */
  imageCache: ImageFileCache;
  /** Past render times per task shape, shared by every worker through Redis. */
  durationHistory: DurationHistory;
  /** The bucket of VEOQ_OUTPUT_URL: outputs go there, and input images are read from it. */
  objectStore: S3ObjectStore | undefined;
}

/** Provider seconds -> real milliseconds. */
export function toRealMs(context: PipelineContext, providerSeconds: number): number {
  return Math.max(1, Math.round(providerSeconds * 1000 * context.settings.timeScale));
}

/** Real milliseconds -> provider seconds. */
export function toProviderSeconds(context: PipelineContext, realMs: number): number {
  return realMs / 1000 / context.settings.timeScale;
}

/** What a poll or download job says about the task it follows and how often it was left. */
export interface PinnedJobData {
  batchId: string;
  /** The name of the key that created the task (absent: the first key). */
  keyName?: string | undefined;
  /** Times a worker without that key left the job (its backoff's exponent). */
  keyWaits?: number | undefined;
}

/**
 * The wait before a job left for lack of its key comes back (real ms): while a live worker of
 * the stage holds the key, `missingKeyRecheckMs` doubled per earlier leave up to
 * `missingKeyMaxRecheckMs`, so two workers with disjoint keys never bounce a job without end and
 * the one with the key takes it within about a second; with no live holder, the bound. Jittered
 * (0.5-1.5x), so the worker with the key is not always the later one to wake for the job.
 */
export function missingKeyWaitMs(keyWaits: number, liveHolder: boolean, random: number): number {
  const { missingKeyRecheckMs: base, missingKeyMaxRecheckMs: max } = PIPELINE_DEFAULTS;
  const wait = liveHolder ? Math.min(max, base * 2 ** Math.min(keyWaits, 30)) : max;
  return Math.round(wait * (0.5 + random));
}

/**
 * The key that created the job's task (its polls and downloads go with it). A process that does
 * not hold that key says so and leaves the job, delayed (`missingKeyWaitMs`), for a process that
 * has it: no attempt is charged and nothing fails. The batch records the wait, by the key's name
 * (BatchRecord.keyWait): its waiting reason says so when no live worker holds the key. A worker
 * with the key that takes a job left before clears that wait and resets `data.keyWaits`.
 */
export async function keyOfTask(
  context: PipelineContext,
  job: Job,
  token: string | undefined,
  data: PinnedJobData,
  role: "poll" | "download",
  log: Logger,
): Promise<ProviderKey> {
  const keyName = data.keyName;
  const key = context.keys.get(keyName);
  if (key !== undefined) {
    // Taken by a worker with the key after others left it: the batch waits on it no more, and
    // the backoff starts again (reset on the caller's data too: it spreads it into later writes).
    if ((data.keyWaits ?? 0) > 0 && keyName !== undefined) {
      data.keyWaits = undefined;
      await Promise.all([
        context.store.clearKeyWait(data.batchId, keyName),
        job.updateData({ ...job.data, keyWaits: undefined }),
      ]);
    }
    return key;
  }
  const name = keyName as string;
  const workers = await context.store.workers.list();
  const liveHolder = workers.some(
    (worker) =>
      worker.roles.includes(role) &&
      (worker.keys ?? [ANY_KEY]).some((k) => k === name || k === ANY_KEY),
  );
  const keyWaits = (data.keyWaits ?? 0) + 1;
  const waitMs = missingKeyWaitMs(keyWaits - 1, liveHolder, context.random());
  const changed = await context.store.setKeyWait(data.batchId, {
    key: name,
    role,
    at: context.now(),
  });
  if (changed || keyWaits === 1) {
    log.warn(
      { key: name, keyWaits, waitMs, liveHolder },
      liveHolder
        ? `this worker does not hold the API key ${name} that created the task; leaving the job for a worker that has it`
        : `KEY MISSING: no live ${role} worker holds the API key ${name} that created the task; the job waits (nothing fails) until a worker with that key starts`,
    );
  }
  await job.updateData({ ...job.data, keyWaits });
  await job.moveToDelayed(context.now() + waitMs, token);
  // A worker with the key promotes it (keys/key-hand-off.ts) before the wait ends. The job is
  // delayed already: a failed listing only costs the early hand-off (it comes back when its
  // wait ends), and must not reach the failure protocol, which on the job's last attempt would
  // record a final failure for a job that is waiting.
  try {
    await listKeyWait(
      context.store.redis,
      context.store.prefix,
      name,
      role,
      String(job.id),
      context.now(),
    );
  } catch (error) {
    log.warn(
      { err: error, key: name, waitMs },
      "could not list the job for a worker with its key; it comes back when its wait ends",
    );
  }
  throw new DelayedError();
}
