import { randomBytes } from "node:crypto";
import { removeKeysUnder } from "@veoq/local-redis";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import {
  BatchControl,
  BatchStore,
  cancelBatch,
  createQueues,
  type ItemTracer,
  type ItemTraceStart,
  NO_TRACING,
  retryCancelledItems,
  retryFailedItems,
  SpendLedger,
  submitJobId,
} from "../src/index.ts";
import { seedFailedSubmits } from "./failed-submits.ts";

const TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

/** An ItemTracer that records why each item's trace started and gives every one TRACEPARENT. */
function recordingTracer(started: [string, ItemTraceStart | undefined][]): ItemTracer {
  return {
    ...NO_TRACING,
    startItem: (item, why) => {
      started.push([item.customId, why]);
      return TRACEPARENT;
    },
  };
}

/**
 * `veoq retry` (failed and cancelled items) opens a new trace per re-queued item, under the
 * command's span, and the re-queued job carries it: its stages' spans are children of it.
 */
describe("a retry with a tracer", () => {
  const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
  const prefix = `{veoq-test-${randomBytes(4).toString("hex")}}`;
  const store = new BatchStore(redis, prefix);
  const queues = createQueues(redis, prefix);
  afterAll(async () => {
    await queues.close();
    await removeKeysUnder(redis, prefix);
    redis.disconnect();
  });

  it("puts a retry trace on each re-queued failed job, keeping the rest of its data", async () => {
    await seedFailedSubmits(redis, store, queues, "rf", ["a", "b"]);
    const started: [string, ItemTraceStart | undefined][] = [];
    const summary = await retryFailedItems(store, queues, "rf", {
      submitAttempts: 1,
      tracer: recordingTracer(started),
    });
    expect(summary.retried).toBe(2);
    expect(started).toEqual([
      ["a", "retry"],
      ["b", "retry"],
    ]);
    for (const id of ["a", "b"]) {
      const job = await queues.submit.getJob(`rf-${id}`);
      expect(job?.data).toMatchObject({ customId: id, trace: { traceparent: TRACEPARENT } });
    }
  });

  it("puts a retry trace on each re-queued cancelled job", async () => {
    await store.ensureBatch("rc", "test", Date.now());
    await store.registerItems("rc", ["c"]);
    await queues.submit.add(
      "submit",
      {
        customId: "c",
        trace: { enqueuedAt: 1, taskIds: [], submitAttempts: 0, polls: 0 },
      } as never,
      { jobId: submitJobId("rc", "c", 0) },
    );
    const life = {
      store,
      queues,
      control: new BatchControl(redis, prefix),
      spend: new SpendLedger(redis, prefix),
    };
    expect((await cancelBatch(life, "rc", { dropInFlight: false })).cancelled).toBe(1);
    const started: [string, ItemTraceStart | undefined][] = [];
    const summary = await retryCancelledItems(life, "rc", { tracer: recordingTracer(started) });
    expect(summary.retried).toBe(1);
    expect(started).toEqual([["c", "retry"]]);
    const job = await queues.submit.getJob(submitJobId("rc", "c", 0));
    expect(job?.data).toMatchObject({
      customId: "c",
      trace: { enqueuedAt: 1, traceparent: TRACEPARENT },
    });
  });
});
