import type { Redis } from "ioredis";
import type { BatchStore, VeoqQueues } from "../src/index.ts";

/**
 * Creates batch `batchId` with `ids` as a worker leaves items whose submit failed for good on a
 * transient error (no worker here): each submit job `<batchId>-<id>` in the failed set, each item
 * `failed` (internal, at submit). A retry re-submits each (paid).
 */
export async function seedFailedSubmits(
  redis: Redis,
  store: BatchStore,
  queues: VeoqQueues,
  batchId: string,
  ids: readonly string[],
): Promise<void> {
  await store.ensureBatch(batchId, "test", Date.now());
  await store.registerItems(batchId, ids);
  for (const id of ids) {
    const jobId = `${batchId}-${id}`;
    await queues.submit.add("submit", { customId: id } as never, { jobId, attempts: 1 });
    await redis.lrem(queues.submit.keys.wait as string, 0, jobId);
    await redis.zadd(queues.submit.keys.failed as string, Date.now(), jobId);
    await store.finishItem({
      batchId,
      customId: id,
      model: "veo-3.1",
      status: "failed",
      taskIds: [],
      files: [],
      errorKind: "internal",
      errorMessage: "provider unreachable",
      failedStage: "submit",
      failedJobId: jobId,
      submission: 0,
      submitAttempts: 1,
      polls: 0,
      enqueuedAt: Date.now(),
      submittedAt: undefined,
      finishedAt: Date.now(),
      metadata: undefined,
    });
  }
}
