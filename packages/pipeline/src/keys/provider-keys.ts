import { type ApiKeyEntry, apiKeyHash, unnamedKeyName } from "@veoq/config";
import type { ProviderClient } from "@veoq/provider-client";
import type { BatchStore } from "../store/batch-store.ts";
import { type RedisConnection, scanEveryMaster } from "../store/connection/redis-connection.ts";
import type { KeyReservationEnd, KeyReservations } from "../store/key-reservations.ts";
import { recordKeys } from "../store/keys.ts";
import type { ProviderRate, ProviderSlots } from "../store/provider-slots.ts";
import type { RecordedKey } from "../store/recorded-key.ts";
import { utcDay } from "../store/spend-ledger.ts";
import { runStoreScript } from "../store/store-scripts.ts";
import { SLOT_WAIT_MARKER, type SubmitQueueWakeKeys } from "../store/submit-queue-wake.ts";

/**
 * The pool of provider API keys one worker process holds (JIEKOU_API_KEY, JIEKOU_API_KEYS or
 * JIEKOU_API_KEYS_FILE), each with its own slots and adaptive cap (provider-slots.ts), its own
 * create pace (provider-slots.ts), its own stop (a 401/402 on it) and its own cool-down (a 429 on
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
  /** Its daily budget's reservations, one per create under way (store/key-reservations.ts). */
  readonly reservations: KeyReservations;
  readonly rate: ProviderRate;
  /** The provider client that sends this key. */
  readonly client: ProviderClient;
}

export type KeyTake =
  /**
   * A slot on `key`; `held` counts the key's slots held with it; `reserved`: the create's cost
   * is reserved on the key's daily budget with it (settled by `settle`; else counted by `count`).
   */
  | { key: ProviderKey; held: number; reserved: boolean }
  /** Every usable key's slots are taken: the submit queue waits for a release (set here). */
  | { wait: "slots" }
  /** A key has a free slot but its pace or cool-down lets no create go for `ms` real ms. */
  | { wait: "pace"; ms: number }
  /** Every key is stopped (401/402): the deployment's credentials stop applies. */
  | { wait: "stopped" }
  /** Every key not stopped has spent its own daily budget (daily_budget=) for today. */
  | { wait: "budget" };

export interface ProviderKeysOptions {
  /** The process's store (store/batch-store.ts): the keys' slots and pacing are its records. */
  store: BatchStore;
  keys: readonly ApiKeyEntry[];
  /** Builds the provider client of one key. */
  clientFor: (key: ApiKeyEntry) => ProviderClient;
  /** Money amounts (a daily budget) to micro-units. */
  toMicros: (amount: number) => number;
  /** The submit queue's keys (store/submit-queue-wake.ts): it waits while every key is full. */
  wake?: SubmitQueueWakeKeys;
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

export class ProviderKeys {
  readonly list: readonly ProviderKey[];
  private readonly redis: RedisConnection;
  private readonly store: BatchStore;
  private readonly prefix: string;
  private readonly now: () => number;
  private readonly wake: SubmitQueueWakeKeys | undefined;

  constructor(options: ProviderKeysOptions) {
    if (options.keys.length === 0) throw new Error("a key pool needs at least one key");
    this.redis = options.store.redis;
    this.store = options.store;
    this.prefix = options.store.prefix;
    this.now = options.now ?? Date.now;
    this.wake = options.wake;
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
        slots: options.store.providerSlots({
          account,
          maxInFlight: entry.maxInFlight,
          ...(options.wake === undefined ? {} : { wake: options.wake }),
          now: this.now,
        }),
        reservations: options.store.keyReservations({ account, now: this.now }),
        rate: options.store.providerRate({
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
   * The account of the key a job recorded: its `keyAccount` (written with `keyName`), else (no
   * key named: its create not sent yet) the first key.
   */
  accountOf(data: RecordedKey): string {
    return data.keyAccount ?? this.first.account;
  }

  /**
   * The daily-budget reservations of `account`'s key, whether or not this process holds it: a
   * retry that lands on a worker without the key still settles what an earlier try reserved.
   */
  reservationsOf(account: string): KeyReservations {
    const held = this.list.find((key) => key.account === account);
    return held?.reservations ?? this.store.keyReservations({ account, now: this.now });
  }

  /**
   * The slots of `account`'s key (a held key's, or its records read by account: only released
   * through them, the configured maximum is not known here).
   */
  slotsOf(account: string): { slots: ProviderSlots; held: boolean } {
    const key = this.list.find((k) => k.account === account);
    if (key !== undefined) return { slots: key.slots, held: true };
    const slots = this.store.providerSlots({
      account,
      maxInFlight: 1,
      ...(this.wake === undefined ? {} : { wake: this.wake }),
      now: this.now,
    });
    return { slots, held: false };
  }

  /**
   * A slot for `holder` on the key with the most free capacity (weighted), or why none. When
   * every usable key is full, the submit queue waits up to `waitMs` or until a release. With the
   * slot, `costMicros` is reserved on the key's daily budget (scripts/takeKeySlot.lua): the
   * holder's submit attempt settles it (`settle`), the slot reconciler after a crash.
   */
  async take(holder: string, waitMs: number, cost = 0): Promise<KeyTake> {
    const costMicros = Math.max(0, Math.round(cost));
    if (!this.pooled && this.first.dailyBudgetMicros === undefined) {
      const held = await this.first.slots.take(holder, waitMs);
      return held > 0 ? { key: this.first, held, reserved: false } : { wait: "slots" };
    }
    // Each key's account listed before its first slot (store/provider-slots.ts listAccount).
    await Promise.all(this.list.map((key) => key.slots.listAccount()));
    const keys = [this.wake?.limiter ?? "", this.wake?.marker ?? ""];
    const args: (string | number)[] = [
      holder,
      this.now(),
      SLOT_WAIT_MARKER,
      Math.round(waitMs),
      this.list.length,
    ];
    for (const key of this.list) {
      keys.push(key.slots.keys.holders, key.slots.keys.cap, keyStopKey(this.prefix, key.name));
      // A create may go while the pace's next time is at most this far ahead (provider-slots.ts
      // counts it when taken; the choice only asks whether one could go).
      args.push(
        key.maxInFlight,
        key.weight,
        key.rpm > 0 ? 0 : Number.MAX_SAFE_INTEGER,
        key.dailyBudgetMicros ?? -1,
      );
    }
    args.push(utcDay(this.now()), costMicros);
    const [index, value] = (await runStoreScript(this.redis, "takeKeySlot", keys, args)) as [
      number,
      number,
    ];
    if (index > 0) {
      return { key: this.list[index - 1] as ProviderKey, held: value, reserved: costMicros > 0 };
    }
    if (index === -2) return { wait: "budget" };
    if (index < 0) return { wait: "stopped" };
    return value < 0 ? { wait: "slots" } : { wait: "pace", ms: Math.max(1, value) };
  }

  /** The provider rate-limited `key` (a 429): no create on it before `untilMs`, in any process. */
  async coolDown(key: ProviderKey, untilMs: number): Promise<void> {
    await runStoreScript(
      this.redis,
      "coolProviderKey",
      [key.slots.keys.cap],
      [Math.round(untilMs)],
    );
  }

  /**
   * Ends `holder`'s reservation on `key`'s daily budget (store/key-reservations.ts), if it has
   * one: `created` counts the create and its money (in total and for its UTC day, read by
   * `veoq keys`, status and metrics), `spent` books the money of a create that may have been
   * made, `released` gives it back. A second call finds nothing to settle.
   */
  async settle(key: ProviderKey, holder: string, end: KeyReservationEnd): Promise<void> {
    await key.reservations.settle(holder, end);
  }

  /**
   * Counts what `key` did, in its cap hash (read by `veoq keys`, status and metrics): a create
   * made without a reservation (a lone key without a budget takes none) and the money it cost
   * today, or a rate 429.
   */
  async count(key: ProviderKey, event: "created" | "rateLimited", costMicros = 0): Promise<void> {
    if (event === "created") {
      await key.reservations.settle("", "created", costMicros);
      return;
    }
    await runStoreScript(this.redis, "countKeyEvent", [key.slots.keys.cap], []);
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
