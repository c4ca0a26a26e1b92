import { overviewOf } from "@veoq/pipeline";
import { describe, expect, it } from "vitest";
import {
  batchJson,
  countOf,
  formatDuration,
  remainingSeconds,
  resultJson,
  toBatchJson,
  toResultJson,
} from "../src/index.ts";

const counts = { queued: 0, processing: 2, downloading: 0, completed: 6, failed: 2 };

describe("the shared report schema", () => {
  it("writes a batch in snake_case, with elapsed time stopped at its finish", () => {
    const createdAt = Date.UTC(2026, 0, 1, 12, 0, 0);
    const record = {
      id: "b1",
      createdAt,
      source: "shots.jsonl",
      total: 10,
      counts: { ...counts, processing: 0, completed: 8 },
      possibleDuplicates: 0,
      resubmits: 1,
      flaggedFiles: 0,
      finishedAt: createdAt + 40_000,
    };
    const json = toBatchJson(overviewOf(record, createdAt + 3_600_000));
    expect(batchJson.parse(json)).toEqual(json);
    expect(json).toMatchObject({
      batch_id: "b1",
      finished: true,
      elapsed_seconds: 40,
      items_per_second: 0.25,
      eta_seconds: null,
      finished_at: "2026-01-01T12:00:40.000Z",
    });
  });

  it("gives an ETA from the observed rate while items are open", () => {
    const createdAt = 0;
    const record = {
      id: "b2",
      createdAt,
      source: "s",
      total: 10,
      counts,
      possibleDuplicates: 0,
      resubmits: 0,
      flaggedFiles: 0,
      finishedAt: undefined,
    };
    expect(toBatchJson(overviewOf(record, 80_000)).eta_seconds).toBe(20);
    expect(remainingSeconds(5, 0)).toBeUndefined();
  });

  it("writes result lines that its schema accepts", () => {
    const open = toResultJson({ batchId: "b", customId: "c", status: "queued" });
    expect(resultJson.parse(open)).toEqual(open);
  });

  it("says counts and durations one way", () => {
    expect(countOf(1, "valid line")).toBe("1 valid line");
    expect(countOf(3, "valid line")).toBe("3 valid lines");
    expect(formatDuration(42)).toBe("42 s");
    expect(formatDuration(185)).toBe("3 min 5 s");
  });
});
