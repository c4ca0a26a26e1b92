import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createQueues, createRedisConnection, enqueueManifest, openStore } from "@veoq/pipeline";
import { bareAddBulk, type EnqueueCpu, measureEnqueueCpu } from "./bare-add-bulk.ts";
import { writeBenchManifest } from "./bench-manifest.ts";
import { flushBenchRedis, usedMemoryBytes } from "./bench-redis.ts";
import { childEnvironment } from "./env.ts";

export interface MemoryCostOptions {
  redisUrl: string;
  /** Jobs queued for the Redis figure, and lines of the CLI's manifest. */
  jobs: number;
  /** Runs of `veoq enqueue`; speed is their median, RSS their highest. Default 3. */
  enqueueRuns?: number;
}

export interface EnqueueRun {
  wall_s: number;
  lines_per_s: number;
  peak_rss_mb: number;
}

export interface MemoryCost {
  jobs: number;
  /** (used_memory after - before) / jobs, with no workers running. */
  redis_bytes_per_job: number;
  /** Lines / median wall time of `veoq enqueue` as a child process (start-up included). */
  enqueue_lines_per_s: number;
  /** Same, with the start-up (`startup_s`) taken off. */
  enqueue_lines_per_s_after_startup: number;
  /** Median wall time of the runs. */
  enqueue_wall_s: number;
  /** Wall time of `veoq enqueue` on a one-line manifest: node, module loading, Redis. */
  startup_s: number;
  /** Highest peak resident set size of the `veoq enqueue` runs (MB = 2^20 bytes). */
  enqueue_peak_rss_mb: number;
  enqueue_runs: EnqueueRun[];
  /** How the peak was read: "/usr/bin/time -v" or "/proc VmHWM". */
  rss_source: string;
  /** Lines/s of `enqueueManifest` called in this process (no start-up, no CLI). */
  in_process_lines_per_s: number;
  /** The same run's CPU per line, here and in Redis. */
  in_process: EnqueueCpu;
  /**
   * The ceiling: bare BullMQ `Queue.addBulk` of the same jobs in this process (bare-add-bulk.ts:
   * no validation, fingerprint, registry or claims), on the same machine just after.
   */
  bare_add_bulk: EnqueueCpu;
}

const CLI = fileURLToPath(new URL("../../cli/bin/veoq.js", import.meta.url)); // dist/veoq.js (buildApps)
const GNU_TIME = "/usr/bin/time";

/** Redis bytes per queued job, and speed and peak memory of the real `veoq enqueue`. */
export async function measureMemoryCost(options: MemoryCostOptions): Promise<MemoryCost> {
  const dir = await mkdtemp(path.join(tmpdir(), "veoq-bench-memory-"));
  try {
    const manifestPath = await writeBenchManifest({
      dir,
      name: "memory.jsonl",
      items: options.jobs,
    });

    await flushBenchRedis(options.redisUrl);
    const redis = createRedisConnection(options.redisUrl, "worker");
    const prefix = "{bench-memory}";
    const queues = createQueues(redis, prefix);
    const store = openStore(redis, { prefix });
    let bytesPerJob: number;
    let inProcessRate: number;
    let inProcess: EnqueueCpu;
    let bare: EnqueueCpu;
    try {
      await queues.submit.waitUntilReady();
      const before = await usedMemoryBytes(redis);
      let added = 0;
      inProcess = await measureEnqueueCpu(redis, options.jobs, async () => {
        const summary = await enqueueManifest({
          manifestPath,
          batchId: "memory",
          queues,
          store,
          submitAttempts: 8,
        });
        added = summary.added;
      });
      inProcessRate = inProcess.lines_per_s;
      const after = await usedMemoryBytes(redis);
      bytesPerJob = (after - before) / added;
      await flushBenchRedis(options.redisUrl);
      bare = await measureEnqueueCpu(redis, options.jobs, async () => {
        const bareAdded = await bareAddBulk(redis, manifestPath, "{bench-bare}");
        if (bareAdded !== options.jobs) throw new Error(`bare addBulk added ${bareAdded}`);
      });
    } finally {
      await queues.close();
      redis.disconnect();
    }

    const env = childEnvironment({
      REDIS_URL: options.redisUrl,
      VEOQ_PREFIX: "{bench-cli}",
      LOG_LEVEL: "warn",
    });
    const oneLine = await writeBenchManifest({ dir, name: "one-line.jsonl", items: 1 });
    await flushBenchRedis(options.redisUrl);
    const startup = await runEnqueue(oneLine, 1, env);
    const runs: (EnqueueRun & { rssSource: string })[] = [];
    const requested = Math.floor(options.enqueueRuns ?? 3);
    const runCount = requested >= 1 ? requested : 3;
    for (let run = 0; run < runCount; run++) {
      await flushBenchRedis(options.redisUrl);
      const measured = await runEnqueue(manifestPath, options.jobs, env);
      runs.push({
        wall_s: measured.wallSeconds,
        lines_per_s: options.jobs / measured.wallSeconds,
        peak_rss_mb: measured.peakRssKb / 1024,
        rssSource: measured.rssSource,
      });
    }
    await flushBenchRedis(options.redisUrl);
    const medianWall = medianOf(runs.map((run) => run.wall_s));
    return {
      jobs: options.jobs,
      redis_bytes_per_job: bytesPerJob,
      enqueue_lines_per_s: options.jobs / medianWall,
      enqueue_lines_per_s_after_startup:
        options.jobs / Math.max(0.001, medianWall - startup.wallSeconds),
      enqueue_wall_s: medianWall,
      startup_s: startup.wallSeconds,
      enqueue_peak_rss_mb: Math.max(...runs.map((r) => r.peak_rss_mb)),
      enqueue_runs: runs.map(({ rssSource: _source, ...run }) => run),
      rss_source: runs[0]?.rssSource ?? "",
      in_process_lines_per_s: inProcessRate,
      in_process: inProcess,
      bare_add_bulk: bare,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The middle value (the mean of the two middle ones for an even count). */
function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[middle] ?? Number.NaN;
  return ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
}

/** Runs the real `veoq enqueue` on a manifest and checks that every line was added. */
async function runEnqueue(
  manifestPath: string,
  lines: number,
  env: NodeJS.ProcessEnv,
): Promise<MeasuredRun> {
  const enqueue = await runMeasured(
    [CLI, "enqueue", manifestPath, "--json", "--batch", "memory-cli"],
    env,
  );
  if (enqueue.exitCode !== 0) {
    throw new Error(
      `veoq enqueue exited with ${enqueue.exitCode}: ${enqueue.stderr.slice(0, 1500)}`,
    );
  }
  let summary: { added?: number };
  try {
    summary = JSON.parse(enqueue.stdout.trim().split("\n").pop() ?? "{}") as { added?: number };
  } catch {
    throw new Error(`veoq enqueue printed no JSON summary: ${enqueue.stdout.slice(-500)}`);
  }
  if (summary.added !== lines) {
    throw new Error(`veoq enqueue added ${summary.added} of ${lines} lines`);
  }
  return enqueue;
}

export interface MeasuredRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  wallSeconds: number;
  /** User + system CPU seconds from GNU time's report (NaN without /usr/bin/time). */
  cpuSeconds: number;
  peakRssKb: number;
  rssSource: string;
}

/**
 * Runs `node <args>` and reads its peak RSS: from GNU time's report when /usr/bin/time exists,
 * else by polling /proc/<pid>/status (VmHWM, the kernel's own high-water mark) until it exits.
 */
export async function runMeasured(args: string[], env: NodeJS.ProcessEnv): Promise<MeasuredRun> {
  const useTime = existsSync(GNU_TIME);
  const command = useTime ? GNU_TIME : process.execPath;
  const argv = useTime ? ["-v", process.execPath, ...args] : args;
  const started = performance.now();
  const child = spawn(command, argv, { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  let polledKb = 0;
  const poller = useTime
    ? undefined
    : setInterval(async () => {
        try {
          const status = await readFile(`/proc/${child.pid}/status`, "utf8");
          const kb = Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1] ?? 0);
          if (kb > polledKb) polledKb = kb;
        } catch {
          // The process is gone.
        }
      }, 20);
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve(code));
  });
  const wallSeconds = (performance.now() - started) / 1000;
  if (poller !== undefined) clearInterval(poller);
  const timeKb = Number(/Maximum resident set size \(kbytes\):\s*(\d+)/.exec(stderr)?.[1] ?? 0);
  return {
    exitCode,
    stdout,
    stderr,
    wallSeconds,
    cpuSeconds: useTime
      ? Number(/User time \(seconds\):\s*([\d.]+)/.exec(stderr)?.[1] ?? Number.NaN) +
        Number(/System time \(seconds\):\s*([\d.]+)/.exec(stderr)?.[1] ?? Number.NaN)
      : Number.NaN,
    peakRssKb: useTime ? timeKb : polledKb,
    rssSource: useTime ? "/usr/bin/time -v" : "/proc VmHWM",
  };
}
