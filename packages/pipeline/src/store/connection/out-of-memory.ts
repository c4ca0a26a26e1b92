/**
 * Whether Redis refused a write because it is full: `used_memory > maxmemory` under the
 * `noeviction` policy veoq needs (infra/redis/redis.conf). The refusal comes as a reply error
 * starting with "OOM", alone or as the cause of a discarded transaction (EXECABORT).
 */
export function isRedisOutOfMemory(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (/^OOM\b/.test(error.message)) return true;
  const previous = (error as { previousErrors?: unknown }).previousErrors;
  return Array.isArray(previous) && previous.some(isRedisOutOfMemory);
}

/** One line for a person: what happened and what to change. */
export const REDIS_OUT_OF_MEMORY =
  "Redis is out of memory (used memory > maxmemory, policy noeviction): free memory or raise maxmemory";
