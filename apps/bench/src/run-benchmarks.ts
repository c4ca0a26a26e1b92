import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startLocalRedis } from "@veoq/local-redis";
import type { BenchScale } from "./bench-scale.ts";
import { type CommandCost, measureCommandCost } from "./command-cost.ts";
import { describeMachine, type Machine } from "./describe-machine.ts";
import { type FairShareCost, measureFairShare } from "./fair-share-cost.ts";
import { type IdleCost, measureIdleCost } from "./idle-cost.ts";
import { type KeyPoolCost, measureKeyPool } from "./key-pool-cost.ts";
import { type MemoryCost, measureMemoryCost } from "./memory-cost.ts";
import { measurePipelineOverhead, type PipelineOverhead } from "./pipeline-overhead.ts";
import { measurePollingCost, type PollingCost } from "./polling-cost.ts";
import { measureScaleCost, type ScaleCost } from "./scale-cost.ts";
import { measureSchedulingCost, type SchedulingCost } from "./scheduling-cost.ts";
import { buildApps, measureStartupCost, type StartupCost } from "./startup-cost.ts";

/** Parts of the bench; `--only` picks some. */
export const BENCH_SECTIONS = [
  "pipeline",
  "commands",
  "polling",
  "memory",
  "scheduling",
  "startup",
  "idle",
  "keys",
  "scale",
] as const;
export type BenchSection = (typeof BENCH_SECTIONS)[number];

/** What `pnpm bench` runs without `--only`: everything but the million-line scale run. */
export const DEFAULT_SECTIONS: readonly BenchSection[] = BENCH_SECTIONS.filter(
  (s) => s !== "scale",
);

/** Everything one `pnpm bench` measured (the `--json` object). */
export interface BenchReport {
  scale: BenchScale["name"];
  machine: Machine;
  seconds: number;
  pipeline?: PipelineOverhead;
  commands?: CommandCost;
  polling?: PollingCost;
  memory?: MemoryCost;
  scheduling?: SchedulingCost;
  fairShare?: FairShareCost;
  startup?: StartupCost;
  idle?: IdleCost;
  keys?: KeyPoolCost;
  /** The scale run (`--only scale`): one million-line batch and its reads. */
  bigBatch?: ScaleCost;
}

/** Runs every measurement against a private Redis on a free port; `log` gets progress lines. */
export async function runBenchmarks(
  scale: BenchScale,
  log: (line: string) => void,
  sections: readonly BenchSection[] = DEFAULT_SECTIONS,
  /** Scheduling scenarios to run (indices into the scale's list); unset runs all, with the baseline, rate and fair share. */
  scenarioIndices?: readonly number[],
  /** Lines of the scale run's batch (`--lines`); default 1,000,000. */
  scaleLines = 1_000_000,
): Promise<BenchReport> {
  const started = performance.now();
  const dataDir = await mkdtemp(path.join(tmpdir(), "veoq-bench-redis-"));
  const redis = await startLocalRedis({ dataDir });
  try {
    const machine = await describeMachine(redis.url);
    log(`redis ${machine.redis} on ${redis.url}; node ${machine.node}; ${machine.cpus} cpus`);

    const report: BenchReport = { scale: scale.name, machine, seconds: 0 };
    // The CLI and the apps run their dist/ bundles: build them from the sources measured.
    await buildApps();
    if (sections.includes("pipeline")) {
      log(
        `pipeline overhead: ${scale.pipelineItems} items, ${scale.pipelineRounds} round(s) per side`,
      );
      report.pipeline = await measurePipelineOverhead({
        redisUrl: redis.url,
        items: scale.pipelineItems,
        rounds: scale.pipelineRounds,
        concurrency: scale.concurrency,
        onRound: (side, round, rate) => log(`  ${side} round ${round}: ${rate.toFixed(0)} items/s`),
      });
    }
    if (sections.includes("commands")) {
      log(`Redis commands per item: ${scale.commandItems} lite items, enqueue then pipeline`);
      report.commands = await measureCommandCost({
        redisUrl: redis.url,
        items: scale.commandItems,
        concurrency: scale.concurrency,
      });
      log(
        `  enqueue ${report.commands.enqueue_per_line.toFixed(1)} per line (bare addBulk ${report.commands.bare_enqueue_per_line.toFixed(1)}); pipeline ${report.commands.pipeline_per_item.toFixed(1)} per item (bare ${report.commands.bare_pipeline_per_item.toFixed(1)})`,
      );
    }
    if (sections.includes("polling")) {
      log(`polling cost: ${scale.pollingTasks} tasks, time scale ${scale.pollingTimeScale}`);
      report.polling = await measurePollingCost({
        redisUrl: redis.url,
        tasks: scale.pollingTasks,
        timeScale: scale.pollingTimeScale,
        minSeconds: 30,
        maxSeconds: 180,
        fixedIntervalSeconds: 5,
        concurrency: scale.concurrency,
        onRun: (label, run) =>
          log(
            `  ${label}: ${run.polls_per_task.toFixed(2)} polls/task, lag p50 ${run.lag_p50_s.toFixed(1)} s, p95 ${run.lag_p95_s.toFixed(1)} s (${run.seconds.toFixed(0)} s)`,
          ),
      });
    }
    if (sections.includes("scheduling")) {
      log(
        `scheduling: ${scenarioIndices?.length ?? scale.scheduling.length} batches against an unknown cap on concurrent tasks`,
      );
      const single = scenarioIndices !== undefined;
      const scenarios = single
        ? scale.scheduling.filter((_, i) => scenarioIndices.includes(i))
        : scale.scheduling;
      report.scheduling = await measureSchedulingCost({
        redisUrl: redis.url,
        scenarios,
        ...(single ? {} : { rate: scale.rate }),
        baselinePollSeconds: single ? 0 : 5,
        onRate: (run) =>
          log(
            `  rate: ${run.items} creates at ${run.rpm} RPM: ${run.creates_429} of ${run.creates} create requests got 429 (${(100 * run.rate_429_fraction).toFixed(2)} %), ${run.creates_per_minute.toFixed(1)} creates/min (${run.seconds.toFixed(0)} s)`,
          ),
        concurrency: scale.concurrency,
        onRun: (run) =>
          log(
            `  ${run.model} N=${run.items}${run.baseline === undefined ? "" : ` [static baseline ${run.baseline.makespan_ratio.toFixed(3)}, ${run.baseline.polls_per_task.toFixed(2)} polls/task]`} K=${run.maxConcurrent} scale ${run.timeScale}: makespan ${run.makespan_s.toFixed(0)} s / bound ${run.bound_s.toFixed(0)} s = ${run.makespan_ratio.toFixed(3)} (ideal FIFO ${run.ideal_fifo_ratio.toFixed(3)}), idle while waiting ${run.idle_while_waiting_s.toFixed(0)} s/slot (refill: detect ${run.refill_detect_s.toFixed(2)} s + to create ${run.refill_create_s.toFixed(2)} s per release); 429s/create ${run.create_429_fraction.toFixed(3)}, ${run.polls_per_task.toFixed(2)} polls/task, lag ${run.lag_mean_s.toFixed(1)} s (${run.seconds.toFixed(0)} s)`,
          ),
      });
    }
    if (sections.includes("scheduling") && scenarioIndices === undefined) {
      const fair = scale.fairShare;
      log(`fair share: ${fair.smallItems} items behind ${fair.bigItems}, K=${fair.maxConcurrent}`);
      report.fairShare = await measureFairShare({
        redisUrl: redis.url,
        scenario: fair,
        concurrency: scale.concurrency,
      });
      log(
        `  small batch created within ${report.fairShare.small_batch_wait_s.toFixed(0)} s behind the big batch, ${report.fairShare.small_batch_alone_wait_s.toFixed(0)} s alone (a round of slot turnover is about ${report.fairShare.round_s} s)`,
      );
    }
    if (sections.includes("memory")) {
      log(`memory: ${scale.memoryJobs} jobs`);
      report.memory = await measureMemoryCost({ redisUrl: redis.url, jobs: scale.memoryJobs });
      const { in_process: veoq, bare_add_bulk: bare } = report.memory;
      log(
        `  in process: enqueueManifest ${veoq.lines_per_s.toFixed(0)} lines/s (CPU per line ${veoq.client_cpu_us_per_line.toFixed(0)} us here + ${veoq.redis_cpu_us_per_line.toFixed(0)} us Redis), bare addBulk ${bare.lines_per_s.toFixed(0)} lines/s (${bare.client_cpu_us_per_line.toFixed(0)} + ${bare.redis_cpu_us_per_line.toFixed(0)} us)`,
      );
    }
    if (sections.includes("startup")) {
      log("start-up: `veoq --version` and `veoq status BATCH --json` (1,000 items), 10 runs each");
      report.startup = await measureStartupCost({ redisUrl: redis.url });
      const { installed, checkout } = report.startup;
      log(
        `  installed: --version ${installed.version.cpu_s.toFixed(2)} s CPU ${installed.version.peak_rss_mb.toFixed(0)} MB, status ${installed.status.cpu_s.toFixed(2)} s CPU; checkout: --version ${checkout.version.cpu_s.toFixed(2)} s, status ${checkout.status.cpu_s.toFixed(2)} s`,
      );
    }
    if (sections.includes("idle")) {
      log(`idle worker: Redis commands over ${scale.idleSeconds} s, then 10 slot releases`);
      report.idle = await measureIdleCost({ redisUrl: redis.url, seconds: scale.idleSeconds });
      log(
        `  ${report.idle.commands_per_s.toFixed(2)} commands/s; a freed slot taken in ${report.idle.wake_p50_s.toFixed(2)} s (p50), ${report.idle.wake_max_s.toFixed(2)} s (max)`,
      );
    }
    if (sections.includes("keys")) {
      const k = scale.keys;
      log(
        `key pool: 3 keys of caps 10/5/5 (${k.items} items), ${k.rpm} RPM per key (${k.rateItemsPerKey} creates per key), a key with credit ${k.credit}`,
      );
      report.keys = await measureKeyPool({
        redisUrl: redis.url,
        scenario: k,
        concurrency: scale.concurrency,
        log,
      });
    }
    if (sections.includes("scale")) {
      log(`scale: one lite batch of ${scaleLines} lines, then its reads`);
      report.bigBatch = await measureScaleCost({
        redisUrl: redis.url,
        lines: scaleLines,
        onStep: log,
      });
      for (const read of report.bigBatch.reads) {
        log(`  ${read.what}: p50 ${read.p50_ms.toFixed(0)} ms, p95 ${read.p95_ms.toFixed(0)} ms`);
      }
    }
    report.seconds = (performance.now() - started) / 1000;
    return report;
  } finally {
    await redis.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
