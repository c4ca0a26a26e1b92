import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fromMicros, loadPriceTable, requestCost } from "@veoq/pricing";
import { parseKeySpecs } from "@veoq/simulator";
import { afterEach, describe, expect, it } from "vitest";
import {
  BatchControl,
  batchResults,
  cancelBatch,
  credentialsStopReason,
  keyStopKey,
  readKeyFigures,
  readWorkCapacity,
  SpendLedger,
  waitingReasonOf,
} from "../src/index.ts";
import {
  collect,
  createHarness,
  type Harness,
  img2videoLine,
  liteLine,
} from "./pipeline-harness.ts";

/**
 * A pool of simulated accounts (`veoq mock --keys`), each key with its own cap and credit; in
 * such a simulator a task is seen only by the key that created it, so a batch completes only
 * when every poll and download uses the key that made its task.
 */
async function poolHarness(simKeys: string, keysFile: string): Promise<Harness> {
  const h = await createHarness({
    simulator: { ...parseKeySpecs(simKeys), seed: 11 },
    env: { JIEKOU_API_KEY: "" },
  });
  const file = path.join(h.dir, "keys.txt");
  await writeFile(file, keysFile);
  // The harness parsed its env before the file existed: read the pool the way a worker does.
  const { parseConfig } = await import("@veoq/config");
  const pooled = parseConfig({
    JIEKOU_API_KEYS_FILE: file,
    VEOQ_PROVIDER_RPM: "0",
  }).apiKeys;
  Object.assign(h.config, { apiKeys: pooled });
  return h;
}

function lines(count: number) {
  return Array.from({ length: count }, (_, i) => img2videoLine(`item-${i}`));
}

describe("a pool of API keys", () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it("spreads creates over the keys by free capacity; each task is polled with its own key", async () => {
    h = await poolHarness(
      "sim-a:cap=4,sim-b:cap=2,sim-c:cap=2",
      "sim-a=sim-a max_in_flight=4\nsim-b=sim-b max_in_flight=2\nsim-c=sim-c max_in_flight=2\n",
    );
    await h.start({ keys: h.config.apiKeys });
    await h.enqueue(await h.writeManifest(lines(16)));
    await h.waitForBatch("b1", 60_000);
    const batch = await h.store.getBatch("b1");
    expect(batch?.counts).toMatchObject({ completed: 16, failed: 0 });
    const stats = h.simulator.stats();
    expect(stats.creates.accepted).toBe(16);
    expect(stats.creates.duplicateBodies).toBe(0);
    const byKey = stats.by_key ?? {};
    for (const name of ["sim-a", "sim-b", "sim-c"]) {
      expect(byKey[name]?.accepted).toBeGreaterThan(0);
      // Never above a key's cap: no create was refused.
      expect(byKey[name]?.rejected).toEqual({});
    }
    // The largest key took the largest share.
    expect(byKey["sim-a"]?.accepted).toBeGreaterThanOrEqual(byKey["sim-b"]?.accepted ?? 0);
    // Polls with another key would be 404s (the simulator's accounts are separate).
    expect(stats.responses["404"] ?? 0).toBe(0);
  }, 90_000);

  it("a key out of credit mid-batch stops alone: the batch completes on the others, nothing failed, nothing created twice", async () => {
    h = await poolHarness(
      "sim-a:cap=4,sim-b:cap=2,sim-c:cap=2:credit=3",
      "sim-a=sim-a max_in_flight=4\nsim-b=sim-b max_in_flight=2\nsim-c=sim-c max_in_flight=2\n",
    );
    await h.start({ keys: h.config.apiKeys });
    await h.enqueue(await h.writeManifest(lines(20)));
    await h.waitForBatch("b1", 60_000);
    const batch = await h.store.getBatch("b1");
    expect(batch?.counts).toMatchObject({ completed: 20, failed: 0 });
    const stats = h.simulator.stats();
    expect(stats.creates.accepted).toBe(20);
    expect(stats.creates.duplicateBodies).toBe(0);
    // Creates already sent to sim-c when its first 402 came back get 402 too (at most one per
    // submit worker); none of them made a task.
    expect(stats.by_key?.["sim-c"]?.accepted).toBe(3);
    expect(stats.by_key?.["sim-c"]?.rejected["402"]).toBeGreaterThanOrEqual(1);
    expect(stats.by_key?.["sim-c"]?.rejected["402"]).toBeLessThanOrEqual(4);
    // The stop names the key; the deployment is not stopped.
    expect(await h.redis.get(keyStopKey(h.config.prefix, "sim-c"))).toMatch(/insufficient/);
    expect(await credentialsStopReason(h.store)).toBeUndefined();
    expect(await h.queues.submit.isPaused()).toBe(false);
  }, 90_000);

  it("a 429 cools that key down for its Retry-After; the other keys go on", async () => {
    // sim-a allows 2 creates a minute (Retry-After 30 s) and veoq is not told: its first 429
    // cools sim-a for 30 s, longer than the batch takes on the other two keys.
    h = await poolHarness(
      "sim-a:rpm=2,sim-b:cap=4,sim-c:cap=4",
      "sim-a=sim-a\nsim-b=sim-b\nsim-c=sim-c\n",
    );
    await h.start({ keys: h.config.apiKeys });
    await h.enqueue(await h.writeManifest(lines(12)));
    await h.waitForBatch("b1", 60_000);
    const batch = await h.store.getBatch("b1");
    expect(batch?.counts).toMatchObject({ completed: 12, failed: 0 });
    const stats = h.simulator.stats();
    expect(stats.creates.accepted).toBe(12);
    // Creates sent to sim-a before its first 429 came back (at most one per submit worker) got
    // 429 too; after that it was left alone.
    expect(stats.by_key?.["sim-a"]?.accepted).toBe(1);
    expect(stats.by_key?.["sim-a"]?.rejected["429"]).toBeLessThanOrEqual(4);
    expect(await h.queues.submit.isPaused()).toBe(false);
  }, 90_000);

  it("every key stopped is the deployment's credentials stop, naming each key", async () => {
    h = await poolHarness("sim-a:credit=2,sim-b:credit=1", "sim-a=sim-a\nsim-b=sim-b\n");
    await h.start({ keys: h.config.apiKeys });
    await h.enqueue(await h.writeManifest(lines(6)));
    await h.waitFor(
      async () => (await credentialsStopReason(h.store)) !== undefined,
      "credentials stop",
      30_000,
    );
    const reason = (await credentialsStopReason(h.store)) ?? "";
    expect(reason).toContain("every API key is stopped");
    expect(reason).toContain("sim-a");
    expect(reason).toContain("sim-b");
    expect(await h.queues.submit.isPaused()).toBe(true);
    const batch = await h.store.getBatch("b1");
    expect(batch?.counts.failed).toBe(0);
    expect(h.simulator.stats().creates.accepted).toBe(3);
  }, 60_000);

  it("a worker without the key that made a task leaves its polls to a worker that has it", async () => {
    h = await poolHarness("sim-a:cap=2,sim-b:cap=2", "sim-a=sim-a\nsim-b=sim-b\n");
    const [a, b] = h.config.apiKeys;
    if (a === undefined || b === undefined) throw new Error("pool of two expected");
    await h.start({ keys: [a, b], roles: ["submit"] });
    const onlyA = await h.start({ keys: [a], roles: ["poll", "download"] });
    await h.enqueue(await h.writeManifest(lines(8)));
    await h.waitFor(
      async () => (h.simulator.stats().by_key?.["sim-b"]?.accepted ?? 0) > 0,
      "a task created on sim-b",
      30_000,
    );
    // Only sim-a's tasks can finish; sim-b's wait (not failed) for a worker with sim-b, and the
    // batch's waiting reason names the key no live poll worker holds.
    await h.waitFor(
      async () => (await h.store.getBatch("b1"))?.keyWait?.key === "sim-b",
      "a poll left for lack of sim-b",
      30_000,
    );
    const waiting = await h.store.getBatch("b1");
    expect(waiting?.counts.failed).toBe(0);
    expect(waiting?.counts.completed).toBeLessThan(8);
    const capacity = await readWorkCapacity(h.store);
    const reason = waitingReasonOf({
      counts: { queued: 0, processing: 1, downloading: 0 },
      liveRoles: capacity.liveRoles,
      liveKeys: capacity.liveKeys,
      keyWait: waiting?.keyWait,
      control: { state: "running" },
      credentialsStop: undefined,
      submitPaused: false,
      slots: undefined,
      now: Date.now(),
    });
    expect(reason?.code).toBe("key_missing");
    expect(reason?.message).toContain("API key sim-b");
    expect(JSON.stringify(waiting)).not.toContain("secret");
    // The worker without sim-b goes; one with both keys takes over every task.
    await onlyA.close(2_000);
    await h.start({ keys: [a, b], roles: ["poll", "download"] });
    await h.waitForBatch("b1", 60_000);
    const batch = await h.store.getBatch("b1");
    expect(batch?.counts).toMatchObject({ completed: 8, failed: 0 });
    expect(h.simulator.stats().responses["404"] ?? 0).toBe(0);
    // Taken by the worker with sim-b: the wait on it is cleared.
    expect(batch?.keyWait).toBeUndefined();
  }, 90_000);

  it("two workers with disjoint keys: each task is polled and downloaded by the worker with its key, without endless bouncing", async () => {
    h = await poolHarness("sim-a:cap=3,sim-b:cap=3", "sim-a=sim-a\nsim-b=sim-b\n");
    const [a, b] = h.config.apiKeys;
    if (a === undefined || b === undefined) throw new Error("pool of two expected");
    await h.start({ keys: [a] });
    await h.start({ keys: [b] });
    const started = Date.now();
    await h.enqueue(await h.writeManifest(lines(12)));
    await h.waitForBatch("b1", 60_000);
    const seconds = (Date.now() - started) / 1000;
    const batch = await h.store.getBatch("b1");
    expect(batch?.counts).toMatchObject({ completed: 12, failed: 0 });
    const stats = h.simulator.stats();
    expect(stats.creates.accepted).toBe(12);
    expect(stats.by_key?.["sim-a"]?.accepted).toBeGreaterThan(0);
    expect(stats.by_key?.["sim-b"]?.accepted).toBeGreaterThan(0);
    expect(stats.responses["404"] ?? 0).toBe(0);
    // Both keys had a live holder all along: no waiting reason was left behind.
    expect(batch?.keyWait).toBeUndefined();
    process.stdout.write(`two disjoint-key workers: 12 items in ${seconds.toFixed(1)} s\n`);
    expect(seconds).toBeLessThan(30);
  }, 90_000);

  it("a task adopted from a batch cancelled with --drop-in-flight is polled with the key that created it", async () => {
    h = await poolHarness("sim-a:cap=2,sim-b:cap=2", "sim-a=sim-a\nsim-b=sim-b\n");
    // Long enough to be in flight when the owner is cancelled.
    const slow = [1, 2, 3, 4].map((n) =>
      liteLine(`s${n}`, { seed: n, prompt: `a slow video ${n} [sim:duration=300]` }),
    );
    await h.start({ keys: h.config.apiKeys, concurrency: { submit: 4 } });
    await h.enqueue(await h.writeManifest(slow), "first");
    await h.waitFor(
      async () => (await h.store.getBatch("first"))?.counts.processing === 4,
      "the owner's 4 tasks to be created",
    );
    // Both keys made some of the owner's tasks (2 slots each).
    const byKey = h.simulator.stats().by_key ?? {};
    expect(byKey["sim-a"]?.accepted).toBe(2);
    expect(byKey["sim-b"]?.accepted).toBe(2);
    expect((await h.enqueue(await h.writeManifest(slow), "second")).reused.lines).toBe(4);
    const life = {
      store: h.store,
      queues: h.queues,
      control: new BatchControl(h.redis, h.config.prefix),
      spend: new SpendLedger(h.redis, h.config.prefix),
    };
    expect((await cancelBatch(life, "first", { dropInFlight: true })).inFlight).toBe(4);
    await h.waitForBatch("second", 60_000);
    const owner = new Map(
      (await collect(batchResults(h.store, "first"))).map((l) => [l.customId, l]),
    );
    for (const line of await collect(batchResults(h.store, "second"))) {
      const first = owner.get(line.customId);
      if (line.status !== "completed" || first?.status !== "cancelled") {
        throw new Error(`${line.customId}: ${line.status}, owner ${first?.status}`);
      }
      expect(line.taskIds).toEqual(first.taskIds);
    }
    // One create per request; a poll with the other key would be a 404 (separate accounts).
    expect(h.simulator.stats().creates.accepted).toBe(4);
    expect(h.simulator.stats().responses["404"] ?? 0).toBe(0);
  }, 90_000);

  it("a key's daily_budget holds under concurrent creates: it takes what fits, the others the rest", async () => {
    const line = img2videoLine("probe");
    // The workers' price table (VEOQ_PRICES unset: the shipped one).
    const cost = requestCost(
      loadPriceTable(undefined),
      "veo-3.1-generate-img2video",
      line.input as Record<string, unknown>,
    ).costMicros;
    expect(cost).toBeGreaterThan(0);
    // sim-a is preferred (weight 5, 6 slots) but its budget fits two and a half creates.
    const budget = fromMicros(Math.round(cost * 2.5));
    h = await poolHarness(
      "sim-a:cap=6,sim-b:cap=2",
      `sim-a=sim-a max_in_flight=6 weight=5 daily_budget=${budget}\nsim-b=sim-b max_in_flight=2\n`,
    );
    await h.start({ keys: h.config.apiKeys, concurrency: { submit: 8 } });
    await h.enqueue(await h.writeManifest(lines(10)));
    await h.waitForBatch("b1", 60_000);
    expect((await h.store.getBatch("b1"))?.counts).toMatchObject({ completed: 10, failed: 0 });
    const stats = h.simulator.stats();
    expect(stats.by_key?.["sim-a"]?.accepted).toBe(2);
    expect(stats.by_key?.["sim-b"]?.accepted).toBe(8);
    const figures = await readKeyFigures(h.redis, h.config.prefix, Date.now());
    expect(figures.find((f) => f.name === "sim-a")?.spentTodayMicros).toBe(2 * cost);
  }, 90_000);
});
