import { afterEach, describe, expect, it } from "vitest";
import {
  BatchControl,
  type BatchControlState,
  type BatchRecord,
  overviewOf,
  pausedMsUntil,
  SpendLedger,
} from "../src/index.ts";
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
