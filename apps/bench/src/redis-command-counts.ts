import { Redis } from "ioredis";

/**
 * Commands the bench's own reading adds (INFO, CONFIG RESETSTAT, the command trace's MONITOR and
 * its end marker): not the measured work.
 */
const HARNESS_COMMANDS = new Set([
  "info",
  "config|resetstat",
  "config",
  "monitor",
  "client|info",
  "echo",
]);

/**
 * Every command INFO commandstats counted since the last RESETSTAT, by name (script-internal
 * ones included: a script's HSET is counted as hset beside its evalsha), the harness's own
 * INFO and CONFIG left out.
 */
export async function commandCounts(redisUrl: string): Promise<Map<string, number>> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const info = await redis.info("commandstats");
    return new Map(
      [...info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)]
        .filter((m) => !HARNESS_COMMANDS.has(m[1] as string))
        .map((m) => [m[1] as string, Number(m[2])]),
    );
  } finally {
    redis.disconnect();
  }
}

/** Zeroes the server's command counters (CONFIG RESETSTAT). */
export async function resetCommandCounts(redisUrl: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    await redis.config("RESETSTAT");
  } finally {
    redis.disconnect();
  }
}

export function totalCommands(counts: ReadonlyMap<string, number>): number {
  return [...counts.values()].reduce((sum, n) => sum + n, 0);
}

/** The `n` most frequent commands, most first. */
export function topCommands(
  counts: ReadonlyMap<string, number>,
  n = 40,
): { command: string; calls: number }[] {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([command, calls]) => ({ command, calls }));
}
