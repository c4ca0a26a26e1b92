import type { FaultOverrides } from "@veoq/simulator";
import type { ChaosRedisKind } from "./chaos-redis.ts";

/** Everything a chaos run can be told; `resolveChaosOptions` fills in the defaults. */
export interface ChaosOptions {
  /** Jobs to enqueue (manifest lines). Default 1000. */
  jobs: number;
  /**
   * Time limit in seconds, from the enqueue until every item is final; the run fails when it is
   * exceeded. Default 600.
   */
  seconds: number;
  /** Seed of the manifest, the simulator and the choice of which worker to kill. Default 1. */
  seed: number;
  /** Worker processes (`veoq worker`). Default 3. */
  workers: number;
  /** Mean time between two worker kills (s); each gap is drawn from 0.5x to 1.5x. Default 4. */
  killEverySeconds: number;
  /** Stop killing workers after this many kills. Default unlimited. */
  maxWorkerKills: number;
  /** How long a killed worker stays down before it is started again (ms). Default 500. */
  workerDownMs: number;
  /**
   * Redis is SIGKILLed once when this fraction of the items is final (or when 40% of the time
   * limit has passed, whichever is first). 0 disables the Redis kill. Default 0.3.
   */
  redisKillAtFraction: number;
  /** How long Redis stays down before it is started again (ms). Default 2000. */
  redisDownMs: number;
  /**
   * The Redis to run on: one server, a 3-master + 3-replica cluster (the disruption SIGKILLs the
   * master holding the batch), or a Sentinel group (the disruption SIGKILLs the master). Default
   * "standalone".
   */
  redis: ChaosRedisKind;
  /** Where outputs go: the work folder, or a local S3 server (s3rver) bucket. Default "disk". */
  output: "disk" | "s3";
  /** Simulator time scale: real seconds per provider second. Default 0.01. */
  timeScale: number;
  /** Provider faults, on top of `DEFAULT_CHAOS_FAULTS`. */
  faults: FaultOverrides;
  /**
   * After every item is final, how long to wait for provider slots leaked by the kills to be
   * reconciled by the workers before they count as not released (s). Default 120.
   */
  slotSettleSeconds: number;
  /**
   * Folder for Redis' data, the manifest and images, the downloaded files and the worker logs.
   * Default: a new folder under the OS temp dir, removed when the run passes.
   */
  workDir: string | undefined;
  /** Keep the work folder even when the run passes. Default false. */
  keep: boolean;
  /** Receives one line of progress every few seconds. Default: none. */
  onProgress: ((line: string) => void) | undefined;
  /** Aborting stops the run early (it then fails) and cleans up. Default: none. */
  signal: AbortSignal | undefined;
}

/**
 * The provider faults of a chaos run: every kind the simulator knows that a worker must survive
 * without losing or failing an item. Rates are per request (or per task for `failureRate`).
 */
export const DEFAULT_CHAOS_FAULTS: FaultOverrides = {
  serverErrorRate: 0.03,
  rateLimit: { requestsPerSecond: 400, burst: 100, retryAfterSeconds: 1 },
  maxConcurrentTasks: 120,
  concurrencyRetryAfterSeconds: 1,
  dropConnectionRate: 0.02,
  dropAfterCreateRate: 0.02,
  failureRate: 0.05,
  latencyMs: { min: 2, max: 40 },
};

export const DEFAULT_CHAOS_OPTIONS: ChaosOptions = {
  jobs: 1000,
  seconds: 600,
  seed: 1,
  workers: 3,
  killEverySeconds: 4,
  maxWorkerKills: Number.POSITIVE_INFINITY,
  workerDownMs: 500,
  redisKillAtFraction: 0.3,
  redisDownMs: 2000,
  redis: "standalone",
  output: "disk",
  timeScale: 0.01,
  faults: {},
  slotSettleSeconds: 120,
  workDir: undefined,
  keep: false,
  onProgress: undefined,
  signal: undefined,
};

/** Fills in defaults and checks ranges; throws a RangeError naming the bad option. */
export function resolveChaosOptions(overrides: Partial<ChaosOptions> = {}): ChaosOptions {
  const defined = Object.fromEntries(
    Object.entries(overrides).filter(([, value]) => value !== undefined),
  ) as Partial<ChaosOptions>;
  const options: ChaosOptions = { ...DEFAULT_CHAOS_OPTIONS, ...defined };
  const positiveInt = (name: keyof ChaosOptions, value: number) => {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`${name} must be a whole number >= 1, got ${value}`);
    }
  };
  const positive = (name: keyof ChaosOptions, value: number) => {
    if (!(value > 0)) throw new RangeError(`${name} must be > 0, got ${value}`);
  };
  positiveInt("jobs", options.jobs);
  positive("seconds", options.seconds);
  positiveInt("workers", options.workers);
  positive("killEverySeconds", options.killEverySeconds);
  positive("timeScale", options.timeScale);
  if (!Number.isInteger(options.seed)) {
    throw new RangeError(`seed must be a whole number, got ${options.seed}`);
  }
  if (!(options.maxWorkerKills >= 0)) {
    throw new RangeError(`maxWorkerKills must be >= 0, got ${options.maxWorkerKills}`);
  }
  if (!(options.redisKillAtFraction >= 0 && options.redisKillAtFraction < 1)) {
    throw new RangeError(
      `redisKillAtFraction must be in [0, 1), got ${options.redisKillAtFraction}`,
    );
  }
  if (!(options.workerDownMs >= 0) || !(options.redisDownMs >= 0)) {
    throw new RangeError("workerDownMs and redisDownMs must be >= 0");
  }
  if (!(options.slotSettleSeconds >= 0)) {
    throw new RangeError(`slotSettleSeconds must be >= 0, got ${options.slotSettleSeconds}`);
  }
  return options;
}
