import { Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import {
  batchSchedulingOf,
  changeBatchPriority,
  enqueueManifest,
  FairShare,
  fairPriority,
  LEVEL_OFFSET,
  MAX_JOB_PRIORITY,
  type PriorityLevel,
  ProviderSlots,
  providerAccounts,
  QUEUE_NAMES,
  readProviderSlots,
} from "../src/index.ts";
import { createHarness, type Harness, liteLine } from "./pipeline-harness.ts";

describe("fair share rule (pure)", () => {
  it("orders by turn within a level, puts levels a bounded offset apart, stays under BullMQ's limit", () => {
    expect(fairPriority(0, "normal")).toBeLessThan(fairPriority(1, "normal"));
    expect(fairPriority(500, "high")).toBeLessThan(fairPriority(0, "normal"));
    expect(fairPriority(0, "normal")).toBeLessThan(fairPriority(0, "low"));
    // Never starved: a low item beats normal work that arrives more than the offset later.
    const offset = LEVEL_OFFSET.low - LEVEL_OFFSET.normal;
    expect(fairPriority(100, "low")).toBeLessThan(fairPriority(100 + offset + 1, "normal"));
    expect(fairPriority(10_000_000, "low")).toBe(MAX_JOB_PRIORITY);
  });
});

describe("fair share of slots between batches (real Redis)", () => {
  let h: Harness;
  let order: Worker | undefined;
  afterEach(async () => {
    await order?.close();
    order = undefined;
    await h?.close();
  });

  async function enqueue(batchId: string, items: number, priority?: PriorityLevel) {
    const lines = Array.from({ length: items }, (_, i) => liteLine(`${batchId}-${i}`));
    return enqueueManifest({
      manifestPath: await h.writeManifest(lines),
      batchId,
      queues: h.queues,
      store: h.store,
      submitAttempts: 1,
      ...(priority === undefined ? {} : { priority }),
    });
  }

  /** The batch of every submit job in the order a BullMQ worker takes them (no provider). */
  async function takeOrder(total: number): Promise<string[]> {
    const taken: string[] = [];
    const connection = new Redis(h.config.redisUrl, { maxRetriesPerRequest: null });
    await new Promise<void>((resolve) => {
      order = new Worker(
        QUEUE_NAMES.submit,
        async (job) => {
          taken.push((job.data as { batchId: string }).batchId);
          if (taken.length === total) resolve();
        },
        { connection, prefix: h.config.prefix, concurrency: 1 },
      );
    });
    await order?.close();
    connection.disconnect();
    return taken;
  }

  it("a small batch enqueued behind a big one is served in turn with it, not after it", async () => {
    h = await createHarness();
    await enqueue("big", 40);
    // The big batch's first 20 items have had their turn.
    await new FairShare(h.redis, h.config.prefix).advance(20);
    await enqueue("small", 4);
    const taken = await takeOrder(44);
    const lastSmall = taken.lastIndexOf("small");
    // Big items 0-19 were still waiting (nobody took them here), then the two alternate.
    expect(lastSmall).toBeLessThan(20 + 2 * 4);
    expect(taken.slice(0, 20).every((b) => b === "big")).toBe(true);
  });

  it("serves a higher level first and a lower one after, and re-prioritises waiting items", async () => {
    h = await createHarness();
    await enqueue("normal", 10);
    await enqueue("low", 3, "low");
    await enqueue("high", 3, "high");
    await enqueue("later", 3, "low");
    const change = await changeBatchPriority(h.queues, h.store, "later", "high");
    expect(change.changed).toBe(3);
    expect(await new FairShare(h.redis, h.config.prefix).levelOf("later")).toBe("high");
    const taken = await takeOrder(19);
    expect(new Set(taken.slice(0, 6))).toEqual(new Set(["high", "later"]));
    expect(taken.slice(6, 16).every((b) => b === "normal")).toBe(true);
    expect(taken.slice(16)).toEqual(["low", "low", "low"]);
  });

  it("reports each batch's priority and its share of the slots held", async () => {
    h = await createHarness();
    await enqueue("a", 1, "high");
    const slots = new ProviderSlots({
      redis: h.redis,
      prefix: h.config.prefix,
      apiKey: "k",
      maxInFlight: 8,
    });
    for (const holder of ["a~x~0", "a~y~0", "a~z~0", "b~x~0"]) await slots.acquire(holder);
    const scheduling = await batchSchedulingOf(h.store, ["a", "b", "c"]);
    expect(scheduling.get("a")).toEqual({ priority: "high", slots: 3, slotShare: 0.75 });
    expect(scheduling.get("b")).toEqual({ priority: "normal", slots: 1, slotShare: 0.25 });
    expect(scheduling.get("c")).toEqual({ priority: "normal", slots: 0, slotShare: 0 });
  });

  it("counts the slots of every API key's account from the account set, not a keyspace scan", async () => {
    h = await createHarness();
    const account = (apiKey: string) =>
      new ProviderSlots({ redis: h.redis, prefix: h.config.prefix, apiKey, maxInFlight: 8 });
    await account("k1").acquire("a~x~0");
    await account("k2").acquire("a~y~0");
    await account("k2").acquire("b~x~0");
    expect((await providerAccounts(h.redis, h.config.prefix)).sort()).toEqual(
      [account("k1").keys.account, account("k2").keys.account].sort(),
    );
    const scheduling = await batchSchedulingOf(h.store, ["a", "b"]);
    expect(scheduling.get("a")?.slots).toBe(2);
    expect(scheduling.get("b")?.slots).toBe(1);
    expect((await readProviderSlots(h.redis, h.config.prefix)).inUse).toBe(3);
  });

  it("restarts the virtual clock when the submit queue is empty at an enqueue", async () => {
    h = await createHarness();
    const fairShare = new FairShare(h.redis, h.config.prefix);
    await fairShare.advance(5_000);
    expect(await fairShare.arrival(h.queues.submit)).toBe(0);
    await enqueue("a", 2);
    await fairShare.advance(7);
    expect(await fairShare.arrival(h.queues.submit)).toBe(7);
    const job = await h.queues.submit.getJob(
      (await h.queues.submit.getJobs(["prioritized"]))[0]?.id ?? "",
    );
    expect(job?.priority).toBeGreaterThan(0);
  });
});
