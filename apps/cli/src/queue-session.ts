import { describeRedisTarget, type VeoqConfig } from "@veoq/config";
import {
  BatchStore,
  checkRedisSetup,
  createQueues,
  createRedisConnection,
  PRODUCER_COMMAND_TIMEOUT_MS,
  type RedisConnection,
  type VeoqQueues,
} from "@veoq/pipeline";

/** Raised when a producer command cannot reach Redis: one line naming REDIS_URL. */
export class RedisUnreachableError extends Error {
  override name = "RedisUnreachableError";
}

const CONNECTION_ERROR_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE"]);

/**
 * True for the errors ioredis gives a producer connection once Redis has gone away mid-command
 * (it retries a few times, then gives up: see createRedisConnection's "producer" options).
 */
export function isRedisConnectionError(error: unknown): boolean {
  // File-system errors (a manifest on a flaky mount) carry a path and the same codes.
  if (!(error instanceof Error) || "path" in error) return false;
  const code = (error as NodeJS.ErrnoException).code;
  return (
    error.name === "MaxRetriesPerRequestError" ||
    error.message === "Connection is closed." ||
    // Redis took the connection but did not answer (see PRODUCER_COMMAND_TIMEOUT_MS).
    error.message === "Command timed out" ||
    // Commands still pending (e.g. a MULTI of an addBulk) when the connection closed.
    (error.name === "AbortError" &&
      error.message.startsWith("Command aborted due to connection close")) ||
    (code !== undefined && CONNECTION_ERROR_CODES.has(code))
  );
}

export interface QueueSession {
  redis: RedisConnection;
  queues: VeoqQueues;
  store: BatchStore;
  close(): Promise<void>;
}

/**
 * Opens the queues and batch store for a producer command (enqueue, status, results, retry,
 * resume). Fails fast with a clear message when Redis is not reachable, instead of hanging.
 */
export async function openQueueSession(config: VeoqConfig): Promise<QueueSession> {
  const redis = createRedisConnection(config.redis, "producer");
  redis.on("error", () => {
    // Reported once below by the ping; ioredis would otherwise print every retry.
  });
  try {
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    const reason =
      error instanceof Error && error.message === "Command timed out"
        ? `no answer within ${PRODUCER_COMMAND_TIMEOUT_MS / 1000} s`
        : error instanceof Error
          ? error.message
          : String(error);
    throw new RedisUnreachableError(
      `cannot reach Redis at ${describeRedisTarget(config.redis)} (${config.redis.env}): ${reason}`,
    );
  }
  try {
    // Reachable: now check it is the Redis the configuration says (one clear line if not).
    await checkRedisSetup(config.redis, config.prefix, redis);
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  const queues = createQueues(redis, config.prefix);
  return {
    redis,
    queues,
    store: new BatchStore(redis, config.prefix),
    async close() {
      await queues.close();
      redis.disconnect();
    },
  };
}
