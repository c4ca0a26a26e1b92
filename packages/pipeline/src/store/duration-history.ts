import type { Logger } from "@veoq/logging";
import { type DurationProfile, durationProfileOf } from "../policy/poll-policy.ts";
import type { RedisConnection } from "./connection/redis-connection.ts";
import { type RecordKeys, recordKeys } from "./keys.ts";
import { runStoreScript } from "./store-scripts.ts";

/**
 * The settings that decide how long a task renders, as the poll job knows them. Tasks that share
 * them share a duration history.
 */
export interface TaskShape {
  model: string;
  /** Requested video length (s). */
  durationSeconds: number;
  /** Videos per task. */
  sampleCount: number;
}

export interface DurationHistoryOptions {
  /** Durations kept per task shape (a uniform sample of the last `window`). Default 500. */
  maxSamples?: number;
  /**
   * Tasks the sample stands for: older ones fade out, so the history follows a provider that
   * gets faster or slower. Default 5 000.
   */
  window?: number;
  /** Random source of the sampling, [0, 1). Default `Math.random`. */
  random?: () => number;
  /** How long a profile read from Redis is reused before it is read again (real ms). Default 10 000. */
  cacheMs?: number;
  /** Clock for the cache (ms). Default `Date.now`. */
  now?: () => number;
}

/**
 * How long a task that just succeeded took (provider seconds), as recorded in the history: the
 * provider's own timestamps when the answer carries plausible ones; otherwise the middle of the
 * last gap between polls (it finished after the previous poll and before this one), or the time
 * of this poll when it was the first. Detection times alone run late by up to a poll gap, which
 * would push the first poll of later tasks too late. Undefined when nothing reliable is known:
 * after `veoq retry` restarted the task's clock (`clockReset`), only the provider can say.
 */
export function finishedTaskSeconds(observed: {
  providerSeconds: number | undefined;
  elapsedSeconds: number;
  lastPollSeconds: number | undefined;
  clockReset?: boolean | undefined;
}): number | undefined {
  const { providerSeconds, elapsedSeconds, lastPollSeconds } = observed;
  // Shorter than this is a unit slip (seconds read as milliseconds), not a render.
  const believable = providerSeconds !== undefined && providerSeconds >= MIN_PROVIDER_SECONDS;
  if (observed.clockReset) return believable ? providerSeconds : undefined;
  const earliest =
    lastPollSeconds !== undefined && lastPollSeconds <= elapsedSeconds
      ? lastPollSeconds
      : undefined;
  // The provider's figure must also fit what the polls saw: not done at the last poll, done by
  // this one (with slack for the create's own latency).
  const slack = Math.max(PROVIDER_TIME_SLACK_SECONDS, 0.1 * elapsedSeconds);
  if (
    believable &&
    providerSeconds >= (earliest ?? 0) - slack &&
    providerSeconds <= elapsedSeconds + slack
  ) {
    return providerSeconds;
  }
  return earliest === undefined ? elapsedSeconds : (earliest + elapsedSeconds) / 2;
}

/** Least slack allowed between the provider's render time and what the polls saw (s). */
const PROVIDER_TIME_SLACK_SECONDS = 5;

/** Shortest render time taken from the provider's timestamps (s). */
const MIN_PROVIDER_SECONDS = 1;

/**
 * Durations of past tasks per task shape, in Redis (a bounded uniform sample per shape, shared
 * by every worker and kept across runs), so the poll policy can place polls where tasks like
 * this one usually finish. Profiles are cached per process for `cacheMs`.
 */
export class DurationHistory {
  readonly #redis: RedisConnection;
  readonly #keys: RecordKeys;
  readonly #maxSamples: number;
  readonly #window: number;
  readonly #random: () => number;
  readonly #cacheMs: number;
  readonly #now: () => number;
  readonly #cache = new Map<
    string,
    { at: number; profile: Promise<DurationProfile | undefined> }
  >();

  constructor(redis: RedisConnection, prefix: string, options: DurationHistoryOptions = {}) {
    this.#redis = redis;
    this.#keys = recordKeys(prefix);
    this.#maxSamples = options.maxSamples ?? 500;
    this.#window = Math.max(this.#maxSamples, options.window ?? 5_000);
    this.#random = options.random ?? Math.random;
    this.#cacheMs = options.cacheMs ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Adds the duration (provider seconds) of a task that just finished. */
  async record(shape: TaskShape, seconds: number): Promise<void> {
    if (!Number.isFinite(seconds) || seconds < 0) return;
    const keys = this.#keys.durationHistory(shape);
    await runStoreScript(
      this.#redis,
      "sampleTaskDuration",
      [keys.samples, keys.seen],
      [seconds.toFixed(2), this.#maxSamples, this.#window, this.#random()],
    );
  }

  /**
   * Remembers whether the provider sends `eta` for this shape (the latest answer wins, for a
   * day). Callers write only when it differs from the profile they hold.
   */
  async recordEtaReported(shape: TaskShape, reported: boolean): Promise<void> {
    const keys = this.#keys.durationHistory(shape);
    await this.#redis.set(keys.eta, reported ? "1" : "0", "EX", 24 * 3600);
    this.#cache.delete(keys.samples);
  }

  /** Profile of the past durations of this shape; undefined when there are none. */
  profile(shape: TaskShape): Promise<DurationProfile | undefined> {
    const keys = this.#keys.durationHistory(shape);
    const key = keys.samples;
    const now = this.#now();
    const cached = this.#cache.get(key);
    if (cached !== undefined && now - cached.at < this.#cacheMs) return cached.profile;
    const profile = Promise.all([
      this.#redis.lrange(key, 0, this.#maxSamples - 1),
      this.#redis.get(keys.eta),
    ]).then(([values, eta]) => {
      const summary = durationProfileOf(values.map(Number));
      return summary === undefined ? undefined : { ...summary, etaReported: eta === "1" };
    });
    // A failed read is not cached: the next call asks Redis again.
    profile.catch(() => this.#cache.delete(key));
    this.#cache.set(key, { at: now, profile });
    return profile;
  }
}

/**
 * Runs a duration-history call that must never cost a poll: the history only sharpens the poll
 * policy's guess, so a failure is logged and reads as undefined.
 */
export async function bestEffort<T>(
  logger: Logger,
  message: string,
  call: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    logger.warn({ err: error }, message);
    return undefined;
  }
}
