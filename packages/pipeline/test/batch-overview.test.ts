import { describe, expect, it } from "vitest";
import { type BatchRecord, ITEM_STATES, overviewOf } from "../src/index.ts";

const counts = Object.fromEntries(ITEM_STATES.map((s) => [s, 0])) as BatchRecord["counts"];

/** A batch of 3,750 items, all completed. */
const batch: BatchRecord = {
  id: "b",
  createdAt: 0,
  source: "m.jsonl",
  total: 3750,
  counts: { ...counts, completed: 3750 },
  possibleDuplicates: 0,
  resubmits: 0,
  flaggedFiles: 0,
  reused: 0,
  finishedAt: 1000,
};

describe("a batch whose enqueue stopped half-way", () => {
  it("is not finished while its manifest is only partly in, however final its items are", () => {
    expect(overviewOf(batch, 2000).finished).toBe(true);
    const partial = { ...batch, enqueueIncomplete: { lines: 3750, totalLines: 20_000 } };
    expect(overviewOf(partial, 2000).finished).toBe(false);
  });
});
