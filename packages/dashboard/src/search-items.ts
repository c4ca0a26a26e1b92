import {
  downloadJobId,
  type ItemResult,
  type ItemState,
  pollJobId,
  type QueueRole,
  submitJobId,
} from "@veoq/pipeline";
import { bullBoardJobUrl } from "./bull-board-router.ts";
import type { DashboardSource } from "./read-batches.ts";

export interface SearchHit {
  batchId: string;
  customId: string;
  state: ItemState | undefined;
  matchedBy: "custom_id" | "task_id" | "job_id";
  /** The item's final record, once it is completed or failed. */
  result: ItemResult | undefined;
  /** The item's jobs still in the queues, with Bull Board links. */
  jobs: { queue: QueueRole; jobId: string; state: string; url: string }[];
}

/** Submissions whose jobs are looked up per hit (the manifest's plus re-submissions). */
const SUBMISSIONS_PROBED = 4;
/** Batches searched for a custom_id (newest first). */
const BATCHES_SEARCHED = 1000;

/**
 * Finds items by custom_id (in every batch that has it), by provider task id (task index), or
 * by one of our job ids (`<batch>~<custom_id>...`, as Bull Board shows them). Cheap: the job ids
 * are deterministic, so no queue is scanned.
 */
export async function searchItems(source: DashboardSource, rawQuery: string): Promise<SearchHit[]> {
  const query = rawQuery.trim();
  if (query === "" || query.length > 300) return [];
  const found = new Map<string, Omit<SearchHit, "result" | "jobs" | "state">>();
  const add = (batchId: string, customId: string, matchedBy: SearchHit["matchedBy"]) => {
    const key = `${batchId}~${customId}`;
    if (!found.has(key)) found.set(key, { batchId, customId, matchedBy });
  };
  const [byCustomId, byTask] = await Promise.all([
    source.store.findCustomId(query, BATCHES_SEARCHED),
    source.store.findTask(query),
  ]);
  for (const hit of byCustomId) add(hit.batchId, query, "custom_id");
  if (byTask) add(byTask.batchId, byTask.customId, "task_id");
  const [jobBatch, jobCustom] = query.split("~");
  if (jobBatch && jobCustom && (await source.store.itemState(jobBatch, jobCustom))) {
    add(jobBatch, jobCustom, "job_id");
  }
  return Promise.all([...found.values()].map((hit) => describeHit(source, hit)));
}

async function describeHit(
  source: DashboardSource,
  hit: Omit<SearchHit, "result" | "jobs" | "state">,
): Promise<SearchHit> {
  const [state, result] = await Promise.all([
    source.store.itemState(hit.batchId, hit.customId),
    source.store.itemResult(hit.batchId, hit.customId),
  ]);
  const last = Math.max(SUBMISSIONS_PROBED - 1, result?.submission ?? 0);
  const candidates: { queue: QueueRole; jobId: string }[] = [];
  for (let n = 0; n <= last; n++) {
    candidates.push(
      { queue: "submit", jobId: submitJobId(hit.batchId, hit.customId, n) },
      { queue: "poll", jobId: pollJobId(hit.batchId, hit.customId, n) },
      { queue: "download", jobId: downloadJobId(hit.batchId, hit.customId, n) },
    );
  }
  const jobs = await Promise.all(
    candidates.map(async ({ queue, jobId }) => {
      const job = await source.queues[queue].getJob(jobId);
      if (!job) return undefined;
      return {
        queue,
        jobId,
        state: await job.getState(),
        url: bullBoardJobUrl(source.bullBoardPath, queue, jobId),
      };
    }),
  );
  return {
    ...hit,
    state,
    result,
    jobs: jobs.filter((job): job is NonNullable<typeof job> => job !== undefined),
  };
}
