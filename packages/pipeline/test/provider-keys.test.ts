import { randomBytes } from "node:crypto";
import type { ApiKeyEntry } from "@veoq/config";
import { removeKeysUnder } from "@veoq/local-redis";
import { createLogger } from "@veoq/logging";
import type { ProviderClient } from "@veoq/provider-client";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import {
  createQueues,
  openStore,
  ProviderKeys,
  readKeyStops,
  reconcileEveryAccount,
  resumeEveryKey,
  resumeKey,
  SLOT_WAIT_MARKER,
} from "../src/index.ts";

const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
const prefixes: string[] = [];
afterAll(async () => {
  for (const prefix of prefixes) await removeKeysUnder(redis, prefix);
  redis.disconnect();
});

function entry(name: string, maxInFlight: number, extra: Partial<ApiKeyEntry> = {}): ApiKeyEntry {
  return {
    name,
    secret: `secret-${name}`,
    rpm: 0,
    maxInFlight,
    dailyBudget: undefined,
    weight: 1,
    ...extra,
  };
}

function pool(keys: ApiKeyEntry[], now = () => 1_000_000) {
  const prefix = `{veoq-test-${randomBytes(4).toString("hex")}}`;
  prefixes.push(prefix);
  return {
    prefix,
    limiter: `${prefix}:limiter`,
    keys: new ProviderKeys({
      store: openStore(redis, { prefix }),
      keys,
      clientFor: () => ({}) as ProviderClient,
      toMicros: (amount) => Math.round(amount * 1e6),
      wake: { limiter: `${prefix}:limiter`, marker: `${prefix}:marker` },
      now,
    }),
  };
}

/** The key's money today in its cap hash: spent and reserved (micros). */
async function moneyToday(prefix: string, account: string, now: number) {
  const fields = await redis.hgetall(`${prefix}:provider-cap:${account}`);
  const day = new Date(now).toISOString().slice(0, 10);
  return {
    spent: Number(fields[`spent:${day}`] ?? 0),
    reserved: Number(fields[`reserved:${day}`] ?? 0),
  };
}

async function namesOfTakes(keys: ProviderKeys, holders: string[]): Promise<string[]> {
  const names: string[] = [];
  for (const holder of holders) {
    const taken = await keys.take(holder, 1_000);
    names.push("key" in taken ? taken.key.name : `wait:${taken.wait}`);
  }
  return names;
}

describe("ProviderKeys: which key takes a create", () => {
  it("gives each create to the key with the most free slots, then waits when all are full", async () => {
    const { keys, limiter } = pool([entry("a", 4), entry("b", 2), entry("c", 2)]);
    const holders = Array.from({ length: 9 }, (_, i) => `h${i}`);
    expect(await namesOfTakes(keys, holders)).toEqual([
      "a", // a 4 free, b 2, c 2
      "a", // a 3
      "a", // a 2 = b 2 = c 2: the first listed
      "b", // a 1, b 2, c 2
      "c", // a 1, b 1, c 2
      "a", // 1 each
      "b",
      "c",
      "wait:slots",
    ]);
    // The queue waits for a release of any key (the marker the release lifts).
    expect(await redis.get(limiter)).toBe(SLOT_WAIT_MARKER);
    // The same holder asking again keeps its slot (a retried job), on the same key.
    const again = await keys.take("h3", 0);
    expect("key" in again && again.key.name).toBe("b");
    // A freed slot on c goes to the next create.
    await keys.get("c")?.slots.release("h4");
    expect(await redis.get(limiter)).toBeNull();
    expect(await namesOfTakes(keys, ["h9"])).toEqual(["c"]);
  });

  it("weighs free slots by the key's weight", async () => {
    const { keys } = pool([entry("a", 4), entry("b", 4, { weight: 3 })]);
    expect(await namesOfTakes(keys, ["1", "2", "3", "4"])).toEqual(["b", "b", "b", "a"]);
  });

  it("skips a stopped key and a cooling key; every key stopped says so", async () => {
    let now = 1_000_000;
    const { keys, prefix } = pool([entry("a", 4), entry("b", 2)], () => now);
    const a = keys.get("a");
    const b = keys.get("b");
    if (a === undefined || b === undefined) throw new Error("keys missing");
    expect(await keys.stop(a, "credit: 402 insufficient balance")).toBe(true);
    expect(await keys.stop(a, "again")).toBe(false);
    expect(await namesOfTakes(keys, ["1"])).toEqual(["b"]);
    await keys.coolDown(b, now + 7_000);
    expect(await keys.take("2", 0)).toEqual({ wait: "pace", ms: 7_000 });
    now += 7_000;
    expect(await namesOfTakes(keys, ["2"])).toEqual(["b"]);
    await keys.stop(b, "unauthorized: 401");
    expect(await keys.take("3", 0)).toEqual({ wait: "stopped" });
    expect([...(await keys.stopped()).keys()]).toEqual(["a", "b"]);
    expect(await readKeyStops(redis, prefix)).toEqual(
      new Map([
        ["a", "credit: 402 insufficient balance"],
        ["b", "unauthorized: 401"],
      ]),
    );
    expect(await resumeKey(redis, prefix, "a")).toBe("credit: 402 insufficient balance");
    expect(await resumeKey(redis, prefix, "a")).toBeUndefined();
    expect(await namesOfTakes(keys, ["3"])).toEqual(["a"]);
    expect(await resumeEveryKey(redis, prefix)).toEqual(["b"]);
    expect((await keys.stopped()).size).toBe(0);
  });

  it("waits for a release, not for a cool-down, while another key is full", async () => {
    const now = 1_000_000;
    const { keys, limiter } = pool([entry("a", 4), entry("b", 1)], () => now);
    const a = keys.get("a");
    if (a === undefined) throw new Error("key missing");
    await keys.coolDown(a, now + 30_000);
    expect(await namesOfTakes(keys, ["1"])).toEqual(["b"]);
    // a cools for 30 s, b is full: the queue waits for b's release (bounded by the wait).
    expect(await keys.take("2", 1_000)).toEqual({ wait: "slots" });
    expect(await redis.get(limiter)).toBe(SLOT_WAIT_MARKER);
    expect(await redis.pttl(limiter)).toBeLessThanOrEqual(1_000);
  });

  it("with one key is that key's slots, exactly as before pools", async () => {
    const { keys, limiter } = pool([entry("only", 1)]);
    expect(keys.pooled).toBe(false);
    expect(await namesOfTakes(keys, ["1", "2"])).toEqual(["only", "wait:slots"]);
    expect(await redis.get(limiter)).toBe(SLOT_WAIT_MARKER);
  });

  it("keeps no API key in Redis: records are named by the key's name", async () => {
    const { keys, prefix } = pool([entry("a", 1), entry("b", 1)]);
    await namesOfTakes(keys, ["1", "2"]);
    await keys.stop(keys.first, "x");
    const stored: string[] = [];
    for await (const batch of redis.scanStream({ match: `${prefix}*` })) stored.push(...batch);
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.join(" ")).not.toContain("secret-");
    for (const key of stored) {
      const type = await redis.type(key);
      const dump =
        type === "hash"
          ? JSON.stringify(await redis.hgetall(key))
          : type === "zset"
            ? JSON.stringify(await redis.zrange(key, 0, -1))
            : type === "set"
              ? JSON.stringify(await redis.smembers(key))
              : String(await redis.get(key));
      expect(dump).not.toContain("secret-");
    }
  });

  it("reserves a create's cost on the key's daily budget: concurrent takes never pass it together", async () => {
    const now = 1_000_000;
    // Budget 1.00 with 0.10 already spent: three creates of 0.30 fit, the fourth does not.
    const { keys, prefix } = pool([entry("a", 10, { dailyBudget: 1 })], () => now);
    const a = keys.first;
    await keys.count(a, "created", 100_000);
    const holders = Array.from({ length: 8 }, (_, i) => `b~i${i}~0`);
    const takes = await Promise.all(holders.map((holder) => keys.take(holder, 0, 300_000)));
    const granted = holders.filter((_, i) => "key" in (takes[i] ?? {}));
    expect(granted).toHaveLength(3);
    expect(takes.filter((t) => "wait" in t && t.wait === "budget")).toHaveLength(5);
    expect(await moneyToday(prefix, "a", now)).toEqual({ spent: 100_000, reserved: 900_000 });
    // A holder that keeps its slot keeps its reservation (a retried job): not reserved twice.
    expect("key" in (await keys.take(granted[0] as string, 0, 300_000))).toBe(true);
    expect((await moneyToday(prefix, "a", now)).reserved).toBe(900_000);
    // Made, may have been made, certainly not made: spent, spent, given back.
    await keys.settle(a, granted[0] as string, "created");
    await keys.settle(a, granted[1] as string, "spent");
    await keys.settle(a, granted[2] as string, "released");
    // Settled once: a second settle finds nothing.
    await keys.settle(a, granted[0] as string, "created");
    expect(await moneyToday(prefix, "a", now)).toEqual({ spent: 700_000, reserved: 0 });
    // The create counted beside the one made without a reservation (count): two.
    expect(await redis.hget(`${prefix}:provider-cap:a`, "creates")).toBe("2");
    // The money given back fits one more create, and only one.
    expect("key" in (await keys.take("b~j1~0", 0, 300_000))).toBe(true);
    expect(await keys.take("b~j2~0", 0, 300_000)).toEqual({ wait: "budget" });
  });

  it("skips a key whose daily budget is spent or reserved while the other keys take the creates", async () => {
    const now = 1_000_000;
    const { keys, prefix } = pool(
      [entry("a", 10, { dailyBudget: 0.5, weight: 10 }), entry("b", 3)],
      () => now,
    );
    const holders = Array.from({ length: 6 }, (_, i) => `b~i${i}~0`);
    const takes = await Promise.all(holders.map((holder) => keys.take(holder, 0, 200_000)));
    const names = takes.map((t) => ("key" in t ? t.key.name : `wait:${t.wait}`)).sort();
    // a (weighted first) fits two creates of 0.20 in 0.50; b takes three; then every slot left
    // is on a key over its budget or full: the queue waits for a release, not for the day.
    expect(names).toEqual(["a", "a", "b", "b", "b", "wait:slots"]);
    expect(await moneyToday(prefix, "a", now)).toEqual({ spent: 0, reserved: 400_000 });
    // b has no budget, but its creates under way are reserved too (shown as money under way).
    expect(await moneyToday(prefix, "b", now)).toEqual({ spent: 0, reserved: 600_000 });
  });

  it("the slot reconciler frees a dead holder's slot and key reservation on any key of the pool", async () => {
    let now = 1_000_000;
    const { keys, prefix } = pool([entry("a", 1), entry("b", 1, { dailyBudget: 1 })], () => now);
    const queues = createQueues(redis, prefix);
    // Two submissions: one whose submit job is still waiting, one whose job is gone (a crash).
    await queues.submit.add("submit", {} as never, { jobId: "b~live" });
    const live = await keys.take("b~live~0", 0, 250_000);
    const dead = await keys.take("b~dead~0", 0, 250_000);
    expect(["key" in live && live.key.name, "key" in dead && dead.key.name].sort()).toEqual([
      "a",
      "b",
    ]);
    now += 120_000;
    // As a worker process does: every listed account, whichever keys this process holds.
    const context = {
      store: openStore(redis, { prefix }),
      queues,
      logger: createLogger({ level: "silent" }),
      now: () => now,
    };
    expect(await reconcileEveryAccount(context, 60_000)).toBe(1);
    // The live holder keeps its slot (and reservation); the dead one's are freed.
    const held = await Promise.all(keys.list.map((key) => key.slots.holdersBefore(now)));
    expect(held.flat()).toEqual(["b~live~0"]);
    const onB = "key" in dead && dead.key.name === "b" ? 0 : 250_000;
    expect(await moneyToday(prefix, "b", now)).toEqual({ spent: 0, reserved: onB });
    await Promise.all([queues.submit.close(), queues.poll.close(), queues.download.close()]);
  });
});
