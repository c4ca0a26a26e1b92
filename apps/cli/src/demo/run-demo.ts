import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { VeoqConfig } from "@veoq/config";
import { startDashboard } from "@veoq/dashboard";
import { type LocalRedis, startLocalRedis } from "@veoq/local-redis";
import { createLogger } from "@veoq/logging";
import {
  batchResults,
  enqueueManifest,
  overviewOf,
  type RunningWorkers,
  startWorkers,
} from "@veoq/pipeline";
import { type Simulator, startSimulator } from "@veoq/simulator";
import { formatBatch, formatDuration } from "../batch-text.ts";
import { toResultJson } from "../commands/results.ts";
import { loadConfig } from "../env.ts";
import { createProgressDisplay } from "../progress-display.ts";
import { openQueueSession } from "../queue-session.ts";
import { writeDemoManifest } from "./demo-manifest.ts";

/** The repo's root, where the demo keeps its private Redis data and logs (`.veoq/`). */
const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

export interface DemoOptions {
  jobs: number | undefined;
  outDir: string;
  keep: boolean;
  /** Simulator time scale (real seconds per provider second). */
  timeScale: number;
  /** Give up after this long (ms). */
  timeoutMs: number;
  /** Whether REDIS_URL was set (use it) or a private redis-server should be started. */
  redisUrl: string | undefined;
}

const SIM_KEY = "sim-key";

/**
 * The whole system on one machine: private Redis (AOF on) unless REDIS_URL is set, the
 * simulator, workers in this process, the sample manifest; waits until every item is final.
 */
export async function runDemo(options: DemoOptions): Promise<number> {
  const stateDir = path.join(REPO_ROOT, ".veoq", "demo");
  await mkdir(stateDir, { recursive: true });
  const outDir = path.resolve(options.outDir);
  const logPath = path.join(stateDir, "worker.log");
  const say = (line: string) => process.stdout.write(`${line}\n`);

  let redis: LocalRedis | undefined;
  let simulator: Simulator | undefined;
  let workers: RunningWorkers | undefined;
  try {
    let redisUrl = options.redisUrl;
    if (redisUrl === undefined) {
      redis = await startLocalRedis({ dataDir: path.join(REPO_ROOT, ".veoq", "redis-demo") });
      redisUrl = redis.url;
      say(`redis      private redis-server on ${redisUrl} (AOF on, data in .veoq/redis-demo)`);
    } else {
      say(`redis      using REDIS_URL`);
    }
    simulator = await startSimulator({
      timeScale: options.timeScale,
      apiKeys: [SIM_KEY],
      seed: 42,
    });
    say(
      `simulator  ${simulator.url} (a 90 s render takes ${(90 * options.timeScale).toFixed(1)} s here)`,
    );

    const config: VeoqConfig = loadConfig({
      REDIS_URL: redisUrl,
      JIEKOU_BASE_URL: simulator.url,
      JIEKOU_API_KEY: SIM_KEY,
      VEOQ_OUTPUT_DIR: outDir,
      VEOQ_TIME_SCALE: String(options.timeScale),
      // The simulator limits no rate unless told; real-minute pacing would only slow this run.
      VEOQ_PROVIDER_RPM: "0",
      VEOQ_RETRY_BASE_MS: "200",
    });
    const logFile = createWriteStream(logPath, { flags: "a" });
    const logger = createLogger({ name: "demo", level: config.logLevel, destination: logFile });
    workers = await startWorkers({ config, apiKey: SIM_KEY, logger });
    say(
      `workers    submit, poll and download in this process (log: ${path.relative(process.cwd(), logPath)})`,
    );

    const manifest = await writeDemoManifest(options.jobs ?? 12, stateDir);
    const session = await openQueueSession(config);
    const batchId = `demo-${new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "")}`;
    try {
      const summary = await enqueueManifest({
        manifestPath: manifest,
        batchId,
        queues: session.queues,
        store: session.store,
        submitAttempts: config.submitAttempts,
      });
      say(
        `enqueued   ${summary.added} jobs from ${path.relative(process.cwd(), manifest)} as batch ${batchId}`,
      );
      const finished = await watchBatch(session.store, batchId, summary.added, options.timeoutMs);
      const batch = await session.store.getBatch(batchId);
      if (!batch) throw new Error(`batch ${batchId} vanished`);
      const overview = overviewOf(batch, Date.now());
      say("");
      for (const line of formatBatch(overview)) say(line);

      const resultsPath = path.join(outDir, batchId, "results.jsonl");
      await mkdir(path.dirname(resultsPath), { recursive: true });
      const results = createWriteStream(resultsPath);
      let files = 0;
      let recordedTasks = 0;
      let bytes = 0;
      for await (const line of batchResults(session.store, batchId)) {
        results.write(`${JSON.stringify(toResultJson(line))}\n`);
        if (line.status === "completed") {
          files += line.files.length;
          recordedTasks += line.taskIds.length;
          bytes += line.files.reduce((sum, f) => sum + f.bytes, 0);
        } else if (line.status === "failed") {
          recordedTasks += line.taskIds.length;
          say(`  failed ${line.customId}: ${line.errorKind} ${line.errorMessage ?? ""}`);
        }
      }
      results.end();
      const stats = simulator.stats();
      say(
        `provider   ${stats.creates.accepted} tasks created (${batch.resubmits} re-submitted after a failed task, ${stats.creates.accepted - recordedTasks} paid twice), ${stats.polls.total} polls, ${stats.downloads.total} downloads`,
      );
      say(`files      ${files} videos (${bytes} bytes) in ${path.join(outDir, batchId)}`);
      say(`results    ${resultsPath}`);
      if (!finished) {
        say(`demo did not finish within ${formatDuration(options.timeoutMs / 1000)}`);
        return 1;
      }
      if (options.keep) {
        const dashboard = await startDashboard({ config, logger }).catch((error: unknown) => {
          say(`dashboard  not started: ${error instanceof Error ? error.message : String(error)}`);
          return undefined;
        });
        say("");
        say("--keep: workers, simulator and Redis keep running. In another terminal:");
        say(`  REDIS_URL=${redisUrl} pnpm veoq status ${batchId}`);
        if (dashboard) say(`dashboard  ${dashboard.url}/  (Bull Board: ${dashboard.url}/queues)`);
        say("Press Ctrl-C to stop.");
        await new Promise<void>((resolve) => {
          process.once("SIGINT", () => resolve());
          process.once("SIGTERM", () => resolve());
        });
        await dashboard?.close();
      }
      return 0;
    } finally {
      await session.close();
    }
  } finally {
    await workers?.close(10_000);
    await simulator?.close();
    await redis?.stop();
  }
}

/** Live progress until every item of the batch is final; false on timeout. */
async function watchBatch(
  store: import("@veoq/pipeline").BatchStore,
  batchId: string,
  total: number,
  timeoutMs: number,
): Promise<boolean> {
  const display = createProgressDisplay(
    "{label} [{bar}] {percentage}% | {value}/{total} final | {detail}",
  );
  display.start(total, "demo");
  const deadline = Date.now() + timeoutMs;
  let lastLine = "";
  let lastPrinted = 0;
  try {
    while (Date.now() < deadline) {
      const batch = await store.getBatch(batchId);
      if (batch) {
        const o = overviewOf(batch, Date.now());
        const c = o.counts;
        const detail = `queued ${c.queued} processing ${c.processing} downloading ${c.downloading} completed ${c.completed} failed ${c.failed}`;
        display.update(o.done, { detail });
        if (!process.stderr.isTTY && detail !== lastLine && Date.now() - lastPrinted > 2000) {
          process.stdout.write(`progress   ${o.done}/${o.total} final: ${detail}\n`);
          lastLine = detail;
          lastPrinted = Date.now();
        }
        if (o.finished) return true;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    return false;
  } finally {
    display.stop();
  }
}
