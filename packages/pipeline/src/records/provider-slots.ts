import { LuaScript } from "../redis/lua-script.ts";
import { accountOfSlotKey, providerAccountOf, recordKeys } from "../redis/record-keys.ts";
import { type RedisConnection, scanEveryMaster } from "../redis/redis-connection.ts";

/**
 * At most K tasks in flight at the provider per API key, across every worker process.
 *
 * A slot is taken (by the item's submission: "<batch>~<custom>~<n>") just before a create and
 * released when that task is final (or the create definitely failed). The effective cap adapts
 * like TCP's congestion window (AIMD): a 429 "too many concurrent tasks" halves it at once (at
 * most once per second, so one burst of 429s counts once); each task that finishes adds 1/cap,
 * so the cap grows back by about one per cap finished tasks, up to the configured maximum. veoq
 * thereby finds the account's real limit without configuration.
 *
 * Keys hold a short hash of the API key, never the key itself.
 */
export interface ProviderSlotsOptions {
  redis: RedisConnection;
  prefix: string;
  apiKey: string;
  /** Configured maximum (VEOQ_MAX_IN_FLIGHT). */
  maxInFlight: number;
  now?: () => number;
}

export interface SlotUsage {
  inUse: number;
  /** Effective cap now (after AIMD). */
  cap: number;
  /** Configured maximum. */
  max: number;
}

/** Takes a slot if one is free (idempotent per holder). KEYS: holders zset, cap hash. ARGV: holder, now, max. */
const ACQUIRE = new LuaScript(`
redis.call('HSET', KEYS[2], 'max', ARGV[3])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 1 end
local cap = tonumber(redis.call('HGET', KEYS[2], 'cap') or ARGV[3])
if cap > tonumber(ARGV[3]) then cap = tonumber(ARGV[3]) end
if redis.call('ZCARD', KEYS[1]) < math.max(1, math.floor(cap)) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
  return 1
end
return 0
`);

/** Multiplicative decrease, at most once per second. KEYS: cap hash. ARGV: now, max. Returns the cap. */
const DECREASE = new LuaScript(`
local cap = math.min(tonumber(redis.call('HGET', KEYS[1], 'cap') or ARGV[2]), tonumber(ARGV[2]))
local last = tonumber(redis.call('HGET', KEYS[1], 'lastDecreaseAt') or '0')
if tonumber(ARGV[1]) - last >= 1000 then
  cap = math.max(1, math.floor(cap / 2))
  redis.call('HSET', KEYS[1], 'cap', tostring(cap), 'lastDecreaseAt', ARGV[1])
end
return tostring(cap)
`);

/**
 * Frees a finished task's slot and, if this call freed it, grows the cap by 1/cap (additive
 * increase); a re-run after a stall finds the slot gone and does not count twice.
 * KEYS: holders zset, cap hash. ARGV: holder, max. Returns 1 when the slot was freed here.
 */
const RELEASE_FINISHED = new LuaScript(`
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end
local cap = tonumber(redis.call('HGET', KEYS[2], 'cap') or ARGV[2])
if cap < tonumber(ARGV[2]) then
  cap = math.min(tonumber(ARGV[2]), cap + 1 / math.max(1, cap))
  redis.call('HSET', KEYS[2], 'cap', tostring(cap))
end
return 1
`);

/** The two keys of one API key's slots (built in record-keys.ts). */
export function slotKeys(prefix: string, apiKey: string) {
  const keys = recordKeys(prefix);
  const account = providerAccountOf(apiKey);
  return { holders: keys.providerSlots(account), cap: keys.providerCap(account) };
}

export class ProviderSlots {
  readonly keys: { holders: string; cap: string };
  private readonly redis: RedisConnection;
  private readonly max: number;
  private readonly now: () => number;

  constructor(options: ProviderSlotsOptions) {
    this.redis = options.redis;
    this.keys = slotKeys(options.prefix, options.apiKey);
    this.max = options.maxInFlight;
    this.now = options.now ?? Date.now;
  }

  /** True when the holder has (or now took) a slot. */
  async acquire(holder: string): Promise<boolean> {
    const got = await ACQUIRE.run(
      this.redis,
      [this.keys.holders, this.keys.cap],
      [holder, this.now(), this.max],
    );
    return got === 1;
  }

  /** True when this call freed the slot (false: it was not held). */
  async release(holder: string): Promise<boolean> {
    return (await this.redis.zrem(this.keys.holders, holder)) === 1;
  }

  /**
   * The holder's task is final: frees its slot and, when this call freed it, lets the cap grow
   * back a little. True when the slot was freed here.
   */
  async releaseFinished(holder: string): Promise<boolean> {
    const freed = await RELEASE_FINISHED.run(
      this.redis,
      [this.keys.holders, this.keys.cap],
      [holder, this.max],
    );
    return freed === 1;
  }

  /** The provider said "too many concurrent tasks": halve the cap. Returns the new cap. */
  async shrink(): Promise<number> {
    return Number(await DECREASE.run(this.redis, [this.keys.cap], [this.now(), this.max]));
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

/**
 * Slot usage of every account under a prefix (for metrics and the chaos run's final check),
 * without knowing the API keys. `cap` and `max` are summed over accounts.
 */
export async function readProviderSlots(
  redis: RedisConnection,
  prefix: string,
): Promise<SlotUsage & { accounts: number }> {
  const keys = recordKeys(prefix);
  const usage = { inUse: 0, cap: 0, max: 0, accounts: 0 };
  for await (const capKey of scanEveryMaster(redis, keys.providerCapPattern)) {
    const [inUse, fields] = await Promise.all([
      redis.zcard(keys.providerSlots(accountOfSlotKey(capKey))),
      redis.hgetall(capKey),
    ]);
    const max = Number(fields.max ?? 0);
    usage.inUse += inUse;
    usage.max += max;
    usage.cap += Math.min(max, Number(fields.cap ?? max));
    usage.accounts += 1;
  }
  return usage;
}
