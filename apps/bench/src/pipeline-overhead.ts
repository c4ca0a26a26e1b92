import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { writeBenchManifest } from "./bench-manifest.ts";
import { flushBenchRedis } from "./bench-redis.ts";
import { mean } from "./percentile.ts";
import { runBareBatch } from "./run-bare-batch.ts";
import { type RoleConcurrency, runVeoqBatch } from "./run-veoq-batch.ts";
import { startSimulatorProcess } from "./simulator-process.ts";

export interface PipelineOverheadOptions {
  redisUrl: string;
  items: number;
  /** Rounds per side; the sides alternate (veoq, bare, veoq, bare...). */
  rounds: number;
  concurrency: RoleConcurrency;
  onRound?: (side: "veoq" | "bare", round: number, itemsPerSecond: number) => void;
}

export interface PipelineOverhead {
  items: number;
  rounds: number;
  concurrency: RoleConcurrency;
  veoq_items_per_s: number;
  bare_items_per_s: number;
  /** veoq / bare (goal >= 0.5). */
  ratio: number;
  veoq_rounds_items_per_s: number[];
  bare_rounds_items_per_s: number[];
}

/** Simulator time per provider second: tasks take no time, so this only scales the first poll. */
const TIME_SCALE = 0.001;

/**
 * Items/s of enqueue -> submit -> poll -> download against a simulator whose tasks take no time
 * (one poll to success, a 512-byte file, the simulator in a child process), versus three bare
 * BullMQ queues passing items on.
 */
export async function measurePipelineOverhead(
  options: PipelineOverheadOptions,
): Promise<PipelineOverhead> {
  const dir = await mkdtemp(path.join(tmpdir(), "veoq-bench-pipeline-"));
  const manifestPath = await writeBenchManifest({
    dir,
    name: "pipeline.jsonl",
    items: options.items,
  });
  // In its own process: the provider's CPU is not the pipeline's cost.
  const simulator = await startSimulatorProcess({
    timeScale: TIME_SCALE,
    durations: {
      "veo-3.1-generate-img2video": { minSeconds: 0, maxSeconds: 0 },
      "veo-3.1-lite-firstlastframe": { minSeconds: 0, maxSeconds: 0 },
    },
    fileSizeBytes: 512,
  });
  const veoq: number[] = [];
  const bare: number[] = [];
  const timeoutMs = 10 * 60_000;
  try {
    for (let round = 1; round <= options.rounds; round++) {
      await flushBenchRedis(options.redisUrl);
      const v = await runVeoqBatch({
        redisUrl: options.redisUrl,
        prefix: "{bench-pipeline}",
        baseUrl: simulator.url,
        manifestPath,
        batchId: `pipeline-${round}`,
        outputDir: path.join(dir, `output-${round}`),
        timeScale: TIME_SCALE,
        concurrency: options.concurrency,
        timeoutMs,
      });
      if (v.completed !== v.items) {
        throw new Error(`veoq round ${round}: ${v.failed} of ${v.items} items failed`);
      }
      veoq.push(v.items / v.seconds);
      options.onRound?.("veoq", round, v.items / v.seconds);
      await rm(path.join(dir, `output-${round}`), { recursive: true, force: true });

      await flushBenchRedis(options.redisUrl);
      const b = await runBareBatch({
        redisUrl: options.redisUrl,
        prefix: "{bench-bare}",
        manifestPath,
        concurrency: options.concurrency,
        timeoutMs,
      });
      bare.push(b.items / b.seconds);
      options.onRound?.("bare", round, b.items / b.seconds);
    }
  } finally {
    await simulator.close();
    await rm(dir, { recursive: true, force: true });
    await flushBenchRedis(options.redisUrl);
  }
  const veoqRate = mean(veoq);
  const bareRate = mean(bare);
  return {
    items: options.items,
    rounds: options.rounds,
    concurrency: options.concurrency,
    veoq_items_per_s: veoqRate,
    bare_items_per_s: bareRate,
    ratio: veoqRate / bareRate,
    veoq_rounds_items_per_s: veoq,
    bare_rounds_items_per_s: bare,
  };
}
