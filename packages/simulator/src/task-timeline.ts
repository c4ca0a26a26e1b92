/** The life of one simulated task as a pure function of time. */

export type TaskStatus = "QUEUED" | "PROCESSING" | "SUCCEED" | "FAILED";

export interface TaskTimeline {
  /** When the task was created (ms, simulator clock). */
  createdAtMs: number;
  /** How long the task runs, in provider seconds. */
  durationSeconds: number;
  /** Fraction of the duration spent QUEUED before PROCESSING. */
  queuedFraction: number;
  /** Real milliseconds per provider second (`timeScale * 1000`). */
  msPerSecond: number;
  /** Whether the task ends FAILED rather than SUCCEED. */
  fails: boolean;
}

export interface TaskPhase {
  status: TaskStatus;
  /** Whether the status is final (SUCCEED or FAILED). */
  final: boolean;
  /** 0-100, rising linearly while PROCESSING; 100 once SUCCEED. */
  progressPercent: number;
  /** Provider seconds left (rounded up); 0 once final. */
  etaSeconds: number;
}

export function finishedAtMsOf(timeline: TaskTimeline): number {
  return timeline.createdAtMs + timeline.durationSeconds * timeline.msPerSecond;
}

export function executeAtMsOf(timeline: TaskTimeline): number {
  return (
    timeline.createdAtMs + timeline.durationSeconds * timeline.queuedFraction * timeline.msPerSecond
  );
}

export function taskPhaseAt(timeline: TaskTimeline, nowMs: number): TaskPhase {
  const finishedAtMs = finishedAtMsOf(timeline);
  if (nowMs >= finishedAtMs) {
    return timeline.fails
      ? { status: "FAILED", final: true, progressPercent: 0, etaSeconds: 0 }
      : { status: "SUCCEED", final: true, progressPercent: 100, etaSeconds: 0 };
  }
  const etaSeconds = Math.ceil((finishedAtMs - nowMs) / timeline.msPerSecond);
  const executeAtMs = executeAtMsOf(timeline);
  if (nowMs < executeAtMs) {
    return { status: "QUEUED", final: false, progressPercent: 0, etaSeconds };
  }
  const span = finishedAtMs - executeAtMs;
  const progress = span > 0 ? Math.floor(((nowMs - executeAtMs) / span) * 100) : 99;
  return {
    status: "PROCESSING",
    final: false,
    progressPercent: Math.min(99, Math.max(0, progress)),
    etaSeconds,
  };
}

/** Provider seconds between the task finishing and a poll that first saw it final. */
export function detectionLagSecondsOf(timeline: TaskTimeline, observedAtMs: number): number {
  return Math.max(0, (observedAtMs - finishedAtMsOf(timeline)) / timeline.msPerSecond);
}
