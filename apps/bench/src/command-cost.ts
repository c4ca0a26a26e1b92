import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseConfig } from "@veoq/config";
import { createLogger } from "@veoq/logging";
import {
  createQueues,
  createRedisConnection,
  enqueueManifest,
  openStore,
  startWorkers,
} from "@veoq/pipeline";
import { writeBenchManifest } from "./bench-manifest.ts";
import { flushBenchRedis, waitUntil } from "./bench-redis.ts";
import {
  commandCounts,
  resetCommandCounts,
  topCommands,
  totalCommands,
} from "./redis-command-counts.ts";
import {
  clientAddress,
  type OperationCost,
  operationsPerItem,
  traceCommands,
} from "./redis-command-trace.ts";
import { BarePipeline, readBareLines } from "./run-bare-batch.ts";
import type { RoleConcurrency } from "./run-veoq-batch.ts";
import { startSimulatorProcess } from "./simulator-process.ts";

export interface CommandCostOptions {
  redisUrl: string;
  /** Lite items (one sample each) of the counted batch. */
  items: number;
  concurrency: RoleConcurrency;
}

/** Redis commands (INFO commandstats, script-internal ones included) per item. */
export interface CommandCost {
  items: number;
  /** `enqueueManifest`, no workers running: commands / lines. */
  enqueue_per_line: number;
  /** Bare BullMQ's `addBulk` of the same lines into its first queue. */
  bare_enqueue_per_line: number;
  /** Submit -> poll -> download of the enqueued batch by one worker process, per completed item. */
  pipeline_per_item: number;
  /** Three bare BullMQ queues passing each item on (the same three hops). */
  bare_pipeline_per_item: number;
  /**
   * The same pipeline on tasks that render for TASK_SECONDS (provider time, lite preset, empty
   * duration history): commands per item, polls per item (the first, plus one per
   * re-delay), and what one poll that finds the task still running costs (the poll stage's
   * commands beyond the zero-time run's, per extra poll).
   */
  running_pipeline_per_item: number;
  running_polls_per_item: number;
  per_running_poll: number;
  running_pipeline_operations: { operation: string; commands: number; calls: number }[];
  enqueue_top: { command: string; calls: number }[];
  pipeline_top: { command: string; calls: number }[];
  bare_pipeline_top: { command: string; calls: number }[];
  /**
   * Where the pipeline's commands go, per completed item, by operation (MONITOR): a script by
   * name with the commands it ran inside (`bullmq:moveToFinished[poll]`, `veoq:finishItem`),
   * any other command by name and key; `calls` are those sent, `commands` adds the inner ones.
   */
  pipeline_operations: { operation: string; commands: number; calls: number }[];
  /** The same, summed by the stage of the pipeline each operation belongs to (`stageOf`). */
  pipeline_by_stage: Record<PipelineStage, number>;
  bare_pipeline_operations: { operation: string; commands: number; calls: number }[];
}

type PipelineStage = "submit" | "poll" | "download" | "other";

/** Store scripts and keys that only one stage uses (the rest is named by its queue). */
const STAGE_OF: Readonly<Record<string, PipelineStage>> = {
  "veoq:claimRequests": "submit",
  "veoq:takeProviderSlot": "submit",
  "veoq:takeKeySlot": "submit",
  "veoq:passSubmitGate": "submit",
  "veoq:advanceFairShareClock": "submit",
  "veoq:takeCreateTurn": "submit",
  "veoq:settleSpendReservation": "submit",
  "veoq:countKeyEvent": "submit",
  "veoq:settleKeyReservation": "submit",
  "veoq:transitionItem[processing]": "submit",
  "hset {}:task-index": "submit",
  "veoq:releaseFinishedTaskSlot": "poll",
  "veoq:sampleTaskDuration": "poll",
  "veoq:transitionItem[downloading]": "poll",
  "veoq:finishItem": "download",
};

/**
 * The stage an operation of a completed item belongs to: BullMQ's scripts by the queue they act
 * on (a job's add counts with the queue it goes to: the poll job's add is the poll stage's), the
 * store's by what calls them; the batch control read (one at the poll, one at the download) is
 * split between the two, the timeline's finished count is the download's.
 */
function commandsByStage(
  operations: ReadonlyMap<string, OperationCost>,
  items: number,
): Record<PipelineStage, number> {
  const stages: Record<PipelineStage, number> = { submit: 0, poll: 0, download: 0, other: 0 };
  for (const [operation, cost] of operations) {
    const commands = cost.calls + cost.inner;
    const queue = /\[(submit|poll|download)\]$|:(submit|poll|download):marker$/.exec(operation);
    if (/^hgetall \{\}:batch:.*:control$/.test(operation)) {
      stages.poll += commands / 2;
      stages.download += commands / 2;
    } else if (/^hincrby \{\}:batch:.*:timeline$/.test(operation)) {
      stages.download += commands;
    } else {
      const stage =
        STAGE_OF[operation] ?? ((queue?.[1] ?? queue?.[2]) as PipelineStage | undefined);
      stages[stage ?? "other"] += commands;
    }
  }
  for (const stage of Object.keys(stages) as PipelineStage[]) {
    stages[stage] = Math.round((stages[stage] / items) * 10) / 10;
  }
  return stages;
}

/** How long the running-poll run's tasks render (provider seconds; the lite preset's usual span). */
const TASK_SECONDS = 60;

/**
 * Runs the pipeline again on tasks that take TASK_SECONDS, and prices the polls that find a
 * task still running against the zero-time run (`zero`).
 */
async function countRunningPolls(
  options: CommandCostOptions,
  manifestPath: string,
  dir: string,
  simulatorOf: (seconds: number) => Promise<{ url: string; close(): Promise<void> }>,
  zero: { pipelineTotal: number; operations: Map<string, OperationCost> },
): Promise<
  Pick<
    CommandCost,
    | "running_pipeline_per_item"
    | "running_polls_per_item"
    | "per_running_poll"
    | "running_pipeline_operations"
  >
> {
  const simulator = await simulatorOf(TASK_SECONDS);
  try {
    const running = await countVeoq(options, manifestPath, simulator.url, dir);
    // A poll that finds the task running re-delays its job once (moveToDelayed).
    const redelays = (operations: Map<string, OperationCost>) =>
      operations.get("bullmq:moveToDelayed[poll]")?.calls ?? 0;
    const extraPolls = redelays(running.operations) - redelays(zero.operations);
    // What the extra polls cost: the poll queue's scripts and the plain commands (the batch
    // control read, the slot-wait look); the other queues' scripts are left out, because which
    // of their calls fetches the next job moves between runs by a few commands per item.
    const pollCost = (operations: Map<string, OperationCost>) =>
      [...operations.entries()]
        .filter(([name]) => name.endsWith("[poll]") || !/^(bullmq:|veoq:|script )/.test(name))
        .reduce((sum, [, cost]) => sum + cost.calls + cost.inner, 0);
    return {
      running_pipeline_per_item: running.pipelineTotal / options.items,
      running_polls_per_item: 1 + redelays(running.operations) / options.items,
      per_running_poll:
        extraPolls > 0
          ? (pollCost(running.operations) - pollCost(zero.operations)) / extraPolls
          : Number.NaN,
      running_pipeline_operations: operationsPerItem(running.operations, options.items),
    };
  } finally {
    await simulator.close();
  }
}

/** How often the harness looks whether the batch is done; its reads are taken off the count. */
const DONE_POLL_MS = 250;

/**
 * Counts the commands veoq's enqueue and its pipeline send to Redis per item, each alone (the
 * enqueue first with no worker running, then the workers on the queued batch), and bare BullMQ's
 * for the same hops. The bench's private Redis has no other client, so the server's counters are
 * the measured process's commands; the harness's own reads (done checks) are counted once and
 * taken off.
 */
export async function measureCommandCost(options: CommandCostOptions): Promise<CommandCost> {
  const dir = await mkdtemp(path.join(tmpdir(), "veoq-bench-commands-"));
  const manifestPath = await writeBenchManifest({
    dir,
    name: "commands.jsonl",
    items: options.items,
    model: "veo-3.1-lite-firstlastframe",
  });
  const simulatorOf = (seconds: number) =>
    startSimulatorProcess({
      timeScale: 0.001,
      durations: {
        "veo-3.1-generate-img2video": { minSeconds: seconds, maxSeconds: seconds },
        "veo-3.1-lite-firstlastframe": { minSeconds: seconds, maxSeconds: seconds },
      },
      fileSizeBytes: 512,
    });
  const simulator = await simulatorOf(0);
  try {
    const veoq = await countVeoq(options, manifestPath, simulator.url, dir);
    const bare = await countBare(options, manifestPath);
    const running = await countRunningPolls(options, manifestPath, dir, simulatorOf, veoq);
    return {
      items: options.items,
      enqueue_per_line: totalCommands(veoq.enqueue) / options.items,
      bare_enqueue_per_line: totalCommands(bare.enqueue) / options.items,
      pipeline_per_item: veoq.pipelineTotal / options.items,
      bare_pipeline_per_item: totalCommands(bare.pipeline) / options.items,
      ...running,
      enqueue_top: topCommands(veoq.enqueue),
      pipeline_top: topCommands(veoq.pipeline),
      bare_pipeline_top: topCommands(bare.pipeline),
      pipeline_operations: operationsPerItem(veoq.operations, options.items),
      pipeline_by_stage: commandsByStage(veoq.operations, options.items),
      bare_pipeline_operations: operationsPerItem(bare.operations, options.items),
    };
  } finally {
    await simulator.close();
    await flushBenchRedis(options.redisUrl);
    await rm(dir, { recursive: true, force: true });
  }
}

async function countVeoq(
  options: CommandCostOptions,
  manifestPath: string,
  baseUrl: string,
  dir: string,
): Promise<{
  enqueue: Map<string, number>;
  pipeline: Map<string, number>;
  pipelineTotal: number;
  operations: Map<string, OperationCost>;
}> {
  await flushBenchRedis(options.redisUrl);
  const prefix = "{bench-commands}";
  const batchId = "commands";
  const redis = createRedisConnection(options.redisUrl, "worker");
  const queues = createQueues(redis, prefix);
  const store = openStore(redis, { prefix });
  try {
    await queues.submit.waitUntilReady();
    await resetCommandCounts(options.redisUrl);
    await enqueueManifest({ manifestPath, batchId, queues, store, submitAttempts: 8 });
    const enqueue = await commandCounts(options.redisUrl);

    // What one look at the batch costs, to take the harness's looks off the pipeline's count.
    await resetCommandCounts(options.redisUrl);
    await store.getBatch(batchId);
    const perLook = totalCommands(await commandCounts(options.redisUrl));

    const config = parseConfig({
      REDIS_URL: options.redisUrl,
      VEOQ_PREFIX: prefix,
      JIEKOU_BASE_URL: baseUrl,
      JIEKOU_API_KEY: "sim-key",
      VEOQ_OUTPUT_DIR: path.join(dir, "output"),
      VEOQ_TIME_SCALE: "0.001",
      VEOQ_MAX_IN_FLIGHT: "100000",
      VEOQ_PROVIDER_RPM: "0",
      VEOQ_CHECK_REDIS_DURABILITY: "0",
      LOG_LEVEL: "silent",
    });
    // The harness's looks go through `redis`: the trace leaves them out.
    const trace = await traceCommands(options.redisUrl, [await clientAddress(redis)]);
    await resetCommandCounts(options.redisUrl);
    const running = await startWorkers({
      config,
      apiKey: "sim-key",
      logger: createLogger({ level: "silent" }),
      concurrency: options.concurrency,
    });
    let looks = 0;
    try {
      await waitUntil(
        async () => {
          looks++;
          const batch = await store.getBatch(batchId);
          return (batch?.counts.completed ?? 0) + (batch?.counts.failed ?? 0) >= options.items;
        },
        `batch ${batchId}`,
        5 * 60_000,
        DONE_POLL_MS,
      );
    } finally {
      await running.close(5_000);
    }
    const pipeline = await commandCounts(options.redisUrl);
    const operations = await trace.stop();
    const batch = await store.getBatch(batchId);
    if ((batch?.counts.completed ?? 0) !== options.items) {
      throw new Error(`command count: ${batch?.counts.failed ?? "?"} items failed`);
    }
    return {
      enqueue,
      pipeline,
      pipelineTotal: totalCommands(pipeline) - looks * perLook,
      operations,
    };
  } finally {
    await queues.close();
    redis.disconnect();
  }
}

async function countBare(
  options: CommandCostOptions,
  manifestPath: string,
): Promise<{
  enqueue: Map<string, number>;
  pipeline: Map<string, number>;
  operations: Map<string, OperationCost>;
}> {
  await flushBenchRedis(options.redisUrl);
  const lines = await readBareLines(manifestPath);
  const bare = new BarePipeline(options.redisUrl, "{bench-bare}");
  try {
    await bare.first.waitUntilReady();
    await resetCommandCounts(options.redisUrl);
    await bare.add(lines, 250);
    const enqueue = await commandCounts(options.redisUrl);
    const trace = await traceCommands(options.redisUrl);
    await resetCommandCounts(options.redisUrl);
    const { finished } = await bare.startWorkers(options.concurrency, lines.length);
    await finished;
    await bare.stopWorkers();
    const pipeline = await commandCounts(options.redisUrl);
    return { enqueue, pipeline, operations: await trace.stop() };
  } finally {
    await bare.close();
  }
}
