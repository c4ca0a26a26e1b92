import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import {
  createQueues,
  createRedisConnection,
  enqueueManifest,
  openStore,
  submitQueueWakeKeys,
} from "@veoq/pipeline";
import { startSimulator } from "@veoq/simulator";
import { writeBenchManifest } from "./bench-manifest.ts";
import { flushBenchRedis, waitUntil } from "./bench-redis.ts";
import { childEnvironment } from "./env.ts";
import { percentile } from "./percentile.ts";
import { commandCounts, topCommands, totalCommands } from "./redis-command-counts.ts";

/** The compiled CLI (buildApps builds it first): the worker as people run it. */
const CLI = fileURLToPath(new URL("../../cli/dist/veoq.js", import.meta.url));

export interface IdleCostOptions {
  redisUrl: string;
  /** How long the idle worker is counted (s). Default 60. */
  seconds?: number;
  /** Slot releases timed. Default 10. */
  wakes?: number;
}

export interface IdleCost {
  seconds: number;
  /** Redis commands per second of one idle `veoq worker` (all roles, nothing queued). */
  commands_per_s: number;
  /** The most frequent commands of that minute (script-internal ones included). */
  top_commands: { command: string; calls: number }[];
  wakes: number;
  /** From a release that frees a slot to the waiting item's create at the provider (s). */
  wake_p50_s: number;
  wake_max_s: number;
}

/**
 * Redis commands of an idle worker process (INFO commandstats on the bench's private Redis,
 * nothing else connected), then, with the same worker at the real time scale, how soon a freed
 * provider slot is taken: the account is full (this process holds the free slots), one item
 * waits, the worker goes quiet, and a release frees one slot.
 */
export async function measureIdleCost(options: IdleCostOptions): Promise<IdleCost> {
  const seconds = options.seconds ?? 60;
  const wakes = options.wakes ?? 10;
  const dir = await mkdtemp(path.join(tmpdir(), "veoq-bench-idle-"));
  await flushBenchRedis(options.redisUrl);
  const simulator = await startSimulator({ timeScale: 1, seed: 3 });
  const prefix = "{bench-idle}";
  const maxInFlight = wakes + 1;
  let worker: ChildProcess | undefined;
  const redis = createRedisConnection(options.redisUrl, "worker");
  try {
    worker = spawn(process.execPath, [CLI, "worker", "--json"], {
      env: childEnvironment({
        REDIS_URL: options.redisUrl,
        VEOQ_PREFIX: prefix,
        JIEKOU_BASE_URL: simulator.url,
        JIEKOU_API_KEY: "sim-key",
        VEOQ_PROVIDER_RPM: "0",
        VEOQ_MAX_IN_FLIGHT: String(maxInFlight),
        VEOQ_OUTPUT_DIR: path.join(dir, "out"),
        LOG_LEVEL: "warn",
      }),
      stdio: ["ignore", "pipe", "inherit"],
    });
    const lines = createInterface({ input: worker.stdout as NodeJS.ReadableStream });
    await once(lines, "line");
    await new Promise((resolve) => setTimeout(resolve, 2_000));

    await redis.config("RESETSTAT");
    await new Promise((resolve) => setTimeout(resolve, seconds * 1_000));
    const counts = await commandCounts(options.redisUrl);
    const total = totalCommands(counts);
    const top = topCommands(counts, 14);

    const queues = createQueues(redis, prefix);
    const store = openStore(redis, { prefix });
    const slots = store.providerSlots({
      apiKey: "sim-key",
      maxInFlight,
      wake: submitQueueWakeKeys(queues.submit),
    });
    const latencies: number[] = [];
    for (let round = 0; round < wakes; round++) {
      // Fill the account: the items created in earlier rounds hold their slots (their tasks
      // run for minutes at this time scale); this process takes the rest.
      const held: string[] = [];
      for (let i = 0; (await slots.usage()).inUse < maxInFlight; i++) {
        const holder = `bench~held-${round}~${i}`;
        if (!(await slots.acquire(holder))) break;
        held.push(holder);
      }
      const manifestPath = await writeBenchManifest({
        dir,
        name: `wake-${round}.jsonl`,
        items: 1,
        idPrefix: `wake-${round}`,
      });
      const createsBefore = simulator.stats().creates.accepted;
      await enqueueManifest({
        manifestPath,
        batchId: `wake-${round}`,
        queues,
        store,
        submitAttempts: 8,
        // Every round's line is the same request: render it, do not reuse the first round's.
        rerender: true,
      });
      await waitUntil(() => slots.itemsWaiting(), "the item to wait for a slot", 30_000);
      // Long enough for the worker to settle into its wait (blocked, or limited), and spread
      // over half a second (golden-ratio steps) so the releases do not all fall at the same
      // point of the worker's fallback look (every 0.5 s at this time scale).
      const settleMs = 1_000 + 500 * ((round * 0.618_033_988_75) % 1);
      await new Promise((resolve) => setTimeout(resolve, settleMs));
      const releasedAt = performance.now();
      await slots.release(held.pop() as string);
      await waitUntil(
        async () => simulator.stats().creates.accepted > createsBefore,
        "the waiting item's create",
        30_000,
        2,
      );
      latencies.push((performance.now() - releasedAt) / 1000);
      for (const holder of held) await slots.release(holder);
    }
    await queues.close();
    return {
      seconds,
      commands_per_s: total / seconds,
      top_commands: top,
      wakes,
      wake_p50_s: percentile(latencies, 50),
      wake_max_s: Math.max(...latencies),
    };
  } finally {
    if (worker !== undefined && worker.exitCode === null) {
      const exited = once(worker, "exit");
      worker.kill("SIGTERM");
      await exited;
    }
    redis.disconnect();
    await simulator.close();
    await flushBenchRedis(options.redisUrl);
    await rm(dir, { recursive: true, force: true });
  }
}
