import { signedFileUrlOf } from "./file-url-signature.ts";
import type { TaskRecord } from "./task-store.ts";
import { executeAtMsOf, finishedAtMsOf, type TaskPhase } from "./task-timeline.ts";

export interface TaskResultView {
  /** Base URL of the result links, e.g. "http://127.0.0.1:4010". */
  baseUrl: string;
  fileSecret: Buffer;
  nowMs: number;
  urlTtlSeconds: number;
  reportEta: boolean;
  reportProgress: boolean;
}

/** Provider task type of an endpoint, e.g. "VEO_3_1_LITE_FIRSTLASTFRAME". */
export function taskTypeOf(endpoint: string): string {
  return endpoint.toUpperCase().replace(/[^A-Z0-9]+/g, "_");
}

/**
 * The task-result answer in the provider's shape. `video_url_ttl` alternates between string and
 * number form (by poll count and index) so clients must accept both.
 */
export function taskResultBodyOf(
  task: TaskRecord,
  phase: TaskPhase,
  view: TaskResultView,
): unknown {
  const taskPart: Record<string, unknown> = {
    task_id: task.taskId,
    task_type: taskTypeOf(task.endpoint),
    status: `TASK_STATUS_${phase.status}`,
    reason: phase.status === "FAILED" ? task.reason : "",
  };
  if (view.reportEta) taskPart.eta = phase.etaSeconds;
  if (view.reportProgress) taskPart.progress_percent = phase.progressPercent;

  const videos: unknown[] = [];
  if (phase.status === "SUCCEED") {
    const expiresAtMs = Math.round(view.nowMs + view.urlTtlSeconds * task.msPerSecond);
    for (let index = 0; index < task.sampleCount; index += 1) {
      const ttl = view.urlTtlSeconds;
      videos.push({
        video_url: signedFileUrlOf(view.baseUrl, view.fileSecret, task.taskId, index, expiresAtMs),
        video_url_ttl: (task.polls + index) % 2 === 0 ? String(ttl) : ttl,
        video_type: "mp4",
      });
    }
  }

  const debugInfo: Record<string, string> = { submit_time_ms: String(task.createdAtMs) };
  if (phase.status !== "QUEUED") {
    debugInfo.execute_time_ms = String(Math.round(executeAtMsOf(task)));
  }
  if (phase.final) debugInfo.complete_time_ms = String(Math.round(finishedAtMsOf(task)));

  return {
    task: taskPart,
    videos,
    images: [],
    audios: [],
    extra: { seed: String(task.seed), debug_info: debugInfo },
  };
}
