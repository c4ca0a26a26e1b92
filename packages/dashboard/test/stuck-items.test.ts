import { randomUUID } from "node:crypto";
import { removeKeysUnder } from "@veoq/local-redis";
import { createQueues, createRedisConnection, type PollJobData, pollJobId } from "@veoq/pipeline";
import { afterAll, describe, expect, it } from "vitest";
import { findStuckItems, stuckThresholdMs } from "../src/index.ts";
import { REDIS_URL } from "./small-run.ts";

const prefix = `{veoq-dash-stuck-${randomUUID().slice(0, 8)}}`;
const redis = createRedisConnection(REDIS_URL, "producer");
const queues = createQueues(redis, prefix);

afterAll(async () => {
  await queues.close();
  await removeKeysUnder(redis, prefix);
  redis.disconnect();
});

const rule = { pollDeadlineSeconds: 1800, timeScale: 1 };

describe("stuckThresholdMs", () => {
  it("is 3× the typical duration of the model", () => {
    expect(stuckThresholdMs("veo-3.1-lite-firstlastframe", rule)).toBe(180_000);
    expect(stuckThresholdMs("veo-3.1-generate-img2video", rule)).toBe(360_000);
  });

  it("is half the poll deadline when that comes first, and follows the time scale", () => {
    expect(
      stuckThresholdMs("veo-3.1-generate-img2video", { pollDeadlineSeconds: 600, timeScale: 1 }),
    ).toBe(300_000);
    expect(stuckThresholdMs("veo-3.1-lite-firstlastframe", { ...rule, timeScale: 0.01 })).toBe(
      1_800,
    );
  });
});

describe("findStuckItems", () => {
  it("flags poll jobs whose task is older than the threshold, not the fresh ones, with their progress", async () => {
    const now = Date.now();
    const job = (customId: string, ageMs: number): PollJobData => ({
      v: 1,
      batchId: "b1",
      customId,
      model: "veo-3.1-lite-firstlastframe",
      submission: 0,
      submitJobId: `b1~${customId}`,
      taskId: `task-${customId}`,
      createdAt: now - ageMs,
      durationSeconds: 8,
      sampleCount: 1,
      video: { durationSeconds: 8, width: 1280, height: 720, audio: true },
      taskPolls: 3,
      pollErrors: 0,
      lastStatus: "PROCESSING",
      trace: {
        enqueuedAt: now - ageMs,
        taskIds: [`task-${customId}`],
        submitAttempts: 1,
        polls: 3,
      },
    });
    // The provider's last progress, as the poll keeps it in the job's data.
    await queues.poll.add(
      "poll",
      { ...job("old", 200_000), lastProgress: 40 },
      {
        jobId: pollJobId("b1", "old", 0),
        delay: 60_000,
      },
    );
    await queues.poll.add("poll", job("fresh", 60_000), {
      jobId: pollJobId("b1", "fresh", 0),
      delay: 60_000,
    });
    const stuck = await findStuckItems(queues, rule, now);
    expect(stuck.map((s) => [s.customId, s.taskId, s.lastStatus])).toEqual([
      ["old", "task-old", "PROCESSING"],
    ]);
    expect(stuck[0]?.thresholdSeconds).toBe(180);
    expect(stuck[0]?.progress).toBe(40);
  });
});
