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
    expect(await ledger.settle("b", "b~a~0", "spent", T0 + 2_000)).toBe(1_200_000);
    // A released reservation was never spent.
    expect(await ledger.gate("b", "b~b~0", 500_000, undefined, T0)).toBe("go");
    await ledger.settle("b", "b~b~0", "released", T0 + 70_000);
    expect(await new BatchTimeline(redis, prefix).read("b")).toEqual([
      { at: T0, completed: 2, failed: 0, spentMicros: 1_200_000 },
      { at: T0 + TIMELINE_BUCKET_MS, completed: 0, failed: 1, spentMicros: 0 },
    ]);
  });

  it("skips fields and values no writer makes", () => {
    expect(parseTimeline({ "5:c": "2", "5:x": "1", junk: "3", "6:s": "-4", "7:f": "1.5" })).toEqual(
      [{ at: 5 * TIMELINE_BUCKET_MS, completed: 2, failed: 0, spentMicros: 0 }],
    );
  });
});
