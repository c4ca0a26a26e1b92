import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseConfig } from "@veoq/config";
import { createLogger } from "@veoq/logging";
import {
  createQueues,
  createRedisConnection,
  enqueueManifest,
  openStore,
  startWorkers,
} from "@veoq/pipeline";
import { startSimulator } from "@veoq/simulator";
import { spreadDuration, writeBenchManifest } from "./bench-manifest.ts";
import { flushBenchRedis, waitUntil } from "./bench-redis.ts";
import type { RoleConcurrency } from "./run-veoq-batch.ts";

export interface FairShareScenario {
  bigItems: number;
  smallItems: number;
  /** The simulator's cap on concurrent tasks (veoq is not told it). */
  maxConcurrent: number;
  timeScale: number;
}

export interface FairShareCost extends FairShareScenario {
  /** Provider seconds from the small batch's enqueue to its last item created, behind the big batch. */
  small_batch_wait_s: number;
  /** The same with the account to itself. */
  small_batch_alone_wait_s: number;
  /** Mean task duration (provider s): about one round of slot turnover. */
  round_s: number;
}

const PREFIX = "{bench-fair}";

/**
 * A small batch enqueued while a big one keeps every slot busy, against the same small batch on
 * an idle account. Lite tasks of 30-90 s; the big batch has had 2 x K items created first.
 */
export async function measureFairShare(options: {
  redisUrl: string;
  scenario: FairShareScenario;
  concurrency: RoleConcurrency;
}): Promise<FairShareCost> {
  const { scenario } = options;
  const dir = await mkdtemp(path.join(tmpdir(), "veoq-bench-fair-"));
  const manifest = (name: string, items: number) =>
    writeBenchManifest({
      dir,
      name: `${name}.jsonl`,
      items,
      model: "veo-3.1-lite-firstlastframe",
      idPrefix: name,
      durationOf: (i) => spreadDuration(i, 30, 90),
    });
  const [bigPath, smallPath] = await Promise.all([
    manifest("big", scenario.bigItems),
    manifest("small", scenario.smallItems),
  ]);
  const waitOf = async (withBig: boolean): Promise<number> => {
    await flushBenchRedis(options.redisUrl);
    const simulator = await startSimulator({
      timeScale: scenario.timeScale,
      maxConcurrentTasks: scenario.maxConcurrent,
      fileSizeBytes: 512,
      seed: 7,
    });
    const config = parseConfig({
      REDIS_URL: options.redisUrl,
      VEOQ_PREFIX: PREFIX,
      JIEKOU_BASE_URL: simulator.url,
      JIEKOU_API_KEY: "sim-key",
      VEOQ_OUTPUT_DIR: path.join(dir, "output"),
      VEOQ_TIME_SCALE: String(scenario.timeScale),
      VEOQ_MAX_IN_FLIGHT: "100000",
      VEOQ_PROVIDER_RPM: "0",
      VEOQ_CHECK_REDIS_DURABILITY: "0",
      LOG_LEVEL: "silent",
    });
    const running = await startWorkers({
      config,
      apiKey: "sim-key",
      logger: createLogger({ level: "silent" }),
      concurrency: options.concurrency,
    });
    const redis = createRedisConnection(options.redisUrl, "worker");
    const queues = createQueues(redis, PREFIX);
    const store = openStore(redis, { prefix: PREFIX });
    const enqueue = (manifestPath: string, batchId: string) =>
      enqueueManifest({ manifestPath, batchId, queues, store, submitAttempts: 8 });
    try {
      if (withBig) {
        await enqueue(bigPath, "big");
        await waitUntil(
          async () => simulator.tasks().length >= 2 * scenario.maxConcurrent,
          "the big batch under way",
          10 * 60_000,
        );
      }
      const started = Date.now();
      await enqueue(smallPath, "small");
      await waitUntil(
        async () => ((await store.getBatch("small"))?.counts.queued ?? 1) === 0,
        "every small item created",
        30 * 60_000,
      );
      return (Date.now() - started) / 1000 / scenario.timeScale;
    } finally {
      await running.close(2_000);
      await queues.close();
      redis.disconnect();
      await simulator.close();
    }
  };
  try {
    const alone = await waitOf(false);
    const behind = await waitOf(true);
    return {
      ...scenario,
      small_batch_wait_s: behind,
      small_batch_alone_wait_s: alone,
      round_s: 60,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
    await flushBenchRedis(options.redisUrl);
  }
}
