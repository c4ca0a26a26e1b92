import type { VeoqConfig } from "@veoq/config";
import type { Logger } from "@veoq/logging";
import { ImageFileCache } from "@veoq/manifest";
import {
  isObjectStoreCredentialsError,
  objectStoreFromConfig,
  type S3ObjectStore,
} from "@veoq/object-store";
import { loadPriceTable, toMicros } from "@veoq/pricing";
import { createProviderClient, type ProviderClient } from "@veoq/provider-client";
import { Worker } from "bullmq";
import { FairShare } from "./jobs/fair-share.ts";
import { QUEUE_NAMES, QUEUE_ROLES, type QueueRole, queuePrefix } from "./jobs/queue-names.ts";
import { createQueues } from "./jobs/queues.ts";
import { PIPELINE_DEFAULTS } from "./policy/pipeline-defaults.ts";
import { DEFAULT_POLL_POLICY } from "./policy/poll-policy.ts";
import { veoqBackoffStrategy } from "./policy/retry-delay.ts";
import { slotWakeCheckMs } from "./policy/slot-wait.ts";
import { BatchControl } from "./records/batch-control.ts";
import { BatchStore } from "./records/batch-store.ts";
import {
  credentialsStopReason,
  downloadsStopReason,
  OBJECT_STORE_STOP_PREFIX,
  resumeDownloads,
  resumeSubmissions,
} from "./records/credentials-stop.ts";
import { DurationHistory } from "./records/duration-history.ts";
import { ProviderRate } from "./records/provider-rate.ts";
import { ProviderSlots } from "./records/provider-slots.ts";
import { RequestIndex } from "./records/request-index.ts";
import { reconcileProviderSlots } from "./records/slot-reconciler.ts";
import { SpendLedger } from "./records/spend-ledger.ts";
import { reconcileSpendReservations } from "./records/spend-reconciler.ts";
import { createRedisConnection, type RedisConnection } from "./redis/redis-connection.ts";
import { checkRedisDurability } from "./redis/redis-durability.ts";
import {
  checkRedisSetupUnlessDown,
  RedisSetupError,
  redisSetupProblem,
} from "./redis/redis-setup-check.ts";
import { createDownloadProcessor } from "./stages/download-processor.ts";
import { failureLogged } from "./stages/item-outcome.ts";
import type {
  PipelineContext,
  PipelineHooks,
  PipelineSettings,
} from "./stages/pipeline-context.ts";
import type { PipelineObserver } from "./stages/pipeline-observer.ts";
import { createPollProcessor } from "./stages/poll-processor.ts";
import type { Processor } from "./stages/stage-processor.ts";
import { createSubmitProcessor } from "./stages/submit-processor.ts";

export interface StartWorkersOptions {
  config: VeoqConfig;
  /** API key for the provider (from JIEKOU_API_KEY). */
  apiKey: string;
  /** Which queues this process works on; default all three. */
  roles?: readonly QueueRole[];
  /** Overrides the per-role concurrency from the config. */
  concurrency?: Partial<Record<QueueRole, number>>;
  logger: Logger;
  /** Injected in tests; default a client built from the config. */
  client?: ProviderClient;
  hooks?: PipelineHooks;
  /** Receives metrics events (see pipeline-observer.ts). */
  observer?: PipelineObserver;
  /** Submit queue cap (jobs per second across all processes); default effectively none. */
  submitRatePerSecond?: number;
  /** Overrides VEOQ_LOCK_DURATION_MS (tests). */
  lockDurationMs?: number;
  /** Overrides VEOQ_STALLED_INTERVAL_MS (tests). */
  stalledIntervalMs?: number;
  /** Overrides PIPELINE_DEFAULTS.objectStoreCheckIntervalMs (tests). */
  objectStoreCheckIntervalMs?: number;
  now?: () => number;
  random?: () => number;
}

export interface RunningWorkers {
  workers: Worker[];
  context: PipelineContext;
  /**
   * Settles when Redis turned out to be set up unlike the configuration while running (MOVED,
   * CROSSSLOT, READONLY that no retry can fix): the workers are closed by then, and the process
   * should exit with the error's one line instead of retrying forever.
   */
  fatal: Promise<RedisSetupError>;
  /** Graceful: lets jobs in progress finish (up to timeoutMs), then closes connections. */
  close(timeoutMs?: number): Promise<void>;
}

/**
 * The pipeline's stages, in the order an item passes through them: one BullMQ worker each, whose
 * processor is built by stageProcessor (stages/stage-processor.ts).
 */
const STAGES: Record<
  QueueRole,
  {
    processor: (context: PipelineContext) => Processor<unknown>;
    concurrency: (config: VeoqConfig) => number;
  }
> = {
  submit: { processor: createSubmitProcessor, concurrency: (c) => c.submitConcurrency },
  poll: { processor: createPollProcessor, concurrency: (c) => c.pollConcurrency },
  download: { processor: createDownloadProcessor, concurrency: (c) => c.downloadConcurrency },
};

export function pipelineSettingsFrom(config: VeoqConfig): PipelineSettings {
  return {
    outputDir: config.outputDir,
    submitAttempts: config.submitAttempts,
    downloadAttempts: config.downloadAttempts,
    verifyOutputs: config.verifyOutputs,
    retryBaseMs: config.retryBaseMs,
    retryMaxMs: Math.max(config.retryBaseMs, PIPELINE_DEFAULTS.retryMaxMs),
    maxResubmits: config.maxResubmits,
    pollDeadlineSeconds: config.pollDeadlineSeconds,
    timeScale: config.timeScale,
    pollPolicy: {
      ...DEFAULT_POLL_POLICY,
      minIntervalSeconds: config.pollMinIntervalSeconds,
      maxIntervalSeconds: config.pollMaxIntervalSeconds,
    },
    dailyBudgetMicros: config.dailyBudget === undefined ? undefined : toMicros(config.dailyBudget),
  };
}

/** Starts the BullMQ workers of the given roles in this process. */
export async function startWorkers(options: StartWorkersOptions): Promise<RunningWorkers> {
  const { config, logger } = options;
  // Checked before anything connects: a bad VEOQ_PRICES stops the start with one clear error.
  const prices = loadPriceTable(config.prices);
  const roles = options.roles ?? QUEUE_ROLES;
  await checkRedisSetupUnlessDown(config.redis, config.prefix, (error) =>
    logger.warn(
      { err: error },
      "could not check the Redis setup (Redis unreachable); workers wait for it",
    ),
  );
  const commands: RedisConnection = createRedisConnection(config.redis, "worker");
  const objectStore = objectStoreFromConfig(config);
  const queues = createQueues(commands, config.prefix);
  const observer = options.observer ?? {};
  const client =
    options.client ??
    createProviderClient({
      baseUrl: config.baseUrl,
      apiKey: options.apiKey,
      maxDownloadBytes: config.maxDownloadBytes,
      onRequest: (event) => observer.providerRequest?.(event),
    });
  const context: PipelineContext = {
    client,
    queues,
    store: new BatchStore(commands, config.prefix),
    logger,
    settings: pipelineSettingsFrom(config),
    now: options.now ?? Date.now,
    random: options.random ?? Math.random,
    hooks: options.hooks ?? {},
    observer,
    slots: new ProviderSlots({
      redis: commands,
      prefix: config.prefix,
      apiKey: options.apiKey,
      maxInFlight: config.maxInFlight,
      wakeKey: queues.submit.keys.limiter,
      now: options.now ?? Date.now,
    }),
    rate: new ProviderRate({
      redis: commands,
      prefix: config.prefix,
      apiKey: options.apiKey,
      rpm: config.providerRpm,
      now: options.now ?? Date.now,
    }),
    fairShare: new FairShare(commands, config.prefix),
    requests: new RequestIndex(commands, config.prefix),
    imageCache: new ImageFileCache(),
    objectStore,
    durationHistory: new DurationHistory(commands, config.prefix),
    control: new BatchControl(commands, config.prefix),
    spend: new SpendLedger(commands, config.prefix),
    prices,
  };
  const concurrency = Object.fromEntries(
    QUEUE_ROLES.map((role) => [
      role,
      options.concurrency?.[role] ?? STAGES[role].concurrency(config),
    ]),
  ) as Record<QueueRole, number>;
  // While Redis is away every reconnect attempt is an error event: log the first one of an
  // outage loudly, then one summary line per interval instead of one line per attempt.
  const errorLog = new Map<QueueRole, { lastAt: number; suppressed: number }>();
  let reportFatal: (error: RedisSetupError) => void = () => {};
  const fatal = new Promise<RedisSetupError>((resolve) => {
    reportFatal = resolve;
  });
  const reportWorkerError = (role: QueueRole, error: Error) => {
    const problem = redisSetupProblem(error, config.redis);
    if (problem !== undefined) {
      reportFatal(new RedisSetupError(problem));
      return;
    }
    const now = Date.now();
    const entry = errorLog.get(role);
    if (entry && now - entry.lastAt < PIPELINE_DEFAULTS.workerErrorLogIntervalMs) {
      entry.suppressed++;
      return;
    }
    logger.error(
      { err: error, queue: role, suppressed: entry?.suppressed ?? 0 },
      "worker error (BullMQ retries by itself; e.g. Redis unreachable)",
    );
    errorLog.set(role, { lastAt: now, suppressed: 0 });
  };
  // BullMQ leaves connections it was handed open on close; we close them ourselves.
  const connections: RedisConnection[] = [commands];
  const workers = roles.map((role) => {
    const connection = createRedisConnection(config.redis, "worker");
    connections.push(connection);
    const worker = new Worker(QUEUE_NAMES[role], STAGES[role].processor(context), {
      connection,
      prefix: queuePrefix(config.prefix, role),
      concurrency: concurrency[role],
      lockDuration: options.lockDurationMs ?? config.lockDurationMs,
      stalledInterval: options.stalledIntervalMs ?? config.stalledIntervalMs,
      // A job whose worker died is recovered, however often that happens; it never fails for it.
      maxStalledCount: PIPELINE_DEFAULTS.maxStalledCount,
      settings: { backoffStrategy: veoqBackoffStrategy(context.settings, context.random) },
      // The limiter is what makes a provider 429 pause the whole submit queue (queue.rateLimit).
      // A freed slot lifts the limit in Redis; workers see that at their next look. A job sent
      // back to wait for a slot (RateLimitError) returns to the queue without BullMQ's wake-up
      // marker, so a worker that found the queue empty meanwhile (its other jobs were the ones
      // waiting) would sleep out its whole drain wait (5 s by default) before it looked again:
      // the drain wait is the same look.
      ...(role === "submit"
        ? {
            limiter: {
              max: options.submitRatePerSecond ?? PIPELINE_DEFAULTS.submitRatePerSecond,
              duration: 1000,
            },
            maximumRateLimitDelay: slotWakeCheckMs(config.timeScale),
            drainDelay: slotWakeCheckMs(config.timeScale) / 1000,
          }
        : {}),
    });
    worker.on("error", (error) => reportWorkerError(role, error));
    worker.on("failed", (job, error) => {
      const problem = redisSetupProblem(error, config.redis);
      if (problem !== undefined) reportFatal(new RedisSetupError(problem));
      // A processor that failed the item already logged it (one failure, one line).
      if (job && failureLogged(job)) return;
      if (job && (job.finishedOn !== undefined || job.attemptsMade >= (job.opts.attempts ?? 1))) {
        logger.error(
          { jobId: job.id, queue: role, errorMessage: error.message },
          "job failed for good",
        );
      }
    });
    return worker;
  });
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  if (config.checkRedisDurability) {
    for (const warning of await checkRedisDurability(commands)) {
      logger.warn({ check: "redis-durability" }, `REDIS MAY LOSE JOBS: ${warning}`);
    }
  }
  const reconciler = roles.includes("poll")
    ? setInterval(() => {
        reconcileProviderSlots(context, PIPELINE_DEFAULTS.slotReconcileGraceMs).catch(
          (error: unknown) => logger.warn({ err: error }, "provider slot reconciliation failed"),
        );
        reconcileSpendReservations(context, PIPELINE_DEFAULTS.slotReconcileGraceMs).catch(
          (error: unknown) =>
            logger.warn({ err: error }, "spend reservation reconciliation failed"),
        );
      }, PIPELINE_DEFAULTS.slotReconcileIntervalMs)
    : undefined;
  reconciler?.unref();
  // Downloads (and submissions) stopped by an object-store credentials refusal resume once the
  // store takes writes again.
  const storeCheck =
    objectStore !== undefined && (roles.includes("download") || roles.includes("submit"))
      ? setInterval(() => {
          resumeDownloadsIfStoreWorks(context, objectStore).catch((error: unknown) =>
            logger.warn({ err: error }, "object store check failed"),
          );
        }, options.objectStoreCheckIntervalMs ?? PIPELINE_DEFAULTS.objectStoreCheckIntervalMs)
      : undefined;
  storeCheck?.unref();
  logger.info({ roles, concurrency }, "workers started");

  let closing: Promise<void> | undefined;
  const closeOnce = async (timeoutMs: number) => {
    clearInterval(reconciler);
    clearInterval(storeCheck);
    const workersClosed = Promise.all(workers.map((w) => w.close()));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    const outcome = await Promise.race([workersClosed.then(() => "closed" as const), timedOut]);
    clearTimeout(timer);
    if (outcome === "timeout") {
      // BullMQ cannot turn a pending graceful close into a forced one, so we drop the
      // connections: lock renewal stops and another worker recovers the jobs as stalled.
      logger.warn(
        { timeoutMs },
        "jobs still running at shutdown; leaving them to be recovered as stalled",
      );
      workersClosed.catch(() => {});
      // Drop Redis first so the locks lapse at once; a download in progress is abandoned (its
      // temp file stays as .part; the job is taken over as stalled and starts that file again).
      for (const connection of connections) connection.disconnect();
      void client.close().catch(() => {});
      return;
    }
    await queues.close();
    await client.close();
    objectStore?.close();
    for (const connection of connections) connection.disconnect();
  };
  const closeOnFatal = fatal.then(async (error) => {
    logger.fatal({ err: error }, error.message);
    closing ??= closeOnce(5_000);
    await closing;
    return error;
  });
  return {
    workers,
    context,
    fatal: closeOnFatal,
    close(timeoutMs = 30_000) {
      closing ??= closeOnce(timeoutMs);
      return closing;
    },
  };
}

/**
 * While a downloads stop, or a submissions stop the object store caused, is set: lifts it when
 * the object store takes a write again (a provider's stop waits for `veoq resume`).
 */
async function resumeDownloadsIfStoreWorks(
  context: PipelineContext,
  objectStore: S3ObjectStore,
): Promise<void> {
  const [downloads, submissions] = await Promise.all([
    downloadsStopReason(context.store),
    credentialsStopReason(context.store),
  ]);
  const submissionsByStore = submissions?.startsWith(OBJECT_STORE_STOP_PREFIX) === true;
  if (downloads === undefined && !submissionsByStore) return;
  try {
    await objectStore.checkWriteAccess();
  } catch (error) {
    if (isObjectStoreCredentialsError(error)) return;
    throw error;
  }
  if (submissionsByStore && (await resumeSubmissions(context.store, context.queues))) {
    context.logger.info("the object store accepts the credentials again: submissions resumed");
  }
  if (await resumeDownloads(context.store, context.queues)) {
    context.logger.info("the object store accepts the credentials again: downloads resumed");
  }
}
