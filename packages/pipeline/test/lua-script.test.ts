import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type LocalRedis, startLocalRedis } from "@veoq/local-redis";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LuaScript } from "../src/store/lua-script.ts";

describe("LuaScript", () => {
  // A private server: the test flushes its script cache.
  let dataDir: string;
  let server: LocalRedis;
  let redis: Redis;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "veoq-lua-script-"));
    server = await startLocalRedis({ dataDir });
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const script = new LuaScript("return redis.call('INCRBY', KEYS[1], ARGV[1])");

  it("runs by SHA1 once the server has the script, and sends it whole when it does not", async () => {
    const evalsBefore = await scriptCalls(redis);
    expect(await script.run(redis, ["counter"], [2])).toBe(2);
    expect(await script.run(redis, ["counter"], [3])).toBe(5);
    const evalsAfter = await scriptCalls(redis);
    // The first call found no script (NOSCRIPT) and fell back to EVAL; the second used EVALSHA.
    expect(evalsAfter.eval - evalsBefore.eval).toBe(1);
    expect(evalsAfter.evalsha - evalsBefore.evalsha).toBe(2);

    await redis.script("FLUSH"); // as after a Redis restart
    expect(await script.run(redis, ["counter"], [1])).toBe(6);
    expect((await scriptCalls(redis)).eval - evalsAfter.eval).toBe(1);
  });

  it("passes script errors through", async () => {
    const failing = new LuaScript("return redis.call('NOSUCHCOMMAND')");
    await expect(failing.run(redis, [], [])).rejects.toThrow(
      /Unknown Redis command|unknown command/i,
    );
  });
});

async function scriptCalls(redis: Redis): Promise<{ eval: number; evalsha: number }> {
  const info = await redis.info("commandstats");
  const calls = (name: string) =>
    Number(info.match(new RegExp(`cmdstat_${name}:calls=(\\d+)`))?.[1] ?? 0);
  return { eval: calls("eval"), evalsha: calls("evalsha") };
}
