import { ITEM_STATES, type ResultLine } from "@veoq/pipeline";
import { z } from "zod";

const openResultJson = z.object({
  batch_id: z.string(),
  custom_id: z.string(),
  status: z.enum(["queued", "processing", "downloading"]),
});

const finalResultJson = z.object({
  batch_id: z.string(),
  custom_id: z.string(),
  status: z.enum(["completed", "failed", "cancelled"]),
  model: z.string(),
  task_ids: z.array(z.string()),
  files: z.array(
    z.object({
      path: z.string(),
      bytes: z.number().int(),
      sha256: z.string(),
      /** What the video is (null when VEOQ_VERIFY_OUTPUTS=off or saved by older code). */
      duration_seconds: z.number().nullable(),
      width: z.number().int().nullable(),
      height: z.number().int().nullable(),
      codecs: z.array(z.string()).nullable(),
      audio: z.boolean().nullable(),
      /** With VEOQ_VERIFY_OUTPUTS=warn: how the file differs from the request, or null. */
      flagged: z.array(z.string()).nullable(),
      /** `s3://bucket/key` or `file://...`; absent for files saved by older code. */
      uri: z.string().optional(),
    }),
  ),
  error_kind: z.string().nullable(),
  error_message: z.string().nullable(),
  attempts: z.number().int(),
  submissions: z.number().int(),
  polls: z.number().int(),
  enqueued_at: z.iso.datetime(),
  submitted_at: z.iso.datetime().nullable(),
  finished_at: z.iso.datetime().nullable(),
  metadata: z.record(z.string(), z.unknown()).nullable(),
  /** The item whose render this one reused (same request enqueued again); absent otherwise. */
  reused_from: z.object({ batch_id: z.string(), custom_id: z.string() }).optional(),
});

/** One line of `veoq results` (JSONL) and of the demo's results.jsonl. */
export const resultJson = z.union([finalResultJson, openResultJson]);
export type ResultJson = z.infer<typeof resultJson>;

/** The states `results --status` accepts. */
export const RESULT_STATES = ITEM_STATES;

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** A result line in the shared snake_case shape, with a stable field order. */
export function toResultJson(line: ResultLine): ResultJson {
  if (line.status !== "completed" && line.status !== "failed" && line.status !== "cancelled") {
    return { batch_id: line.batchId, custom_id: line.customId, status: line.status };
  }
  return {
    batch_id: line.batchId,
    custom_id: line.customId,
    status: line.status,
    model: line.model,
    task_ids: line.taskIds,
    files: line.files.map((f) => ({
      path: f.path,
      bytes: f.bytes,
      sha256: f.sha256,
      duration_seconds: f.durationSeconds ?? null,
      width: f.width ?? null,
      height: f.height ?? null,
      codecs: f.codecs ?? null,
      audio: f.audio ?? null,
      flagged: f.flagged ?? null,
      ...(f.uri === undefined ? {} : { uri: f.uri }),
    })),
    error_kind: line.errorKind ?? null,
    error_message: line.errorMessage ?? null,
    attempts: line.submitAttempts,
    submissions: line.submission + 1,
    polls: line.polls,
    enqueued_at: new Date(line.enqueuedAt).toISOString(),
    submitted_at: iso(line.submittedAt),
    finished_at: iso(line.finishedAt),
    metadata: line.metadata ?? null,
    ...(line.reusedFrom === undefined
      ? {}
      : {
          reused_from: {
            batch_id: line.reusedFrom.batchId,
            custom_id: line.reusedFrom.customId,
          },
        }),
  };
}
