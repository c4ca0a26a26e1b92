import type { RetryPlan, RetrySummary } from "@veoq/pipeline";
import type { ItemPage, ItemRow } from "./read-items.ts";
import type { JobLink } from "./search-items.ts";

/**
 * The JSON of the item endpoints and the retry plan, in the snake_case of `veoq results`
 * (custom_id, task_ids, ...): one schema for a script whether it reads the CLI or the API.
 */
export function itemJson(row: ItemRow): Record<string, unknown> {
  return {
    custom_id: row.customId,
    state: row.state,
    url: row.url,
    model: row.model ?? null,
    prompt: row.prompt ?? null,
    duration_seconds: row.durationSeconds ?? null,
    resolution: row.resolution ?? null,
    /** Create requests sent (all submissions, all tries), as in `veoq results`. */
    attempts: row.submitAttempts ?? null,
    polls: row.polls ?? null,
    task_ids: row.taskIds,
    enqueued_at: isoTime(row.enqueuedAt),
    submitted_at: isoTime(row.submittedAt),
    finished_at: isoTime(row.finishedAt),
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

export function itemPageJson(page: ItemPage): Record<string, unknown> {
  return {
    batch_id: page.batchId,
    state: page.state ?? null,
    offset: page.offset,
    limit: page.limit,
    total: page.total,
    items: page.items.map(itemJson),
  };
}

export function itemDetailJson(detail: { row: ItemRow; jobs: JobLink[] }): Record<string, unknown> {
  return {
    ...itemJson(detail.row),
    jobs: detail.jobs.map((job) => ({
      queue: job.queue,
      job_id: job.jobId,
      state: job.state,
      url: job.url,
    })),
  };
}

export function retryPlanJson(plan: RetryPlan, estimatedCostUsd?: number): Record<string, unknown> {
  return {
    batch_id: plan.batchId,
    failed: plan.failed,
    resubmit: plan.counts.resubmit,
    repoll: plan.counts.repoll,
    redownload: plan.counts.redownload,
    resubmits_by_model: plan.resubmitsByModel,
    estimated_cost_usd: estimatedCostUsd ?? null,
    permanent: plan.permanent,
    include_permanent: plan.includePermanent,
    skipped_total: plan.skippedTotal,
    skipped: plan.skipped.map((item) => ({
      custom_id: item.customId,
      skip: item.skip,
      error_kind: item.errorKind ?? null,
      reason: item.reason ?? null,
    })),
  };
}

export function retrySummaryJson(summary: RetrySummary): Record<string, unknown> {
  return {
    retried: summary.retried,
    skipped: summary.skipped.map((item) => ({ custom_id: item.customId, reason: item.reason })),
    plan: retryPlanJson(summary.plan),
  };
}

function isoTime(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}
