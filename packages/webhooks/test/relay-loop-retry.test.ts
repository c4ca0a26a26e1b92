import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { type RelayLoopRelay, startRelayLoop } from "../src/relay-loop.ts";

/**
 * A relay that fails (Redis away for a moment) is tried again soon, not at the next sweep: the
 * wake-up message that asked for it is spent once it has been read.
 */
describe("the relay loop after a failed relay", () => {
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const publisher = new Redis(redisUrl);
  const channel = `{veoq-test-${randomBytes(4).toString("hex")}}:webhook-outbox-wake`;
  afterAll(() => {
    publisher.disconnect();
  });

  it("relays a batch again after a failure, with no new message and no sweep", async () => {
    const calls: string[] = [];
    const relay: RelayLoopRelay = {
      relayBatch: async (batchId) => {
        calls.push(batchId);
        if (calls.length === 1) throw new Error("Redis away for a moment");
        return 1;
      },
      relayAccount: async () => 0,
      relayPending: async () => 0,
      sweepRecent: async () => 0,
    };
    const errors: unknown[] = [];
    const subscriber = new Redis(redisUrl);
    const loop = startRelayLoop({
      relay,
      subscriber,
      channel,
      sweepIntervalMs: 600_000,
      recentSweepIntervalMs: 600_000,
      recentSweepBatches: 10,
      coalesceMs: 10,
      retryMs: 50,
      onError: (error) => errors.push(error),
    });
    const deadline = Date.now() + 10_000;
    while ((await publisher.pubsub("NUMSUB", channel))[1] === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await publisher.publish(channel, "b1");
    while (calls.length < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await loop.stop();
    expect(calls).toEqual(["b1", "b1"]);
    expect(errors).toHaveLength(1);
  });
});
