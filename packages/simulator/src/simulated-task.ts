import { createHash } from "node:crypto";
import type { EndpointSlug } from "@veoq/contract";
import { simulatedFileBytes } from "./simulated-file-bytes.ts";
import type { TaskRecord } from "./task-store.ts";
import {
  detectionLagSecondsOf,
  finishedAtMsOf,
  type TaskStatus,
  taskPhaseAt,
} from "./task-timeline.ts";

/** One video of a succeeded task, as the simulator serves it. */
export interface SimulatedFile {
  index: number;
  /** Hex SHA-256 of the served bytes. */
  sha256: string;
  /** Size of the served bytes. */
  bytes: number;
}

/** One task as reported by `tasks()` and `GET /__sim/tasks`. */
export interface SimulatedTask {
  taskId: string;
  endpoint: EndpointSlug;
  status: TaskStatus;
  /** Failure reason when FAILED, "" otherwise. */
  reason: string;
  /** Run time in provider seconds. */
  durationSeconds: number;
  createdAtMs: number;
  /** When the task reached its final status; null while running. */
  finishedAtMs: number | null;
  /** Task-result requests seen for this task. */
  polls: number;
  /** When a poll first returned the final status; null if none did yet. */
  finalObservedAtMs: number | null;
  /** Provider seconds between finishing and that poll; null if not observed yet. */
  detectionLagSeconds: number | null;
  /** Served videos (empty unless SUCCEED). */
  files: SimulatedFile[];
}

const filesCache = new WeakMap<TaskRecord, SimulatedFile[]>();

function filesOf(task: TaskRecord, fileSizeBytes: number): SimulatedFile[] {
  const cached = filesCache.get(task);
  if (cached !== undefined) return cached;
  const files: SimulatedFile[] = [];
  for (let index = 0; index < task.sampleCount; index += 1) {
    const bytes = simulatedFileBytes(task.taskId, index, task.video, fileSizeBytes);
    files.push({
      index,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      bytes: bytes.length,
    });
  }
  filesCache.set(task, files);
  return files;
}

export function simulatedTaskOf(
  task: TaskRecord,
  nowMs: number,
  fileSizeBytes: number,
): SimulatedTask {
  const phase = taskPhaseAt(task, nowMs);
  const observed = task.finalObservedAtMs;
  return {
    taskId: task.taskId,
    endpoint: task.endpoint,
    status: phase.status,
    reason: phase.status === "FAILED" ? task.reason : "",
    durationSeconds: task.durationSeconds,
    createdAtMs: task.createdAtMs,
    finishedAtMs: phase.final ? finishedAtMsOf(task) : null,
    polls: task.polls,
    finalObservedAtMs: observed ?? null,
    detectionLagSeconds: observed === undefined ? null : detectionLagSecondsOf(task, observed),
    files: phase.status === "SUCCEED" ? filesOf(task, fileSizeBytes) : [],
  };
}
