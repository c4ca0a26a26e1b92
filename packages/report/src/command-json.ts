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
