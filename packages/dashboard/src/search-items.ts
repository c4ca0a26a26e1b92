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

/** One of an item's jobs still in the queues, with its Bull Board link. */
export interface JobLink {
  queue: QueueRole;
  jobId: string;
  state: string;
  url: string;
}

export interface SearchHit {
  batchId: string;
  customId: string;
  state: ItemState | undefined;
  /** `custom_id_prefix`: the query is the start of the item's custom_id. */
  matchedBy: "custom_id" | "custom_id_prefix" | "task_id" | "job_id";
  /** The item's final record, once it is completed or failed. */
  result: ItemResult | undefined;
  /** The item's jobs still in the queues, with Bull Board links. */
  jobs: JobLink[];
}

/** Submissions whose jobs are looked up per hit (the manifest's plus re-submissions). */
const SUBMISSIONS_PROBED = 4;
/** Batches searched for a custom_id (newest first). */
const BATCHES_SEARCHED = 1000;
/** Batches searched for custom ids starting with the query, and items found per batch. */
const PREFIX_BATCHES_SEARCHED = 200;
const PREFIX_HITS_PER_BATCH = 20;
/** Hits described in all (each costs a few reads). */
const MAX_HITS = 50;

/**
 * Finds items by custom_id (in every batch that has it), by the start of a custom_id (newest
 * batches first, by custom id), by provider task id (task index), or by one of our job ids (`<batch>~<custom_id>...`, as Bull Board shows them). Cheap: the job ids
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
  const [byCustomId, byTask, byPrefix] = await Promise.all([
    source.store.findCustomId(query, BATCHES_SEARCHED),
    source.store.findTask(query),
    source.store.findCustomIdPrefix(query, {
      batchLimit: PREFIX_BATCHES_SEARCHED,
      limit: PREFIX_HITS_PER_BATCH,
    }),
  ]);
  for (const hit of byCustomId) add(hit.batchId, query, "custom_id");
  if (byTask) add(byTask.batchId, byTask.customId, "task_id");
  const [jobBatch, jobCustom] = query.split("~");
  if (jobBatch && jobCustom && (await source.store.itemState(jobBatch, jobCustom))) {
    add(jobBatch, jobCustom, "job_id");
  }
  for (const hit of byPrefix) add(hit.batchId, hit.customId, "custom_id_prefix");
  return Promise.all([...found.values()].slice(0, MAX_HITS).map((hit) => describeHit(source, hit)));
}

async function describeHit(
  source: DashboardSource,
  hit: Omit<SearchHit, "result" | "jobs" | "state">,
): Promise<SearchHit> {
  const [state, result] = await Promise.all([
    source.store.itemState(hit.batchId, hit.customId),
    source.store.itemResult(hit.batchId, hit.customId),
  ]);
  return {
    ...hit,
    state,
    result,
    jobs: await readJobLinks(source, hit.batchId, hit.customId, result?.submission),
  };
}

/**
 * An item's jobs still in the queues (looked up by their deterministic ids, no scan), with Bull
 * Board links: those of its first submissions and up to `lastSubmission` (read from its record
 * when not given).
 */
export async function readJobLinks(
  source: DashboardSource,
  batchId: string,
  customId: string,
  lastSubmission?: number,
): Promise<JobLink[]> {
  const known =
    lastSubmission ?? (await source.store.itemResult(batchId, customId))?.submission ?? 0;
  const last = Math.max(SUBMISSIONS_PROBED - 1, known);
  const candidates: { queue: QueueRole; jobId: string }[] = [];
  for (let n = 0; n <= last; n++) {
    candidates.push(
      { queue: "submit", jobId: submitJobId(batchId, customId, n) },
      { queue: "poll", jobId: pollJobId(batchId, customId, n) },
      { queue: "download", jobId: downloadJobId(batchId, customId, n) },
    );
  }
  const jobs = await Promise.all(
    candidates.map(async ({ queue, jobId }): Promise<JobLink | undefined> => {
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
  return jobs.filter((job): job is JobLink => job !== undefined);
}
