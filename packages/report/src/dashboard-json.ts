import { z } from "zod";
import { batchJson } from "./batch-json.ts";
import { batchSpendJson } from "./batch-spend.ts";
import { workersJson } from "./workers-json.ts";

/** A failed item as the dashboard's /api lists it. */
export const failedItemJson = z.object({
  custom_id: z.string(),
  model: z.string(),
  error_kind: z.string().nullable(),
  error_message: z.string().nullable(),
  failed_stage: z.enum(["submit", "poll", "download"]).nullable(),
  failed_job_id: z.string().nullable(),
  /** Bull Board's page of the failed job, when known. */
  job_url: z.string().nullable(),
  task_ids: z.array(z.string()),
  finished_at: z.iso.datetime().nullable(),
});
export type FailedItemJson = z.infer<typeof failedItemJson>;

/** An item polled far past the usual time. */
export const stuckItemJson = z.object({
  batch_id: z.string(),
  custom_id: z.string(),
  model: z.string(),
  task_id: z.string(),
  job_id: z.string(),
  job_url: z.string(),
  age_seconds: z.number(),
  threshold_seconds: z.number(),
  last_status: z.string().nullable(),
  progress: z.number().nullable(),
});
export type StuckItemJson = z.infer<typeof stuckItemJson>;

/** GET /api/batches/:id: a batch (the same fields as `veoq status --json`) with its items to look at. */
export const batchViewJson = batchJson.extend({
  /** Its money (batch-spend.ts: the same shape as `veoq status --json`'s `spend`). */
  spend: batchSpendJson,
  failed_items: z.array(failedItemJson),
  stuck_items: z.array(stuckItemJson),
});
export type BatchViewJson = z.infer<typeof batchViewJson>;

/** GET /api/batches. */
export const overviewJson = z.object({
  generated_at: z.iso.datetime(),
  batches: z.array(batchViewJson),
  queues: z.record(z.string(), z.record(z.string(), z.number())),
  submit_paused: z.boolean(),
  credentials_stop: z.string().nullable(),
  /** The live worker processes, as `veoq workers --json` prints them. */
  workers: workersJson,
  /** Why downloads are stopped (the bucket refused its credentials), or null. */
  downloads_stop: z.string().nullable(),
});
export type OverviewJson = z.infer<typeof overviewJson>;
