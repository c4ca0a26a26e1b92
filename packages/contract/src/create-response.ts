import type { ValidationResult } from "./contract-issue.ts";
import { describeValue } from "./describe-value.ts";
import { MAX_TASK_ID_CHARS } from "./task-result.ts";

/**
 * Parses the answer to `POST /v3/async/<endpoint>`: `{"task_id": "..."}`. A 2xx answer without a
 * non-empty string `task_id` is a provider error and fails here, never silently accepted.
 */
export function parseCreateResponse(json: unknown): ValidationResult<{ taskId: string }> {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return {
      ok: false,
      issues: [
        { path: "", message: `create response must be a JSON object (got ${describeValue(json)})` },
      ],
    };
  }
  const taskId: unknown = (json as Record<string, unknown>).task_id;
  if (typeof taskId !== "string" || taskId === "") {
    return {
      ok: false,
      issues: [
        {
          path: "task_id",
          message:
            taskId === undefined
              ? "is missing from the create response"
              : `must be a non-empty string (got ${describeValue(taskId)})`,
        },
      ],
    };
  }
  if (taskId.length > MAX_TASK_ID_CHARS || /\p{Cc}/u.test(taskId)) {
    return {
      ok: false,
      issues: [
        {
          path: "task_id",
          message: `must be at most ${MAX_TASK_ID_CHARS} printable characters (got ${taskId.length} characters)`,
        },
      ],
    };
  }
  return { ok: true, value: { taskId } };
}
