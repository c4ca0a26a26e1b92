/**
 * Test clean-up: deletes every key a test wrote under its prefix on a standalone Redis (the
 * shared 127.0.0.1:6379 of the test suites). A veoq prefix `{name}` owns its own keys
 * (`{name}:…`) and the keys it spreads over a cluster under hash tags of their own
 * (`{name:poll}…`, `{name:b:<batch>}…`, docs/architecture.md "Redis key layout"), so both
 * patterns are removed. A cluster test removes its keys per master instead (pipeline-harness).
 */
export interface KeyRemovingClient {
  scan(
    cursor: string,
    match: "MATCH",
    pattern: string,
    count: "COUNT",
    n: number,
  ): Promise<[string, string[]]>;
  unlink(...keys: string[]): Promise<number>;
}

/** The patterns that hold every key under `prefix`. */
export function keyPatternsUnder(prefix: string): string[] {
  const tagged = /^\{([^{}]+)\}$/.exec(prefix);
  return tagged === null ? [`${prefix}*`] : [`${prefix}*`, `{${tagged[1]}:*`];
}

/** Deletes every key under `prefix`; returns how many were deleted. */
export async function removeKeysUnder(redis: KeyRemovingClient, prefix: string): Promise<number> {
  let removed = 0;
  for (const pattern of keyPatternsUnder(prefix)) {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      if (keys.length > 0) removed += await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== "0");
  }
  return removed;
}
