import type { RetrySummary } from "@veoq/pipeline";
import {
  type BatchViewJson,
  type OverviewJson,
  type ResultJson,
  type RetryJson,
  toBatchJson,
  toResultJson,
  toRetryJson,
} from "@veoq/report";
import type { BatchView, DashboardSnapshot } from "./read-batches.ts";
import type { SearchHit } from "./search-items.ts";

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** A batch in the shared snake_case shape (@veoq/report), as `veoq status --json` prints it. */
export function toBatchViewJson(view: BatchView): BatchViewJson {
  return {
    ...toBatchJson(view),
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

export function toOverviewJson(snapshot: DashboardSnapshot): OverviewJson {
  return {
    generated_at: new Date(snapshot.generatedAt).toISOString(),
    batches: snapshot.batches.map(toBatchViewJson),
    queues: snapshot.queues,
    submit_paused: snapshot.submitPaused,
    credentials_stop: snapshot.credentialsStop,
  };
}

export function toRetryApiJson(summary: RetrySummary, batchId: string): RetryJson {
  return toRetryJson(batchId, summary);
}

/** GET /api/search: hits with their result line in the shape of `veoq results`. */
export function toSearchJson(found: { query: string; hits: SearchHit[] }): {
  query: string;
  hits: {
    batch_id: string;
    custom_id: string;
    state: string | null;
    matched_by: SearchHit["matchedBy"];
    result: ResultJson | null;
    jobs: { queue: string; job_id: string; state: string; url: string }[];
  }[];
} {
  return {
    query: found.query,
    hits: found.hits.map((hit) => ({
      batch_id: hit.batchId,
      custom_id: hit.customId,
      state: hit.state ?? null,
      matched_by: hit.matchedBy,
      result: hit.result === undefined ? null : toResultJson(hit.result),
      jobs: hit.jobs.map((job) => ({
        queue: job.queue,
        job_id: job.jobId,
        state: job.state,
        url: job.url,
      })),
    })),
  };
}
