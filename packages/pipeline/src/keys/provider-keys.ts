import { type ApiKeyEntry, apiKeyHash, unnamedKeyName } from "@veoq/config";
import type { ProviderClient } from "@veoq/provider-client";
import { type RedisConnection, scanEveryMaster } from "../store/connection/redis-connection.ts";
import { recordKeys } from "../store/keys.ts";
import { LuaScript } from "../store/lua-script.ts";
import { ProviderRate } from "../store/provider-rate.ts";
import { ProviderSlots, SLOT_WAIT_MARKER } from "../store/provider-slots.ts";

/**
 * The pool of provider API keys one worker process holds (JIEKOU_API_KEY, JIEKOU_API_KEYS or
 * JIEKOU_API_KEYS_FILE), each with its own slots and adaptive cap (provider-slots.ts), its own
 * create pace (provider-rate.ts), its own stop (a 401/402 on it) and its own cool-down (a 429 on
 * it), all in Redis under the key's account id, so every process that holds the key shares them.
 *
 * A key's account id is its name when the keys file names it, else the short hash of the key
 * (the id the single key's records always had): the key itself is never written anywhere.
 *
 * Choosing (`take`): each create goes to the key with the most free slots times its weight,
 * among the keys not stopped, not cooling down and whose pace lets a create go now; the choice
 * and the slot are taken in one script, so two processes never fill the same last slot. With one
 * key, `take` is that key's `ProviderSlots.take`, exactly as before pools.
 */
export interface ProviderKey {
  /** Name in logs, Redis, metrics and pages (never the key). */
  readonly name: string;
  /** Where its Redis records are (provider-slots:<account>, provider-cap:<account>). */
  readonly account: string;
  readonly weight: number;
  readonly maxInFlight: number;
  readonly rpm: number;
  /** VEOQ key's own daily budget in micro-units; undefined: none. */
  readonly dailyBudgetMicros: number | undefined;
  readonly slots: ProviderSlots;
  readonly rate: ProviderRate;
  /** The provider client that sends this key. */
  readonly client: ProviderClient;
}

export type KeyTake =
  /** A slot on `key`; `held` counts the key's slots held with it. */
  | { key: ProviderKey; held: number }
  /** Every usable key's slots are taken: the submit queue waits for a release (set here). */
  | { wait: "slots" }
  /** A key has a free slot but its pace or cool-down lets no create go for `ms` real ms. */
  | { wait: "pace"; ms: number }
  /** Every key is stopped (401/402): the deployment's credentials stop applies. */
  | { wait: "stopped" }
  /** Every key not stopped has spent its own daily budget (daily_budget=) for today. */
  | { wait: "budget" };

export interface ProviderKeysOptions {
  redis: RedisConnection;
  prefix: string;
  keys: readonly ApiKeyEntry[];
  /** Builds the provider client of one key. */
  clientFor: (key: ApiKeyEntry) => ProviderClient;
  /** Money amounts (a daily budget) to micro-units. */
  toMicros: (amount: number) => number;
  wakeKey?: string;
  wakeMarkerKey?: string;
  now?: () => number;
}

/** The account id of a key's Redis records: its name, or the hash when it has none. */
export function accountOfKey(key: Pick<ApiKeyEntry, "name" | "secret">): string {
  return key.name === unnamedKeyName(key.secret) ? apiKeyHash(key.secret) : key.name;
}

/** The cap-hash field of a key's spend on the UTC day of `ms` (its daily budget's measure). */
export function spentField(ms: number): string {
  return `spent:${new Date(ms).toISOString().slice(0, 10)}`;
}

/** Key of a provider key's stop (a 401/402 on it): holds the reason while it is stopped. */
export function keyStopKey(prefix: string, name: string): string {
  return recordKeys(prefix).providerKeyStop(name);
}

/** SCAN pattern of every key stop under a prefix. */
export function keyStopPattern(prefix: string): string {
  return recordKeys(prefix).providerKeyStopPattern;
}

/**
 * Takes a slot on the best key, or says why none. KEYS: limiter, queue marker, then per key its
 * holders zset, cap hash and stop key. ARGV: holder, now, marker, waitMs, key count, then per
 * key its max in flight, weight, pace tolerance (ms) and daily budget (micro-units, -1: none);
 * after them the UTC day's spend field and the create's cost. Returns {index (1-based), held}
 * for a slot, {0, ms} when only keys paced or cooling down have free slots (the soonest may send
 * in ms), {-1, 0} when every key is stopped, {-2, 0} when every key not stopped is over its daily
 * budget, {0, -1} when the usable keys are full, or full and paced (the queue then waits for a
 * release, at most until the soonest pace).
 */
const TAKE_BEST = new LuaScript(`
local holder, now, n = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[5])
for i = 1, n do
  local holders = KEYS[3 + (i - 1) * 3]
  if redis.call('ZSCORE', holders, holder) then return {i, redis.call('ZCARD', holders)} end
end
local spentField, cost = ARGV[6 + n * 4], tonumber(ARGV[7 + n * 4])
local best, bestScore, paceWait, usable, funded, full = 0, -1, -1, 0, 0, 0
for i = 1, n do
  local holders, capKey, stopKey = KEYS[3 + (i - 1) * 3], KEYS[4 + (i - 1) * 3], KEYS[5 + (i - 1) * 3]
  local max = tonumber(ARGV[6 + (i - 1) * 4])
  local weight = tonumber(ARGV[7 + (i - 1) * 4])
  local tolerance = tonumber(ARGV[8 + (i - 1) * 4])
  local budget = tonumber(ARGV[9 + (i - 1) * 4])
  redis.call('HSET', capKey, 'max', max)
  if redis.call('EXISTS', stopKey) == 0 then usable = usable + 1 end
  local withinBudget = budget < 0 or
    tonumber(redis.call('HGET', capKey, spentField) or '0') + cost <= budget
  if withinBudget and redis.call('EXISTS', stopKey) == 0 then
    funded = funded + 1
    local cap = math.min(tonumber(redis.call('HGET', capKey, 'cap') or max), max)
    local free = math.max(1, math.floor(cap)) - redis.call('ZCARD', holders)
    if free > 0 then
      local readyAt = math.max(tonumber(redis.call('HGET', capKey, 'createTat') or '0') - tolerance,
        tonumber(redis.call('HGET', capKey, 'coolUntil') or '0'))
      if readyAt <= now then
        local score = free * weight
        if score > bestScore then best, bestScore = i, score end
      elseif paceWait < 0 or readyAt - now < paceWait then
        paceWait = readyAt - now
      end
    else
      full = full + 1
    end
  end
end
if best > 0 then
  local holders = KEYS[3 + (best - 1) * 3]
  redis.call('ZADD', holders, now, holder)
  return {best, redis.call('ZCARD', holders)}
end
if usable == 0 then return {-1, 0} end
if funded == 0 then return {-2, 0} end
-- Only paced or cooling keys have room: wait for the soonest. A full key's release may come
-- sooner: then wait for a release (or the pace), as one key waits for its slots.
if paceWait >= 0 and full == 0 then return {0, math.ceil(paceWait)} end
local waitMs = tonumber(ARGV[4])
if paceWait >= 0 and paceWait < waitMs then waitMs = math.max(1, math.ceil(paceWait)) end
for i = 1, n do
  if redis.call('EXISTS', KEYS[5 + (i - 1) * 3]) == 0 then
    redis.call('HSET', KEYS[4 + (i - 1) * 3], 'waitingAt', ARGV[2])
  end
end
if KEYS[1] ~= '' and waitMs > 0 then
  local current = tonumber(redis.call('GET', KEYS[1]) or '')
  if not (current and current > tonumber(ARGV[3]) and redis.call('PTTL', KEYS[1]) > 0) then
    redis.call('SET', KEYS[1], ARGV[3], 'PX', waitMs)
  end
end
return {0, -1}
`);

/** KEYS: cap hash. ARGV: until (ms). Pushes the key's cool-down to at least then. */
const COOL = new LuaScript(`
local cooling = tonumber(redis.call('HGET', KEYS[1], 'coolUntil') or '0')
if cooling < tonumber(ARGV[1]) then redis.call('HSET', KEYS[1], 'coolUntil', ARGV[1]) end
return 1
`);

/**
 * KEYS: cap hash. ARGV: "rateLimited", or "creates", the day's spend field and the cost: one
 * round trip for a key's counters.
 */
const COUNT = new LuaScript(`
if ARGV[1] == 'rateLimited' then return redis.call('HINCRBY', KEYS[1], 'rateLimited', 1) end
redis.call('HINCRBY', KEYS[1], 'creates', 1)
redis.call('HINCRBY', KEYS[1], 'spentMicros', ARGV[3])
return redis.call('HINCRBY', KEYS[1], ARGV[2], ARGV[3])
`);

export class ProviderKeys {
  readonly list: readonly ProviderKey[];
  private readonly redis: RedisConnection;
  private readonly prefix: string;
  private readonly now: () => number;
  private readonly wakeKey: string | undefined;
  private readonly wakeMarkerKey: string | undefined;

  constructor(options: ProviderKeysOptions) {
    if (options.keys.length === 0) throw new Error("a key pool needs at least one key");
    this.redis = options.redis;
    this.prefix = options.prefix;
    this.now = options.now ?? Date.now;
    this.wakeKey = options.wakeKey;
    this.wakeMarkerKey = options.wakeMarkerKey;
    this.list = options.keys.map((entry) => {
      const account = accountOfKey(entry);
      return {
        name: entry.name,
        account,
        weight: entry.weight,
        maxInFlight: entry.maxInFlight,
        rpm: entry.rpm,
        dailyBudgetMicros:
          entry.dailyBudget === undefined ? undefined : options.toMicros(entry.dailyBudget),
        slots: new ProviderSlots({
          redis: options.redis,
          prefix: options.prefix,
          account,
          maxInFlight: entry.maxInFlight,
          ...(options.wakeKey === undefined ? {} : { wakeKey: options.wakeKey }),
          ...(options.wakeMarkerKey === undefined ? {} : { wakeMarkerKey: options.wakeMarkerKey }),
          now: this.now,
        }),
        rate: new ProviderRate({
          redis: options.redis,
          prefix: options.prefix,
          account,
          rpm: entry.rpm,
          now: this.now,
        }),
        client: options.clientFor(entry),
      };
    });
  }

  /** The first key (the only one without a pool). */
  get first(): ProviderKey {
    return this.list[0] as ProviderKey;
  }

  /** Whether this process holds more than one key. */
  get pooled(): boolean {
    return this.list.length > 1;
  }

  /**
   * The key named `name` (a task's creator), or undefined when this process does not hold it.
   * A task recorded without a name was created by the first key.
   */
  get(name: string | undefined): ProviderKey | undefined {
    if (name === undefined) return this.first;
    return this.list.find((key) => key.name === name);
  }

  /**
   * A slot for `holder` on the key with the most free capacity (weighted), or why none. When
   * every usable key is full, the submit queue waits up to `waitMs` or until a release.
   */
  async take(holder: string, waitMs: number, costMicros = 0): Promise<KeyTake> {
    if (!this.pooled && this.first.dailyBudgetMicros === undefined) {
      const held = await this.first.slots.take(holder, waitMs);
      return held > 0 ? { key: this.first, held } : { wait: "slots" };
    }
    const keys = [this.wakeKey ?? "", this.wakeMarkerKey ?? ""];
    const args: (string | number)[] = [
      holder,
      this.now(),
      SLOT_WAIT_MARKER,
      Math.round(waitMs),
      this.list.length,
    ];
    for (const key of this.list) {
      keys.push(key.slots.keys.holders, key.slots.keys.cap, keyStopKey(this.prefix, key.name));
      // A create may go while the pace's next time is at most this far ahead (provider-rate.ts
      // counts it when taken; the choice only asks whether one could go).
      args.push(
        key.maxInFlight,
        key.weight,
        key.rpm > 0 ? 0 : Number.MAX_SAFE_INTEGER,
        key.dailyBudgetMicros ?? -1,
      );
    }
    args.push(spentField(this.now()), costMicros);
    const [index, value] = (await TAKE_BEST.run(this.redis, keys, args)) as [number, number];
    if (index > 0) return { key: this.list[index - 1] as ProviderKey, held: value };
    if (index === -2) return { wait: "budget" };
    if (index < 0) return { wait: "stopped" };
    return value < 0 ? { wait: "slots" } : { wait: "pace", ms: Math.max(1, value) };
  }

  /** The provider rate-limited `key` (a 429): no create on it before `untilMs`, in any process. */
  async coolDown(key: ProviderKey, untilMs: number): Promise<void> {
    await COOL.run(this.redis, [key.slots.keys.cap], [Math.round(untilMs)]);
  }

  /**
   * Counts what `key` did, in its cap hash (read by `veoq keys`, status and metrics): a create
   * made (and the money it cost, in total and for the UTC day), or a rate 429.
   */
  async count(key: ProviderKey, event: "created" | "rateLimited", costMicros = 0): Promise<void> {
    await COUNT.run(
      this.redis,
      [key.slots.keys.cap],
      event === "rateLimited" ? ["rateLimited"] : ["creates", spentField(this.now()), costMicros],
    );
  }

  /** A 401/402 on `key`: it takes no create until `veoq resume --key`. True when newly stopped. */
  async stop(key: ProviderKey, reason: string): Promise<boolean> {
    const set = await this.redis.set(keyStopKey(this.prefix, key.name), reason, "NX");
    return set === "OK";
  }

  /** Every key of this process that is stopped, with its reason. */
  async stopped(): Promise<Map<string, string>> {
    const reasons = await Promise.all(
      this.list.map((key) => this.redis.get(keyStopKey(this.prefix, key.name))),
    );
    const stopped = new Map<string, string>();
    this.list.forEach((key, i) => {
      const reason = reasons[i];
      if (reason !== null && reason !== undefined) stopped.set(key.name, reason);
    });
    return stopped;
  }
}

/**
 * Lifts the stop of the key named `name` (`veoq resume --key`); returns its reason, or undefined
 * when it was not stopped.
 */
export async function resumeKey(
  redis: RedisConnection,
  prefix: string,
  name: string,
): Promise<string | undefined> {
  const key = keyStopKey(prefix, name);
  const reason = await redis.get(key);
  if (reason === null) return undefined;
  await redis.del(key);
  return reason;
}

/** Every stopped key under a prefix (name -> reason), read without knowing the keys. */
export async function readKeyStops(
  redis: RedisConnection,
  prefix: string,
): Promise<Map<string, string>> {
  const stops = new Map<string, string>();
  const start = keyStopKey(prefix, "").length;
  for await (const key of scanEveryMaster(redis, keyStopPattern(prefix))) {
    const reason = await redis.get(key);
    if (reason !== null) stops.set(key.slice(start), reason);
  }
  return stops;
}

/** Lifts every key's stop (plain `veoq resume`); returns the names that were stopped. */
export async function resumeEveryKey(redis: RedisConnection, prefix: string): Promise<string[]> {
  const stops = await readKeyStops(redis, prefix);
  for (const name of stops.keys()) await redis.del(keyStopKey(prefix, name));
  return [...stops.keys()];
}
