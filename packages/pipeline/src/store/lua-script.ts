import { createHash } from "node:crypto";
import type { RedisConnection } from "./connection/redis-connection.ts";

/**
 * A Lua script sent by its SHA1 (EVALSHA), so the hot path does not ship the script's text with
 * every call. A server that lacks it (first use, a restarted Redis, another cluster node)
 * answers NOSCRIPT, and the script is sent whole once with EVAL, which also caches it there.
 */
export class LuaScript {
  readonly source: string;
  readonly sha: string;

  constructor(source: string) {
    this.source = source;
    this.sha = createHash("sha1").update(source).digest("hex");
  }

  async run(
    redis: RedisConnection,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
