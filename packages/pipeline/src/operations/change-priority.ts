import { submitJobDataSchema } from "../jobs/job-data.ts";
import type { VeoqQueues } from "../jobs/queues.ts";
import type { BatchStore } from "../store/batch-store.ts";
import { fairPriority, type PriorityLevel } from "../store/fair-share.ts";
import { submitJobId } from "../store/keys.ts";

/** States in which a submit job's priority still decides when it runs. */
const WAITING_STATES = new Set(["prioritized", "waiting", "delayed", "paused"]);

export interface PriorityChange {
  batchId: string;
  level: PriorityLevel;
  /** Waiting submit jobs given the new priority. */
  changed: number;
}

/**
 * Sets a batch's level (fair-share.ts): its waiting submit jobs keep their turn and take the
 * level's priority; items enqueued later (re-enqueues, retries) take it too.
 */
export async function changeBatchPriority(
  queues: VeoqQueues,
  store: BatchStore,
  batchId: string,
  level: PriorityLevel,
): Promise<PriorityChange> {
  const { fairShare } = store;
  await fairShare.setLevel(batchId, level);
  let changed = 0;
  for await (const [customId, state] of store.scanItemStates(batchId)) {
    if (state !== "queued") continue;
    const job = await queues.submit.getJob(submitJobId(batchId, customId, 0));
    if (job === undefined) continue;
    const data = submitJobDataSchema.safeParse(job.data);
    if (!data.success || data.data.turn === undefined) continue;
    if (!WAITING_STATES.has(await job.getState())) continue;
    await job.changePriority({ priority: fairPriority(data.data.turn, level) });
    changed++;
  }
  return { batchId, level, changed };
}
