import type { VeoqConfig } from "@veoq/config";
import type { Logger } from "@veoq/logging";
import {
  BatchStore,
  createRedisConnection,
  type RedisConnection,
  recordKeys,
  SpendLedger,
  WebhookOutbox,
} from "@veoq/pipeline";
import { type Telemetry, Worker } from "bullmq";
import { DeliveryLog, type DeliveryState } from "./delivery-log.ts";
import { createDeliveryProcessor, webhookBackoffStrategy } from "./delivery-processor.ts";
import { createWebhookQueue, WEBHOOK_QUEUE_NAME, webhookQueuePrefix } from "./delivery-queue.ts";
import { DisabledEndpoints } from "./disabled-endpoints.ts";
import { OutboxRelay } from "./relay-outbox.ts";

/** Fixed values of webhooks out (what an operator tunes is in @veoq/config, VEOQ_WEBHOOK_*). */
export const WEBHOOK_DEFAULTS = {
  /** How often a worker process relays the outboxes into delivery jobs (ms). */
  relayIntervalMs: 1000,
  /**
   * Batches whose outboxes are swept (the newest), whatever the hint set says, at start and
   * then every `sweepEveryTicks` relay ticks: a process killed between a script and its hint
   * leaves an entry only a sweep finds, even while the other processes keep running.
   */
  sweepBatches: 1000,
  sweepEveryTicks: 60,
} as const;

export interface WebhookWorkerOptions {
  config: VeoqConfig;
  logger: Logger;
  now?: () => number;
  /** Overrides VEOQ_LOCK_DURATION_MS (tests). */
  lockDurationMs?: number;
  /** Overrides VEOQ_STALLED_INTERVAL_MS (tests). */
  stalledIntervalMs?: number;
  relayIntervalMs?: number;
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
 * Webhooks out in a worker process: the relay that turns outbox entries into delivery jobs (at
 * start over the newest batches, then every second over the pending ones), and the BullMQ worker
 * of the delivery queue. Both are safe to run in any number of processes at once.
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
  const store = new BatchStore(commands, config.prefix);
  const relay = new OutboxRelay({
    store,
    spend: new SpendLedger(commands, config.prefix),
    outbox: new WebhookOutbox(commands, config.prefix),
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
    },
  });
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
      lockDuration: options.lockDurationMs ?? config.lockDurationMs,
      stalledInterval: options.stalledIntervalMs ?? config.stalledIntervalMs,
      settings: { backoffStrategy: webhookBackoffStrategy(config.webhookRetrySchedule) },
      ...telemetry,
    },
  );
  let lastError = 0;
  worker.on("error", (error) => {
    // While Redis is away every reconnect is an error: one line a minute is enough.
    if (Date.now() - lastError < 60_000) return;
    lastError = Date.now();
    logger.error({ err: error, queue: WEBHOOK_QUEUE_NAME }, "webhook worker error (retrying)");
  });
  await worker.waitUntilReady();
  if (config.webhookSecret === undefined && config.webhookUrls.length > 0) {
    logger.warn("VEOQ_WEBHOOK_URLS is set but VEOQ_WEBHOOK_SECRET is not: no webhook is sent");
  }
  let relaying: Promise<unknown> = relay
    .sweepRecent(WEBHOOK_DEFAULTS.sweepBatches)
    .catch((error: unknown) => logger.warn({ err: error }, "webhook outbox sweep failed"));
  // One relay at a time per process: a tick that finds the last one still running (Redis slow
  // or away) is skipped, so ticks never pile up.
  let busy = true;
  relaying = relaying.finally(() => {
    busy = false;
  });
  let ticks = 0;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    ticks++;
    const sweep = ticks % WEBHOOK_DEFAULTS.sweepEveryTicks === 0;
    relaying = (sweep ? relay.sweepRecent(WEBHOOK_DEFAULTS.sweepBatches) : Promise.resolve(0))
      .then(() => relay.relayPending())
      .catch((error: unknown) => logger.warn({ err: error }, "webhook outbox relay failed"))
      .finally(() => {
        busy = false;
      });
  }, options.relayIntervalMs ?? WEBHOOK_DEFAULTS.relayIntervalMs);
  timer.unref();
  let closing: Promise<void> | undefined;
  return {
    worker,
    relay,
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        await relaying;
        await worker.close();
        await queue.close();
        commands.disconnect();
        blocking.disconnect();
      })();
      return closing;
    },
  };
}
