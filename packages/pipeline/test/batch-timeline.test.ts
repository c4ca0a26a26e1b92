import { randomUUID } from "node:crypto";
import { removeKeysUnder } from "@veoq/local-redis";
import { afterAll, describe, expect, it } from "vitest";
import {
  BatchStore,
  BatchTimeline,
  createRedisConnection,
  parseTimeline,
  SpendLedger,
  TIMELINE_BUCKET_MS,
} from "../src/index.ts";

const redis = createRedisConnection("redis://127.0.0.1:6379", "producer");
const prefix = `{veoq-timeline-${randomUUID().slice(0, 8)}}`;

afterAll(async () => {
  await removeKeysUnder(redis, prefix);
  redis.disconnect();
});

const T0 = 1_800_000_000_000 - (1_800_000_000_000 % TIMELINE_BUCKET_MS);

describe("a batch's timeline (per-minute throughput and spend, for charts)", () => {
  it("counts finished items and spend per minute, and reads back one point per minute", async () => {
    const store = new BatchStore(redis, prefix);
    const ledger = new SpendLedger(redis, prefix);
    const result = (
      customId: string,
      status: "completed" | "failed" | "cancelled",
      at: number,
    ) => ({
      batchId: "b",
      customId,
      model: "m",
      status,
      taskIds: [],
      files: [],
      errorKind: status === "completed" ? undefined : ("internal" as const),
      errorMessage: undefined,
      failedStage: undefined,
      failedJobId: undefined,
      submission: 0,
      submitAttempts: 1,
      polls: 1,
      enqueuedAt: T0,
      submittedAt: T0,
      finishedAt: at,
      metadata: undefined,
    });
    await store.ensureBatch("b", "m.jsonl", T0);
    await store.registerItems("b", ["a", "b", "c", "d"]);
    await store.finishItem(result("a", "completed", T0 + 1_000));
    await store.finishItem(result("b", "completed", T0 + 59_000));
    await store.finishItem(result("c", "failed", T0 + 61_000));
    // Cancelled items are not throughput.
    await store.finishItem(result("d", "cancelled", T0 + 62_000));
    expect(await ledger.gate("b", "b~a~0", 1_200_000, undefined, T0)).toBe("go");
    expect(await ledger.settle("b", "b~a~0", "first", T0 + 2_000)).toBe(1_200_000);
    // A released reservation was never spent.
    expect(await ledger.gate("b", "b~b~0", 500_000, undefined, T0)).toBe("go");
    await ledger.settle("b", "b~b~0", "released", T0 + 70_000);
    expect(await new BatchTimeline(redis, prefix).read("b")).toEqual([
      { at: T0, completed: 2, failed: 0, spentMicros: 1_200_000 },
      { at: T0 + TIMELINE_BUCKET_MS, completed: 0, failed: 1, spentMicros: 0 },
    ]);
  });

  it("settles a reservation taken the day before on that day's spend, in one more round trip", async () => {
    const ledger = new SpendLedger(redis, prefix);
    const day = 24 * 3600_000;
    // Days no other test of this file books on.
    const lateEvening = T0 - (T0 % day) + 10 * day - 1_000;
    expect(await ledger.gate("c", "c~a~0", 700_000, undefined, lateEvening)).toBe("go");
    // Settled after midnight: the money is booked on the day it was reserved.
    expect(await ledger.settle("c", "c~a~0", "first", lateEvening + 2_000)).toBe(700_000);
    expect(await ledger.today(lateEvening)).toMatchObject({
      spentMicros: 700_000,
      reservedMicros: 0,
    });
    expect(await ledger.today(lateEvening + 2_000)).toMatchObject({
      spentMicros: 0,
      reservedMicros: 0,
    });
    // Settled once: a second call finds nothing.
    expect(await ledger.settle("c", "c~a~0", "first", lateEvening + 3_000)).toBeUndefined();
    expect((await ledger.read("c")).spentMicros).toBe(700_000);
  });

  it("skips fields and values no writer makes", () => {
    expect(parseTimeline({ "5:c": "2", "5:x": "1", junk: "3", "6:s": "-4", "7:f": "1.5" })).toEqual(
      [{ at: 5 * TIMELINE_BUCKET_MS, completed: 2, failed: 0, spentMicros: 0 }],
    );
  });
});
