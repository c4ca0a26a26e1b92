import { ITEM_STATES } from "@veoq/pipeline";
import { z } from "zod";
import { resultJson } from "./result-json.ts";

const itemStates = z.enum(ITEM_STATES);

/**
 * One item of a batch as the dashboard's /api lists it, in the snake_case of `veoq results`
 * (custom_id, task_ids, attempts, ...). The mapping from the dashboard's read model is in
 * packages/dashboard/src/api-json.ts (its inputs carry the dashboard's own URLs).
 */
export const itemJson = z.object({
  custom_id: z.string(),
  state: itemStates,
  /** The item's page on the dashboard. */
  url: z.string(),
  model: z.string().nullable(),
  prompt: z.string().nullable(),
  duration_seconds: z.number().nullable(),
  resolution: z.string().nullable(),
  /** Create requests sent (all submissions, all tries), as in `veoq results`. */
  attempts: z.number().int().nullable(),
  polls: z.number().int().nullable(),
  task_ids: z.array(z.string()),
  enqueued_at: z.iso.datetime().nullable(),
  submitted_at: z.iso.datetime().nullable(),
  finished_at: z.iso.datetime().nullable(),
  files: z.array(
    z.object({
      index: z.number().int(),
      path: z.string(),
      bytes: z.number().int(),
      url: z.string(),
      /** Why VEOQ_VERIFY_OUTPUTS=warn flagged the file (as in `veoq results`), or null. */
      flagged: z.array(z.string()).nullable(),
    }),
  ),
  error_kind: z.string().nullable(),
  error_message: z.string().nullable(),
  failed_stage: z.enum(["submit", "poll", "download"]).nullable(),
});
export type ItemJson = z.infer<typeof itemJson>;

/** GET /api/batches/:id/items: one page of a batch's items. */
export const itemPageJson = z.object({
  batch_id: z.string(),
  /** The state filter; null for every item. */
  state: itemStates.nullable(),
  offset: z.number().int(),
  limit: z.number().int(),
  /** Items matching the filter (all pages). */
  total: z.number().int(),
  items: z.array(itemJson),
});
export type ItemPageJson = z.infer<typeof itemPageJson>;

/** A job of an item still in the queues, with its Bull Board page. */
export const jobLinkJson = z.object({
  queue: z.enum(["submit", "poll", "download"]),
  job_id: z.string(),
  state: z.string(),
  url: z.string(),
});
export type JobLinkJson = z.infer<typeof jobLinkJson>;

/** GET /api/batches/:id/items/:customId: an item with its jobs. */
export const itemDetailJson = itemJson.extend({ jobs: z.array(jobLinkJson) });
export type ItemDetailJson = z.infer<typeof itemDetailJson>;

/** GET /api/search: hits with their result line in the shape of `veoq results`. */
export const searchJson = z.object({
  query: z.string(),
  hits: z.array(
    z.object({
      batch_id: z.string(),
      custom_id: z.string(),
      state: itemStates.nullable(),
      matched_by: z.enum(["custom_id", "custom_id_prefix", "task_id", "job_id"]),
      result: resultJson.nullable(),
      jobs: z.array(jobLinkJson),
    }),
  ),
});
export type SearchJson = z.infer<typeof searchJson>;
