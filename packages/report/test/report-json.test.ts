import { overviewOf, planRetryOf } from "@veoq/pipeline";
import { describe, expect, it } from "vitest";
import {
  batchJson,
  countOf,
  formatDuration,
  remainingSeconds,
  resultJson,
  retryPlanJson,
  toBatchJson,
  toResultJson,
  toRetryPlanJson,
} from "../src/index.ts";

const counts = {
  queued: 0,
  processing: 2,
  downloading: 0,
  completed: 6,
  failed: 2,
  cancelled: 0,
};

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
      reused: 0,
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
      reused: 0,
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

  it("writes a retry plan in snake_case: paid and free counts, what is left alone and why", () => {
    const failed = (
      customId: string,
      errorKind: string,
      failedStage: string,
      errorMessage: string,
    ) => ({
      customId,
      result: {
        batchId: "b",
        customId,
        model: "veo-3.1-lite",
        status: "failed" as const,
        taskIds: [],
        files: [],
        errorKind,
        errorMessage,
        failedStage,
        failedJobId: "1",
        submission: 0,
        submitAttempts: 1,
        polls: 0,
        enqueuedAt: 0,
        submittedAt: undefined,
        finishedAt: 1,
        metadata: undefined,
      } as never,
    });
    const plan = planRetryOf("b", [
      failed("a", "task_failed", "poll", "internal error, please retry"),
      failed("b", "timeout", "poll", "timed out"),
      failed("c", "task_failed", "poll", "content policy violation"),
      { customId: "d", result: undefined },
    ]);
    const json = toRetryPlanJson(plan);
    expect(retryPlanJson.parse(json)).toEqual(json);
    expect(json).toMatchObject({
      failed: 4,
      resubmit: 1,
      repoll: 1,
      redownload: 0,
      resubmits_by_model: { "veo-3.1-lite": 1 },
      estimated_cost_usd: null,
      permanent: 1,
      skipped_total: 2,
      skipped: [
        { custom_id: "c", skip: "permanent", error_kind: "task_failed" },
        { custom_id: "d", skip: "no_record", error_kind: null, reason: null },
      ],
    });
  });
});
