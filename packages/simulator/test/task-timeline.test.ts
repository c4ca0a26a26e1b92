import { describe, expect, it } from "vitest";
import {
  detectionLagSecondsOf,
  finishedAtMsOf,
  type TaskTimeline,
  taskPhaseAt,
} from "../src/task-timeline.ts";

const timeline: TaskTimeline = {
  createdAtMs: 10_000,
  durationSeconds: 100,
  queuedFraction: 0.1,
  msPerSecond: 10,
  fails: false,
};

describe("taskPhaseAt", () => {
  it("is QUEUED for the first queuedFraction of the duration, with the full eta", () => {
    expect(taskPhaseAt(timeline, 10_000)).toEqual({
      status: "QUEUED",
      final: false,
      progressPercent: 0,
      etaSeconds: 100,
    });
    expect(taskPhaseAt(timeline, 10_099).status).toBe("QUEUED");
  });

  it("is PROCESSING afterwards with progress rising linearly and eta falling", () => {
    expect(taskPhaseAt(timeline, 10_100)).toMatchObject({
      status: "PROCESSING",
      progressPercent: 0,
    });
    expect(taskPhaseAt(timeline, 10_550)).toMatchObject({
      status: "PROCESSING",
      progressPercent: 50,
      etaSeconds: 45,
    });
    expect(taskPhaseAt(timeline, 10_999).progressPercent).toBe(99);
  });

  it("is SUCCEED at and after the finish time", () => {
    expect(finishedAtMsOf(timeline)).toBe(11_000);
    expect(taskPhaseAt(timeline, 11_000)).toEqual({
      status: "SUCCEED",
      final: true,
      progressPercent: 100,
      etaSeconds: 0,
    });
  });

  it("is FAILED at the finish time when the task fails", () => {
    expect(taskPhaseAt({ ...timeline, fails: true }, 11_000).status).toBe("FAILED");
    expect(taskPhaseAt({ ...timeline, fails: true }, 10_999).status).toBe("PROCESSING");
  });

  it("measures detection lag in provider seconds, never negative", () => {
    expect(detectionLagSecondsOf(timeline, 11_050)).toBe(5);
    expect(detectionLagSecondsOf(timeline, 10_900)).toBe(0);
  });
});
