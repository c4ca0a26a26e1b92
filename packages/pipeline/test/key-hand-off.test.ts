import { randomBytes } from "node:crypto";
import { removeKeysUnder } from "@veoq/local-redis";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { createQueues } from "../src/index.ts";
import { listKeyWait, startKeyHandOff } from "../src/keys/key-hand-off.ts";

const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
const prefix = `{veoq-test-${randomBytes(4).toString("hex")}}`;
afterAll(async () => {
  await removeKeysUnder(redis, prefix);
  redis.disconnect();
});

describe("key hand-off", () => {
  it("a worker holding the key promotes the jobs left for it, of the stages it runs, when they are listed", async () => {
    const queues = createQueues(redis, prefix);
    const delay = { delay: 60_000 };
    await queues.poll.add("poll", {} as never, { ...delay, jobId: "b~x~p0" });
    await queues.download.add("download", {} as never, { ...delay, jobId: "b~x~d0" });
    await queues.poll.add("poll", {} as never, { ...delay, jobId: "b~y~p0" });
    await queues.poll.add("poll", {} as never, { ...delay, jobId: "b~z~p0" });
    // Listed before the holder starts: found by its first look.
    await listKeyWait(redis, prefix, "sim-b", "poll", "b~x~p0", 1);
    const errors: unknown[] = [];
    const subscriber = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
    const stop = startKeyHandOff({
      redis,
      subscriber,
      prefix,
      queues,
      keys: ["sim-a", "sim-b"],
      roles: ["poll"],
      // No sweep within the test: what is listed later is found by its message alone.
      sweepMs: 600_000,
      onError: (error) => errors.push(error),
    });
    const promoted = async (jobId: string) => {
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline && (await queues.poll.getJob(jobId))?.delay !== 0) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return (await queues.poll.getJob(jobId))?.getState();
    };
    expect(await promoted("b~x~p0")).toBe("waiting");
    await listKeyWait(redis, prefix, "sim-b", "download", "b~x~d0", 2);
    // Left for another key: not this worker's to promote.
    await listKeyWait(redis, prefix, "sim-c", "poll", "b~y~p0", 3);
    await listKeyWait(redis, prefix, "sim-b", "poll", "b~z~p0", 4);
    expect(await promoted("b~z~p0")).toBe("waiting");
    stop();
    // A download left for sim-b waits for a download worker with it; sim-c's job stays delayed.
    expect(await (await queues.download.getJob("b~x~d0"))?.getState()).toBe("delayed");
    expect(await (await queues.poll.getJob("b~y~p0"))?.getState()).toBe("delayed");
    expect(await redis.zrange(`${prefix}:key-waits:sim-b`, 0, -1)).toEqual(["download|b~x~d0"]);
    expect(errors).toEqual([]);
    await Promise.all([queues.submit.close(), queues.poll.close(), queues.download.close()]);
  });
});

describe("keyOfTask", () => {
  it("a job left for a worker with its key is delayed, not failed, when listing the wait fails", async () => {
    const { keyOfTask } = await import("../src/stages/pipeline-context.ts");
    const { DelayedError } = await import("bullmq");
    const { createLogger } = await import("@veoq/logging");
    const moved: number[] = [];
    const job = {
      id: "b~x~p0",
      data: { batchId: "b", keyName: "sim-a" },
      updateData: async () => undefined,
      moveToDelayed: async (at: number) => {
        moved.push(at);
      },
    };
    const down = {
      pipeline: () => {
        throw new Error("Connection is closed.");
      },
    };
    const context = {
      keys: { get: () => undefined },
      store: {
        redis: down,
        prefix,
        workers: { list: async () => [] },
        setKeyWait: async () => false,
      },
      now: () => 1_000,
      random: () => 0.5,
    } as never;
    // The job is already delayed when the listing fails: on its last attempt a thrown Redis
    // error would record a final failure for a job that is waiting for its key.
    await expect(
      keyOfTask(
        context,
        job as never,
        "token",
        { ...job.data },
        "poll",
        createLogger({ level: "silent" }),
      ),
    ).rejects.toBeInstanceOf(DelayedError);
    expect(moved).toHaveLength(1);
  });
});
