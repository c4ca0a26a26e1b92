/** Markers a prompt may carry to steer the simulator. */
export interface PromptMarkers {
  /** `[sim:duration=N]`: the task runs exactly N provider seconds. */
  durationSeconds: number | undefined;
  /** `[sim:fail-once]`: the first task created for this exact body fails with a transient reason. */
  failOnce: boolean;
  /** `[sim:fail]`: every task fails with a permanent reason. */
  fail: boolean;
  /** `[sim:wrong-video]`: the task serves a video of another duration, without audio. */
  wrongVideo: boolean;
}

const DURATION_MARKER = /\[sim:duration=(\d+(?:\.\d+)?)\]/;

export function readPromptMarkers(prompt: unknown): PromptMarkers {
  if (typeof prompt !== "string") {
    return { durationSeconds: undefined, failOnce: false, fail: false, wrongVideo: false };
  }
  const duration = DURATION_MARKER.exec(prompt)?.[1];
  return {
    durationSeconds: duration === undefined ? undefined : Number(duration),
    failOnce: prompt.includes("[sim:fail-once]"),
    fail: prompt.includes("[sim:fail]"),
    wrongVideo: prompt.includes("[sim:wrong-video]"),
  };
}
