import { randomBytes } from "node:crypto";
import type { ApiKeyEntry } from "@veoq/config";
import { removeKeysUnder } from "@veoq/local-redis";
import { createLogger } from "@veoq/logging";
import type { ProviderClient } from "@veoq/provider-client";
import { Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import {
  createQueues,
  openStore,
  ProviderKeys,
  reconcileEveryAccount,
  SpendLedger,
} from "../src/index.ts";
import type { KeyTake, ProviderKey } from "../src/keys/provider-keys.ts";
import type { PipelineContext } from "../src/stages/pipeline-context.ts";
import { endEarlierAttempt, releaseTaskSlot } from "../src/stages/submit-attempt.ts";
import { pollJobId, queuePrefix, submitJobId } from "../src/store/keys.ts";

/**
 * Crashes around a create on a pool whose workers hold disjoint keys (issue 27 review, M1/M2):
 * a key's daily budget is charged once per create sent through it, never for a create sent
 * through another key.
 */
const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
const prefixes: string[] = [];
afterAll(async () => {
  for (const prefix of prefixes) await removeKeysUnder(redis, prefix);
  redis.disconnect();
});

/** The key a take chose (the test fails if it chose none). */
function keyOf(take: KeyTake): ProviderKey {
  if (!("key" in take)) throw new Error(`no key: ${take.wait}`);
  return take.key;
}

const start = Date.UTC(2026, 11, 7, 12);
const day = "2026-12-07";
const entry = (name: string): ApiKeyEntry => ({
  name,
  secret: `secret-${name}`,
  rpm: 0,
  maxInFlight: 10,
  dailyBudget: 1,
  weight: 1,
});

function setup() {
  const prefix = `{veoq-test-${randomBytes(4).toString("hex")}}`;
  prefixes.push(prefix);
  let now = start;
  const store = openStore(redis, { prefix });
  const poolOf = (names: string[]) =>
    new ProviderKeys({
      store,
      keys: names.map(entry),
      clientFor: () => ({}) as ProviderClient,
      toMicros: (amount) => Math.round(amount * 1e6),
      now: () => now,
    });
  const money = async (account: string) => {
    const cap = await redis.hgetall(`${prefix}:provider-cap:${account}`);
    return {
      spent: Number(cap[`spent:${day}`] ?? 0),
      reserved: Number(cap[`reserved:${day}`] ?? 0),
    };
  };
  return {
    prefix,
    store,
    poolOf,
    money,
    advance: (ms: number) => {
      now += ms;
    },
    now: () => now,
  };
}

describe("key budget reservations across workers with disjoint keys", () => {
  it("a create sent on key a whose retry first lands on a worker without a is booked once per create on a", async () => {
    const { store, poolOf, money } = setup();
    const p1 = poolOf(["a"]); // worker 1 holds a
    const p2 = poolOf(["b"]); // worker 2 holds b only
    const holder = "B~x~0";
    // Try 1 on worker 1: slot + 0.30 reserved on a; the create is sent (createSentAt, key a
    // recorded), then worker 1 dies.
    const t1 = await p1.take(holder, 1000, 300_000);
    expect("key" in t1 && t1.key.name).toBe("a");
    const data = {
      batchId: "B",
      customId: "x",
      submission: 0,
      model: "m",
      keyName: "a",
      keyAccount: "a",
    } as const;
    // Try 2 on worker 2 (bookUnrecordedCreate): a is not held here, yet a's reservation is
    // booked as spent (by its account); createSentAt is then removed from the job.
    const ctx2 = {
      spend: new SpendLedger(redis, store.prefix),
      store,
      keys: p2,
      now: () => start,
      observer: {},
    } as unknown as PipelineContext;
    await endEarlierAttempt(ctx2, data as never, "maybe_created");
    expect(await money("a")).toEqual({ spent: 300_000, reserved: 0 });
    // Try 3 on worker 1 (restarted): the holder still has its slot on a but no reservation: the
    // take reserves anew for the NEW create, then settled as created.
    const t3 = await p1.take(holder, 1000, 300_000);
    expect("key" in t3 && t3.key.name).toBe("a");
    await p1.settle(keyOf(t3), holder, "created");
    // Two creates were sent through a (one unanswered, maybe billed; one made): 0.60 spent.
    expect(await money("a")).toEqual({ spent: 600_000, reserved: 0 });
  });

  it("a reservation left on key a by a try that never sent its create is given back when the retry created on b", async () => {
    const { store, poolOf, money, advance, now } = setup();
    const p1 = poolOf(["a"]);
    const p2 = poolOf(["b"]);
    const holder = "B~x~0";
    const queues = createQueues(redis, store.prefix);
    try {
      await queues.submit.add("submit", {} as never, { jobId: submitJobId("B", "x", 0) });
      // Try 1 on worker 1: slot + reservation on a; it dies reading the input images (nothing sent).
      expect("key" in (await p1.take(holder, 0, 300_000))).toBe(true);
      // The stalled job's retry runs on worker 2: b is taken, the create is made and booked on b.
      const t2 = await p2.take(holder, 0, 300_000);
      expect("key" in t2 && t2.key.name).toBe("b");
      await p2.settle(keyOf(t2), holder, "created");
      // Hand-off: the task recorded on the job with its key, poll job added, submit job done.
      const submitJob = await queues.submit.getJob(submitJobId("B", "x", 0));
      await submitJob?.updateData({ taskId: "t1", keyName: "b", keyAccount: "b" } as never);
      await queues.poll.add("poll", { keyName: "b", keyAccount: "b" } as never, {
        jobId: pollJobId("B", "x", 0),
        delay: 600_000,
      });
      await submitJob?.remove();
      advance(120_000);
      await reconcileEveryAccount(
        { store, queues, logger: createLogger({ level: "silent" }), now },
        60_000,
      );
      expect(await money("b")).toEqual({ spent: 300_000, reserved: 0 }); // the one create
      expect(await money("a")).toEqual({ spent: 0, reserved: 0 }); // nothing sent through a
      // a's slot is not held until the poll job (which follows b's task) ends.
      expect(await p1.first.slots.holdersBefore(now() + 1)).toEqual([]);
      expect(await p2.first.slots.holdersBefore(now() + 1)).toEqual([holder]);
    } finally {
      await Promise.all([queues.submit.close(), queues.poll.close(), queues.download.close()]);
    }
  });

  it("a dropped task's slot is freed on the key that created it, by a worker without that key", async () => {
    const { poolOf } = setup();
    const p1 = poolOf(["a"]);
    const p2 = poolOf(["b"]);
    const holder = "B~x~0";
    expect(keyOf(await p1.take(holder, 0, 300_000)).name).toBe("a");
    await p1.settle(p1.first, holder, "created");
    // The poll job of a batch cancelled with --drop-in-flight runs on worker 2 (b only): it
    // stops before looking for its key, and frees the task's slot on a, not on its own first key.
    const ctx2 = { keys: p2, slots: p2.first.slots } as unknown as PipelineContext;
    await releaseTaskSlot(
      ctx2,
      { batchId: "B", customId: "x", submission: 0, keyName: "a", keyAccount: "a" },
      "abandoned",
    );
    expect(await p1.first.slots.holdersBefore(Number.MAX_SAFE_INTEGER)).toEqual([]);
  });

  it("a job that failed after sending on a books a's reservation as spent, and gives back b's left before sending", async () => {
    const { store, poolOf, money, advance, now } = setup();
    const pa = poolOf(["a"]);
    const pb = poolOf(["b"]);
    const holder = "B~x~0";
    const queues = createQueues(redis, store.prefix);
    // A worker of the submit queue, taking jobs by hand (no processor).
    const worker = new Worker(queues.submit.name, null, {
      connection: new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", {
        maxRetriesPerRequest: null,
      }),
      prefix: queuePrefix(store.prefix, "submit"),
    });
    try {
      // A try on b reserved and died before sending; the next, on a, sent its create (its key
      // recorded with the mark) and the job then failed for good, its outcome never recorded.
      expect(keyOf(await pb.take(holder, 0, 300_000)).name).toBe("b");
      expect(keyOf(await pa.take(holder, 0, 300_000)).name).toBe("a");
      await queues.submit.add(
        "submit",
        { createSentAt: start, keyName: "a", keyAccount: "a" } as never,
        { jobId: submitJobId("B", "x", 0) },
      );
      const job = await worker.getNextJob("token");
      await job?.moveToFailed(new Error("stalled too often"), "token");
      expect(await (await queues.submit.getJob(submitJobId("B", "x", 0)))?.getState()).toBe(
        "failed",
      );
      advance(120_000);
      await reconcileEveryAccount(
        { store, queues, logger: createLogger({ level: "silent" }), now },
        60_000,
      );
      expect(await money("a")).toEqual({ spent: 300_000, reserved: 0 }); // maybe billed
      expect(await money("b")).toEqual({ spent: 0, reserved: 0 }); // never sent through b
    } finally {
      await worker.close();
      await Promise.all([queues.submit.close(), queues.poll.close(), queues.download.close()]);
    }
  });
});
