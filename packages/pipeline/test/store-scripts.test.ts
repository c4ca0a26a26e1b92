import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type LocalRedis, startLocalRedis } from "@veoq/local-redis";
import { reprocessJob } from "bullmq/dist/esm/scripts/reprocessJob-8.js";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bundleStoreScripts,
  GENERATED_MODULE,
  renderGeneratedModule,
  SCRIPTS_DIR,
} from "../src/store/scripts/bundle-lua.ts";
import { STORE_SCRIPTS } from "../src/store/scripts/store-scripts.generated.ts";
import {
  runStoreScript,
  type StoreScriptName,
  storeScriptSource,
} from "../src/store/store-scripts.ts";
import { EVERY_OPEN_BATCH } from "../src/store/webhook-outbox.ts";

const NAMES = Object.keys(STORE_SCRIPTS) as StoreScriptName[];

describe("the store's Lua scripts (store/scripts/*.lua)", () => {
  it("are the generated module's: it was regenerated after the last .lua change", async () => {
    const scripts = await bundleStoreScripts();
    const stale = Object.keys(scripts).filter(
      (name) => scripts[name] !== STORE_SCRIPTS[name as StoreScriptName],
    );
    // On failure: pnpm --filter @veoq/pipeline generate:scripts
    expect(stale, "scripts changed since the module was generated").toEqual([]);
    expect(await readFile(GENERATED_MODULE, "utf8")).toBe(renderGeneratedModule(scripts));
  });

  it("each say what they do, their KEYS, ARGV and reply, and include only existing files", async () => {
    const files = (await readdir(SCRIPTS_DIR)).filter((f) => f.endsWith(".lua"));
    expect(files.length).toBe(NAMES.length);
    for (const file of files) {
      const text = await readFile(path.join(SCRIPTS_DIR, file), "utf8");
      expect(text, file).toMatch(/^--\[\[\n {2}\S[\s\S]*\n {2}Input:\n[\s\S]*\n {2}Output:\n/);
      expect(text, file).toMatch(/KEYS\[1\]/);
      expect(STORE_SCRIPTS[file.slice(0, -4) as StoreScriptName], file).not.toMatch(/@include/);
    }
  });

  it("are each listed in the README's table of which scripts touch which key", async () => {
    const readme = await readFile(path.join(SCRIPTS_DIR, "README.md"), "utf8");
    const table = readme.slice(readme.indexOf("## Which scripts touch this key?"));
    expect(NAMES.filter((name) => !new RegExp(`\\b${name}\\b`).test(table))).toEqual([]);
  });

  it("write the open-batches marker the relay reads (EVERY_OPEN_BATCH)", () => {
    expect(STORE_SCRIPTS.stopSubmissions).toContain(`'${EVERY_OPEN_BATCH}'`);
  });

  it("carry the installed BullMQ's reprocessJob inside requeueFailedJob", () => {
    const source = storeScriptSource("requeueFailedJob");
    expect(source).not.toMatch(/@bullmq/);
    expect(source).toContain(`local function reprocess(KEYS, ARGV)\n${reprocessJob.content}\nend`);
  });

  describe("on a Redis server", () => {
    // A private server: the test flushes its script cache.
    let dataDir: string;
    let server: LocalRedis;
    let redis: Redis;
    beforeAll(async () => {
      dataDir = await mkdtemp(path.join(tmpdir(), "veoq-store-scripts-"));
      server = await startLocalRedis({ dataDir });
      redis = new Redis(server.url);
    });
    afterAll(async () => {
      redis?.disconnect();
      await server?.stop();
      await rm(dataDir, { recursive: true, force: true });
    });

    it("every one compiles (SCRIPT LOAD)", async () => {
      for (const name of NAMES) {
        await expect(redis.script("LOAD", storeScriptSource(name)), name).resolves.toMatch(
          /^[0-9a-f]{40}$/,
        );
      }
    });

    it("run by SHA1 once the connection sent the text, and again after the server lost them", async () => {
      const before = await scriptCalls(redis);
      await runStoreScript(redis, "advanceFairShareClock", ["clock"], [2]);
      await runStoreScript(redis, "advanceFairShareClock", ["clock"], [5]);
      await runStoreScript(redis, "advanceFairShareClock", ["clock"], [3]);
      expect(await redis.get("clock")).toBe("5");
      const after = await scriptCalls(redis);
      expect(after.eval + after.evalsha - before.eval - before.evalsha).toBe(3);
      expect(after.evalsha - before.evalsha).toBeGreaterThanOrEqual(2);

      await redis.script("FLUSH"); // as after a Redis restart
      await runStoreScript(redis, "advanceFairShareClock", ["clock"], [7]);
      expect(await redis.get("clock")).toBe("7");
    });

    it("pass script errors through", async () => {
      // settleSpendReservation's string.match on a number-less value: fine; a wrong-type key is not.
      await redis.set("not-a-hash", "x");
      await expect(
        runStoreScript(
          redis,
          "settleSpendReservation",
          ["not-a-hash", "z", "s", "d"],
          ["h", "spent", "v"],
        ),
      ).rejects.toThrow(/WRONGTYPE/);
    });
  });
});

async function scriptCalls(redis: Redis): Promise<{ eval: number; evalsha: number }> {
  const info = await redis.info("commandstats");
  const calls = (name: string) =>
    Number(info.match(new RegExp(`cmdstat_${name}:calls=(\\d+)`))?.[1] ?? 0);
  return { eval: calls("eval"), evalsha: calls("evalsha") };
}
