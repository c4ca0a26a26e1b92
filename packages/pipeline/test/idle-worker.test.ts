import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type LocalRedis, startLocalRedis } from "@veoq/local-redis";
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startStalledCheck } from "../src/jobs/stalled-check.ts";
import { ProviderSlots } from "../src/store/provider-slots.ts";
import {
  submitQueueWakeKeys,
  wakeAfterLimitedReturn,
  wakeOnSlotRelease,
} from "../src/store/submit-queue-wake.ts";
import { createHarness, type Harness } from "./pipeline-harness.ts";

/** Redis commands the server ran (INFO commandstats, script-internal ones included). */
async function commandsRun(redis: Redis): Promise<number> {
  const info = await redis.info("commandstats");
  return [...info.matchAll(/calls=(\d+)/g)].reduce((sum, match) => sum + Number(match[1]), 0);
}

describe("an idle worker process", () => {
  let local: LocalRedis;
  let dir: string;
  let h: Harness | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "veoq-idle-"));
    // A private server: INFO commandstats counts every client's commands.
    local = await startLocalRedis({ dataDir: dir });
  });

  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  afterAll(async () => {
    await local?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("costs Redis a few commands a second with every role running and nothing queued", async () => {
    h = await createHarness({ env: { REDIS_URL: local.url } });
    // The default stalled-check interval (the harness shortens it for its crash tests).
    await h.start({ stalledIntervalMs: 5_000 });
    const probe = new Redis(local.url);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await probe.config("RESETSTAT");
      const seconds = 10;
      await new Promise((resolve) => setTimeout(resolve, seconds * 1_000));
      const perSecond = (await commandsRun(probe)) / seconds;
      // ~1.5 a second (bench: "idle worker", which adds webhooks out); it was ~99 at this time scale, when the submit
      // worker's wait for new jobs was slotWakeCheckMs (20 ms) and BullMQ's stalled checker ran
      // its script on every queue every interval.
      expect(perSecond).toBeLessThan(5);
    } finally {
      probe.disconnect();
    }
  }, 30_000);

  it("wakes at once when a job refused by RateLimitError goes back while it waits for new jobs", async () => {
    const connection = new Redis(local.url, { maxRetriesPerRequest: null });
    const name = `wake-${randomBytes(3).toString("hex")}`;
    const queue = new Queue(name, { connection });
    let calls = 0;
    let secondCallAt = 0;
    // Concurrency 2: after taking the job the worker finds the queue empty and blocks in its
    // wait for new jobs (30 s here); the job then goes back (prioritized: no BullMQ marker).
    const worker = new Worker(
      name,
      async () => {
        calls += 1;
        if (calls === 1) {
          await new Promise((resolve) => setTimeout(resolve, 300));
          throw Worker.RateLimitError();
        }
        secondCallAt = Date.now();
      },
      { connection, concurrency: 2, drainDelay: 30, skipStalledCheck: true },
    );
    wakeAfterLimitedReturn(worker, { key: queue.keys.marker as string, redis: connection });
    try {
      await worker.waitUntilReady();
      const addedAt = Date.now();
      await queue.add("job", {}, { priority: 1 });
      const deadline = Date.now() + 10_000;
      while (secondCallAt === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // Without the marker the job waits out the 30 s drain wait.
      expect(secondCallAt).toBeGreaterThan(0);
      expect(secondCallAt - addedAt).toBeLessThan(10_000);
    } finally {
      await worker.close(true);
      await queue.obliterate({ force: true });
      await queue.close();
      connection.disconnect();
    }
  }, 30_000);

  it("a release wakes a submit worker sleeping out a slot wait at once, not at its next look", async () => {
    const connection = new Redis(local.url, { maxRetriesPerRequest: null });
    const subscriber = new Redis(local.url, { maxRetriesPerRequest: null });
    const name = `slot-${randomBytes(3).toString("hex")}`;
    const queue = new Queue(name, { connection });
    const markerKey = queue.keys.marker as string;
    const slots = new ProviderSlots({
      redis: connection,
      prefix: `{${name}}`,
      apiKey: "sim-key",
      maxInFlight: 1,
      wake: submitQueueWakeKeys(queue),
    });
    let createdAt = 0;
    // The submit stage's shape: no slot, so the queue waits (limiter key, 30 s) and the job goes
    // back with RateLimitError; the worker's local wait is as long (maximumRateLimitDelay 30 s),
    // so only the release's message can cut it short.
    const worker = new Worker(
      name,
      async (job) => {
        if (!(await slots.acquire(`job-${job.id}`, 30_000))) throw Worker.RateLimitError();
        createdAt = Date.now();
      },
      {
        connection,
        limiter: { max: 1000, duration: 1000 },
        maximumRateLimitDelay: 30_000,
        drainDelay: 30,
        skipStalledCheck: true,
      },
    );
    wakeAfterLimitedReturn(worker, { key: markerKey, redis: connection });
    const stop = await wakeOnSlotRelease(worker, subscriber, markerKey);
    try {
      await worker.waitUntilReady();
      expect(await slots.acquire("held")).toBe(true);
      await queue.add("job", {}, { priority: 1 });
      const deadline = Date.now() + 10_000;
      while (!(await slots.itemsWaiting()) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(createdAt).toBe(0);
      const releasedAt = Date.now();
      expect(await slots.release("held")).toBe(true);
      while (createdAt === 0 && Date.now() < releasedAt + 10_000) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // Without the message the worker sleeps out its 30 s wait.
      expect(createdAt).toBeGreaterThan(0);
      expect(createdAt - releasedAt).toBeLessThan(10_000);
    } finally {
      stop();
      await worker.close(true);
      await queue.obliterate({ force: true });
      await queue.close();
      await connection.del(slots.keys.holders, slots.keys.cap);
      connection.disconnect();
    }
  }, 30_000);

  it("the quiet stalled check still recovers a job whose worker stopped renewing its lock", async () => {
    const connection = new Redis(local.url, { maxRetriesPerRequest: null });
    const name = `stall-${randomBytes(3).toString("hex")}`;
    const queue = new Queue(name, { connection });
    // The "dead" worker: takes the job, never renews its lock, never finishes.
    const dead = new Worker(name, () => new Promise(() => {}), {
      connection,
      lockDuration: 500,
      skipLockRenewal: true,
      skipStalledCheck: true,
    });
    const live = new Worker(name, null, {
      connection,
      autorun: false,
      stalledInterval: 300,
      skipStalledCheck: true,
    });
    const stalled: string[] = [];
    live.on("stalled", (jobId) => stalled.push(jobId));
    let stop: (() => void) | undefined;
    try {
      await queue.add("job", {}, { jobId: "j1" });
      const deadline = Date.now() + 10_000;
      while ((await queue.getActiveCount()) === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await dead.close(true);
      stop = startStalledCheck(
        live,
        { key: queue.keys.active as string, redis: connection },
        { intervalMs: 300 },
        (error) => {
          throw error;
        },
      );
      while (stalled.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(stalled).toEqual(["j1"]);
      expect(await queue.getJobState("j1")).toBe("waiting");
    } finally {
      stop?.();
      await live.close(true);
      await queue.obliterate({ force: true });
      await queue.close();
      connection.disconnect();
    }
  }, 30_000);
  it("the stalled check, looking at an empty queue once per lock lifetime, still recovers in time", async () => {
    const connection = new Redis(local.url, { maxRetriesPerRequest: null });
    const name = `stall-idle-${randomBytes(3).toString("hex")}`;
    const queue = new Queue(name, { connection });
    const lockMs = 2_000;
    const dead = new Worker(name, () => new Promise(() => {}), {
      connection,
      autorun: false,
      lockDuration: lockMs,
      skipLockRenewal: true,
      skipStalledCheck: true,
    });
    const live = new Worker(name, null, {
      connection,
      autorun: false,
      stalledInterval: 300,
      skipStalledCheck: true,
    });
    const stalled: number[] = [];
    live.on("stalled", () => stalled.push(Date.now()));
    // Started on the empty queue: its next look is lockMs - 300 ms away.
    const stop = startStalledCheck(
      live,
      { key: queue.keys.active as string, redis: connection },
      { intervalMs: 300, lockDurationMs: lockMs },
      (error) => {
        throw error;
      },
    );
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await queue.add("job", {}, { jobId: "j1" });
      void dead.run();
      const deadline = Date.now() + 10_000;
      while ((await queue.getActiveCount()) === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const activeAt = Date.now();
      await dead.close(true);
      while (stalled.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // Marked by the look before its lock lapsed, recovered by the first check after: as soon
      // as a check every 300 ms would have (lock + one interval, with some slack for timers).
      expect(stalled).toHaveLength(1);
      expect((stalled[0] ?? 0) - activeAt).toBeLessThan(lockMs + 300 + 400);
      expect(await queue.getJobState("j1")).toBe("waiting");
    } finally {
      stop();
      await live.close(true);
      await queue.obliterate({ force: true });
      await queue.close();
      connection.disconnect();
    }
  }, 30_000);
});
