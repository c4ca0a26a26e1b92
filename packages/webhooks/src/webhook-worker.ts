import type { VeoqConfig } from "@veoq/config";
import type { Logger } from "@veoq/logging";
import {
  createRedisConnection,
  openStore,
  PIPELINE_DEFAULTS,
  type RedisConnection,
  recordKeys,
  startStalledCheck,
} from "@veoq/pipeline";
import { loadPriceTable } from "@veoq/pricing";
import { type Telemetry, Worker } from "bullmq";
import { DeliveryLog, type DeliveryState } from "./delivery-log.ts";
import { createDeliveryProcessor, webhookBackoffStrategy } from "./delivery-processor.ts";
import { createWebhookQueue, WEBHOOK_QUEUE_NAME, webhookQueuePrefix } from "./delivery-queue.ts";
import { DisabledEndpoints } from "./disabled-endpoints.ts";
import { startRelayLoop } from "./relay-loop.ts";
import { OutboxRelay } from "./relay-outbox.ts";

/** Fixed values of webhooks out (what an operator tunes is in @veoq/config, VEOQ_WEBHOOK_*). */
export const WEBHOOK_DEFAULTS = {
  /**
   * Real ms between the relay's sweeps of the hint set and the account outbox. Every outbox
   * write wakes the relay at once by a pub/sub message (relay-loop.ts), so this only bounds how
   * late an entry whose message no relay heard (none subscribed, a reconnect) is relayed: one
   * SMEMBERS and one HGETALL per sweep when idle. It was a 1 s poll, 2 commands a second.
   */
  sweepIntervalMs: 30_000,
  /**
   * Real ms between sweeps of the newest `sweepBatches` batches' outboxes (one HLEN each), whatever
   * the hint set says, besides one at start: only a process killed between a script and its hint
   * leaves an entry that nothing else finds, so this is rare.
   */
  recentSweepIntervalMs: 600_000,
  sweepBatches: 1000,
  /**
   * Real ms a round of relays waits after a wake-up message for more (relay-loop.ts): an entry
   * is relayed about this soon after its write, and a batch whose items finish many times a
   * second is read at most this often by each process, instead of once per item.
   */
  relayCoalesceMs: 50,
  /**
   * Real ms before a relay round that failed (Redis away or a blip) runs again, doubling with
   * each failure in a row up to `sweepIntervalMs` (relay-loop.ts): the wake-up message that
   * asked for it is spent, so without this the entry would wait for the next sweep.
   */
  relayRetryMs: 1_000,
  /**
   * Longest wait of the idle delivery worker for new jobs (real seconds; BullMQ's drainDelay):
   * a job added or a retry falling due ends it early through BullMQ's marker, as for the
   * pipeline's workers (PIPELINE_DEFAULTS.idleFetchWaitSeconds). BullMQ's default is 5 s.
   */
  idleFetchWaitSeconds: PIPELINE_DEFAULTS.idleFetchWaitSeconds,
} as const;

export interface WebhookWorkerOptions {
  config: VeoqConfig;
  logger: Logger;
  now?: () => number;
  /** Overrides VEOQ_LOCK_DURATION_MS (tests). */
  lockDurationMs?: number;
  /** Overrides VEOQ_STALLED_INTERVAL_MS (tests). */
  stalledIntervalMs?: number;
  /** Overrides WEBHOOK_DEFAULTS.sweepIntervalMs (tests). */
  sweepIntervalMs?: number;
  /** Told the state each delivery try ended in (metrics; see DeliveryDeps.onTry). */
  onTry?: (state: DeliveryState) => void;
  /** Injected in tests: how endpoint host names resolve. */
  resolve?: (host: string) => Promise<{ address: string; family: number }[]>;
  /** BullMQ's own telemetry (bullmq-otel) on the delivery queue and worker, when tracing is on. */
  telemetry?: Telemetry | undefined;
}

export interface RunningWebhookWorker {
  worker: Worker;
  relay: OutboxRelay;
  close(): Promise<void>;
}

/**
 * Webhooks out in a worker process: the relay that turns outbox entries into delivery jobs (woken
 * by each outbox write, with slow sweeps as the safety net: relay-loop.ts), and the BullMQ worker
 * of the delivery queue. Both are safe to run in any number of processes at once; idle, they cost
 * Redis a few commands a minute.
 */
export async function startWebhookWorker(
  options: WebhookWorkerOptions,
): Promise<RunningWebhookWorker> {
  const { config, logger } = options;
  const now = options.now ?? Date.now;
  const commands: RedisConnection = createRedisConnection(config.redis, "worker");
  const blocking: RedisConnection = createRedisConnection(config.redis, "worker");
  const keys = recordKeys(config.prefix);
  const telemetry = options.telemetry === undefined ? {} : { telemetry: options.telemetry };
  const queue = createWebhookQueue(commands, config.prefix, telemetry);
  const log = new DeliveryLog(commands, keys);
  const store = openStore(commands, config);
  const relay = new OutboxRelay({
    store,
    spend: store.spend,
    outbox: store.webhookOutbox,
    queue,
    log,
    logger,
    now,
    settings: {
      prefix: config.prefix,
      accountUrls: config.webhookUrls,
      accountEvents: config.webhookEvents,
      retryScheduleMs: config.webhookRetrySchedule,
      apiPublicUrl: config.apiPublicUrl,
      prices: loadPriceTable(config.prices),
    },
  });
  const lockDuration = options.lockDurationMs ?? config.lockDurationMs;
  const stalledInterval = options.stalledIntervalMs ?? config.stalledIntervalMs;
  const worker = new Worker(
    WEBHOOK_QUEUE_NAME,
    createDeliveryProcessor({
      log,
      disabled: new DisabledEndpoints(commands, keys),
      logger,
      now,
      settings: {
        secret: config.webhookSecret,
        timeoutMs: config.webhookTimeoutMs,
        allowPrivate: config.webhookAllowPrivate,
        retryScheduleMs: config.webhookRetrySchedule,
      },
      ...(options.resolve === undefined ? {} : { resolve: options.resolve }),
      ...(options.onTry === undefined ? {} : { onTry: options.onTry }),
    }),
    {
      connection: blocking,
      prefix: webhookQueuePrefix(config.prefix),
      concurrency: config.webhookConcurrency,
      lockDuration,
      // startStalledCheck (below) runs BullMQ's check only while the queue has active jobs.
      stalledInterval,
      skipStalledCheck: true,
      drainDelay: WEBHOOK_DEFAULTS.idleFetchWaitSeconds,
      settings: { backoffStrategy: webhookBackoffStrategy(config.webhookRetrySchedule) },
      ...telemetry,
    },
  );
  let lastError = 0;
  const reportError = (error: Error) => {
    // While Redis is away every reconnect is an error: one line a minute is enough.
    if (Date.now() - lastError < 60_000) return;
    lastError = Date.now();
    logger.error({ err: error, queue: WEBHOOK_QUEUE_NAME }, "webhook worker error (retrying)");
  };
  worker.on("error", reportError);
  await worker.waitUntilReady();
  if (config.webhookSecret === undefined && config.webhookUrls.length > 0) {
    logger.warn("VEOQ_WEBHOOK_URLS is set but VEOQ_WEBHOOK_SECRET is not: no webhook is sent");
  }
  const activeKey = queue.keys.active;
  if (activeKey === undefined) throw new Error("BullMQ built no active key for the webhook queue");
  const stopStalledCheck = startStalledCheck(
    worker,
    { key: activeKey, redis: commands },
    { intervalMs: stalledInterval, lockDurationMs: lockDuration },
    reportError,
  );
  const loop = startRelayLoop({
    relay,
    subscriber: createRedisConnection(config.redis, "worker"),
    channel: keys.webhookOutboxWake,
    sweepIntervalMs: options.sweepIntervalMs ?? WEBHOOK_DEFAULTS.sweepIntervalMs,
    recentSweepIntervalMs: WEBHOOK_DEFAULTS.recentSweepIntervalMs,
    recentSweepBatches: WEBHOOK_DEFAULTS.sweepBatches,
    coalesceMs: WEBHOOK_DEFAULTS.relayCoalesceMs,
    retryMs: WEBHOOK_DEFAULTS.relayRetryMs,
    onError: (error) => logger.warn({ err: error }, "webhook outbox relay failed"),
  });
  let closing: Promise<void> | undefined;
  return {
    worker,
    relay,
    close() {
      closing ??= (async () => {
        await loop.stop();
        stopStalledCheck();
        await worker.close();
        await queue.close();
        commands.disconnect();
        blocking.disconnect();
      })();
      return closing;
    },
  };
}
