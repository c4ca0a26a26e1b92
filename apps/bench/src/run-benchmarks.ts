import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startLocalRedis } from "@veoq/local-redis";
import type { BenchScale } from "./bench-scale.ts";
import { describeMachine, type Machine } from "./describe-machine.ts";
import { type MemoryCost, measureMemoryCost } from "./memory-cost.ts";
import { measurePipelineOverhead, type PipelineOverhead } from "./pipeline-overhead.ts";
import { measurePollingCost, type PollingCost } from "./polling-cost.ts";

/** Everything one `pnpm bench` measured (the `--json` object). */
export interface BenchReport {
  scale: BenchScale["name"];
  machine: Machine;
  seconds: number;
  pipeline: PipelineOverhead;
  polling: PollingCost;
  memory: MemoryCost;
}

/** Runs every measurement against a private Redis on a free port; `log` gets progress lines. */
export async function runBenchmarks(
  scale: BenchScale,
  log: (line: string) => void,
): Promise<BenchReport> {
  const started = performance.now();
  const dataDir = await mkdtemp(path.join(tmpdir(), "veoq-bench-redis-"));
  const redis = await startLocalRedis({ dataDir });
  try {
    const machine = await describeMachine(redis.url);
    log(`redis ${machine.redis} on ${redis.url}; node ${machine.node}; ${machine.cpus} cpus`);

    log(
      `pipeline overhead: ${scale.pipelineItems} items, ${scale.pipelineRounds} round(s) per side`,
    );
    const pipeline = await measurePipelineOverhead({
      redisUrl: redis.url,
      items: scale.pipelineItems,
      rounds: scale.pipelineRounds,
      concurrency: scale.concurrency,
      onRound: (side, round, rate) => log(`  ${side} round ${round}: ${rate.toFixed(0)} items/s`),
    });

    log(`polling cost: ${scale.pollingTasks} tasks, time scale ${scale.pollingTimeScale}`);
    const polling = await measurePollingCost({
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

    log(`memory: ${scale.memoryJobs} jobs`);
    const memory = await measureMemoryCost({ redisUrl: redis.url, jobs: scale.memoryJobs });

    return {
      scale: scale.name,
      machine,
      seconds: (performance.now() - started) / 1000,
      pipeline,
      polling,
      memory,
    };
  } finally {
    await redis.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
