import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type LocalRedis, startLocalRedis } from "@veoq/local-redis";
import { createLogger } from "@veoq/logging";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import {
  batchResults,
  checkRedisDurability,
  PROBE_ROUNDS,
  ProviderRate,
  ProviderSlots,
  RATE_MARGIN,
  readProviderSlots,
  reconcileProviderSlots,
  SLOT_WAIT_MARKER,
} from "../src/index.ts";
import {
  collect,
  createHarness,
  type Harness,
  img2videoLine,
  liteLine,
} from "./pipeline-harness.ts";

describe("provider concurrency cap", () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it("keeps at most K tasks in flight across worker processes and releases every slot", async () => {
    h = await createHarness({ env: { VEOQ_MAX_IN_FLIGHT: "2" } });
    await h.start();
    await h.start(); // a second "process" sharing the same cap
    const lines = Array.from({ length: 8 }, (_, i) => liteLine(`item-${i}`));
    await h.enqueue(await h.writeManifest(lines));
    await h.waitForBatch("b1", 30_000);
    expect((await h.store.getBatch("b1"))?.counts.completed).toBe(8);
    expect(h.simulator.stats().maxInFlightSeen).toBeLessThanOrEqual(2);
    expect((await readProviderSlots(h.redis, h.config.prefix)).inUse).toBe(0);
  });

  it("sets the cap at once when the provider says too many concurrent tasks, and finishes", async () => {
    h = await createHarness({
      env: { VEOQ_MAX_IN_FLIGHT: "16", VEOQ_SUBMIT_ATTEMPTS: "1" },
      simulator: { maxConcurrentTasks: 2, concurrencyRetryAfterSeconds: 0.05 },
    });
    await h.start();
    const lines = Array.from({ length: 10 }, (_, i) => img2videoLine(`item-${i}`));
    await h.enqueue(await h.writeManifest(lines));
    await h.waitForBatch("b1", 30_000);
    expect((await h.store.getBatch("b1"))?.counts.completed).toBe(10);
    expect(h.simulator.stats().creates.rejected["429"] ?? 0).toBeGreaterThan(0);
    const usage = await readProviderSlots(h.redis, h.config.prefix);
    expect(usage.max).toBe(16);
    expect(usage.cap).toBeLessThan(16);
    expect(usage.inUse).toBe(0);
  });

  /** Slots with a maximum of 8 and a cap settled at 4, as after "too many concurrent tasks" with 4 held. */
  /** With `wake`, the submit queue's keys (under the test's prefix) are `wakeKey` and its marker. */
  let wakeKey = "";
  async function settledSlots(wake = false): Promise<ProviderSlots> {
    h = await createHarness();
    wakeKey = `${h.config.prefix}:submit:limiter`;
    const slots = new ProviderSlots({
      redis: h.redis,
      prefix: h.config.prefix,
      apiKey: "k",
      maxInFlight: 8,
      ...(wake ? { wake: { limiter: wakeKey, marker: `${h.config.prefix}:submit:marker` } } : {}),
    });
    for (let i = 0; i < 4; i++) expect(await slots.acquire(`b0~held-${i}~0`)).toBe(true);
    expect(await slots.settle()).toBe(4);
    for (let i = 0; i < 4; i++) expect(await slots.release(`b0~held-${i}~0`)).toBe(true);
    return slots;
  }

  it("settles the cap at the slots held when the provider says too many concurrent tasks", async () => {
    h = await createHarness();
    const slots = new ProviderSlots({
      redis: h.redis,
      prefix: h.config.prefix,
      apiKey: "k",
      maxInFlight: 16,
    });
    for (let i = 0; i < 7; i++) expect(await slots.acquire(`b1~item-${i}~0`)).toBe(true);
    // Seven held when the refusal came: the account's cap is measured, not halved (8).
    expect(await slots.settle()).toBe(7);
    expect(await slots.acquire("b1~item-7~0")).toBe(false);
    // Counted when the refused create was sent: a task that finished since does not pull the
    // cap under the account's limit (7 others held then: cap 7, not the 6 held now).
    await slots.release("b1~item-0~0");
    expect(await slots.settle(0, 8)).toBe(7);
    expect(await slots.acquire("b1~item-0~0")).toBe(true);
    // A later 429 with fewer held lowers it; one with more never raises it.
    await slots.release("b1~item-6~0");
    await slots.release("b1~item-5~0");
    expect(await slots.settle()).toBe(5);
    expect(await slots.acquire("b1~item-5~0")).toBe(false);
  });

  it("probes upward slowly after a settle: one slot per PROBE_ROUNDS rounds of turnover", async () => {
    const slots = await settledSlots();
    for (let i = 0; i < 4; i++) {
      expect(await slots.acquire(`b1~item-${i}~0`)).toBe(true);
      expect(await slots.releaseFinished(`b1~item-${i}~0`)).toBe(true);
    }
    // 4 + 1/16 + 1/16.25 + ...: a quarter slot per round of 4 finished tasks.
    expect((await slots.usage()).cap).toBeCloseTo(4 + 4 / (PROBE_ROUNDS * 4), 1);
  });

  it("frees a finished task's slot and grows the cap once, even when the release runs twice", async () => {
    const slots = await settledSlots();
    expect(await slots.acquire("b1~a~0")).toBe(true);
    expect(await slots.releaseFinished("b1~a~0")).toBe(true);
    const grown = await slots.usage();
    expect(grown.inUse).toBe(0);
    expect(grown.cap).toBeCloseTo(4 + 1 / (PROBE_ROUNDS * 4), 5);
    // A re-run after a stall: the slot is gone, the cap does not grow again.
    expect(await slots.releaseFinished("b1~a~0")).toBe(false);
    expect((await slots.usage()).cap).toBeCloseTo(4 + 1 / (PROBE_ROUNDS * 4), 5);
  });

  it("a full account makes the submit queue wait until a release frees a slot, not on a timer", async () => {
    const slots = await settledSlots(true);
    for (let i = 0; i < 4; i++) expect(await slots.acquire(`b1~item-${i}~0`, 60_000)).toBe(true);
    expect(await slots.itemsWaiting()).toBe(false);
    expect(await slots.acquire("b1~item-4~0", 60_000)).toBe(false);
    expect(await h.redis.get(wakeKey)).toBe(SLOT_WAIT_MARKER);
    expect(await h.redis.pttl(wakeKey)).toBeGreaterThan(50_000);
    expect(await slots.itemsWaiting()).toBe(true);
    expect(await slots.releaseFinished("b1~item-0~0")).toBe(true);
    expect(await h.redis.exists(wakeKey)).toBe(0);
    expect(await slots.itemsWaiting()).toBe(false);
    // A concurrency 429 waits the same way.
    await slots.settle(60_000);
    expect(await h.redis.get(wakeKey)).toBe(SLOT_WAIT_MARKER);
    await slots.release("b1~item-1~0");
    expect(await h.redis.exists(wakeKey)).toBe(0);
  });

  it("the limiter's own job count does not keep the submit queue from waiting for a slot", async () => {
    const slots = await settledSlots(true);
    for (let i = 0; i < 4; i++) expect(await slots.acquire(`b1~item-${i}~0`)).toBe(true);
    // What BullMQ's limiter leaves while the queue is busy: jobs started in its window.
    await h.redis.set(wakeKey, "27", "PX", 1_000);
    expect(await slots.acquire("b1~item-4~0", 60_000)).toBe(false);
    expect(await h.redis.get(wakeKey)).toBe(SLOT_WAIT_MARKER);
    expect(await h.redis.pttl(wakeKey)).toBeGreaterThan(50_000);
    expect(await slots.releaseFinished("b1~item-0~0")).toBe(true);
    expect(await h.redis.exists(wakeKey)).toBe(0);
  });

  it("a release never cuts short a provider rate limit (queue.rateLimit)", async () => {
    const slots = await settledSlots(true);
    for (let i = 0; i < 4; i++) expect(await slots.acquire(`b1~item-${i}~0`)).toBe(true);
    // What queue.rateLimit(ms) writes after a 429 with Retry-After.
    await h.redis.set(wakeKey, String(Number.MAX_SAFE_INTEGER), "PX", 60_000);
    expect(await slots.acquire("b1~item-4~0", 1_000)).toBe(false);
    expect(await h.redis.get(wakeKey)).toBe(String(Number.MAX_SAFE_INTEGER));
    expect(await h.redis.pttl(wakeKey)).toBeGreaterThan(50_000);
    expect(await slots.releaseFinished("b1~item-0~0")).toBe(true);
    expect(await h.redis.get(wakeKey)).toBe(String(Number.MAX_SAFE_INTEGER));
  });

  it("a release wakes a submit worker that went idle while its only item waited for a slot", async () => {
    h = await createHarness({ env: { VEOQ_MAX_IN_FLIGHT: "1" } });
    const running = await h.start({ roles: ["submit"] });
    const slots = running.context.slots;
    // The account is full: the one item is fetched, finds no slot and goes back to the queue,
    // which BullMQ does without its wake-up marker; meanwhile the worker (concurrency above
    // one) found nothing else to fetch and went into its idle wait.
    expect(await slots.acquire("b0~held~0")).toBe(true);
    await h.enqueue(await h.writeManifest([liteLine("item-0")]));
    await h.waitFor(() => slots.itemsWaiting(), "the item to wait for a slot");
    expect(h.simulator.stats().creates.accepted).toBe(0);
    expect(await slots.release("b0~held~0")).toBe(true);
    // Created at the worker's next look (slotWakeCheckMs, milliseconds here), not when BullMQ's
    // default 5 s idle wait runs out (begun just before the release): 3.5 s leaves a loaded
    // machine room for the one create and still fails on a 5 s wait.
    await h.waitFor(
      async () => h.simulator.stats().creates.accepted === 1,
      "the item to be created after the release",
      3_500,
    );
  });

  it("releases slots leaked by a crash (no live job behind them)", async () => {
    h = await createHarness();
    let now = 1_000_000;
    const running = await h.start({ roles: ["poll"], now: () => now });
    const slots = running.context.slots;
    expect(await slots.acquire("b1~ghost~0")).toBe(true);
    now += 120_000;
    expect(await reconcileProviderSlots(running.context, 60_000)).toBe(1);
    expect((await slots.usage()).inUse).toBe(0);
  });
});

describe("provider rate pacing (VEOQ_PROVIDER_RPM)", () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it("spaces creates by 60 000 / rpm ms (plus the margin) per account, with an injected clock", async () => {
    h = await createHarness();
    let now = 1_000_000;
    const rate = (apiKey: string) =>
      new ProviderRate({
        redis: h.redis,
        prefix: h.config.prefix,
        apiKey,
        rpm: 60,
        now: () => now,
      });
    const a = rate("a");
    const interval = 1000 * (1 + RATE_MARGIN);
    expect(await a.take()).toBe(0);
    expect(await a.take()).toBe(Math.ceil(interval));
    // A second process of the same account shares the pace; another account does not.
    expect(await rate("a").take()).toBe(Math.ceil(interval));
    expect(await rate("b").take()).toBe(0);
    now += interval;
    expect(await a.take()).toBe(0);
    // A 429 with Retry-After pushes the pace back for every process.
    await a.defer(now + 30_000);
    expect(await rate("a").take()).toBe(30_000);
    expect(
      await new ProviderRate({
        redis: h.redis,
        prefix: h.config.prefix,
        apiKey: "a",
        rpm: 0,
      }).take(),
    ).toBe(0);
  });

  it("keeps three worker processes under the provider's create rate: no create gets a 429", async () => {
    h = await createHarness({
      env: { VEOQ_PROVIDER_RPM: "240" },
      simulator: {
        rateLimit: { requestsPerSecond: 4, burst: 2, retryAfterSeconds: 1, scope: "creates" },
      },
    });
    await h.start();
    await h.start();
    await h.start();
    const lines = Array.from({ length: 12 }, (_, i) => liteLine(`item-${i}`));
    await h.enqueue(await h.writeManifest(lines));
    await h.waitForBatch("b1", 60_000);
    expect((await h.store.getBatch("b1"))?.counts.completed).toBe(12);
    expect(h.simulator.stats().creates.rejected["429"] ?? 0).toBe(0);
  });
});

describe("bad provider answers fail only the item concerned, with a clear error", () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it("2xx without task_id", async () => {
    h = await createHarness({
      env: { VEOQ_SUBMIT_ATTEMPTS: "2" },
      simulator: { missingTaskIdRate: 1 },
    });
    await h.start();
    await h.enqueue(await h.writeManifest([liteLine("a")]));
    await h.waitForBatch("b1");
    const [result] = await collect(batchResults(h.store, "b1"));
    expect(result?.status).toBe("failed");
    if (result?.status === "failed") {
      expect(result.errorKind).toBe("malformed_response");
      expect(result.errorMessage).toMatch(/task_id/);
    }
    expect((await readProviderSlots(h.redis, h.config.prefix)).inUse).toBe(0);
  });

  it("a result URL that serves HTML", async () => {
    h = await createHarness({
      env: { VEOQ_DOWNLOAD_ATTEMPTS: "2" },
      simulator: { htmlFileRate: 1 },
    });
    await h.start();
    await h.enqueue(await h.writeManifest([liteLine("a"), liteLine("b")]));
    await h.waitForBatch("b1");
    const results = await collect(batchResults(h.store, "b1"));
    for (const result of results) {
      expect(result.status).toBe("failed");
      if (result.status === "failed") {
        expect(result.errorKind).toBe("malformed_response");
        expect(result.errorMessage).toMatch(/html/i);
        expect(result.failedStage).toBe("download");
      }
    }
  });
});

describe("secrets", () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it("never writes the API key to Redis or the logs, even when requests fail", async () => {
    const apiKey = `sk-live-${randomBytes(12).toString("hex")}`;
    h = await createHarness({
      env: { JIEKOU_API_KEY: apiKey, VEOQ_SUBMIT_ATTEMPTS: "6" },
      simulator: { apiKeys: [apiKey], serverErrorRate: 0.2, failureRate: 0.3 },
    });
    const lines: string[] = [];
    const logger = createLogger({
      level: "debug",
      secrets: [apiKey],
      destination: { write: (line: string) => void lines.push(line) },
    });
    await h.start({ apiKey, logger });
    await h.enqueue(
      await h.writeManifest(Array.from({ length: 6 }, (_, i) => img2videoLine(`s-${i}`))),
    );
    await h.waitForBatch("b1", 30_000);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join("\n")).not.toContain(apiKey);

    let cursor = "0";
    let scanned = 0;
    do {
      const [next, keys] = await h.redis.scan(cursor, "MATCH", `${h.config.prefix}*`, "COUNT", 500);
      cursor = next;
      for (const key of keys) {
        scanned++;
        expect(key).not.toContain(apiKey);
        const type = await h.redis.type(key);
        const dump =
          type === "string"
            ? [await h.redis.get(key)]
            : type === "hash"
              ? Object.entries(await h.redis.hgetall(key)).flat()
              : type === "list"
                ? await h.redis.lrange(key, 0, -1)
                : type === "zset"
                  ? await h.redis.zrange(key, 0, -1)
                  : type === "set"
                    ? await h.redis.smembers(key)
                    : type === "stream"
                      ? JSON.stringify(await h.redis.xrange(key, "-", "+")).split(",")
                      : [];
        for (const value of dump) expect(String(value)).not.toContain(apiKey);
      }
    } while (cursor !== "0");
    expect(scanned).toBeGreaterThan(10);
  });
});

describe("Redis durability and restarts", () => {
  let local: LocalRedis | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await local?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("warns when Redis may evict or lose jobs, and not when it is set up as infra/redis/redis.conf says", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "veoq-durability-"));
    local = await startLocalRedis({ dataDir: dir });
    const good = new Redis(local.url);
    expect(await checkRedisDurability(good)).toEqual([]);
    await good.config("SET", "maxmemory-policy", "allkeys-lru");
    await good.config("SET", "appendonly", "no");
    await good.config("SET", "save", "");
    const warnings = await checkRedisDurability(good);
    good.disconnect();
    expect(warnings.join("\n")).toMatch(/allkeys-lru/);
    expect(warnings.join("\n")).toMatch(/no persistence/);
  });

  it("keeps working through a Redis crash and restart, losing nothing", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "veoq-restart-"));
    local = await startLocalRedis({ dataDir: path.join(dir, "redis") });
    const h = await createHarness({ env: { REDIS_URL: local.url } });
    try {
      await h.start();
      h.redis.on("error", () => {});
      const lines = Array.from({ length: 12 }, (_, i) =>
        img2videoLine(`r-${i}`, { prompt: `restart ${i} [sim:duration=${60 + i * 10}]` }),
      );
      await h.enqueue(await h.writeManifest(lines));
      await h.waitFor(
        async () => ((await h.store.getBatch("b1"))?.counts.completed ?? 0) >= 1,
        "a first item",
      );
      await new Promise((r) => setTimeout(r, 1100)); // appendfsync everysec
      await local.kill();
      await new Promise((r) => setTimeout(r, 500));
      await local.restart();
      await h.waitForBatch("b1", 45_000);
      const batch = await h.store.getBatch("b1");
      expect(batch?.total).toBe(12);
      expect(batch?.counts.completed).toBe(12);
    } finally {
      await h.close();
    }
  });
});
