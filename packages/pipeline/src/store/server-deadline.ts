import type { RedisConnection } from "./connection/redis-connection.ts";

/**
 * A deadline `withinMs` from now on the Redis server's clock (read with TIME, so a dashboard
 * whose clock differs from the server's still refuses on time), for writes with a deadline: the
 * scripts refuse a write that Redis runs after it (scripts/includes/pastDeadline.lua).
 */
export async function redisServerDeadline(
  redis: RedisConnection,
  withinMs: number,
): Promise<number> {
  const startedAt = Date.now();
  const [seconds, micros] = (await redis.time()) as [string | number, string | number];
  const serverNow = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  // The time spent asking counts against the budget.
  return serverNow + withinMs - (Date.now() - startedAt);
}
