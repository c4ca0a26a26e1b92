import { Redis } from "ioredis";

/** Empties the bench's private Redis between measurements (never a shared one). */
export async function flushBenchRedis(url: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    await redis.flushall();
  } finally {
    redis.disconnect();
  }
}

/** `used_memory` from INFO memory, in bytes. */
export async function usedMemoryBytes(redis: Redis): Promise<number> {
  const info = await redis.info("memory");
  const match = /^used_memory:(\d+)/m.exec(info);
  if (match?.[1] === undefined) throw new Error("INFO memory has no used_memory");
  return Number(match[1]);
}

/** Polls `check` every `intervalMs` until it is true or `timeoutMs` passes (then throws). */
export async function waitUntil(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs: number,
  intervalMs = 25,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Forks Redis made so far (BGSAVE, AOF rewrites) and how long its latest fork blocked it. */
export async function redisForks(redis: Redis): Promise<{ total: number; latestMs: number }> {
  const info = await redis.info("stats");
  return {
    total: Number(/^total_forks:(\d+)/m.exec(info)?.[1] ?? Number.NaN),
    latestMs: Number(/^latest_fork_usec:(\d+)/m.exec(info)?.[1] ?? Number.NaN) / 1000,
  };
}

/**
 * Lets Redis finish what it persists in the background (a snapshot or an AOF rewrite, which
 * fork a process as large as the data set), then takes a snapshot: `save 300 100`
 * (infra/redis/redis.conf) is then not due during the next 300 s of reads, so a read's time is
 * the read's, not a fork's. Times the snapshot's own fork.
 */
export async function settleRedisPersistence(redis: Redis, timeoutMs: number): Promise<void> {
  const busy = async () => {
    const info = await redis.info("persistence");
    return /^(rdb_bgsave_in_progress|aof_rewrite_in_progress):1/m.test(info);
  };
  await waitUntil(async () => !(await busy()), "Redis background persistence", timeoutMs, 200);
  await redis.bgsave().catch((error: unknown) => {
    // One started between the wait and this call: waited for below all the same.
    if (!/in progress/i.test(String(error))) throw error;
  });
  await waitUntil(async () => !(await busy()), "Redis BGSAVE", timeoutMs, 200);
}
