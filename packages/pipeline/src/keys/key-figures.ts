import type { RedisConnection } from "../store/connection/redis-connection.ts";
import { recordKeys } from "../store/keys.ts";
import { providerAccounts } from "../store/provider-slots.ts";
import { keyStopKey, spentField } from "./provider-keys.ts";

/** What one API key of the pool is doing, as `veoq keys`, status, metrics and the dashboard show. */
export interface KeyFigures {
  /** The key's name (never the key). */
  name: string;
  /** "ok", "stopped" (a 401/402 on it: `veoq resume --key`), "cooling" (a 429) or "full". */
  state: "ok" | "stopped" | "cooling" | "full";
  inFlight: number;
  /** Effective cap now (after the adaptive decrease), and the configured maximum. */
  cap: number;
  max: number;
  /** Creates made with the key, and rate 429s it got, since its records began. */
  creates: number;
  rateLimited: number;
  /** Money spent on its creates (micro-units), in total and on the current UTC day. */
  spentMicros: number;
  spentTodayMicros: number;
  /** Until when (ms) it cools down after a 429; 0: not cooling. */
  coolUntil: number;
  /** Why it is stopped, when it is. */
  stoppedBy: string | undefined;
}

/** The name of an account's records: a named key's name, or `key-<hash>` for an unnamed key. */
function nameOfAccount(account: string): string {
  return /^[0-9a-f]{12}$/.test(account) ? `key-${account}` : account;
}

/**
 * Figures of every key under a prefix (every account listed before its first slot), by name,
 * read without knowing the keys.
 */
export async function readKeyFigures(
  redis: RedisConnection,
  prefix: string,
  now: number,
): Promise<KeyFigures[]> {
  const keys = recordKeys(prefix);
  const figures: KeyFigures[] = [];
  // The account set (store/provider-slots.ts), not a scan: the keyspace holds every job.
  for (const account of await providerAccounts(redis, prefix)) {
    const name = nameOfAccount(account);
    const [inFlight, fields, stoppedBy] = await Promise.all([
      redis.zcard(keys.providerSlots(account)),
      redis.hgetall(keys.providerCap(account)),
      redis.get(keyStopKey(prefix, name)),
    ]);
    const max = Number(fields.max ?? 0);
    const cap = Math.min(max, Number(fields.cap ?? max));
    const coolUntil = Number(fields.coolUntil ?? 0);
    const state =
      stoppedBy !== null
        ? "stopped"
        : coolUntil > now
          ? "cooling"
          : inFlight >= Math.max(1, Math.floor(cap))
            ? "full"
            : "ok";
    figures.push({
      name,
      state,
      inFlight,
      cap: Math.floor(cap * 100) / 100,
      max,
      creates: Number(fields.creates ?? 0),
      rateLimited: Number(fields.rateLimited ?? 0),
      spentMicros: Number(fields.spentMicros ?? 0),
      spentTodayMicros: Number(fields[spentField(now)] ?? 0),
      coolUntil: coolUntil > now ? coolUntil : 0,
      stoppedBy: stoppedBy ?? undefined,
    });
  }
  return figures.sort((a, b) => a.name.localeCompare(b.name));
}
