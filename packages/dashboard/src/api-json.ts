import {
  type BatchViewJson,
  type ItemDetailJson,
  type ItemJson,
  type ItemPageJson,
  type JobLinkJson,
  type OverviewJson,
  type PricesInUse,
  type SearchJson,
  toBatchJson,
  toBatchSpendJson,
  toResultJson,
  toWorkersJson,
} from "@veoq/report";
import type { BatchView, DashboardSnapshot } from "./read-batches.ts";
import type { ItemPage, ItemRow } from "./read-items.ts";
import type { JobLink, SearchHit } from "./search-items.ts";

/*
 * The dashboard's read models in the shared snake_case schemas of @veoq/report (the schemas, and
 * the to…Json of what the CLI prints too, live there; these inputs carry the dashboard's URLs).
 */

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** A batch in the shared snake_case shape (@veoq/report), as `veoq status --json` prints it. */
export function toBatchViewJson(view: BatchView, prices: PricesInUse): BatchViewJson {
  return {
    ...toBatchJson(view),
    state: view.state,
    spend: toBatchSpendJson(view.spend, prices),
    waiting_reason: view.waitingReason ?? null,
    failed_items: view.failedItems.map((item) => ({
      custom_id: item.customId,
      model: item.model,
      error_kind: item.errorKind ?? null,
      error_message: item.errorMessage ?? null,
      failed_stage: item.failedStage ?? null,
      failed_job_id: item.failedJobId ?? null,
      job_url: item.jobUrl ?? null,
      task_ids: item.taskIds,
      finished_at: iso(item.finishedAt),
    })),
    stuck_items: view.stuckItems.map((item) => ({
      batch_id: item.batchId,
      custom_id: item.customId,
      model: item.model,
      task_id: item.taskId,
      job_id: item.jobId,
      job_url: item.jobUrl,
      age_seconds: item.ageSeconds,
      threshold_seconds: item.thresholdSeconds,
      last_status: item.lastStatus ?? null,
      progress: item.progress ?? null,
    })),
  };
}

export function toOverviewJson(snapshot: DashboardSnapshot, prices: PricesInUse): OverviewJson {
  return {
    generated_at: new Date(snapshot.generatedAt).toISOString(),
    batches: snapshot.batches.map((view) => toBatchViewJson(view, prices)),
    queues: snapshot.queues,
    submit_paused: snapshot.submitPaused,
    credentials_stop: snapshot.credentialsStop,
    workers: toWorkersJson(snapshot.workers, snapshot.generatedAt),
    downloads_stop: snapshot.downloadsStop,
  };
}

/** GET /api/search: hits with their result line in the shape of `veoq results`. */
export function toSearchJson(found: { query: string; hits: SearchHit[] }): SearchJson {
  return {
    query: found.query,
    hits: found.hits.map((hit) => ({
      batch_id: hit.batchId,
      custom_id: hit.customId,
      state: hit.state ?? null,
      matched_by: hit.matchedBy,
      result: hit.result === undefined ? null : toResultJson(hit.result),
      jobs: hit.jobs.map(toJobLinkJson),
    })),
  };
}

export function toItemJson(row: ItemRow): ItemJson {
  return {
    custom_id: row.customId,
    state: row.state,
    url: row.url,
    model: row.model ?? null,
    prompt: row.prompt ?? null,
    duration_seconds: row.durationSeconds ?? null,
    resolution: row.resolution ?? null,
    attempts: row.submitAttempts ?? null,
    polls: row.polls ?? null,
    task_ids: row.taskIds,
    enqueued_at: iso(row.enqueuedAt),
    submitted_at: iso(row.submittedAt),
    finished_at: iso(row.finishedAt),
    files: row.files.map((file) => ({
      index: file.index,
      path: file.path,
      bytes: file.bytes,
      url: file.url,
      flagged: file.flagged ?? null,
    })),
    error_kind: row.errorKind ?? null,
    error_message: row.errorMessage ?? null,
    failed_stage: row.failedStage ?? null,
  };
}

export function toItemPageJson(page: ItemPage): ItemPageJson {
  return {
    batch_id: page.batchId,
    state: page.state ?? null,
    offset: page.offset,
    limit: page.limit,
    total: page.total,
    items: page.items.map(toItemJson),
  };
}

export function toItemDetailJson(detail: { row: ItemRow; jobs: JobLink[] }): ItemDetailJson {
  return { ...toItemJson(detail.row), jobs: detail.jobs.map(toJobLinkJson) };
}

function toJobLinkJson(job: JobLink): JobLinkJson {
  return { queue: job.queue, job_id: job.jobId, state: job.state, url: job.url };
}
