import type { ItemResult } from "../src/index.ts";

/** A final result of an item that got no task and no file (times 1-3), for the stores' tests. */
export function finalResult(
  batchId: string,
  customId: string,
  status: "completed" | "failed" | "cancelled",
): ItemResult {
  return {
    batchId,
    customId,
    model: "veo-3.1-generate-img2video",
    status,
    taskIds: [],
    files: [],
    errorKind: undefined,
    errorMessage: undefined,
    failedStage: undefined,
    failedJobId: undefined,
    submission: 0,
    submitAttempts: 1,
    polls: 1,
    enqueuedAt: 1,
    submittedAt: 2,
    finishedAt: 3,
    metadata: undefined,
  };
}
