import { describeRedisTarget, type VeoqConfig } from "@veoq/config";
import {
  BatchStore,
  checkRedisSetup,
  createQueues,
  createRedisConnection,
  type RedisConnection,
  type VeoqQueues,
} from "@veoq/pipeline";
import { redisFaultOf } from "./redis-fault.ts";

/**
 * How long a command waits for Redis's first answer before it says "timed out": under the 5 s
 * an operator waits for a one-line verdict (later commands keep PRODUCER_COMMAND_TIMEOUT_MS).
 */
const FIRST_ANSWER_TIMEOUT_MS = 4_000;

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
export async function openQueueSession(
  config: VeoqConfig,
  /** BullMQ's own telemetry on the queues (bullmq-otel), when tracing is on. */
  queueOptions: Parameters<typeof createQueues>[2] = {},
): Promise<QueueSession> {
  const redis = createRedisConnection(config.redis, "producer");
  const reported: unknown[] = [];
  redis.on("error", (error) => {
    // Named once below by the ping; ioredis would otherwise print every retry.
    if (reported.length < 20) reported.push(error);
  });
  let timer: NodeJS.Timeout | undefined;
  // Once the timeout wins the race, the ping may still reject (e.g. with the AUTH error, which
  // carries the password as a command argument): handled here, so it is never an unhandled
  // rejection that Node prints whole.
  const ping = redis.ping();
  ping.catch(() => {});
  try {
    await Promise.race([
      ping,
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error("Redis first answer timed out")),
          FIRST_ANSWER_TIMEOUT_MS,
        );
      }),
    ]);
  } catch (error) {
    redis.disconnect();
    const fault = redisFaultOf(error, ...reported);
    throw new RedisUnreachableError(
      `cannot reach Redis at ${describeRedisTarget(config.redis)} (${config.redis.env}): ${
        fault === "timed out"
          ? `timed out (no answer within ${FIRST_ANSWER_TIMEOUT_MS / 1000} s)`
          : fault
      }`,
    );
  } finally {
    clearTimeout(timer);
  }
  try {
    // Reachable: now check it is the Redis the configuration says (one clear line if not).
    await checkRedisSetup(config.redis, config.prefix, redis);
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  const queues = createQueues(redis, config.prefix, queueOptions);
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
