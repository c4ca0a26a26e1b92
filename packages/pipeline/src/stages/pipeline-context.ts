import type { Logger } from "@veoq/logging";
import type { ImageFileCache } from "@veoq/manifest";
import type { S3ObjectStore } from "@veoq/object-store";
import type { PriceTable } from "@veoq/pricing";
import type { ProviderClient } from "@veoq/provider-client";
import { DelayedError, type Job } from "bullmq";
import type { VeoqQueues } from "../jobs/queues.ts";
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

/**
 * The key that created the job's task (its polls and downloads go with it). A process that does
 * not hold that key says so and leaves the job, delayed, for a process that has it: no attempt
 * is charged and nothing fails.
 */
export async function keyOfTask(
  context: PipelineContext,
  job: Job,
  token: string | undefined,
  keyName: string | undefined,
  log: Logger,
): Promise<ProviderKey> {
  const key = context.keys.get(keyName);
  if (key !== undefined) return key;
  log.warn(
    { key: keyName },
    `this worker does not hold the API key ${keyName} that created the task; leaving the job for a worker that has it`,
  );
  // Jittered, so the process that has the key is not always the later one to wake for the job.
  const waitMs = PIPELINE_DEFAULTS.missingKeyRecheckMs * (0.5 + context.random());
  await job.moveToDelayed(context.now() + Math.round(waitMs), token);
  throw new DelayedError();
}
