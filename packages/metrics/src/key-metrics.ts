import { type KeyFigures, readKeyFigures } from "@veoq/pipeline";
import { defineRedisGauges, type RedisGauge, redisGaugeSet } from "./redis-gauges.ts";

/**
 * Per API key of the pool, labelled `key` with its name or short hash (never the key), read on
 * scrape from the keys' records: tasks in flight and the effective cap, creates, rate 429s and
 * money spent since its records began, and whether it is stopped (401/402) or cooling (429).
 */
export const registerKeyMetrics = defineRedisGauges((store) => {
  const perKey = (
    name: string,
    help: string,
    pick: (k: KeyFigures) => number,
  ): RedisGauge<KeyFigures[]> => ({
    name,
    help,
    labelNames: ["key"],
    set: (gauge, keys) => {
      for (const key of keys) gauge.set({ key: key.name }, pick(key));
    },
  });
  return [
    redisGaugeSet(
      () => readKeyFigures(store.redis, store.prefix, Date.now()),
      [
        perKey("veoq_key_in_flight", "Tasks in flight on one API key", (k) => k.inFlight),
        perKey(
          "veoq_key_in_flight_cap",
          "Effective cap on tasks in flight of one API key (max_in_flight, lowered on concurrency 429s)",
          (k) => k.cap,
        ),
        perKey("veoq_key_creates", "Creates made with one API key (a count)", (k) => k.creates),
        perKey(
          "veoq_key_rate_limited",
          "Rate 429s one API key got on creates (a count)",
          (k) => k.rateLimited,
        ),
        perKey(
          "veoq_key_spent",
          "Money spent on creates with one API key, in the price table's currency",
          (k) => k.spentMicros / 1_000_000,
        ),
        perKey(
          "veoq_key_stopped",
          "1 while one API key is stopped by a 401/402 (`veoq resume --key`), else 0",
          (k) => (k.state === "stopped" ? 1 : 0),
        ),
        perKey(
          "veoq_key_cooling",
          "1 while one API key cools down after a rate 429, else 0",
          (k) => (k.state === "cooling" ? 1 : 0),
        ),
      ],
    ),
  ];
});
