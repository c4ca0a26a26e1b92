import { afterEach, describe, expect, it, vi } from "vitest";
import {
  BatchControl,
  type BatchControlState,
  type BatchRecord,
  credentialsStopTimes,
  overviewOf,
  pausedMsUntil,
  resumeSubmissions,
  SpendLedger,
  stoppedMsWithin,
  stopSubmissions,
} from "../src/index.ts";
import { defineStoreScripts } from "../src/store/store-scripts.ts";
import { createHarness, type Harness } from "./pipeline-harness.ts";

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const MIN = 60_000;

function record(done: number): BatchRecord {
  return {
    id: "b1",
    createdAt: T0,
    source: "m.jsonl",
    total: 100,
    counts: {
      queued: 100 - done,
      processing: 0,
      downloading: 0,
      completed: done,
      failed: 0,
      cancelled: 0,
    },
    possibleDuplicates: 0,
    resubmits: 0,
    flaggedFiles: 0,
    reused: 0,
    finishedAt: undefined,
  };
}

describe("elapsed time and rate leave out paused time (pure, clock injected)", () => {
  it("counts ended pauses and the open one, and stands still while paused", () => {
    const resumed: BatchControlState = { state: "running", pausedMs: 20 * MIN };
    // 30 min since creation, 20 of them paused: 10 min of work for 50 items.
    const after = overviewOf(record(50), T0 + 30 * MIN, resumed);
    expect(after.elapsedSeconds).toBe(10 * 60);
    expect(after.itemsPerSecond).toBeCloseTo(50 / 600, 9);
    // Without the control record, as before: 30 min.
    expect(overviewOf(record(50), T0 + 30 * MIN).elapsedSeconds).toBe(30 * 60);

    const paused: BatchControlState = {
      state: "paused",
      reason: "user",
      at: T0 + 10 * MIN,
      pausedMs: 0,
    };
    expect(pausedMsUntil(paused, T0 + 40 * MIN)).toBe(30 * MIN);
    const at40 = overviewOf(record(50), T0 + 40 * MIN, paused);
    const at90 = overviewOf(record(50), T0 + 90 * MIN, paused);
    expect(at40.elapsedSeconds).toBe(10 * 60);
    expect(at90.elapsedSeconds).toBe(at40.elapsedSeconds);
    expect(at90.itemsPerSecond).toBe(at40.itemsPerSecond);
  });
});

describe("elapsed time and rate leave out credentials stops (pure, clock injected)", () => {
  it("counts the stops within the batch's life, the open one up to now, and stands still while stopped", () => {
    const stops = [
      { start: T0 - 20 * MIN, end: T0 - 10 * MIN }, // before the batch: nothing
      { start: T0 - 5 * MIN, end: T0 + 5 * MIN }, // 5 min of it in the batch's life
      { start: T0 + 20 * MIN, end: T0 + 30 * MIN },
    ];
    expect(stoppedMsWithin(stops, T0, T0 + 60 * MIN)).toBe(15 * MIN);
    // 60 min since creation, 15 of them stopped: 45 min of work for 90 items.
    const after = overviewOf(record(90), T0 + 60 * MIN, undefined, stops);
    expect(after.elapsedSeconds).toBe(45 * 60);
    expect(after.itemsPerSecond).toBeCloseTo(90 / (45 * 60), 9);
    // Stops and pauses both: 20 min paused (ended), 15 stopped.
    const resumed: BatchControlState = { state: "running", pausedMs: 20 * MIN };
    expect(overviewOf(record(90), T0 + 60 * MIN, resumed, stops).elapsedSeconds).toBe(25 * 60);

    // A stop that still holds: the batch's elapsed time stands still.
    const open = [{ start: T0 + 10 * MIN }];
    const at30 = overviewOf(record(50), T0 + 30 * MIN, undefined, open);
    const at90 = overviewOf(record(50), T0 + 90 * MIN, undefined, open);
    expect(at30.elapsedSeconds).toBe(10 * 60);
    expect(at90.elapsedSeconds).toBe(at30.elapsedSeconds);
    expect(at90.itemsPerSecond).toBe(at30.itemsPerSecond);

    // Paused by the user during the stop: that time is left out once.
    const paused: BatchControlState = {
      state: "paused",
      reason: "user",
      at: T0 + 20 * MIN,
      pausedMs: 0,
    };
    expect(overviewOf(record(50), T0 + 90 * MIN, paused, open).elapsedSeconds).toBe(10 * 60);

    // A finished batch: only the stops up to its finish.
    const finished = { ...record(100), finishedAt: T0 + 40 * MIN };
    expect(overviewOf(finished, T0 + 90 * MIN, undefined, stops).elapsedSeconds).toBe(25 * 60);
  });
});

describe("a credentials stop is recorded with its start and end", () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it("keeps each stop's times from the first stop to the resume, and the open one without an end", async () => {
    h = await createHarness();
    expect(await credentialsStopTimes(h.store)).toEqual([]);
    await stopSubmissions(h.store, h.queues, "401 unauthorized", T0);
    // A second stop while stopped keeps the first one's start.
    await stopSubmissions(h.store, h.queues, "402 payment required", T0 + 2 * MIN);
    expect(await credentialsStopTimes(h.store)).toEqual([{ start: T0 }]);
    expect(await resumeSubmissions(h.store, h.queues, T0 + 7 * MIN)).toBe(true);
    await stopSubmissions(h.store, h.queues, "401 unauthorized", T0 + 20 * MIN);
    expect(await credentialsStopTimes(h.store)).toEqual([
      { start: T0, end: T0 + 7 * MIN },
      { start: T0 + 20 * MIN },
    ]);
    await resumeSubmissions(h.store, h.queues, T0 + 21 * MIN);
    // A resume without a stop adds nothing.
    await resumeSubmissions(h.store, h.queues, T0 + 30 * MIN);
    const stops = await credentialsStopTimes(h.store);
    expect(stops).toEqual([
      { start: T0, end: T0 + 7 * MIN },
      { start: T0 + 20 * MIN, end: T0 + 21 * MIN },
    ]);
    expect(overviewOf(record(50), T0 + 30 * MIN, undefined, stops).elapsedSeconds).toBe(22 * 60);
  });
});

describe("a resume that runs right after the stop script leaves no start time behind", () => {
  let h: Harness;
  afterEach(async () => {
    vi.restoreAllMocks();
    await h?.close();
  });

  it("records the stop with its start and end, and the next stop starts afresh", async () => {
    h = await createHarness();
    const redis = h.store.redis as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    defineStoreScripts(h.store.redis);
    const original = redis["veoq:stopSubmissions"];
    if (original === undefined) throw new Error("stopSubmissions script not defined");
    // Another process resumes between the stop's script and anything the stop does after it.
    vi.spyOn(redis, "veoq:stopSubmissions").mockImplementationOnce(async (...args) => {
      const reply = await original.apply(redis, args);
      await resumeSubmissions(h.store, h.queues, T0 + MIN);
      return reply;
    });
    await stopSubmissions(h.store, h.queues, "401 unauthorized", T0);
    expect(await h.store.redis.get(h.store.keys.credentialsStop)).toBeNull();
    expect(await credentialsStopTimes(h.store)).toEqual([{ start: T0, end: T0 + MIN }]);
    await stopSubmissions(h.store, h.queues, "401 unauthorized", T0 + 5 * MIN);
    expect(await credentialsStopTimes(h.store)).toEqual([
      { start: T0, end: T0 + MIN },
      { start: T0 + 5 * MIN },
    ]);
  });
});

describe("the control record keeps the length of ended pauses", () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it("adds each pause's length on resume, on a daily-budget pause's end and on cancel, and a new reason keeps its start", async () => {
    h = await createHarness();
    const control = new BatchControl(h.redis, h.config.prefix);
    await control.pause("b1", "user", T0);
    expect(await control.resume("b1", undefined, undefined, T0 + 5 * MIN)).toBe(true);
    expect(await control.read("b1")).toEqual({ state: "running", pausedMs: 5 * MIN });

    // A budget pause, then a user pause of the same stretch: it began with the budget pause.
    await control.pause("b1", "budget", T0 + 10 * MIN);
    await control.pause("b1", "user", T0 + 12 * MIN);
    expect(await control.read("b1")).toMatchObject({
      state: "paused",
      reason: "user",
      at: T0 + 10 * MIN,
    });
    await control.resume("b1", undefined, undefined, T0 + 13 * MIN);
    expect((await control.read("b1")).pausedMs).toBe(8 * MIN);

    // A daily-budget pause ends when the gate finds a new UTC day.
    await h.redis.hset(control.keys.batchControl("b1"), {
      state: "paused",
      reason: "daily_budget",
      at: String(T0 + 20 * MIN),
      day: "2025-12-31",
    });
    const ledger = new SpendLedger(h.redis, h.config.prefix);
    expect(await ledger.gate("b1", "b1~x~0", 0, undefined, T0 + 30 * MIN)).toBe("go");
    expect(await control.read("b1")).toEqual({ state: "running", pausedMs: 18 * MIN });

    // Cancelled while paused: the pause ends there.
    await control.pause("b1", "user", T0 + 40 * MIN);
    await control.cancel("b1", false, T0 + 50 * MIN);
    expect(await control.read("b1")).toMatchObject({ state: "cancelled", pausedMs: 28 * MIN });
    expect(await control.reopen("b1")).toBe(true);
    expect(await control.read("b1")).toEqual({ state: "running", pausedMs: 28 * MIN });
  });
});
