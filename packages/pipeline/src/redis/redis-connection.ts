import { Redis, type RedisOptions } from "ioredis";

export type ConnectionRole = "worker" | "producer";

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
