import { z } from "zod";
import { type ContractIssue, formatIssuePath, type ValidationResult } from "./contract-issue.ts";

export type TaskStatus = "QUEUED" | "PROCESSING" | "SUCCEED" | "FAILED" | "UNKNOWN";

/** One output file of a finished task. */
export interface TaskResultOutput {
  /** Download URL; it expires after `ttlSeconds`. */
  url: string;
  /** Seconds the URL stays valid, when the provider says. */
  ttlSeconds: number | undefined;
  /** File type as the provider names it, e.g. `"mp4"`. */
  type: string | undefined;
}

export interface TaskResult {
  taskId: string | undefined;
  status: TaskStatus;
  /** The status string as received, e.g. `"TASK_STATUS_SUCCEED"`. */
  rawStatus: string | undefined;
  /** Why the task failed; `undefined` when empty. */
  reason: string | undefined;
  /** Provider's estimate of seconds left. */
  etaSeconds: number | undefined;
  /** 0-100. */
  progressPercent: number | undefined;
  videos: TaskResultOutput[];
  images: TaskResultOutput[];
  audios: TaskResultOutput[];
  /**
   * Milliseconds from submission to completion by the provider's own clock
   * (`extra.debug_info.complete_time_ms - submit_time_ms`), when a final answer carries both.
   */
  providerDurationMs: number | undefined;
}

/** A number, or a string holding one (`"3600"`); anything else becomes `undefined`. */
const numberish = z
  .union([z.number(), z.string()])
  .transform((value) => {
    const number =
      typeof value === "number" ? value : value.trim() === "" ? Number.NaN : Number(value);
    return Number.isFinite(number) ? number : undefined;
  })
  .optional()
  .catch(undefined);

/**
 * Longest task id, status and output URL accepted from the provider. Anything longer is not a
 * plausible answer (ids are UUID-sized, signed URLs a few KiB) and is dropped here, at the
 * boundary, before it can reach job data, the task index or a page.
 */
export const MAX_TASK_ID_CHARS = 200;
export const MAX_STATUS_CHARS = 64;
export const MAX_OUTPUT_URL_CHARS = 16_384;

const boundedString = (max: number) => z.string().max(max).optional().catch(undefined);

function outputListSchema(kind: "video" | "image" | "audio") {
  const entrySchema = z.looseObject({
    [`${kind}_url`]: boundedString(MAX_OUTPUT_URL_CHARS),
    [`${kind}_url_ttl`]: numberish,
    [`${kind}_type`]: boundedString(MAX_STATUS_CHARS),
  } as Record<string, z.ZodType>);
  return z
    .array(z.unknown())
    .transform((entries) =>
      entries.flatMap((entry) => {
        const parsed = entrySchema.safeParse(entry);
        return parsed.success ? [parsed.data as Record<string, unknown>] : [];
      }),
    )
    .nullish()
    .catch(undefined);
}

/**
 * Response of `GET /v3/async/task-result`. Tolerant: unknown fields and statuses pass, `*_ttl`,
 * `eta` and `progress_percent` may be numbers or numeric strings, malformed optional parts are
 * dropped. Only a missing `task` object fails.
 */
export const taskResultResponseSchema = z.looseObject({
  task: z.looseObject({
    task_id: boundedString(MAX_TASK_ID_CHARS),
    task_type: boundedString(MAX_STATUS_CHARS),
    status: boundedString(MAX_STATUS_CHARS),
    reason: z.string().nullish().catch(undefined),
    eta: numberish,
    progress_percent: numberish,
  }),
  videos: outputListSchema("video"),
  images: outputListSchema("image"),
  audios: outputListSchema("audio"),
  extra: z
    .looseObject({
      debug_info: z
        .looseObject({ submit_time_ms: numberish, complete_time_ms: numberish })
        .nullish()
        .catch(undefined),
    })
    .nullish()
    .catch(undefined),
});

const STATUS_PATTERN = /^(?:TASK_STATUS_)?(QUEUED|PROCESSING|SUCCEED|FAILED)$/;

/** Maps `"TASK_STATUS_SUCCEED"` (or `"SUCCEED"`) to `"SUCCEED"`; anything else to `"UNKNOWN"`. */
export function toTaskStatus(rawStatus: string | undefined): TaskStatus {
  if (rawStatus === undefined) return "UNKNOWN";
  const match = STATUS_PATTERN.exec(rawStatus.trim().toUpperCase());
  return (match?.[1] as TaskStatus | undefined) ?? "UNKNOWN";
}

function toOutputs(
  kind: "video" | "image" | "audio",
  entries: readonly Record<string, unknown>[] | null | undefined,
): TaskResultOutput[] {
  const outputs: TaskResultOutput[] = [];
  for (const entry of entries ?? []) {
    const url = entry[`${kind}_url`];
    if (typeof url !== "string" || url === "") continue;
    const ttl = entry[`${kind}_url_ttl`];
    const type = entry[`${kind}_type`];
    outputs.push({
      url,
      ttlSeconds: typeof ttl === "number" ? ttl : undefined,
      type: typeof type === "string" && type !== "" ? type : undefined,
    });
  }
  return outputs;
}

/** Parses a task-result response tolerantly; fails only when it is not an object with a `task` object. */
export function parseTaskResult(json: unknown): ValidationResult<TaskResult> {
  const parsed = taskResultResponseSchema.safeParse(json);
  if (!parsed.success) {
    const issues: ContractIssue[] = parsed.error.issues.map((issue) => ({
      path: formatIssuePath(issue.path),
      message:
        issue.path.length === 0
          ? "task-result response must be a JSON object"
          : "task-result response must have a task object",
    }));
    return { ok: false, issues };
  }
  const { task, videos, images, audios, extra } = parsed.data;
  const submittedAtMs = extra?.debug_info?.submit_time_ms;
  const completedAtMs = extra?.debug_info?.complete_time_ms;
  const reason = task.reason ?? undefined;
  return {
    ok: true,
    value: {
      taskId: task.task_id === "" ? undefined : task.task_id,
      status: toTaskStatus(task.status),
      rawStatus: task.status,
      reason: reason === "" ? undefined : reason,
      etaSeconds: task.eta,
      progressPercent: task.progress_percent,
      videos: toOutputs("video", videos),
      images: toOutputs("image", images),
      audios: toOutputs("audio", audios),
      providerDurationMs:
        submittedAtMs !== undefined && completedAtMs !== undefined && completedAtMs >= submittedAtMs
          ? completedAtMs - submittedAtMs
          : undefined,
    },
  };
}
