import { type ApiKeyEntry, unnamedKeyName, type VeoqConfig } from "@veoq/config";
import type { Logger } from "@veoq/logging";
import { ImageFileCache } from "@veoq/manifest";
import {
  isObjectStoreCredentialsError,
  objectStoreFromConfig,
  type S3ObjectStore,
} from "@veoq/object-store";
import { loadPriceTable, toMicros } from "@veoq/pricing";
import { createProviderClient, type ProviderClient } from "@veoq/provider-client";
import { type Queue, type Telemetry, Worker } from "bullmq";
import {
  credentialsStopReason,
  downloadsStopReason,
  OBJECT_STORE_STOP_PREFIX,
  resumeDownloads,
  resumeSubmissions,
} from "./jobs/credentials-stop.ts";
import { createQueues, keepFinishedJobs } from "./jobs/queues.ts";
import { reconcileEveryAccount } from "./jobs/slot-reconciler.ts";
import { reconcileSpendReservations } from "./jobs/spend-reconciler.ts";
import { startStalledCheck } from "./jobs/stalled-check.ts";
import { type PinnedRole, startKeyHandOff } from "./keys/key-hand-off.ts";
import { ProviderKeys } from "./keys/provider-keys.ts";
import { expireFinishedBatches } from "./operations/batch-retention.ts";
import { veoqBackoffStrategy } from "./policy/failure-policy.ts";
import { PIPELINE_DEFAULTS, slotWakeCheckMs } from "./policy/pipeline-defaults.ts";
import { DEFAULT_POLL_POLICY } from "./policy/poll-policy.ts";
import { createDownloadProcessor } from "./stages/download-processor.ts";
import type {
  PipelineContext,
  PipelineHooks,
  PipelineSettings,
} from "./stages/pipeline-context.ts";
import type { PipelineObserver } from "./stages/pipeline-observer.ts";
import { type ItemTracer, NO_TRACING } from "./stages/pipeline-observer.ts";
import { createPollProcessor } from "./stages/poll-processor.ts";
import type { Processor } from "./stages/stage-processor.ts";
import { FinalFailure } from "./stages/stage-processor.ts";
import { createSubmitProcessor } from "./stages/submit-processor.ts";
import { openStore } from "./store/batch-store.ts";
import {
  createRedisConnection,
  type RedisConnection,
} from "./store/connection/redis-connection.ts";
import {
  checkRedisDurability,
  checkRedisSetupUnlessDown,
  RedisSetupError,
  redisSetupProblem,
} from "./store/connection/redis-server-check.ts";
import { QUEUE_NAMES, QUEUE_ROLES, type QueueRole, queuePrefix } from "./store/keys.ts";
import {
  submitQueueWakeKeys,
  wakeAfterLimitedReturn,
  wakeOnSlotRelease,
} from "./store/submit-queue-wake.ts";
import type { WorkerHeartbeat } from "./store/worker-registry.ts";

export interface StartWorkersOptions {
  config: VeoqConfig;
  /** API key for the provider (from JIEKOU_API_KEY); ignored when `keys` is given. */
  apiKey: string;
  /**
   * The key pool (config.apiKeys, from JIEKOU_API_KEYS or JIEKOU_API_KEYS_FILE): each create goes
   * to the key with the most free capacity. Default: config.apiKeys when `apiKey` is one of them,
   * else `apiKey` alone with the config's limits.
   */
  keys?: readonly ApiKeyEntry[];
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
  /** veoq's version, shown in this process's heartbeat record; default "unknown". */
  version?: string;
  /** Item traces (packages/tracing); default NO_TRACING. */
  tracer?: ItemTracer;
  /** BullMQ's own telemetry (bullmq-otel) on this process's queues and workers; default none. */
  telemetry?: Telemetry;
  /** Overrides the heartbeat's interval and lifetime (tests; see PIPELINE_DEFAULTS). */
  heartbeat?: { intervalMs?: number; ttlMs?: number };
}

export interface RunningWorkers {
  workers: Worker[];
  context: PipelineContext;
  /** This process's heartbeat record (store/worker-registry.ts); removed by close(). */
  heartbeat: WorkerHeartbeat;
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
    accountItemEvents: config.webhookUrls.length === 0 ? [] : config.webhookEvents,
  };
}

/** Starts the BullMQ workers of the given roles in this process. */
/** A key BullMQ builds for every queue (its KeysMap types each one as possibly absent). */
function queueKey(queue: Queue, name: "active"): string {
  const key = queue.keys[name];
  if (key === undefined) throw new Error(`BullMQ built no ${name} key for queue ${queue.name}`);
  return key;
}

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
  const telemetry = options.telemetry === undefined ? {} : { telemetry: options.telemetry };
  const queues = createQueues(commands, config.prefix, telemetry);
  const observer = options.observer ?? {};
  const tracer = options.tracer ?? NO_TRACING;
  // The config's pool when `apiKey` is one of it (what requireApiKey returns), else that key alone.
  const keyEntries: readonly ApiKeyEntry[] = options.keys ??
    (config.apiKeys.some((key) => key.secret === options.apiKey) ? config.apiKeys : undefined) ?? [
      {
        name: unnamedKeyName(options.apiKey),
        secret: options.apiKey,
        rpm: config.providerRpm,
        maxInFlight: config.maxInFlight,
        dailyBudget: undefined,
        weight: 1,
      },
    ];
  const clientFor = (key: ApiKeyEntry): ProviderClient =>
    options.client ??
    createProviderClient({
      baseUrl: config.baseUrl,
      apiKey: key.secret,
      maxDownloadBytes: config.maxDownloadBytes,
      onRequest: (event) => {
        observer.providerRequest?.(event);
        tracer.providerRequest(event);
      },
    });
  const store = openStore(commands, config);
  const keys = new ProviderKeys({
    store,
    keys: keyEntries,
    clientFor,
    toMicros,
    wake: submitQueueWakeKeys(queues.submit),
    now: options.now ?? Date.now,
  });
  const client = keys.first.client;
  const context: PipelineContext = {
    client,
    queues,
    store,
    logger,
    settings: pipelineSettingsFrom(config),
    now: options.now ?? Date.now,
    random: options.random ?? Math.random,
    hooks: options.hooks ?? {},
    observer,
    tracer,
    slots: keys.first.slots,
    keys,
    rate: keys.first.rate,
    fairShare: store.fairShare,
    requests: store.requests,
    imageCache: new ImageFileCache(),
    objectStore,
    durationHistory: store.durationHistory,
    control: store.control,
    spend: store.spend,
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
      ...telemetry,
      concurrency: concurrency[role],
      // How long finished jobs stay (queues.ts): the worker's rule, not copied into every job.
      ...keepFinishedJobs(role),
      lockDuration: options.lockDurationMs ?? config.lockDurationMs,
      // startStalledCheck (below) runs BullMQ's check only while the queue has active jobs; the
      // interval also bounds how often any worker runs it (BullMQ's stalled-check key).
      stalledInterval: options.stalledIntervalMs ?? config.stalledIntervalMs,
      skipStalledCheck: true,
      // The wait for new jobs (one BZPOPMIN, then a fetch) ends early on BullMQ's marker: a job
      // added, a delayed job due, a slot released while items wait (provider-slots.ts), a job
      // returned by RateLimitError (store/submit-queue-wake.ts). Nothing else needs it shorter.
      drainDelay: PIPELINE_DEFAULTS.idleFetchWaitSeconds,
      // A job whose worker died is recovered, however often that happens; it never fails for it.
      maxStalledCount: PIPELINE_DEFAULTS.maxStalledCount,
      settings: { backoffStrategy: veoqBackoffStrategy(context.settings, context.random) },
      // The limiter is what makes a provider 429 pause the whole submit queue (queue.rateLimit).
      // A freed slot lifts the limit in Redis; a limited worker sees that at its next look.
      ...(role === "submit"
        ? {
            limiter: {
              max: options.submitRatePerSecond ?? PIPELINE_DEFAULTS.submitRatePerSecond,
              duration: 1000,
            },
            maximumRateLimitDelay: slotWakeCheckMs(config.timeScale),
          }
        : {}),
    });
    if (role === "submit") {
      wakeAfterLimitedReturn(worker, {
        key: submitQueueWakeKeys(queues.submit).marker,
        redis: connection,
      });
    }
    worker.on("error", (error) => reportWorkerError(role, error));
    worker.on("failed", (job, error) => {
      const problem = redisSetupProblem(error, config.redis);
      if (problem !== undefined) reportFatal(new RedisSetupError(problem));
      // The stage wrapper logged the failures it decided (one failure, one line); what is left
      // is a job BullMQ itself failed for good (it sets finishedOn then), never seen by a stage.
      if (error instanceof FinalFailure) return;
      if (job && typeof job.finishedOn === "number") {
        logger.error(
          { jobId: job.id, queue: role, errorMessage: error.message },
          "job failed for good",
        );
      }
    });
    return worker;
  });
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  const heartbeat = await store.workers.startHeartbeat(
    {
      roles,
      version: options.version ?? "unknown",
      concurrency: Object.fromEntries(roles.map((role) => [role, concurrency[role]])),
      startedAt: Date.now(),
      // Names only: a job pinned to a key waits for a worker listed with it (stages/pipeline-context.ts).
      keys: keys.list.map((key) => key.name),
    },
    {
      ...options.heartbeat,
      onError: (error) => logger.debug({ err: error }, "worker heartbeat failed"),
    },
  );
  roles.forEach((role, i) => {
    workers[i]?.on("active", (job) => heartbeat.jobTaken(role, job.id ?? ""));
  });
  const submitWorker = workers[roles.indexOf("submit")];
  // Jobs left by workers without the key of their task reach this one when it holds that key.
  const pinnedRoles = roles.filter((role): role is PinnedRole => role !== "submit");
  const stopKeyHandOff =
    pinnedRoles.length === 0
      ? undefined
      : startKeyHandOff({
          redis: commands,
          subscriber: createRedisConnection(config.redis, "worker"),
          prefix: store.prefix,
          queues,
          keys: keys.list.map((key) => key.name),
          roles: pinnedRoles,
          sweepMs: PIPELINE_DEFAULTS.keyHandOffSweepMs,
          onError: (error) => logger.warn({ err: error }, "key hand-off look failed"),
        });
  const stopSlotWake =
    submitWorker === undefined
      ? undefined
      : await wakeOnSlotRelease(
          submitWorker,
          createRedisConnection(config.redis, "worker"),
          submitQueueWakeKeys(queues.submit).marker,
        );
  const stopStalledChecks = workers.map((worker, index) => {
    const role = roles[index] as QueueRole;
    return startStalledCheck(
      worker,
      { key: queueKey(queues[role], "active"), redis: commands },
      {
        intervalMs: options.stalledIntervalMs ?? config.stalledIntervalMs,
        lockDurationMs: options.lockDurationMs ?? config.lockDurationMs,
      },
      (error) => reportWorkerError(role, error),
    );
  });
  if (config.checkRedisDurability) {
    for (const warning of await checkRedisDurability(commands)) {
      logger.warn({ check: "redis-durability" }, `REDIS MAY LOSE JOBS: ${warning}`);
    }
  }
  // batch.completed of batches whose last enqueue run died (store/batches.ts): at start, then
  // with the slot reconciler.
  const sweepDeferredCompletions = () =>
    store.finishDeferredCompletions(context.now()).then(
      (batches) => {
        if (batches.length > 0) {
          logger.info({ batches }, "wrote batch.completed held for enqueue runs that died");
        }
      },
      (error: unknown) => logger.warn({ err: error }, "deferred batch.completed sweep failed"),
    );
  if (roles.includes("poll")) void sweepDeferredCompletions();
  const reconciler = roles.includes("poll")
    ? setInterval(() => {
        // Every key's account, not only this process's keys (another may hold them alone).
        reconcileEveryAccount(
          { ...context, wake: submitQueueWakeKeys(queues.submit) },
          PIPELINE_DEFAULTS.slotReconcileGraceMs,
        ).catch((error: unknown) =>
          logger.warn({ err: error }, "provider slot reconciliation failed"),
        );
        reconcileSpendReservations(context, PIPELINE_DEFAULTS.slotReconcileGraceMs).catch(
          (error: unknown) =>
            logger.warn({ err: error }, "spend reservation reconciliation failed"),
        );
        void sweepDeferredCompletions();
      }, PIPELINE_DEFAULTS.slotReconcileIntervalMs)
    : undefined;
  reconciler?.unref();
  // The retention policy: records of batches finished longer ago than VEOQ_BATCH_RETENTION_DAYS.
  const sweepRetention = () =>
    expireFinishedBatches(
      { ...context, outputDir: config.outputDir },
      config.batchRetentionDays,
      context.now(),
    ).then(
      (deleted) => {
        if (deleted.length > 0) {
          logger.info(
            { batches: deleted },
            `deleted the records of ${deleted.length} batches finished more than ${config.batchRetentionDays} days ago (VEOQ_BATCH_RETENTION_DAYS)`,
          );
        }
      },
      (error: unknown) => logger.warn({ err: error }, "batch retention sweep failed"),
    );
  const retention =
    roles.includes("poll") && config.batchRetentionDays > 0
      ? setInterval(sweepRetention, PIPELINE_DEFAULTS.retentionSweepIntervalMs)
      : undefined;
  retention?.unref();
  if (retention !== undefined) void sweepRetention();
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
    clearInterval(retention);
    // Off the list first: a stopping process takes no new jobs. Not waited for long: with Redis
    // away the record expires by itself.
    await Promise.race([
      heartbeat.stop(),
      new Promise((resolve) => setTimeout(resolve, 1_000).unref()),
    ]);
    for (const stop of stopStalledChecks) stop();
    stopSlotWake?.();
    stopKeyHandOff?.();
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
      for (const each of new Set(keys.list.map((k) => k.client))) void each.close().catch(() => {});
      return;
    }
    await queues.close();
    await Promise.all([...new Set(keys.list.map((k) => k.client))].map((each) => each.close()));
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
    heartbeat,
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
