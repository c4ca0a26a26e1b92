import type { RedisConnection } from "./connection/redis-connection.ts";
import { recordKeys } from "./keys.ts";
import { utcDay } from "./spend-ledger.ts";
import { runStoreScript } from "./store-scripts.ts";

/**
 * How a create's reservation on its API key's daily budget ends: `created` (the task exists:
 * spent, and a create counted), `spent` (sent without an answer: the money may be paid) or
 * `released` (certainly not made: given back).
 */
export type KeyReservationEnd = "created" | "spent" | "released";

/** Prefix of a holder's reservation field in the key's cap hash. */
const HOLD_FIELD = "hold:";

export interface KeyReservationsOptions {
  redis: RedisConnection;
  prefix: string;
  /** The account id of the key's records (keys/provider-keys.ts accountOfKey). */
  account: string;
  now?: () => number;
}

/**
 * The money reserved on one API key's daily budget (`daily_budget=` of JIEKOU_API_KEYS_FILE) by
 * creates under way, issue 27: reserved with the key's slot by the pool's take
 * (scripts/takeKeySlot.lua, which also checks spent + reserved + cost against the budget), ended
 * by the submit attempt that holds it (stages/submit-attempt.ts) through `settle`, and, after a
 * crash, by the slot reconciler (slot-reconciler.ts), like the batch's spend reservations
 * (spend-ledger.ts). The reservations live in the key's cap hash (`hold:<holder>` and the day's
 * `reserved:<day>`), named by the key's account, never the key.
 */
export class KeyReservations {
  /** The account id of the key's records. */
  readonly account: string;
  private readonly redis: RedisConnection;
  private readonly capKey: string;
  private readonly now: () => number;

  constructor(options: KeyReservationsOptions) {
    this.account = options.account;
    this.redis = options.redis;
    this.capKey = recordKeys(options.prefix).providerCap(options.account);
    this.now = options.now ?? Date.now;
  }

  /**
   * Ends `holder`'s reservation as `end` says; its cost when this call settled one. A create
   * made without a reservation (`holder` '' or none held) is counted, with `fallbackCostMicros`
   * spent today, only when that cost is given.
   */
  async settle(
    holder: string,
    end: KeyReservationEnd,
    fallbackCostMicros?: number,
  ): Promise<number | undefined> {
    const cost = Number(
      await runStoreScript(
        this.redis,
        "settleKeyReservation",
        [this.capKey],
        [
          holder,
          end,
          utcDay(this.now()),
          fallbackCostMicros === undefined ? "" : Math.round(fallbackCostMicros),
        ],
      ),
    );
    return cost < 0 ? undefined : cost;
  }

  /** The holder's reserved cost, or undefined when it holds no reservation on this key. */
  async of(holder: string): Promise<number | undefined> {
    const value = await this.redis.hget(this.capKey, `${HOLD_FIELD}${holder}`);
    return value === null ? undefined : Number(value.split("|")[1]);
  }

  /** Holders whose reservation was taken before `olderThan` (ms since epoch). */
  async holdersBefore(olderThan: number): Promise<string[]> {
    const holders: string[] = [];
    let cursor = "0";
    do {
      const [next, entries] = await this.redis.hscan(
        this.capKey,
        cursor,
        "MATCH",
        `${HOLD_FIELD}*`,
        "COUNT",
        200,
      );
      cursor = next;
      for (let i = 0; i + 1 < entries.length; i += 2) {
        const takenAt = Number((entries[i + 1] as string).split("|")[2]);
        if (takenAt < olderThan) holders.push((entries[i] as string).slice(HOLD_FIELD.length));
      }
    } while (cursor !== "0");
    return holders;
  }
}
