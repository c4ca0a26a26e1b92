import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type SimulatedTask, startSimulator } from "@veoq/simulator";
import { spreadDuration, writeBenchManifest } from "./bench-manifest.ts";
import { flushBenchRedis } from "./bench-redis.ts";
import { runStaticBatch } from "./run-static-batch.ts";
import { type RoleConcurrency, runVeoqBatch } from "./run-veoq-batch.ts";

/** One batch run against a simulator that caps concurrent tasks at `maxConcurrent`. */
export interface SchedulingScenario {
  model: "veo-3.1-generate-img2video" | "veo-3.1-lite-firstlastframe";
  items: number;
  /** The simulator's cap on concurrent tasks (veoq is not told it). */
  maxConcurrent: number;
  /** Real seconds per provider second. */
  timeScale: number;
}

/** Makespan of one run against its lower bound, from the simulator's own per-task records. */
export interface SchedulingRun extends SchedulingScenario {
  /** Provider seconds from the first create to the last task seen final. */
  makespan_s: number;
  /** max(sum of task durations / K, longest task), provider seconds. */
  bound_s: number;
  makespan_ratio: number;
  /**
   * The ratio an ideal first-come scheduler would reach on these tasks (every slot refilled the
   * instant it frees, no lag, no 429): what the tail alone costs.
   */
  ideal_fifo_ratio: number;
  /**
   * Provider seconds per slot that stood idle while items still waited (from the first create
   * to the last): what the scheduler lost, as opposed to the tail after the last create that
   * no scheduler blind to durations avoids.
   */
  idle_while_waiting_s: number;
  /**
   * Where a freed slot's refill time goes while items wait (provider s, mean per release): from
   * the task finishing to a poll seeing it final, and from that poll to the create that took
   * the slot (the i-th finish matched with the (K+i)-th create).
   */
  refill_detect_s: number;
  refill_create_s: number;
  /** Creates answered 429 (concurrency or rate) per accepted create. */
  create_429_fraction: number;
  polls_per_task: number;
  /** Mean provider seconds between a task finishing and a poll seeing it. */
  lag_mean_s: number;
  /** Real seconds the run took. */
  seconds: number;
  /** The static BullMQ baseline told K, polling every 5 s, on the same tasks (run next). */
  baseline?: SchedulingBaselineRun;
}

export interface SchedulingBaselineRun {
  makespan_s: number;
  makespan_ratio: number;
  polls_per_task: number;
  seconds: number;
}

/** A batch against a simulator limiting creates to `rpm` per real minute, veoq paced at the same rpm. */
export interface RateScenario {
  items: number;
  rpm: number;
  timeScale: number;
}

export interface RateRun extends RateScenario {
  creates: number;
  creates_429: number;
  /** Creates answered 429 per create request. */
  rate_429_fraction: number;
  /** Accepted creates per real minute over the run. */
  creates_per_minute: number;
  seconds: number;
}

export interface SchedulingCost {
  runs: SchedulingRun[];
  /** Highest makespan ratio over the runs. */
  makespan_ratio_max: number;
  rate?: RateRun;
}

export interface SchedulingCostOptions {
  redisUrl: string;
  scenarios: readonly SchedulingScenario[];
  rate?: RateScenario;
  onRate?: (run: RateRun) => void;
  /** Poll interval of the static baseline (provider s); 0 skips the baseline. */
  baselinePollSeconds: number;
  concurrency: RoleConcurrency;
  onRun?: (run: SchedulingRun) => void;
}

/** Durations per endpoint (provider seconds), as the simulator's defaults. */
const DURATIONS = {
  "veo-3.1-generate-img2video": [60, 180],
  "veo-3.1-lite-firstlastframe": [30, 90],
} as const;

/**
 * The best makespan any scheduler can reach with K slots: the work spread evenly over the slots,
 * or the longest task if that is longer.
 */
export function makespanBoundSeconds(durations: readonly number[], k: number): number {
  const sum = durations.reduce((a, b) => a + b, 0);
  return Math.max(sum / k, ...durations);
}

/** Makespan, bound and traffic of one finished run from the simulator's task records. */
export function schedulingFigures(
  tasks: readonly SimulatedTask[],
  k: number,
  timeScale: number,
): Pick<
  SchedulingRun,
  | "makespan_s"
  | "bound_s"
  | "makespan_ratio"
  | "ideal_fifo_ratio"
  | "idle_while_waiting_s"
  | "refill_detect_s"
  | "refill_create_s"
  | "polls_per_task"
  | "lag_mean_s"
> {
  const first = Math.min(...tasks.map((t) => t.createdAtMs));
  const last = Math.max(...tasks.map((t) => t.finalObservedAtMs ?? t.finishedAtMs ?? first));
  const makespan = (last - first) / 1000 / timeScale;
  const bound = makespanBoundSeconds(
    tasks.map((t) => t.durationSeconds),
    k,
  );
  const lags = tasks.flatMap((t) =>
    t.detectionLagSeconds === null ? [] : [t.detectionLagSeconds],
  );
  return {
    makespan_s: makespan,
    bound_s: bound,
    makespan_ratio: makespan / bound,
    ideal_fifo_ratio: idealFifoMakespan(tasks, k) / bound,
    idle_while_waiting_s: idleWhileWaitingMs(tasks, k) / 1000 / timeScale,
    ...refillGaps(tasks, k, timeScale),
    polls_per_task: tasks.reduce((a, t) => a + t.polls, 0) / Math.max(1, tasks.length),
    lag_mean_s: lags.reduce((a, b) => a + b, 0) / Math.max(1, lags.length),
  };
}

/** List scheduling in creation order with K slots and no overhead (provider seconds). */
function idealFifoMakespan(tasks: readonly SimulatedTask[], k: number): number {
  const ordered = [...tasks].sort((a, b) => a.createdAtMs - b.createdAtMs);
  const slots: number[] = Array.from({ length: k }, () => 0);
  for (const task of ordered) {
    let soonest = 0;
    for (let i = 1; i < slots.length; i++) if ((slots[i] ?? 0) < (slots[soonest] ?? 0)) soonest = i;
    slots[soonest] = (slots[soonest] ?? 0) + task.durationSeconds;
  }
  return Math.max(...slots);
}

/** Mean detection and observed-to-create parts of a slot's refill while items wait. */
function refillGaps(
  tasks: readonly SimulatedTask[],
  k: number,
  timeScale: number,
): { refill_detect_s: number; refill_create_s: number } {
  const creates = tasks.map((t) => t.createdAtMs).sort((a, b) => a - b);
  const finishes = tasks
    .filter((t) => t.finishedAtMs !== null)
    .sort((a, b) => (a.finishedAtMs ?? 0) - (b.finishedAtMs ?? 0));
  let detect = 0;
  let create = 0;
  let n = 0;
  for (const [i, task] of finishes.entries()) {
    const next = creates[k + i];
    if (next === undefined) break;
    const finished = task.finishedAtMs ?? 0;
    const seen = task.finalObservedAtMs ?? finished;
    if (next < finished) continue;
    detect += Math.min(seen, next) - finished;
    create += Math.max(0, next - seen);
    n += 1;
  }
  const perRelease = (ms: number) => ms / Math.max(1, n) / 1000 / timeScale;
  return { refill_detect_s: perRelease(detect), refill_create_s: perRelease(create) };
}

/** Slot-ms idle between the first and the last create, divided by K. */
function idleWhileWaitingMs(tasks: readonly SimulatedTask[], k: number): number {
  const events: [number, number][] = [];
  for (const t of tasks) {
    events.push([t.createdAtMs, 1]);
    events.push([t.finishedAtMs ?? Number.POSITIVE_INFINITY, -1]);
  }
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const lastCreate = Math.max(...tasks.map((t) => t.createdAtMs));
  let inFlight = 0;
  let at = events[0]?.[0] ?? 0;
  let idle = 0;
  for (const [time, change] of events) {
    const until = Math.min(time, lastCreate);
    if (until > at) idle += Math.max(0, k - inFlight) * (until - at);
    at = Math.max(at, until);
    inFlight += change;
  }
  return idle / k;
}

const PREFIX = "{bench-scheduling}";

/** veoq against a simulator whose cap on concurrent tasks it does not know. */
/**
 * The simulator a scenario runs against, capping concurrent tasks at its K; veoq and the static
 * baseline each get one with the same seed, so both runs meet the same simulator.
 */
function startCappedSimulator(scenario: SchedulingScenario, index: number) {
  return startSimulator({
    timeScale: scenario.timeScale,
    maxConcurrentTasks: scenario.maxConcurrent,
    fileSizeBytes: 512,
    seed: index + 1,
  });
}

export async function measureSchedulingCost(
  options: SchedulingCostOptions,
): Promise<SchedulingCost> {
  const dir = await mkdtemp(path.join(tmpdir(), "veoq-bench-scheduling-"));
  const runs: SchedulingRun[] = [];
  try {
    for (const [index, scenario] of options.scenarios.entries()) {
      await flushBenchRedis(options.redisUrl);
      const [min, max] = DURATIONS[scenario.model];
      const manifestPath = await writeBenchManifest({
        dir,
        name: `scheduling-${index}.jsonl`,
        items: scenario.items,
        model: scenario.model,
        durationOf: (i) => spreadDuration(i, min, max),
      });
      const simulator = await startCappedSimulator(scenario, index);
      try {
        const batch = await runVeoqBatch({
          redisUrl: options.redisUrl,
          prefix: PREFIX,
          baseUrl: simulator.url,
          manifestPath,
          batchId: `scheduling-${index}`,
          outputDir: path.join(dir, "output"),
          timeScale: scenario.timeScale,
          concurrency: options.concurrency,
          timeoutMs: 30 * 60_000,
        });
        const stats = simulator.stats();
        const run: SchedulingRun = {
          ...scenario,
          ...schedulingFigures(simulator.tasks(), scenario.maxConcurrent, scenario.timeScale),
          create_429_fraction: (stats.creates.rejected["429"] ?? 0) / stats.creates.accepted,
          seconds: batch.seconds,
        };
        runs.push(run);
      } finally {
        await simulator.close();
        await rm(path.join(dir, "output"), { recursive: true, force: true });
      }
      const run = runs[runs.length - 1] as SchedulingRun;
      if (options.baselinePollSeconds > 0) {
        run.baseline = await measureBaseline(options, scenario, manifestPath, index);
      }
      options.onRun?.(run);
    }
    const cost: SchedulingCost = {
      runs,
      makespan_ratio_max: Math.max(...runs.map((r) => r.makespan_ratio)),
    };
    if (options.rate !== undefined) {
      cost.rate = await measureRate(options, options.rate, dir);
      options.onRate?.(cost.rate);
    }
    return cost;
  } finally {
    await rm(dir, { recursive: true, force: true });
    await flushBenchRedis(options.redisUrl);
  }
}

/** The static-concurrency BullMQ baseline on the same manifest and simulator settings. */
async function measureBaseline(
  options: SchedulingCostOptions,
  scenario: SchedulingScenario,
  manifestPath: string,
  index: number,
): Promise<SchedulingBaselineRun> {
  await flushBenchRedis(options.redisUrl);
  const simulator = await startCappedSimulator(scenario, index);
  try {
    const batch = await runStaticBatch({
      redisUrl: options.redisUrl,
      prefix: "{bench-static}",
      baseUrl: simulator.url,
      apiKey: "sim-key",
      manifestPath,
      concurrency: scenario.maxConcurrent,
      pollSeconds: options.baselinePollSeconds,
      timeScale: scenario.timeScale,
      timeoutMs: 30 * 60_000,
    });
    const figures = schedulingFigures(
      simulator.tasks(),
      scenario.maxConcurrent,
      scenario.timeScale,
    );
    return {
      makespan_s: figures.makespan_s,
      makespan_ratio: figures.makespan_ratio,
      polls_per_task: figures.polls_per_task,
      seconds: batch.seconds,
    };
  } finally {
    await simulator.close();
  }
}

/**
 * The simulator counts its limit on real time (its clock is not scaled), and so does veoq's
 * VEOQ_PROVIDER_RPM: both sides use the same real-minute rate, whatever the time scale.
 */
async function measureRate(
  options: SchedulingCostOptions,
  scenario: RateScenario,
  dir: string,
): Promise<RateRun> {
  await flushBenchRedis(options.redisUrl);
  const manifestPath = await writeBenchManifest({
    dir,
    name: "rate.jsonl",
    items: scenario.items,
    model: "veo-3.1-lite-firstlastframe",
    durationOf: (i) => spreadDuration(i, 30, 90),
  });
  const simulator = await startSimulator({
    timeScale: scenario.timeScale,
    rateLimit: { requestsPerSecond: scenario.rpm / 60, burst: 1, scope: "creates" },
    fileSizeBytes: 512,
    seed: 99,
  });
  try {
    const batch = await runVeoqBatch({
      redisUrl: options.redisUrl,
      prefix: PREFIX,
      baseUrl: simulator.url,
      manifestPath,
      batchId: "rate",
      outputDir: path.join(dir, "output"),
      timeScale: scenario.timeScale,
      concurrency: options.concurrency,
      timeoutMs: 30 * 60_000,
      providerRpm: scenario.rpm,
    });
    const stats = simulator.stats();
    const tasks = simulator.tasks();
    const first = Math.min(...tasks.map((t) => t.createdAtMs));
    const last = Math.max(...tasks.map((t) => t.createdAtMs));
    const rejected = stats.creates.rejected["429"] ?? 0;
    return {
      ...scenario,
      creates: stats.creates.total,
      creates_429: rejected,
      rate_429_fraction: rejected / Math.max(1, stats.creates.total),
      creates_per_minute: ((tasks.length - 1) * 60_000) / Math.max(1, last - first),
      seconds: batch.seconds,
    };
  } finally {
    await simulator.close();
    await rm(path.join(dir, "output"), { recursive: true, force: true });
  }
}
