import type { RedisConnection } from "./connection/redis-connection.ts";

/**
 * Lua prelude of a write with a deadline: returns `refusal` (nothing written) when the caller's
 * deadline, ARGV[argIndex] in ms on the Redis server's clock ("" for none), has passed by the
 * server's TIME. A write queued behind a stalled Redis is then refused once Redis answers again,
 * instead of being applied after the person who asked for it was told it failed.
 */
export function deadlineLua(argIndex: number, refusal = "-1"): string {
  return `
if ARGV[${argIndex}] ~= '' then
  local t = redis.call('TIME')
  if tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > tonumber(ARGV[${argIndex}]) then return ${refusal} end
end`;
}

/**
 * A deadline `withinMs` from now on the Redis server's clock (read with TIME, so a dashboard
 * whose clock differs from the server's still refuses on time), for writes with a deadline.
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
