import { PERMANENT_FAILURE_REASONS, TRANSIENT_FAILURE_REASONS } from "@veoq/simulator";
import { describe, expect, it } from "vitest";
import {
  type ItemResult,
  planRetryOf,
  reasonLooksPermanent,
  reasonLooksTransient,
} from "../src/index.ts";

function failed(
  customId: string,
  fields: Partial<ItemResult>,
): { customId: string; result: ItemResult } {
  return {
    customId,
    result: {
      batchId: "b",
      customId,
      model: "veo-3.1-generate-img2video",
      status: "failed",
      taskIds: ["t"],
      files: [],
      errorKind: "task_failed",
      errorMessage: "internal error, please retry",
      failedStage: "poll",
      failedJobId: `b~${customId}~p0`,
      submission: 0,
      submitAttempts: 1,
      polls: 3,
      enqueuedAt: 1,
      submittedAt: 2,
      finishedAt: 3,
      metadata: undefined,
      ...fields,
    },
  };
}

const FAILURES = [
  failed("task-transient", {}),
  failed("task-policy", { errorMessage: "content policy violation: prompt rejected" }),
  failed("bad-request", {
    failedStage: "submit",
    errorKind: "invalid_request",
    errorMessage: "400",
  }),
  failed("bad-image", {
    failedStage: "submit",
    errorKind: "invalid_input",
    errorMessage: "ENOENT",
  }),
  failed("submit-5xx", {
    failedStage: "submit",
    errorKind: "transient",
    model: "veo-3.1-lite-firstlastframe",
  }),
  failed("late", { errorKind: "timeout", errorMessage: "not final after 1800 s" }),
  failed("lost-file", { failedStage: "download", errorKind: "transient" }),
  { customId: "no-record", result: undefined },
];

describe("planRetryOf", () => {
  it("counts paid re-submissions and free re-polls and re-downloads, and skips failures that will repeat", () => {
    const plan = planRetryOf("b", FAILURES);
    expect(plan.failed).toBe(8);
    expect(plan.counts).toEqual({ resubmit: 2, repoll: 1, redownload: 1 });
    expect(plan.resubmitsByModel).toEqual({
      "veo-3.1-generate-img2video": 1,
      "veo-3.1-lite-firstlastframe": 1,
    });
    expect(plan.permanent).toBe(3);
    expect(plan.retries.map((r) => `${r.customId}:${r.action}`)).toEqual([
      "task-transient:resubmit",
      "submit-5xx:resubmit",
      "late:repoll",
      "lost-file:redownload",
    ]);
    expect(plan.skipped.map((s) => `${s.customId}:${s.skip}`)).toEqual([
      "task-policy:permanent",
      "bad-request:permanent",
      "bad-image:permanent",
      "no-record:no_record",
    ]);
    expect(plan.skippedTotal).toBe(4);
  });

  it("re-submits the permanent failures too when asked, and bounds the listed skips", () => {
    const plan = planRetryOf("b", FAILURES, { includePermanent: true, listLimit: 0 });
    expect(plan.counts).toEqual({ resubmit: 5, repoll: 1, redownload: 1 });
    expect(plan.permanent).toBe(3);
    expect(plan.skipped).toEqual([]);
    expect(plan.skippedTotal).toBe(1);
  });
});

describe("the simulator's random failure reasons", () => {
  it("are read by veoq as they look: transient ones re-submitted, permanent ones skipped by retry", () => {
    for (const reason of TRANSIENT_FAILURE_REASONS) {
      expect(reasonLooksTransient(reason), reason).toBe(true);
      expect(reasonLooksPermanent(reason), reason).toBe(false);
    }
    for (const reason of PERMANENT_FAILURE_REASONS) {
      expect(reasonLooksTransient(reason), reason).toBe(false);
      expect(reasonLooksPermanent(reason), reason).toBe(true);
    }
  });
});
