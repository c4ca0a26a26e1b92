import { Redis, type RedisOptions } from "ioredis";

export type ConnectionRole = "worker" | "producer";

/**
 * How long a producer waits for Redis to answer one command (ms). A Redis that accepts the
 * connection but never answers (stopped, overloaded, a dead proxy) would otherwise hold
 * `status`, `enqueue` and the other producer commands forever.
 */
export const PRODUCER_COMMAND_TIMEOUT_MS = 10_000;

/**
 * One ioredis connection per purpose. Workers wait out Redis restarts (BullMQ needs
 * maxRetriesPerRequest: null on blocking connections); producers fail fast with a clear error
 * instead of queueing commands while Redis is away.
 */
export function createRedisConnection(url: string, role: ConnectionRole): Redis {
  const options: RedisOptions =
    role === "worker"
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : {
          maxRetriesPerRequest: 1,
          enableOfflineQueue: true,
          connectTimeout: 5_000,
          commandTimeout: PRODUCER_COMMAND_TIMEOUT_MS,
          retryStrategy: (times) => (times > 3 ? null : Math.min(times * 200, 1_000)),
        };
  return new Redis(url, { ...options, lazyConnect: false });
}

/** Says where Redis is without the password that a URL may carry. */
export function describeRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = "";
    parsed.username = "";
    return parsed.toString();
  } catch {
    return "(unparseable REDIS_URL)";
  }
}
