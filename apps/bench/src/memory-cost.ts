import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { BatchStore, createQueues, createRedisConnection, enqueueManifest } from "@veoq/pipeline";
import { writeBenchManifest } from "./bench-manifest.ts";
import { flushBenchRedis, usedMemoryBytes } from "./bench-redis.ts";
import { childEnvironment } from "./env.ts";

export interface MemoryCostOptions {
  redisUrl: string;
  /** Jobs queued for the Redis figure, and lines of the CLI's manifest. */
  jobs: number;
}

export interface MemoryCost {
  jobs: number;
  /** (used_memory after - before) / jobs, with no workers running. */
  redis_bytes_per_job: number;
  /** Lines / wall time of `veoq enqueue` as a child process (start-up included). */
  enqueue_lines_per_s: number;
  /** Same, with the wall time of `veoq --help` (node + tsx start-up) taken off. */
  enqueue_lines_per_s_after_startup: number;
  enqueue_wall_s: number;
  startup_s: number;
  /** Peak resident set size of the `veoq enqueue` process (MB = 2^20 bytes). */
  enqueue_peak_rss_mb: number;
  /** How the peak was read: "/usr/bin/time -v" or "/proc VmHWM". */
  rss_source: string;
  /** Lines/s of `enqueueManifest` called in this process (no start-up, no CLI). */
  in_process_lines_per_s: number;
}

const CLI = fileURLToPath(new URL("../../cli/bin/veoq.js", import.meta.url));
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
    const store = new BatchStore(redis, prefix);
    let bytesPerJob: number;
    let inProcessRate: number;
    try {
      await queues.submit.waitUntilReady();
      const before = await usedMemoryBytes(redis);
      const started = performance.now();
      const summary = await enqueueManifest({
        manifestPath,
        batchId: "memory",
        queues,
        store,
        submitAttempts: 8,
      });
      inProcessRate = summary.added / ((performance.now() - started) / 1000);
      const after = await usedMemoryBytes(redis);
      bytesPerJob = (after - before) / summary.added;
    } finally {
      await queues.close();
      redis.disconnect();
    }

    await flushBenchRedis(options.redisUrl);
    const env = childEnvironment({
      REDIS_URL: options.redisUrl,
      VEOQ_PREFIX: "{bench-cli}",
      LOG_LEVEL: "warn",
    });
    const startup = await runMeasured([CLI, "--help"], env);
    const enqueue = await runMeasured(
      [CLI, "enqueue", manifestPath, "--json", "--batch", "memory-cli"],
      env,
    );
    if (enqueue.exitCode !== 0) {
      throw new Error(
        `veoq enqueue exited with ${enqueue.exitCode}: ${enqueue.stderr.slice(0, 1500)}`,
      );
    }
    const summary = JSON.parse(enqueue.stdout.trim().split("\n").pop() ?? "{}") as {
      added?: number;
    };
    if (summary.added !== options.jobs) {
      throw new Error(`veoq enqueue added ${summary.added} of ${options.jobs} lines`);
    }
    await flushBenchRedis(options.redisUrl);
    return {
      jobs: options.jobs,
      redis_bytes_per_job: bytesPerJob,
      enqueue_lines_per_s: options.jobs / enqueue.wallSeconds,
      enqueue_lines_per_s_after_startup:
        options.jobs / Math.max(0.001, enqueue.wallSeconds - startup.wallSeconds),
      enqueue_wall_s: enqueue.wallSeconds,
      startup_s: startup.wallSeconds,
      enqueue_peak_rss_mb: enqueue.peakRssKb / 1024,
      rss_source: enqueue.rssSource,
      in_process_lines_per_s: inProcessRate,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface MeasuredRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  wallSeconds: number;
  peakRssKb: number;
  rssSource: string;
}

/**
 * Runs `node <args>` and reads its peak RSS: from GNU time's report when /usr/bin/time exists,
 * else by polling /proc/<pid>/status (VmHWM, the kernel's own high-water mark) until it exits.
 */
async function runMeasured(args: string[], env: NodeJS.ProcessEnv): Promise<MeasuredRun> {
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
    peakRssKb: useTime ? timeKb : polledKb,
    rssSource: useTime ? "/usr/bin/time -v" : "/proc VmHWM",
  };
}
