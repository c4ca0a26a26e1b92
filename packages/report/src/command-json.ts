import { z } from "zod";
import { batchJson } from "./batch-json.ts";

/** `veoq resume --json`. */
export const resumeJson = z.object({
  /** Whether the submit queue was paused before this call. */
  was_paused: z.boolean(),
  /** The credentials stop (401/402) that paused it, if any. */
  stopped_by: z.string().nullable(),
});
export type ResumeJson = z.infer<typeof resumeJson>;

/** `veoq pause --json`. */
export const pauseJson = z.object({
  batch_id: z.string(),
  /** false when it was already paused (or is cancelled, which a pause does not change). */
  changed: z.boolean(),
});
export type PauseJson = z.infer<typeof pauseJson>;

/** `veoq cancel --json`. */
export const cancelJson = z.object({
  batch_id: z.string(),
  /** false when it was already cancelled (with this --drop-in-flight or more). */
  changed: z.boolean(),
  /** Queued items ended as cancelled by this call (no create is sent for them). */
  cancelled: z.number().int(),
  /** Items already created: they finish (paid), or are no longer followed with drop_in_flight. */
  in_flight: z.number().int(),
  drop_in_flight: z.boolean(),
});
export type CancelJson = z.infer<typeof cancelJson>;

/** `veoq delete --json` and `DELETE /v1/batches/{id}`: what went with the batch. */
export const deleteJson = z.object({
  batch_id: z.string(),
  /** Items the batch had. */
  items: z.number().int(),
  /** Its jobs removed from the submit, poll and download queues. */
  jobs: z.number().int(),
  /** Request index and task index entries that named its items. */
  index_entries: z.number().int(),
  /** Redis keys of its own records removed. */
  keys: z.number().int(),
  /** Output files or objects removed; null without --files. */
  files: z.number().int().nullable(),
});
export type DeleteJson = z.infer<typeof deleteJson>;

/** `veoq budget --json`: amounts in `currency` (the price table's). */
export const budgetJson = z.object({
  batch_id: z.string(),
  currency: z.string(),
  budget: z.number(),
  spent: z.number(),
  reserved: z.number(),
  /** The batch was paused by its budget and goes on now. */
  resumed: z.boolean(),
  /** What it spent (and reserved) already reaches the new budget: it is paused by its budget. */
  paused_by_budget: z.boolean(),
});
export type BudgetJson = z.infer<typeof budgetJson>;

/** `veoq priority --json`. */
export const priorityJson = z.object({
  batch_id: z.string(),
  priority: z.enum(["high", "normal", "low"]),
  /** Waiting items that took the new level. */
  reprioritised: z.number().int(),
});
export type PriorityJson = z.infer<typeof priorityJson>;

/** The line `veoq worker --json` prints once its workers (and metrics server) are up. */
export const workerStartedJson = z.object({
  event: z.literal("worker_started"),
  pid: z.number().int(),
  roles: z.array(z.string()),
  /** null when `--metrics-port` was not given. */
  metrics_url: z.string().nullable(),
});
export type WorkerStartedJson = z.infer<typeof workerStartedJson>;

/** `veoq status --json`: the batches asked for; queue totals only when no batch was named. */
export const statusJson = z.object({
  batches: z.array(batchJson),
  queues: z.record(z.string(), z.record(z.string(), z.number())).optional(),
  submit_paused: z.boolean(),
  /** Why submissions are stopped (401/402 from the provider), or null. */
  credentials_stop: z.string().nullable(),
  /** Live worker processes per role (heartbeat records; `veoq workers` lists them). */
  workers: z
    .object({ submit: z.number().int(), poll: z.number().int(), download: z.number().int() })
    .optional(),
  /** Why downloads are stopped (the bucket refused its credentials), or null. */
  downloads_stop: z.string().nullable(),
});
export type StatusJson = z.infer<typeof statusJson>;
