import { overviewOf, planRetryOf } from "@veoq/pipeline";
import { describe, expect, it } from "vitest";
import {
  batchJson,
  batchSpendJson,
  batchSpendLines,
  countOf,
  formatDuration,
  POSSIBLE_DUPLICATES_NOTE,
  remainingSeconds,
  resultJson,
  retryPlanJson,
  spentSplitText,
  toBatchJson,
  toBatchSpendJson,
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
      estimated_cost: null,
      budget_check: null,
      permanent: 1,
      skipped_total: 2,
      skipped: [
        { custom_id: "c", skip: "permanent", error_kind: "task_failed" },
        { custom_id: "d", skip: "no_record", error_kind: null, reason: null },
      ],
    });
  });
});

describe("a batch's money (batch-spend.ts)", () => {
  const M = 1_000_000;
  const spend = {
    currency: "USD",
    estimateMicros: 1069.8 * M,
    estimateTasks: 600,
    estimateSeconds: 4800,
    budgetMicros: 1200 * M,
    spentMicros: 1191.4 * M,
    reservedMicros: 0,
    split: {
      first: { creates: 600, micros: 1069.8 * M },
      resubmits: {
        task_failed: { creates: 38, micros: 91.2 * M },
        retry: { creates: 3, micros: 7.2 * M },
      },
      unanswered: { creates: 12, micros: 23.2 * M },
    },
  };

  it("writes every amount as { amount, currency } and spent split in three parts that add up", () => {
    const json = toBatchSpendJson(spend, { currency: "USD", unverified: true });
    expect(batchSpendJson.parse(json)).toEqual(json);
    expect(json.estimate).toEqual({ amount: 1069.8, currency: "USD" });
    expect(json.budget).toEqual({ amount: 1200, currency: "USD" });
    const parts = json.spent_by_kind;
    expect(parts.resubmits).toMatchObject({ creates: 41, spent: { amount: 98.4 } });
    expect(
      parts.first_creates.spent.amount +
        parts.resubmits.spent.amount +
        parts.possible_duplicates.spent.amount,
    ).toBeCloseTo(json.spent.amount, 6);
    expect(json.prices).toEqual({ unverified: true, note: expect.stringMatching(/unverified/) });
    expect(JSON.stringify(json)).not.toMatch(/_usd|"cost"/);
  });

  it("says what spent is made of in one line, and explains possible duplicates only when there are any", () => {
    const lines = batchSpendLines(spend, { currency: "USD", unverified: false });
    expect(lines).toEqual([
      "estimate 1069.80 USD (600 tasks)  spent 1191.40 USD  budget 1200.00 USD",
      "spent 1191.40 USD = 1069.80 USD first creates (600) + 98.40 USD re-submits (41: 38 task failed, 3 veoq retry) + 23.20 USD possible duplicates (12)",
      POSSIBLE_DUPLICATES_NOTE,
    ]);
    const clean = { ...spend, split: { ...spend.split, unanswered: { creates: 0, micros: 0 } } };
    expect(batchSpendLines(clean, { currency: "USD", unverified: false })).not.toContain(
      POSSIBLE_DUPLICATES_NOTE,
    );
    // The shipped table's prices say so, right under the estimate.
    expect(batchSpendLines(spend, { currency: "USD", unverified: true })[1]).toMatch(
      /^!! prices unverified/,
    );
    expect(spentSplitText({ ...spend, spentMicros: 0 }, "USD")).toBeUndefined();
  });
});
