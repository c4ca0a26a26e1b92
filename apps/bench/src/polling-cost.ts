import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startSimulator } from "@veoq/simulator";
import { spreadDuration, writeBenchManifest } from "./bench-manifest.ts";
import { flushBenchRedis } from "./bench-redis.ts";
import { mean, percentile } from "./percentile.ts";
import { type RoleConcurrency, runVeoqBatch } from "./run-veoq-batch.ts";

export interface PollingCostOptions {
  redisUrl: string;
  tasks: number;
  /** Real seconds per provider second. */
  timeScale: number;
  /** Task durations are spread over [min, max] provider seconds. */
  minSeconds: number;
  maxSeconds: number;
  /** The baseline's interval (provider seconds). */
  fixedIntervalSeconds: number;
  concurrency: RoleConcurrency;
  onRun?: (label: string, run: PollingRun) => void;
}

/** Polls and detection lag of one run, from the simulator's own per-task records. */
export interface PollingRun {
  tasks: number;
  polls_per_task: number;
  lag_p50_s: number;
  lag_p95_s: number;
  lag_max_s: number;
  /** Real seconds the run took. */
  seconds: number;
}

export interface PollingMode {
  veoq_polls_per_task: number;
  fixed_polls_per_task: number;
  /** veoq / fixed polls. */
  polls_ratio: number;
  veoq_lag_p50_s: number;
  veoq_lag_p95_s: number;
  fixed_lag_p50_s: number;
  fixed_lag_p95_s: number;
  veoq: PollingRun;
  fixed: PollingRun;
}

export interface PollingCost {
  tasks: number;
  time_scale: number;
  durations_s: [number, number];
  fixed_interval_s: number;
  /** The run before the measured ones that gives veoq a history of past durations. */
  warmup: PollingRun;
  blind: PollingMode;
  informed: PollingMode;
}

const PREFIX = "{bench-polling}";

/**
 * veoq's poll policy versus a fixed interval, blind (no eta, no progress) and informed (both).
 * Every run sees the same tasks (durations fixed per item). All runs share one key prefix, so
 * veoq's duration history carries over from run to run like it does between real batches of
 * the same model and settings; a warm-up run first gives it one past run to learn from.
 */
export async function measurePollingCost(options: PollingCostOptions): Promise<PollingCost> {
  const dir = await mkdtemp(path.join(tmpdir(), "veoq-bench-polling-"));
  const manifestPath = await writeBenchManifest({
    dir,
    name: "polling.jsonl",
    items: options.tasks,
    durationOf: (i) => spreadDuration(i, options.minSeconds, options.maxSeconds),
  });
  let runs = 0;
  const run = async (
    label: string,
    informed: boolean,
    fixedIntervalSeconds: number | undefined,
  ): Promise<PollingRun> => {
    runs++;
    const simulator = await startSimulator({
      timeScale: options.timeScale,
      reportEta: informed,
      reportProgress: informed,
      fileSizeBytes: 512,
      seed: runs,
    });
    try {
      const batch = await runVeoqBatch({
        redisUrl: options.redisUrl,
        prefix: PREFIX,
        baseUrl: simulator.url,
        manifestPath,
        batchId: `polling-${runs}-${label.replace(/[^a-z0-9-]/g, "-")}`,
        outputDir: path.join(dir, "output"),
        timeScale: options.timeScale,
        concurrency: options.concurrency,
        timeoutMs: 20 * 60_000,
        ...(fixedIntervalSeconds === undefined ? {} : { fixedIntervalSeconds }),
      });
      const tasks = simulator.tasks();
      const lags = tasks.flatMap((t) =>
        t.detectionLagSeconds === null ? [] : [t.detectionLagSeconds],
      );
      const result: PollingRun = {
        tasks: tasks.length,
        polls_per_task: mean(tasks.map((t) => t.polls)),
        lag_p50_s: percentile(lags, 50),
        lag_p95_s: percentile(lags, 95),
        lag_max_s: percentile(lags, 100),
        seconds: batch.seconds,
      };
      options.onRun?.(label, result);
      return result;
    } finally {
      await simulator.close();
      await rm(path.join(dir, "output"), { recursive: true, force: true });
    }
  };
  const mode = (veoq: PollingRun, fixed: PollingRun): PollingMode => ({
    veoq_polls_per_task: veoq.polls_per_task,
    fixed_polls_per_task: fixed.polls_per_task,
    polls_ratio: veoq.polls_per_task / fixed.polls_per_task,
    veoq_lag_p50_s: veoq.lag_p50_s,
    veoq_lag_p95_s: veoq.lag_p95_s,
    fixed_lag_p50_s: fixed.lag_p50_s,
    fixed_lag_p95_s: fixed.lag_p95_s,
    veoq,
    fixed,
  });
  try {
    await flushBenchRedis(options.redisUrl);
    const warmup = await run("warm-up (veoq, informed)", true, undefined);
    const fixedBlind = await run("blind, fixed", false, options.fixedIntervalSeconds);
    const veoqBlind = await run("blind, veoq", false, undefined);
    const fixedInformed = await run("informed, fixed", true, options.fixedIntervalSeconds);
    const veoqInformed = await run("informed, veoq", true, undefined);
    return {
      tasks: options.tasks,
      time_scale: options.timeScale,
      durations_s: [options.minSeconds, options.maxSeconds],
      fixed_interval_s: options.fixedIntervalSeconds,
      warmup,
      blind: mode(veoqBlind, fixedBlind),
      informed: mode(veoqInformed, fixedInformed),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
    await flushBenchRedis(options.redisUrl);
  }
}
