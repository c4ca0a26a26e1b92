import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseConfig, type VeoqConfig } from "@veoq/config";
import { createLogger } from "@veoq/logging";
import { objectStoreFromConfig } from "@veoq/object-store";
import { type Simulator, type SimulatorOptions, startSimulator } from "@veoq/simulator";
import {
  BatchStore,
  createQueues,
  createRedisConnection,
  type EnqueueSummary,
  enqueueManifest,
  type RedisConnection,
  type RunningWorkers,
  type StartWorkersOptions,
  scanEveryMaster,
  startWorkers,
  type VeoqQueues,
} from "../src/index.ts";

/** The smallest valid PNG: a 1x1 image. */
export const TINY_PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);

export const TIME_SCALE = 0.01;

/**
 * One isolated pipeline per test: a unique key prefix on the shared Redis, its own simulator,
 * temp dir and workers. `close` removes every key under the prefix.
 */
export interface Harness {
  config: VeoqConfig;
  simulator: Simulator;
  redis: RedisConnection;
  queues: VeoqQueues;
  store: BatchStore;
  dir: string;
  workers: RunningWorkers[];
  start(options?: Partial<StartWorkersOptions>): Promise<RunningWorkers>;
  writeManifest(lines: object[]): Promise<string>;
  enqueue(manifestPath: string, batchId?: string): Promise<EnqueueSummary>;
  waitForBatch(batchId: string, timeoutMs?: number): Promise<void>;
  waitFor(check: () => Promise<boolean>, what: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function createHarness(
  options: { simulator?: Partial<SimulatorOptions>; env?: Record<string, string> } = {},
): Promise<Harness> {
  const randomPrefix = `{veoq-test-${randomBytes(4).toString("hex")}}`;
  const dir = await mkdtemp(path.join(tmpdir(), "veoq-pipeline-"));
  await writeFile(path.join(dir, "frame.png"), TINY_PNG);
  const simulator = await startSimulator({ timeScale: TIME_SCALE, seed: 7, ...options.simulator });
  const config = parseConfig({
    REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    VEOQ_PREFIX: randomPrefix,
    JIEKOU_BASE_URL: simulator.url,
    JIEKOU_API_KEY: "sim-key",
    VEOQ_OUTPUT_DIR: path.join(dir, "output"),
    VEOQ_TIME_SCALE: String(TIME_SCALE),
    // The simulator limits no rate unless told; real-minute pacing would only slow this run.
    VEOQ_PROVIDER_RPM: "0",
    VEOQ_RETRY_BASE_MS: "20",
    ...options.env,
  });
  // A test may name its own prefix (env VEOQ_PREFIX), e.g. the default on a private cluster.
  const prefix = config.prefix;
  const redis = createRedisConnection(config.redis, "worker");
  const objectStore = objectStoreFromConfig(config);
  const queues = createQueues(redis, prefix);
  const store = new BatchStore(redis, prefix);
  // VEOQ_TEST_LOG=<file>: the workers' debug log, to trace a failing run.
  const logFile = process.env.VEOQ_TEST_LOG;
  const logger =
    logFile === undefined
      ? createLogger({ level: "silent" })
      : createLogger({ level: "debug", destination: createWriteStream(logFile, { flags: "a" }) });
  const workers: RunningWorkers[] = [];

  const harness: Harness = {
    config,
    simulator,
    redis,
    queues,
    store,
    dir,
    workers,
    async start(overrides = {}) {
      const running = await startWorkers({
        config,
        apiKey: config.apiKey ?? "sim-key",
        logger,
        lockDurationMs: 2_000,
        stalledIntervalMs: 1_000,
        ...overrides,
      });
      workers.push(running);
      return running;
    },
    async writeManifest(lines) {
      const file = path.join(dir, `manifest-${randomBytes(3).toString("hex")}.jsonl`);
      await writeFile(file, `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
      return file;
    },
    enqueue(manifestPath, batchId = "b1") {
      return enqueueManifest({
        manifestPath,
        batchId,
        queues,
        store,
        submitAttempts: config.submitAttempts,
        ...(objectStore === undefined ? {} : { objectStore }),
      });
    },
    async waitFor(check, what, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (await check()) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`timed out waiting for ${what}`);
    },
    async waitForBatch(batchId, timeoutMs = 20_000) {
      await harness
        .waitFor(
          async () => {
            const batch = await store.getBatch(batchId);
            return (
              batch !== undefined && batch.counts.completed + batch.counts.failed === batch.total
            );
          },
          `batch ${batchId} to be final`,
          timeoutMs,
        )
        .catch(async (error: unknown) => {
          throw new Error(`${(error as Error).message}: ${await describeStuck(batchId)}`);
        });
    },
    async close() {
      await Promise.all(workers.map((w) => w.close(2_000)));
      await queues.close();
      const keys: string[] = [];
      // The prefix's own tag and the spread tags ({<bare>:b:<batch>}, {<bare>:poll}, ...).
      for await (const key of scanEveryMaster(redis, `${prefix}*`)) keys.push(key);
      for await (const key of scanEveryMaster(redis, `{${prefix.slice(1, -1)}:*`)) keys.push(key);
      // One DEL per key: on a cluster the keys of one DEL must share a slot.
      await Promise.all(keys.map((key) => redis.del(key)));
      redis.disconnect();
      objectStore?.close();
      await simulator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  /** What a batch that never got final was doing: its item states and each queue's job counts. */
  async function describeStuck(batchId: string): Promise<string> {
    const states: Record<string, number> = {};
    for await (const [, state] of store.scanItemStates(batchId)) {
      states[state] = (states[state] ?? 0) + 1;
    }
    const queueCounts = await Promise.all(
      (["submit", "poll", "download"] as const).map(
        async (name) => `${name} ${JSON.stringify(await queues[name].getJobCounts())}`,
      ),
    );
    const workerStates = await Promise.all(
      workers
        .flatMap((w) => w.workers)
        .map(async (w) => {
          const inner = w as unknown as Record<string, unknown> & {
            blockingConnection: { client: Promise<RedisConnection> };
          };
          const bclient = await inner.blockingConnection.client;
          const client = await w.client;
          const nodes = (c: RedisConnection) =>
            "nodes" in c
              ? c
                  .nodes()
                  .map((n) => `${n.options.port}:${n.status}`)
                  .join(",")
              : "";
          return `${w.name} running=${w.isRunning()} drained=${String(inner.drained)} waiting=${inner.waiting !== null} blockUntil=${String(inner.blockUntil)} limitUntil=${String(inner.limitUntil)} bclient=${bclient.status}[${nodes(bclient)}] client=${client.status}[${nodes(client as unknown as RedisConnection)}]`;
        }),
    );
    return `items ${JSON.stringify(states)}; ${queueCounts.join("; ")}; workers ${workerStates.join(" | ")}; simulator ${JSON.stringify(simulator.stats().creates)}`;
  }
  return harness;
}

/** A valid img2video line using the harness's local PNG. */
export function img2videoLine(customId: string, input: Record<string, unknown> = {}) {
  return {
    custom_id: customId,
    model: "veo-3.1-generate-img2video",
    input: {
      prompt: `a test video ${customId}`,
      image: "frame.png",
      generate_audio: false,
      ...input,
    },
  };
}

/** A valid Lite first/last-frame line using the harness's local PNG. */
export function liteLine(customId: string, input: Record<string, unknown> = {}) {
  return {
    custom_id: customId,
    model: "veo-3.1-lite-firstlastframe",
    input: {
      prompt: `a lite test video ${customId}`,
      image: "frame.png",
      last_frame_image: "frame.png",
      ...input,
    },
  };
}

/** Every item of an async iterable, in order (e.g. the lines of batchResults). */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
