import type { RedisConnection } from "./connection/redis-connection.ts";
import { providerAccountOf, recordKeys } from "./keys.ts";
import { runStoreScript } from "./store-scripts.ts";
import { SLOT_WAIT_MARKER, type SubmitQueueWakeKeys } from "./submit-queue-wake.ts";

/*
 * One API key's capacity at the provider, as two limits kept in the same account records (its
 * provider-cap hash): how many tasks may be in flight (`ProviderSlots`) and how often a create
 * may be sent (`ProviderRate`, the pace, below).
 */

/**
 * At most K tasks in flight at the provider per API key, across every worker process.
 *
 * A slot is taken (by the item's submission: "<batch>~<custom>~<n>") just before a create and
 * released when that task is final (or the create definitely failed). The effective cap adapts:
 * a 429 "too many concurrent tasks" measures the account's limit, because every task in flight
 * at the provider holds a slot here (a task finished but not yet seen still does, and so may a
 * create under way), so the other slots held when the refused create was sent are at least the
 * provider's count then. The cap settles there (never above its current value) instead of
 * halving. Each task that finishes then adds 1/(PROBE_ROUNDS x cap), so the cap probes one slot
 * higher about every PROBE_ROUNDS rounds of slot turnover, up to the configured maximum: a cap
 * the provider raised is found again, and a failed probe costs one 429. veoq thereby finds the
 * account's real limit without configuration.
 *
 * Waiting for a slot: when every slot is taken (or the provider refused for concurrency), the
 * submit queue waits, and the release that frees a slot wakes it, so the next waiting item is
 * created at once rather than after a timer: the take, settle and release scripts include
 * `waitForSlot()` and `wake()` (scripts/includes/waitForSlot.lua, wakeSubmitQueue.lua), the Lua
 * half of store/submit-queue-wake.ts, the one module that knows the BullMQ internals this relies
 * on. The check and the wait are one script, so a release cannot slip between "no slot" and
 * "wait".
 *
 * Keys hold a short hash of the API key, never the key itself.
 */
export interface ProviderSlotsOptions {
  redis: RedisConnection;
  prefix: string;
  /** The API key, whose short hash names the records; or `account`, the records' name itself. */
  apiKey?: string;
  /** The account id of the records (keys/provider-keys.ts accountOfKey); instead of `apiKey`. */
  account?: string;
  /** Configured maximum (VEOQ_MAX_IN_FLIGHT). */
  maxInFlight: number;
  /**
   * The submit queue's keys (store/submit-queue-wake.ts): it waits while every slot is taken and
   * is woken by the release that frees one. Without them, waits are the caller's.
   */
  wake?: SubmitQueueWakeKeys;
  now?: () => number;
}

export interface SlotUsage {
  inUse: number;
  /** Effective cap now (after AIMD). */
  cap: number;
  /** Configured maximum. */
  max: number;
}

/** Growth after a concurrency 429: one slot per this many rounds of slot turnover. */
export const PROBE_ROUNDS = 4;

/** The two keys of one API key's slots (built in keys.ts). */
export function slotKeys(prefix: string, apiKey: string) {
  return accountSlotKeys(prefix, providerAccountOf(apiKey));
}

/** The two keys of one account's slots. */
export function accountSlotKeys(prefix: string, account: string) {
  const keys = recordKeys(prefix);
  return {
    account,
    holders: keys.providerSlots(account),
    cap: keys.providerCap(account),
    accounts: keys.providerAccounts,
  };
}

/** The account of slot options given an API key or the account itself. */
export function accountOfOptions(options: { apiKey?: string; account?: string }): string {
  if (options.account !== undefined) return options.account;
  if (options.apiKey !== undefined) return providerAccountOf(options.apiKey);
  throw new Error("provider slots need an apiKey or an account");
}

export class ProviderSlots {
  readonly keys: ReturnType<typeof slotKeys>;
  private readonly redis: RedisConnection;
  private readonly max: number;
  private readonly now: () => number;
  private readonly wake: SubmitQueueWakeKeys | undefined;
  /** The account's entry in the account set (readProviderSlots, batchSchedulingOf), once per instance. */
  private listed: Promise<unknown> | undefined;

  constructor(options: ProviderSlotsOptions) {
    this.redis = options.redis;
    this.keys = accountSlotKeys(options.prefix, accountOfOptions(options));
    this.max = options.maxInFlight;
    this.now = options.now ?? Date.now;
    this.wake = options.wake;
  }

  private scriptKeys(): string[] {
    const keys = [this.keys.holders, this.keys.cap];
    if (this.wake !== undefined) keys.push(this.wake.limiter, this.wake.marker);
    return keys;
  }

  /**
   * True when the holder has (or now took) a slot. When none is free, the submit queue (see
   * `wake`) waits up to `waitMs` real ms, or until a release frees one.
   */
  async acquire(holder: string, waitMs = 0): Promise<boolean> {
    return (await this.take(holder, waitMs)) > 0;
  }

  /** Like `acquire`, but returns the slots held with this one (0: none was free). */
  async take(holder: string, waitMs = 0): Promise<number> {
    await this.listAccount();
    return Number(
      await runStoreScript(this.redis, "takeProviderSlot", this.scriptKeys(), [
        holder,
        this.now(),
        this.max,
        SLOT_WAIT_MARKER,
        Math.round(waitMs),
      ]),
    );
  }

  /**
   * Puts the account in the account set (readProviderSlots, batchSchedulingOf, readKeyFigures),
   * once per instance: before its first slot, so a reader of the set sees every holder. A key
   * pool's take (keys/provider-keys.ts) lists each of its keys' accounts the same way.
   */
  async listAccount(): Promise<void> {
    this.listed ??= this.redis.sadd(this.keys.accounts, this.keys.account).catch((error) => {
      this.listed = undefined;
      throw error;
    });
    await this.listed;
  }

  /** True when this call freed the slot (false: it was not held). */
  async release(holder: string): Promise<boolean> {
    return (
      (await runStoreScript(this.redis, "releaseProviderSlot", this.scriptKeys(), [
        holder,
        0,
        SLOT_WAIT_MARKER,
      ])) === 1
    );
  }

  /**
   * The holder's task is final: frees its slot and, when this call freed it, lets the cap grow
   * back a little. True when the slot was freed here.
   */
  async releaseFinished(holder: string): Promise<boolean> {
    const freed = await runStoreScript(this.redis, "releaseFinishedTaskSlot", this.scriptKeys(), [
      holder,
      this.max,
      SLOT_WAIT_MARKER,
      PROBE_ROUNDS,
    ]);
    return freed === 1;
  }

  /**
   * The provider said "too many concurrent tasks" (the refused create's slot already given
   * back): the cap settles at the other slots held when that create was sent (`heldAtCreate`,
   * what `take` returned, minus the refused one), else at the slots held now; the submit queue
   * waits up to `waitMs` real ms or until a release. Counting at the send, not now, keeps a task
   * that finished in between from pulling the cap under the account's limit. Returns the cap.
   */
  async settle(waitMs = 0, heldAtCreate?: number): Promise<number> {
    return Number(
      await runStoreScript(this.redis, "lowerProviderCap", this.scriptKeys(), [
        heldAtCreate === undefined ? "" : heldAtCreate,
        this.now(),
        this.max,
        SLOT_WAIT_MARKER,
        Math.round(waitMs),
      ]),
    );
  }

  /** True while some item waits for a slot (set when none was free, cleared by a release). */
  async itemsWaiting(): Promise<boolean> {
    return (await this.redis.hexists(this.keys.cap, "waitingAt")) === 1;
  }

  async usage(): Promise<SlotUsage> {
    const [inUse, cap] = await Promise.all([
      this.redis.zcard(this.keys.holders),
      this.redis.hget(this.keys.cap, "cap"),
    ]);
    return { inUse, cap: Math.min(this.max, Number(cap ?? this.max)), max: this.max };
  }

  /** Holders that took their slot before `olderThan` (ms since epoch), oldest first. */
  async holdersBefore(olderThan: number, limit = 500): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.holders, 0, olderThan, "LIMIT", 0, limit);
  }
}

/** Every provider account (short API key hash) that has taken a slot under `prefix`. */
export async function providerAccounts(redis: RedisConnection, prefix: string): Promise<string[]> {
  return redis.smembers(recordKeys(prefix).providerAccounts);
}

/**
 * Slot usage of every account under a prefix (for metrics and the chaos run's final check),
 * without knowing the API keys (the account set, not a scan: the keyspace holds every job). `cap` and `max` are summed over accounts; `paceUntil` is the
 * latest time (ms) before which the RPM pacing lets no create of some account go.
 */
export async function readProviderSlots(
  redis: RedisConnection,
  prefix: string,
): Promise<SlotUsage & { accounts: number; paceUntil: number }> {
  const keys = recordKeys(prefix);
  const usage = { inUse: 0, cap: 0, max: 0, accounts: 0, paceUntil: 0 };
  for (const account of await providerAccounts(redis, prefix)) {
    const [inUse, fields] = await Promise.all([
      redis.zcard(keys.providerSlots(account)),
      redis.hgetall(keys.providerCap(account)),
    ]);
    const max = Number(fields.max ?? 0);
    usage.inUse += inUse;
    usage.max += max;
    usage.cap += Math.min(max, Number(fields.cap ?? max));
    usage.accounts += 1;
    // The RPM pace (provider-slots.ts): no create of this account before then.
    usage.paceUntil = Math.max(usage.paceUntil, Number(fields.createTat ?? 0));
  }
  return usage;
}

/**
 * Paces creates to at most `rpm` per minute per API key across every worker process, before the
 * provider has to answer 429 (it documents about 50 RPM for Veo 3.1).
 *
 * The limit counts real wall-clock minutes whatever VEOQ_TIME_SCALE says: the provider's (and
 * the simulator's) rate limit is on real time, while the time scale only speeds up task
 * durations. A generic cell rate algorithm (GCRA) in one Lua script: the account's
 * "theoretical arrival time" (field `createTat` of its provider-cap hash) advances by
 * 60 000 / rpm ms per create; a create may go when that time is at most `burst - 1` intervals
 * ahead of now, else the answer is how long to wait. The interval carries a RATE_MARGIN so that
 * the jitter between counting a create here and its arrival at the provider does not make two
 * creates land closer than the provider's own spacing. A 429 with Retry-After still wins: it
 * rate-limits the submit queue for its own time (see submit-processor.ts), and `defer` pushes
 * the pace back so every process waits it out.
 */
/** Fraction by which creates are spaced wider than `rpm` strictly needs. */
export const RATE_MARGIN = 0.05;

export interface ProviderRateOptions {
  redis: RedisConnection;
  prefix: string;
  /** The API key, whose short hash names the records; or `account`, the records' name itself. */
  apiKey?: string;
  account?: string;
  /** Creates per minute (VEOQ_PROVIDER_RPM); 0 turns pacing off. */
  rpm: number;
  /** Creates allowed back to back after a quiet spell. Default 1 (none: even spacing). */
  burst?: number;
  now?: () => number;
}

export class ProviderRate {
  private readonly redis: RedisConnection;
  private readonly key: string;
  private readonly intervalMs: number;
  private readonly toleranceMs: number;
  private readonly now: () => number;

  constructor(options: ProviderRateOptions) {
    this.redis = options.redis;
    this.key = accountSlotKeys(options.prefix, accountOfOptions(options)).cap;
    this.intervalMs = options.rpm > 0 ? (60_000 / options.rpm) * (1 + RATE_MARGIN) : 0;
    this.toleranceMs = this.intervalMs * (Math.max(1, options.burst ?? 1) - 1);
    this.now = options.now ?? Date.now;
  }

  /** 0 when a create may go now (it is counted), else the real ms until one may. */
  async take(): Promise<number> {
    if (this.intervalMs === 0) return 0;
    return Number(
      await runStoreScript(
        this.redis,
        "takeCreateTurn",
        [this.key],
        [this.now(), this.intervalMs, this.toleranceMs],
      ),
    );
  }

  /** The provider answered a rate 429: no create before `untilMs` (ms since epoch), in any process. */
  async defer(untilMs: number): Promise<void> {
    if (this.intervalMs === 0) return;
    await runStoreScript(this.redis, "deferCreates", [this.key], [Math.round(untilMs)]);
  }
}
