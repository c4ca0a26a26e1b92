import { parseConfig } from "@veoq/config";
import { createLogger } from "@veoq/logging";
import {
  createQueues,
  createRedisConnection,
  enqueueManifest,
  openStore,
  startWorkers,
} from "@veoq/pipeline";
import { waitUntil } from "./bench-redis.ts";

/** Workers per role, the same for veoq and the bare baseline. */
export interface RoleConcurrency {
  submit: number;
  poll: number;
  download: number;
}

export interface VeoqBatchOptions {
  redisUrl: string;
  /** Key prefix of the run. */
  prefix: string;
  /** Provider (simulator) base URL. */
  baseUrl: string;
  manifestPath: string;
  batchId: string;
  outputDir: string;
  /** Real seconds per provider second, as the simulator runs. */
  timeScale: number;
  concurrency: RoleConcurrency;
  /** Replace veoq's poll policy by a fixed interval (provider seconds); default off. */
  fixedIntervalSeconds?: number;
  /** Give up after this long (real ms). */
  timeoutMs: number;
  /** Creates per real minute (VEOQ_PROVIDER_RPM); default 0, off, as the simulator limits no rate unless told. */
  providerRpm?: number;
  /** A key pool file (JIEKOU_API_KEYS_FILE) instead of the one key `sim-key`. */
  keysFile?: string;
  /** Most tasks in flight per key (VEOQ_MAX_IN_FLIGHT); default effectively none. */
  maxInFlight?: number;
}

export interface VeoqBatchRun {
  items: number;
  /** From the start of the enqueue to the last item final (real seconds). */
  seconds: number;
  completed: number;
  failed: number;
}

/** Starts workers, enqueues a manifest and waits until every item is final. */
export async function runVeoqBatch(options: VeoqBatchOptions): Promise<VeoqBatchRun> {
  const config = parseConfig({
    REDIS_URL: options.redisUrl,
    VEOQ_PREFIX: options.prefix,
    JIEKOU_BASE_URL: options.baseUrl,
    ...(options.keysFile === undefined
      ? { JIEKOU_API_KEY: "sim-key" }
      : { JIEKOU_API_KEYS_FILE: options.keysFile }),
    VEOQ_OUTPUT_DIR: options.outputDir,
    VEOQ_TIME_SCALE: String(options.timeScale),
    VEOQ_MAX_IN_FLIGHT: String(options.maxInFlight ?? 100_000),
    VEOQ_PROVIDER_RPM: String(options.providerRpm ?? 0),
    VEOQ_CHECK_REDIS_DURABILITY: "0",
    LOG_LEVEL: "silent",
  });
  const logger = createLogger({ level: "silent" });
  const running = await startWorkers({
    config,
    apiKey: config.apiKeys[0]?.secret ?? "sim-key",
    logger,
    concurrency: options.concurrency,
  });
  if (options.fixedIntervalSeconds !== undefined) {
    // The baseline is the same pipeline with only the poll policy swapped.
    running.context.settings.pollPolicy = {
      ...running.context.settings.pollPolicy,
      fixedIntervalSeconds: options.fixedIntervalSeconds,
    };
  }
  const redis = createRedisConnection(options.redisUrl, "worker");
  const queues = createQueues(redis, options.prefix);
  const store = openStore(redis, { prefix: options.prefix });
  try {
    const started = performance.now();
    const summary = await enqueueManifest({
      manifestPath: options.manifestPath,
      batchId: options.batchId,
      queues,
      store,
      submitAttempts: config.submitAttempts,
      // Runs on the same manifest (polling: warm-up, blind, informed) must render, not reuse the
      // earlier run's outputs (request-reuse.ts): a benchmark measures renders.
      rerender: true,
    });
    let completed = 0;
    let failed = 0;
    await waitUntil(
      async () => {
        const batch = await store.getBatch(options.batchId);
        completed = batch?.counts.completed ?? 0;
        failed = batch?.counts.failed ?? 0;
        return completed + failed >= summary.added;
      },
      `batch ${options.batchId}`,
      options.timeoutMs,
    );
    return {
      items: summary.added,
      seconds: (performance.now() - started) / 1000,
      completed,
      failed,
    };
  } finally {
    await running.close(5_000);
    await queues.close();
    redis.disconnect();
  }
}
