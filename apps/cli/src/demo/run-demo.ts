import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
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
import { countOf, formatDuration, toBatchJson, toResultJson } from "@veoq/report";
import { type Simulator, startSimulator } from "@veoq/simulator";
import { type FailedItemLine, formatBatch, formatFailedItems } from "../batch-text.ts";
import { loadConfig, terminalColumns } from "../env.ts";
import { createProgressDisplay } from "../progress-display.ts";
import { openQueueSession } from "../queue-session.ts";
import { plannedFailures, writeDemoManifest } from "./demo-manifest.ts";
import { checkoutRootOf, pasteableVeoq, printableRedisUrl } from "./pasteable-command.ts";

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
  /** Print one JSON summary on stdout; the running commentary goes to stderr. */
  json: boolean;
}

const SIM_KEY = "sim-key";

/**
 * The whole system on one machine: private Redis (AOF on) unless REDIS_URL is set, the
 * simulator, workers in this process, the sample manifest; waits until every item is final.
 */
export async function runDemo(options: DemoOptions): Promise<number> {
  const outDir = path.resolve(options.outDir);
  // One folder per run (videos, results, log): concurrent demos never share files.
  const batchId = `demo-${new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "")}-${randomBytes(2).toString("hex")}`;
  const runDir = path.join(outDir, batchId);
  await mkdir(runDir, { recursive: true });
  const logPath = path.join(runDir, "worker.log");
  const commentary = options.json ? process.stderr : process.stdout;
  const say = (line: string) => commentary.write(`${line}\n`);

  let redis: LocalRedis | undefined;
  let redisDataDir: string | undefined;
  let simulator: Simulator | undefined;
  let workers: RunningWorkers | undefined;
  try {
    let redisUrl = options.redisUrl;
    if (redisUrl === undefined) {
      // A private, throwaway data folder per run: two demos at once never share an AOF.
      redisDataDir = await mkdtemp(path.join(tmpdir(), "veoq-demo-redis-"));
      redis = await startLocalRedis({ dataDir: redisDataDir });
      redisUrl = redis.url;
      say(`redis      private redis-server on ${redisUrl} (AOF on, data in ${redisDataDir})`);
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

    const manifest = await writeDemoManifest(options.jobs, runDir);
    const session = await openQueueSession(config);
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
      const finished = await watchBatch(
        session.store,
        batchId,
        summary.added,
        options.timeoutMs,
        say,
      );
      const batch = await session.store.getBatch(batchId);
      if (!batch) throw new Error(`batch ${batchId} vanished`);
      const overview = toBatchJson(overviewOf(batch, Date.now()));
      say("");
      for (const line of formatBatch(overview, { width: terminalColumns() })) say(line);

      const resultsPath = path.join(runDir, "results.jsonl");
      const results = createWriteStream(resultsPath);
      const planned = await plannedFailures(manifest);
      const failedItems: FailedItemLine[] = [];
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
          failedItems.push({
            custom_id: line.customId,
            error_kind: line.errorKind ?? null,
            error_message: line.errorMessage ?? null,
            planned: planned.has(line.customId),
          });
        }
      }
      results.end();
      await once(results, "finish");
      for (const line of formatFailedItems(failedItems, terminalColumns())) say(line);
      const unplanned = failedItems.filter((item) => !item.planned).length;
      const plannedCount = failedItems.length - unplanned;
      if (plannedCount > 0) {
        say(
          `expected   ${countOf(plannedCount, "item")} failed on purpose: the sample asks the simulator for a permanent failure ([sim:fail], docs/simulator.md), so you can see the reason and the retry flow`,
        );
      }
      if (unplanned > 0) {
        say(`unexpected ${countOf(unplanned, "item")} failed that the sample did not ask to fail`);
      }
      const stats = simulator.stats();
      const paidTwice = stats.creates.accepted - recordedTasks;
      say(
        `provider   ${countOf(stats.creates.accepted, "task")} created (${batch.resubmits} re-submitted after a failed task, ${paidTwice} paid twice), ${countOf(stats.polls.total, "poll")}, ${countOf(stats.downloads.total, "download")}`,
      );
      say(`files      ${countOf(files, "video")} (${bytes} bytes) in ${runDir}`);
      say(`results    ${resultsPath}`);
      // Lines a person pastes: `pnpm veoq` in the checkout (no `veoq` on PATH there), with the
      // REDIS_URL of the demo's Redis (its own, or the caller's unless it holds a password).
      const shownRedisUrl = printableRedisUrl(redisUrl);
      const paste = (args: string[]) =>
        pasteableVeoq(args, {
          checkoutRoot: checkoutRootOf(import.meta.url),
          cwd: process.cwd(),
          redisUrl: shownRedisUrl,
        });
      if (failedItems.length > 0 && !options.keep) {
        say(
          `next       ${countOf(failedItems.length, "item")} failed: to see why and retry, run the demo again, keeping its Redis and workers until Ctrl-C:`,
        );
        say(
          `  ${pasteableVeoq(
            [
              "demo",
              "--keep",
              "--out",
              outDir,
              ...(options.jobs === undefined ? [] : ["--jobs", String(options.jobs)]),
            ],
            { checkoutRoot: checkoutRootOf(import.meta.url), cwd: process.cwd() },
          )}`,
        );
      }
      if (options.json) {
        process.stdout.write(
          `${JSON.stringify({
            batch: overview,
            failed_items: failedItems,
            provider: {
              tasks_created: stats.creates.accepted,
              resubmits: batch.resubmits,
              paid_twice: paidTwice,
              polls: stats.polls.total,
              downloads: stats.downloads.total,
            },
            files,
            bytes,
            output_dir: runDir,
            results_path: resultsPath,
            log_path: logPath,
            finished,
          })}\n`,
        );
      }
      if (!finished) {
        say(`demo did not finish within ${formatDuration(options.timeoutMs / 1000)}`);
        return 1;
      }
      if (unplanned > 0) return 1;
      if (options.keep) {
        const dashboard = await startDashboard({ config, logger }).catch((error: unknown) => {
          say(`dashboard  not started: ${error instanceof Error ? error.message : String(error)}`);
          return undefined;
        });
        say("");
        if (dashboard) say(`dashboard  ${dashboard.url}/  (Bull Board: ${dashboard.url}/queues)`);
        say(
          `--keep: workers, simulator and Redis keep running until Ctrl-C. In another terminal${shownRedisUrl === undefined ? " (with your REDIS_URL)" : ""}:`,
        );
        say(`  ${paste(["status", batchId])}`);
        if (failedItems.length > 0) {
          say(`  ${paste(["results", batchId, "--status", "failed"])}`);
          say(`  ${paste(["retry", batchId])}`);
        }
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
    if (redisDataDir !== undefined) await rm(redisDataDir, { recursive: true, force: true });
  }
}

/** Live progress until every item of the batch is final; false on timeout. */
async function watchBatch(
  store: import("@veoq/pipeline").BatchStore,
  batchId: string,
  total: number,
  timeoutMs: number,
  say: (line: string) => void,
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
          say(`progress   ${o.done}/${o.total} final: ${detail}`);
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
