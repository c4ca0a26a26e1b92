import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseConfig } from "@veoq/config";
import { type LocalCluster, startLocalCluster } from "@veoq/local-redis";
import { createLogger } from "@veoq/logging";
import { Cluster } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { batchResults, RedisSetupError, startWorkers } from "../src/index.ts";
import { collect, createHarness, type Harness, img2videoLine } from "./pipeline-harness.ts";

/**
 * Issue 12 "spread the keys": one batch of the default prefix on a 3-master cluster puts keys on
 * every master (queues and per-batch records under their own hash tags), and a Redis that still
 * holds the previous single-slot layout is refused at start in one line.
 */
const ITEMS = 6;
const dir = mkdtempSync(path.join(tmpdir(), "veoq-key-spread-"));
let cluster: LocalCluster;

beforeAll(async () => {
  cluster = await startLocalCluster({ dataDir: path.join(dir, "cluster"), nodeTimeoutMs: 3_000 });
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** How many keys each master holds (SCAN on each, a private cluster holds only this test's keys). */
async function keysPerMaster(redis: Cluster): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const node of redis.nodes("master")) {
    let cursor = "0";
    let n = 0;
    do {
      const [next, keys] = await node.scan(cursor, "COUNT", 1000);
      cursor = next;
      n += keys.length;
    } while (cursor !== "0");
    counts.set(`${node.options.host}:${node.options.port}`, n);
  }
  return counts;
}

describe("the key layout on a 3-master Redis Cluster", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("puts the keys of a one-batch deployment on all three masters", async () => {
    const harness = await createHarness({
      env: { REDIS_URL: "", REDIS_CLUSTER_NODES: cluster.seeds, VEOQ_PREFIX: "{veoq}" },
    });
    h = harness;
    expect(harness.redis).toBeInstanceOf(Cluster);
    await harness.start();
    const manifest = await harness.writeManifest(
      Array.from({ length: ITEMS }, (_, i) => img2videoLine(`k-${i}`)),
    );
    expect((await harness.enqueue(manifest)).added).toBe(ITEMS);
    await harness.waitForBatch("b1", 60_000);
    const lines = await collect(batchResults(harness.store, "b1"));
    expect(lines.filter((l) => l.status === "completed")).toHaveLength(ITEMS);
    const counts = await keysPerMaster(harness.redis as Cluster);
    expect(counts.size).toBe(3);
    expect([...counts.values()].filter((n) => n > 0)).toHaveLength(3);
    // The per-batch records are not in the account-wide slot.
    const slotOf = async (key: string) =>
      Number(await harness.redis.call("CLUSTER", "KEYSLOT", key));
    expect(await slotOf(harness.store.keys.itemStates("b1"))).not.toBe(
      await slotOf(harness.store.keys.batches),
    );
  }, 90_000);

  it("refuses at start a Redis that holds the previous layout, in one line", async () => {
    const logger = createLogger({ level: "silent" });
    const prefix = "{veoq-old}";
    const config = parseConfig({
      JIEKOU_API_KEY: "k",
      REDIS_URL: "",
      REDIS_CLUSTER_NODES: cluster.seeds,
      VEOQ_PREFIX: prefix,
    });
    const seed = new Cluster(
      cluster.seeds.split(",").map((s) => {
        const [host, port] = s.split(":");
        return { host: host ?? "127.0.0.1", port: Number(port) };
      }),
    );
    try {
      // What the previous version wrote for a batch: list entry and `<prefix>:batch:<id>`.
      await seed.zadd(`${prefix}:batches`, 1, "old-batch");
      await seed.hset(`${prefix}:batch:old-batch`, "createdAt", "1");
      const error = await startWorkers({ config, apiKey: "k", logger }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RedisSetupError);
      const message = (error as Error).message;
      expect(message).not.toContain("\n");
      expect(message).toMatch(/previous key layout .*\{veoq-old\}:batch:old-batch/);
      expect(message).toContain("Moving from the single-slot key layout");
      // An old poll queue alone is found too.
      await seed.del(`${prefix}:batch:old-batch`);
      await seed.hset(`${prefix}:poll:meta`, "opts.maxLenEvents", "10000");
      const again = await startWorkers({ config, apiKey: "k", logger }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((again as Error).message).toMatch(/poll queue in the previous key layout/);
    } finally {
      seed.disconnect();
    }
  }, 30_000);
});
