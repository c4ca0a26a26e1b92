import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseConfig, type VeoqConfig } from "@veoq/config";
import { removeKeysUnder } from "@veoq/local-redis";
import { createLogger } from "@veoq/logging";
import { createMetricsRegistry, createPrometheusObserver, type Registry } from "@veoq/metrics";
import {
  BatchStore,
  createQueues,
  createRedisConnection,
  enqueueManifest,
  type Redis,
  type RunningWorkers,
  startWorkers,
  type VeoqQueues,
} from "@veoq/pipeline";
import { type Simulator, startSimulator } from "@veoq/simulator";
import { createDashboardApp, type DashboardAppOptions } from "../src/index.ts";

/** A 1×1 PNG. */
const TINY_PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

export const REDIS_URL = "redis://127.0.0.1:6379";
export const SIM_KEY = "sim-key";
export const MODEL = "veo-3.1-generate-img2video";

/** Two items that complete and one that fails for good (`[sim:fail]`: a permanent reason). */
export const MANIFEST_LINES: { custom_id: string; prompt: string; metadata?: object }[] = [
  { custom_id: "ok-1", prompt: "a lighthouse at dusk", metadata: { scene: "harbour", take: 3 } },
  { custom_id: "ok-2", prompt: "a paper boat in the rain" },
  { custom_id: "bad-1", prompt: "a fox in the snow [sim:fail]" },
];

export interface SmallRun {
  config: VeoqConfig;
  redis: Redis;
  queues: VeoqQueues;
  store: BatchStore;
  simulator: Simulator;
  /** The workers' metrics registry (their observer writes here). */
  workerRegistry: Registry;
  workers: RunningWorkers | undefined;
  batchId: string;
  /** The manifest (MANIFEST_LINES, one 1×1 PNG as input image beside it). */
  manifest: string;
  /** Enqueues the manifest and waits until every item is final. */
  runBatch(): Promise<void>;
  stopWorkers(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The real pipeline on a small scale: simulator at time scale 0.01, workers in this process
 * with the Prometheus observer, a unique key prefix on the shared test Redis.
 */
export async function startSmallRun(name: string): Promise<SmallRun> {
  const dir = await mkdtemp(path.join(tmpdir(), `veoq-dashboard-${name}-`));
  await writeFile(path.join(dir, "tiny.png"), TINY_PNG);
  const manifest = path.join(dir, "manifest.jsonl");
  await writeFile(
    manifest,
    MANIFEST_LINES.map((line) =>
      JSON.stringify({
        custom_id: line.custom_id,
        ...(line.metadata ? { metadata: line.metadata } : {}),
        model: MODEL,
        input: {
          prompt: line.prompt,
          image: "tiny.png",
          generate_audio: false,
          duration_seconds: 4,
        },
      }),
    ).join("\n"),
  );
  const simulator = await startSimulator({
    timeScale: 0.01,
    apiKeys: [SIM_KEY],
    seed: 7,
    durations: {
      "veo-3.1-generate-img2video": { minSeconds: 20, maxSeconds: 40 },
      "veo-3.1-lite-firstlastframe": { minSeconds: 20, maxSeconds: 40 },
    },
  });
  const config = parseConfig({
    REDIS_URL,
    VEOQ_PREFIX: `{veoq-dash-${name}-${randomUUID().slice(0, 8)}}`,
    JIEKOU_BASE_URL: simulator.url,
    JIEKOU_API_KEY: SIM_KEY,
    VEOQ_OUTPUT_DIR: path.join(dir, "out"),
    VEOQ_TIME_SCALE: "0.01",
    // The simulator limits no rate unless told; real-minute pacing would only slow this run.
    VEOQ_PROVIDER_RPM: "0",
    VEOQ_RETRY_BASE_MS: "50",
    LOG_LEVEL: "silent",
  });
  const redis = createRedisConnection(REDIS_URL, "producer");
  const queues = createQueues(redis, config.prefix);
  const store = new BatchStore(redis, config.prefix);
  const workerRegistry = createMetricsRegistry({ processMetrics: false });
  const batchId = `batch-${name}`;
  const run: SmallRun = {
    config,
    redis,
    queues,
    store,
    simulator,
    workerRegistry,
    workers: undefined,
    batchId,
    manifest,
    async runBatch() {
      run.workers = await startWorkers({
        config,
        apiKey: SIM_KEY,
        logger: createLogger({ level: "silent" }),
        observer: createPrometheusObserver(workerRegistry),
      });
      await enqueueManifest({
        manifestPath: manifest,
        batchId,
        queues,
        store,
        submitAttempts: config.submitAttempts,
      });
      const deadline = Date.now() + 30_000;
      for (;;) {
        const batch = await store.getBatch(batchId);
        if (batch && batch.counts.completed + batch.counts.failed === batch.total) return;
        if (Date.now() > deadline)
          throw new Error(`batch not final: ${JSON.stringify(batch?.counts)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async stopWorkers() {
      await run.workers?.close(5_000);
      run.workers = undefined;
    },
    async close() {
      await run.stopWorkers();
      await removeKeysUnder(redis, config.prefix);
      await queues.close();
      redis.disconnect();
      await simulator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return run;
}

/** Basic auth header value. */
export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

/** Listens on 127.0.0.1:0; returns the base URL and a close function. */
export async function listen(
  app: import("express").Express,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = await new Promise<import("node:http").Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A small run whose batch is final (2 completed, 1 failed) and whose workers have stopped. */
export async function startFinishedRun(name: string): Promise<SmallRun> {
  const run = await startSmallRun(name);
  await run.runBatch();
  // Workers stop so an item re-queued by a test stays visible as queued.
  await run.stopWorkers();
  return run;
}

/** The dashboard over a run's queues, store and saved videos (no auto-reload), on 127.0.0.1. */
export function listenOnRun(
  run: SmallRun,
  options: Partial<DashboardAppOptions> = {},
): ReturnType<typeof listen> {
  return listen(
    createDashboardApp({
      queues: run.queues,
      store: run.store,
      refreshSeconds: 0,
      outputDir: run.config.outputDir,
      ...options,
    }),
  );
}
