import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseKeySpecs, type SimulatedTask, startSimulator } from "@veoq/simulator";
import { spreadDuration, writeBenchManifest } from "./bench-manifest.ts";
import { flushBenchRedis } from "./bench-redis.ts";
import { type RoleConcurrency, runVeoqBatch } from "./run-veoq-batch.ts";
import { schedulingFigures } from "./scheduling-cost.ts";

/**
 * API-key pools (issue 27): three simulated accounts with their own caps and paces.
 * - makespan: keys of caps 10, 5 and 5 (veoq told each key's cap), paces that do not bind: the
 *   makespan against the ideal first-come schedule over all 20 slots;
 * - rate: the same batch through one key and through three keys, every key paced at `rpm` (the
 *   binding limit): creates per minute with three keys against three times one key's;
 * - credit: a key that runs out of credit mid-batch: the batch completes on the others, nothing
 *   failed, nothing created twice.
 */
export interface KeyPoolScenario {
  /** Items of the makespan and credit runs. */
  items: number;
  timeScale: number;
  /** Creates per real minute per key in the rate runs (the simulator's and veoq's pace). */
  rpm: number;
  /** Creates per key in the rate runs (the single key makes this many, the pool three times). */
  rateItemsPerKey: number;
  /** Credit of the key that runs dry in the credit run. */
  credit: number;
}

export interface KeyPoolCost extends KeyPoolScenario {
  /** Provider seconds from the first create to the last task seen final, three keys. */
  makespan_s: number;
  /** The ideal first-come schedule of the same tasks over all 20 slots (provider seconds). */
  ideal_fifo_s: number;
  /** makespan / ideal first-come: the goal is at most 1.05. */
  makespan_vs_ideal: number;
  /**
   * The same tasks through one key of cap 20 (no pool), against their own ideal first-come: what
   * this machine's detection and refill lag cost without a pool, the yardstick for the above.
   */
  single_key_vs_ideal: number;
  /** Creates per key in the makespan run. */
  creates_by_key: Record<string, number>;
  /** Creates refused (429) in the makespan run. */
  makespan_429s: number;
  /** Accepted creates per real minute with one key, and with three keys. */
  rate_single_per_min: number;
  rate_pool_per_min: number;
  /** rate_pool / (3 x rate_single): the goal is at least 0.95. */
  rate_scaling: number;
  /** The credit run: items completed and failed, accepted creates, duplicate bodies. */
  credit_completed: number;
  credit_failed: number;
  credit_creates: number;
  credit_duplicates: number;
  /** Creates the dry key made (its credit) and the 402s it answered. */
  credit_dry_key_creates: number;
  credit_dry_key_402s: number;
  seconds: number;
}

export interface KeyPoolCostOptions {
  redisUrl: string;
  scenario: KeyPoolScenario;
  concurrency: RoleConcurrency;
  log?: (line: string) => void;
  /** Only the makespan runs (a quick look; the other figures are left out). */
  makespanOnly?: boolean;
}

const PREFIX = "{bench-keys}";
const FAST_RPM = 6_000;

/** The ideal first-come makespan (provider s) of these tasks over `k` slots. */
function idealFifoSeconds(tasks: readonly SimulatedTask[], k: number, timeScale: number): number {
  const figures = schedulingFigures(tasks, k, timeScale);
  return figures.ideal_fifo_ratio * figures.bound_s;
}

/** Accepted creates per real minute, first to last create. */
function createsPerMinute(tasks: readonly SimulatedTask[]): number {
  const first = Math.min(...tasks.map((t) => t.createdAtMs));
  const last = Math.max(...tasks.map((t) => t.createdAtMs));
  return ((tasks.length - 1) * 60_000) / Math.max(1, last - first);
}

export async function measureKeyPool(options: KeyPoolCostOptions): Promise<KeyPoolCost> {
  const { scenario } = options;
  const started = performance.now();
  const dir = await mkdtemp(path.join(tmpdir(), "veoq-bench-keys-"));
  const log = options.log ?? (() => {});
  const run = async (name: string, simKeys: string, keysFile: string, items: number) => {
    await flushBenchRedis(options.redisUrl);
    const manifestPath = await writeBenchManifest({
      dir,
      name: `${name}.jsonl`,
      items,
      model: "veo-3.1-lite-firstlastframe",
      durationOf: (i) => spreadDuration(i, 30, 90),
    });
    const file = path.join(dir, `${name}-keys.txt`);
    await writeFile(file, keysFile);
    const simulator = await startSimulator({
      timeScale: scenario.timeScale,
      fileSizeBytes: 512,
      seed: 27,
      ...parseKeySpecs(simKeys),
    });
    try {
      const batch = await runVeoqBatch({
        redisUrl: options.redisUrl,
        prefix: PREFIX,
        baseUrl: simulator.url,
        manifestPath,
        batchId: name,
        outputDir: path.join(dir, "output"),
        timeScale: scenario.timeScale,
        concurrency: options.concurrency,
        timeoutMs: 20 * 60_000,
        keysFile: file,
      });
      return { batch, stats: simulator.stats(), tasks: simulator.tasks() };
    } finally {
      await simulator.close();
      await rm(path.join(dir, "output"), { recursive: true, force: true });
    }
  };
  try {
    const makespan = await run(
      "makespan",
      `sim-a:cap=10:rpm=${FAST_RPM},sim-b:cap=5:rpm=${FAST_RPM},sim-c:cap=5:rpm=${FAST_RPM}`,
      [
        `sim-a=sim-a max_in_flight=10 rpm=${FAST_RPM}`,
        `sim-b=sim-b max_in_flight=5 rpm=${FAST_RPM}`,
        `sim-c=sim-c max_in_flight=5 rpm=${FAST_RPM}`,
      ].join("\n"),
      scenario.items,
    );
    const makespanFigures = schedulingFigures(makespan.tasks, 20, scenario.timeScale);
    const idealFifo = idealFifoSeconds(makespan.tasks, 20, scenario.timeScale);
    const oneKey = await run(
      "makespan-one-key",
      `sim-a:cap=20:rpm=${FAST_RPM}`,
      `sim-a=sim-a max_in_flight=20 rpm=${FAST_RPM}`,
      scenario.items,
    );
    const oneKeyVsIdeal =
      schedulingFigures(oneKey.tasks, 20, scenario.timeScale).makespan_s /
      idealFifoSeconds(oneKey.tasks, 20, scenario.timeScale);
    log(
      `  makespan: ${makespanFigures.makespan_s.toFixed(0)} s vs ideal first-come over 20 slots ${idealFifo.toFixed(0)} s = ${(makespanFigures.makespan_s / idealFifo).toFixed(3)} (${makespan.batch.seconds.toFixed(0)} s); one key of cap 20 on the same tasks: ${oneKeyVsIdeal.toFixed(3)}`,
    );
    if (options.makespanOnly === true) {
      return {
        ...scenario,
        makespan_s: makespanFigures.makespan_s,
        ideal_fifo_s: idealFifo,
        makespan_vs_ideal: makespanFigures.makespan_s / idealFifo,
        single_key_vs_ideal: oneKeyVsIdeal,
      } as KeyPoolCost;
    }

    const rpm = scenario.rpm;
    const single = await run(
      "rate-single",
      `sim-a:rpm=${rpm}`,
      `sim-a=sim-a rpm=${rpm}`,
      scenario.rateItemsPerKey,
    );
    const pool = await run(
      "rate-pool",
      `sim-a:rpm=${rpm},sim-b:rpm=${rpm},sim-c:rpm=${rpm}`,
      `sim-a=sim-a rpm=${rpm}\nsim-b=sim-b rpm=${rpm}\nsim-c=sim-c rpm=${rpm}`,
      3 * scenario.rateItemsPerKey,
    );
    const singleRate = createsPerMinute(single.tasks);
    const poolRate = createsPerMinute(pool.tasks);
    log(
      `  rate: one key ${singleRate.toFixed(1)} creates/min, three keys ${poolRate.toFixed(1)} = ${(poolRate / (3 * singleRate)).toFixed(3)} x 3 (429s: ${pool.stats.creates.rejected["429"] ?? 0})`,
    );

    const credit = await run(
      "credit",
      `sim-a:cap=10:rpm=${FAST_RPM},sim-b:cap=5:rpm=${FAST_RPM},sim-c:cap=5:rpm=${FAST_RPM}:credit=${scenario.credit}`,
      [
        `sim-a=sim-a max_in_flight=10 rpm=${FAST_RPM}`,
        `sim-b=sim-b max_in_flight=5 rpm=${FAST_RPM}`,
        `sim-c=sim-c max_in_flight=5 rpm=${FAST_RPM}`,
      ].join("\n"),
      scenario.items,
    );
    const dry = credit.stats.by_key?.["sim-c"];
    log(
      `  credit: ${credit.batch.completed} completed, ${credit.batch.failed} failed, ${credit.stats.creates.accepted} creates for ${scenario.items} items, dry key ${dry?.accepted ?? 0} creates and ${dry?.rejected["402"] ?? 0} 402s`,
    );
    return {
      ...scenario,
      makespan_s: makespanFigures.makespan_s,
      ideal_fifo_s: idealFifo,
      makespan_vs_ideal: makespanFigures.makespan_s / idealFifo,
      single_key_vs_ideal: oneKeyVsIdeal,
      creates_by_key: Object.fromEntries(
        Object.entries(makespan.stats.by_key ?? {}).map(([k, v]) => [k, v.accepted]),
      ),
      makespan_429s: makespan.stats.creates.rejected["429"] ?? 0,
      rate_single_per_min: singleRate,
      rate_pool_per_min: poolRate,
      rate_scaling: poolRate / (3 * singleRate),
      credit_completed: credit.batch.completed,
      credit_failed: credit.batch.failed,
      credit_creates: credit.stats.creates.accepted,
      credit_duplicates: credit.stats.creates.duplicateBodies,
      credit_dry_key_creates: dry?.accepted ?? 0,
      credit_dry_key_402s: dry?.rejected["402"] ?? 0,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
    await flushBenchRedis(options.redisUrl);
  }
}
